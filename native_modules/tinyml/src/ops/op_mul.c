/* MUL, broadcasting: inputs (x, y); words P_MUL_*. */
#include "op.h"

#if TML_HAS_MUL
static tml_status_t check(const tml_op_ctx_t *c) {
    const tml_tensor_t *ins[2] = {&c->in[0], &c->in[1]};
    const int32_t *w = c->w;
    if (!tml_is_i8(ins[0]) || !tml_is_i8(ins[1]) || !tml_check_bcast(w, 2, ins, &c->out) ||
        !tml_bcast_in_place_ok(w, ins[0], &c->out) ||
        !tml_between(w[P_MUL_IN1_OFFSET], -127, 128) ||
        !tml_between(w[P_MUL_IN2_OFFSET], -127, 128) ||
        !tml_between(w[P_MUL_OUT_OFFSET], -128, 127) || w[P_MUL_MULT] < 0 ||
        !tml_between(w[P_MUL_SHIFT], -31, 30) || !tml_check_act(w[P_MUL_ACT_MIN], w[P_MUL_ACT_MAX])) {
        return TML_E_PARAMS;
    }
    return TML_OK;
}

static void info(const tml_op_ctx_t *c, tml_op_info_t *info) {
    info->act_min = c->w[P_MUL_ACT_MIN];
    info->act_max = c->w[P_MUL_ACT_MAX];
}

static int eval(const tml_op_ctx_t *c) {
    const int32_t *w = c->w;
    tml_mul_params_t p;
    tml_bcast_t b;
    tml_bcast_of(w, &b);
    p.input1_offset = w[P_MUL_IN1_OFFSET];
    p.input2_offset = w[P_MUL_IN2_OFFSET];
    p.output_offset = w[P_MUL_OUT_OFFSET];
    p.output_mult = w[P_MUL_MULT];
    p.output_shift = w[P_MUL_SHIFT];
    p.act_min = w[P_MUL_ACT_MIN];
    p.act_max = w[P_MUL_ACT_MAX];
    p.rounding = c->rounding;
    return tml_mul_s8(&p, &b, (const int8_t *)c->in[0].data, (const int8_t *)c->in[1].data,
                      (int8_t *)c->out.data);
}

const tml_op_def_t tml_op_mul = {
    .kind = TML_OP_MUL,
    .min_in = 2,
    .max_in = 2,
    .words = TML_OP_WORDS_MUL,
    .in_place = 1,
    .const_inputs = TML_IN(0) | TML_IN(1),
    .check = check,
    .eval = eval,
    .info = info,
};
#endif
