/* MEAN: input x viewed as 4-D; words P_MEAN_*. */
#include "op.h"

#if TML_HAS_MEAN
static tml_status_t check(const tml_op_ctx_t *c) {
    const int32_t *w = c->w;
    uint64_t count = 1, kept = 1;
    if (!tml_is_act(&c->in[0]) || !tml_between(w[P_MEAN_AXES], 1, 15) ||
        !tml_between(w[P_MEAN_IN_ZP], -128, 127) || !tml_between(w[P_MEAN_OUT_ZP], -128, 127) ||
        w[P_MEAN_MULT] < 0 || !tml_between(w[P_MEAN_SHIFT], -31, 30)) {
        return TML_E_PARAMS;
    }
    for (int d = 0; d < 4; d++) {
        const int32_t n = w[P_MEAN_DIMS + d];
        if (!tml_between(n, 1, 0xffff)) {
            return TML_E_PARAMS;
        }
        count *= (uint32_t)n;
        kept *= ((w[P_MEAN_AXES] >> d) & 1) ? 1u : (uint32_t)n;
    }
    /* At most 2^22 elements per mean keep the int32 sum and n * zero point exact. */
    if (count != c->in[0].size || kept != c->out.size || count > ((uint64_t)kept << 22)) {
        return TML_E_PARAMS;
    }
    return TML_OK;
}

static int eval(const tml_op_ctx_t *c) {
    tml_mean_params_t p;
    for (int d = 0; d < 4; d++) {
        p.dims[d] = c->w[P_MEAN_DIMS + d];
    }
    p.axes = c->w[P_MEAN_AXES];
    p.input_zero_point = c->w[P_MEAN_IN_ZP];
    p.output_zero_point = c->w[P_MEAN_OUT_ZP];
    p.mult = c->w[P_MEAN_MULT];
    p.shift = c->w[P_MEAN_SHIFT];
    p.rounding = c->rounding;
    return tml_mean_s8(&p, (const int8_t *)c->in[0].data, (int8_t *)c->out.data);
}

const tml_op_def_t tml_op_mean = {
    .kind = TML_OP_MEAN,
    .min_in = 1,
    .max_in = 1,
    .words = TML_OP_WORDS_MEAN,
    .check = check,
    .eval = eval,
};
#endif
