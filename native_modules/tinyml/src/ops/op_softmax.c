/* SOFTMAX over the last dimension: input x; words P_SM_*. */
#include "op.h"

#if TML_HAS_SOFTMAX
static tml_status_t check(const tml_op_ctx_t *c) {
    const tml_tensor_t *in = &c->in[0], *out = &c->out;
    const int32_t depth = in->dims[in->rank - 1];
    /* depth <= 2048 keeps the Q12.19 sum of exponentials below 2^31. */
    if (!tml_is_act(in) || in->size != out->size || depth > 2048 ||
        out->dims[out->rank - 1] != depth || c->w[P_SM_MULT] < 0 ||
        !tml_between(c->w[P_SM_LEFT_SHIFT], 0, 31) || c->w[P_SM_DIFF_MIN] > 0) {
        return TML_E_PARAMS;
    }
    return TML_OK;
}

static int eval(const tml_op_ctx_t *c) {
    tml_softmax_params_t p;
    p.input_multiplier = c->w[P_SM_MULT];
    p.input_left_shift = c->w[P_SM_LEFT_SHIFT];
    p.diff_min = c->w[P_SM_DIFF_MIN];
    p.rounding = c->rounding;
    const int32_t depth = c->in[0].dims[c->in[0].rank - 1];
    return tml_softmax_s8(&p, (int32_t)c->in[0].size / depth, depth,
                          (const int8_t *)c->in[0].data, (int8_t *)c->out.data);
}

const tml_op_def_t tml_op_softmax = {
    .kind = TML_OP_SOFTMAX,
    .min_in = 1,
    .max_in = 1,
    .words = TML_OP_WORDS_SOFTMAX,
    .check = check,
    .eval = eval,
};
#endif
