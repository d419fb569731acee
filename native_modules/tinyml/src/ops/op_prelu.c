/* PRELU: inputs (x, alpha), alpha broadcast against x; words P_PRELU_*. */
#include "op.h"

#if TML_HAS_PRELU
static tml_status_t check(const tml_op_ctx_t *c) {
    const tml_tensor_t *ins[2] = {&c->in[0], &c->in[1]};
    const int32_t *w = c->w;
    if (!tml_is_act(ins[0]) || !tml_is_i8(ins[1]) || !tml_check_bcast(w, 2, ins, &c->out) ||
        !tml_bcast_in_place_ok(w, ins[0], &c->out) ||
        c->out.size != ins[0]->size || !tml_between(w[P_PRELU_IN_OFFSET], -127, 128) ||
        !tml_between(w[P_PRELU_ALPHA_OFFSET], -127, 128) ||
        !tml_between(w[P_PRELU_OUT_OFFSET], -128, 127) || w[P_PRELU_MULT_POS] < 0 ||
        w[P_PRELU_MULT_NEG] < 0 || !tml_between(w[P_PRELU_SHIFT_POS], -31, 30) ||
        !tml_between(w[P_PRELU_SHIFT_NEG], -31, 30)) {
        return TML_E_PARAMS;
    }
    return TML_OK;
}

static int eval(const tml_op_ctx_t *c) {
    const int32_t *w = c->w;
    tml_prelu_params_t p;
    tml_bcast_t b;
    tml_bcast_of(w, &b);
    p.input_offset = w[P_PRELU_IN_OFFSET];
    p.alpha_offset = w[P_PRELU_ALPHA_OFFSET];
    p.output_offset = w[P_PRELU_OUT_OFFSET];
    p.mult_pos = w[P_PRELU_MULT_POS];
    p.shift_pos = w[P_PRELU_SHIFT_POS];
    p.mult_neg = w[P_PRELU_MULT_NEG];
    p.shift_neg = w[P_PRELU_SHIFT_NEG];
    p.rounding = c->rounding;
    return tml_prelu_s8(&p, &b, (const int8_t *)c->in[0].data, (const int8_t *)c->in[1].data,
                        (int8_t *)c->out.data);
}

const tml_op_def_t tml_op_prelu = {
    .kind = TML_OP_PRELU,
    .min_in = 2,
    .max_in = 2,
    .words = TML_OP_WORDS_PRELU,
    .in_place = 1,
    .const_inputs = TML_IN(1),
    .check = check,
    .eval = eval,
};
#endif
