/* ADD and SUB, broadcasting: inputs (x, y); words P_ADD_*. */
#include "op.h"

#if TML_HAS_ADD
static tml_status_t check(const tml_op_ctx_t *c) {
    const tml_tensor_t *ins[2] = {&c->in[0], &c->in[1]};
    const int32_t *w = c->w;
    if (!tml_is_i8(ins[0]) || !tml_is_i8(ins[1]) || !tml_check_bcast(w, 2, ins, &c->out) ||
        !tml_bcast_in_place_ok(w, ins[0], &c->out) ||
        !tml_between(w[P_ADD_IN1_OFFSET], -127, 128) ||
        !tml_between(w[P_ADD_IN2_OFFSET], -127, 128) ||
        !tml_between(w[P_ADD_OUT_OFFSET], -128, 127) || !tml_between(w[P_ADD_LEFT_SHIFT], 0, 20) ||
        !tml_check_act(w[P_ADD_ACT_MIN], w[P_ADD_ACT_MAX]) ||
        (w[P_ADD_SUBTRACT] != 0 && w[P_ADD_SUBTRACT] != 1)) {
        return TML_E_PARAMS;
    }
    for (int i = P_ADD_IN1_MULT; i <= P_ADD_OUT_MULT; i += 2) {
        /* Multipliers below one: the rescaled sum stays inside int32. */
        if (w[i] < 0 || !tml_between(w[i + 1], -31, 0)) {
            return TML_E_PARAMS;
        }
    }
    return TML_OK;
}

static void info(const tml_op_ctx_t *c, tml_op_info_t *info) {
    info->act_min = c->w[P_ADD_ACT_MIN];
    info->act_max = c->w[P_ADD_ACT_MAX];
}

static int eval(const tml_op_ctx_t *c) {
    const int32_t *w = c->w;
    tml_add_params_t p;
    tml_bcast_t b;
    tml_bcast_of(w, &b);
    p.input1_offset = w[P_ADD_IN1_OFFSET];
    p.input2_offset = w[P_ADD_IN2_OFFSET];
    p.output_offset = w[P_ADD_OUT_OFFSET];
    p.left_shift = w[P_ADD_LEFT_SHIFT];
    p.input1_mult = w[P_ADD_IN1_MULT];
    p.input1_shift = w[P_ADD_IN1_SHIFT];
    p.input2_mult = w[P_ADD_IN2_MULT];
    p.input2_shift = w[P_ADD_IN2_SHIFT];
    p.output_mult = w[P_ADD_OUT_MULT];
    p.output_shift = w[P_ADD_OUT_SHIFT];
    p.act_min = w[P_ADD_ACT_MIN];
    p.act_max = w[P_ADD_ACT_MAX];
    p.subtract = w[P_ADD_SUBTRACT];
    p.rounding = c->rounding;
    return tml_add_s8(&p, &b, (const int8_t *)c->in[0].data, (const int8_t *)c->in[1].data,
                      (int8_t *)c->out.data);
}

const tml_op_def_t tml_op_add = {
    .kind = TML_OP_ADD,
    .min_in = 2,
    .max_in = 2,
    .words = TML_OP_WORDS_ADD,
    .in_place = 1,
    .const_inputs = TML_IN(0) | TML_IN(1),
    .check = check,
    .eval = eval,
    .info = info,
};
#endif
