/* STRIDED_COPY: an affine gather that implements STRIDED_SLICE, SLICE, TRANSPOSE, SPLIT and
 * UNPACK (one op per output); words P_SC_*. */
#include "op.h"

#if TML_HAS_STRIDED_COPY
static tml_status_t check(const tml_op_ctx_t *c) {
    const int32_t *w = c->w;
    uint64_t count = 1;
    int64_t lo = w[P_SC_BASE], hi = w[P_SC_BASE];
    if (!tml_is_i8(&c->in[0])) {
        return TML_E_PARAMS;
    }
    for (int d = 0; d < 4; d++) {
        const int32_t n = w[P_SC_DIMS + d], s = w[P_SC_STRIDE + d];
        if (!tml_between(n, 1, 0xffff) || !tml_between(s, -0x1000000, 0x1000000)) {
            return TML_E_PARAMS;
        }
        count *= (uint32_t)n;
        if (s < 0) {
            lo += (int64_t)(n - 1) * s;
        } else {
            hi += (int64_t)(n - 1) * s;
        }
    }
    /* Every element read lies inside the input. */
    if (count != c->out.size || lo < 0 || hi >= (int64_t)c->in[0].size) {
        return TML_E_PARAMS;
    }
    return TML_OK;
}

static int eval(const tml_op_ctx_t *c) {
    tml_strided_t p;
    for (int d = 0; d < 4; d++) {
        p.dims[d] = c->w[P_SC_DIMS + d];
        p.stride[d] = c->w[P_SC_STRIDE + d];
    }
    p.base = c->w[P_SC_BASE];
    return tml_strided_copy_s8(&p, (const int8_t *)c->in[0].data, (int8_t *)c->out.data);
}

const tml_op_def_t tml_op_strided_copy = {
    .kind = TML_OP_STRIDED_COPY,
    .min_in = 1,
    .max_in = 1,
    .words = TML_OP_WORDS_STRIDED_COPY,
    .const_inputs = TML_IN(0),
    .check = check,
    .eval = eval,
};
#endif
