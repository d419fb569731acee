/* PAD: input x viewed as 4-D; words P_PAD_*. */
#include "op.h"

#if TML_HAS_PAD
static tml_status_t check(const tml_op_ctx_t *c) {
    const int32_t *w = c->w;
    uint64_t n_in = 1, n_out = 1;
    if (!tml_is_act(&c->in[0]) || !tml_between(w[P_PAD_VALUE], -128, 127)) {
        return TML_E_PARAMS;
    }
    for (int d = 0; d < 4; d++) {
        const int32_t id = w[P_PAD_IN_DIMS + d], od = w[P_PAD_OUT_DIMS + d];
        const int32_t before = w[P_PAD_BEFORE + d];
        if (!tml_between(id, 1, 0xffff) || !tml_between(od, 1, 0xffff) || before < 0 ||
            (int64_t)before + id > od) {
            return TML_E_PARAMS;
        }
        n_in *= (uint32_t)id;
        n_out *= (uint32_t)od;
    }
    return n_in == c->in[0].size && n_out == c->out.size ? TML_OK : TML_E_PARAMS;
}

static int eval(const tml_op_ctx_t *c) {
    tml_pad_params_t p;
    for (int d = 0; d < 4; d++) {
        p.in_dims[d] = c->w[P_PAD_IN_DIMS + d];
        p.out_dims[d] = c->w[P_PAD_OUT_DIMS + d];
        p.before[d] = c->w[P_PAD_BEFORE + d];
    }
    p.value = c->w[P_PAD_VALUE];
    return tml_pad_s8(&p, (const int8_t *)c->in[0].data, (int8_t *)c->out.data);
}

const tml_op_def_t tml_op_pad = {
    .kind = TML_OP_PAD,
    .min_in = 1,
    .max_in = 1,
    .words = TML_OP_WORDS_PAD,
    .check = check,
    .eval = eval,
};
#endif
