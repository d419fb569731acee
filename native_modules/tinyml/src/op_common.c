/* Checks and helpers the operator files (ops/op_*.c) share: data-section arrays,
 * requantization pairs, bias limits, broadcast words. */
#include "op.h"

int tml_check_array(const tml_model_t *m, int32_t off, uint32_t n, uint32_t elem) {
    return off >= 0 && ((uint32_t)off % elem) == 0 && n <= 0x1000000u &&
           tml_in_range((uint32_t)off, n * elem, m->data_size);
}

int tml_check_requant(const tml_model_t *m, int32_t mult_off, int32_t shift_off, uint32_t n) {
    if (!tml_check_array(m, mult_off, n, 4) || !tml_check_array(m, shift_off, n, 4)) {
        return 0;
    }
    for (uint32_t c = 0; c < n; c++) {
        const int32_t mult = tml_rdi32(m->data + mult_off + 4 * c);
        const int32_t shift = tml_rdi32(m->data + shift_off + 4 * c);
        if (mult < 0 || shift < -31 || shift > 30) {
            return 0;
        }
    }
    return 1;
}

int32_t tml_bias_limit(int64_t terms, int64_t max_term) {
    return (int32_t)((int64_t)0x7fffffff - terms * max_term);
}

int tml_check_bias(const tml_tensor_t *b, int32_t n, int32_t limit) {
    if (!tml_is_const(b, TML_DTYPE_INT32) || b->rank != 1 || b->dims[0] != n) {
        return 0;
    }
    for (int32_t i = 0; i < n; i++) {
        const int32_t v = tml_rdi32((const uint8_t *)b->data + 4 * (uint32_t)i);
        if (v > limit || v < -limit) {
            return 0;
        }
    }
    return 1;
}

void tml_info_requant(const tml_op_ctx_t *c, tml_op_info_t *info, int32_t mult_off,
                      int32_t shift_off, uint32_t n) {
    info->n_requant = n;
    info->mult = c->m->data + mult_off;
    info->shift = c->m->data + shift_off;
}

void tml_bcast_of(const int32_t *w, tml_bcast_t *b) {
    /* Compact the loop nest from the innermost dimension out: size-1 dimensions vanish, and a
     * dimension that both inputs walk as a continuation of the inner run merges into it
     * (same-shape operands become one flat loop). */
    int32_t dims[4], s0[4], s1[4];
    int n = 0;
    for (int d = 3; d >= 0; d--) {
        const int32_t size = w[d], a = w[4 + d], c = w[8 + d];
        if (size == 1) {
            continue;
        }
        if (n > 0 && a == s0[n - 1] * dims[n - 1] && c == s1[n - 1] * dims[n - 1]) {
            dims[n - 1] *= size;
        } else {
            dims[n] = size;
            s0[n] = a;
            s1[n] = c;
            n++;
        }
    }
    for (int i = 0; i < 4; i++) {
        b->dims[3 - i] = i < n ? dims[i] : 1;
        b->stride[0][3 - i] = i < n ? s0[i] : 0;
        b->stride[1][3 - i] = i < n ? s1[i] : 0;
    }
}

int tml_bcast_in_place_ok(const int32_t *w, const tml_tensor_t *in0, const tml_tensor_t *out) {
    int32_t stride = 1;
    if (!(in0->location == TML_LOC_ARENA && in0->offset == out->offset)) {
        return 1; /* not aliased */
    }
    for (int d = 3; d >= 0; d--) {
        if (w[d] > 1 && w[4 + d] != stride) {
            return 0;
        }
        stride *= w[d];
    }
    return 1;
}

int tml_check_bcast(const int32_t *w, uint32_t n_inputs, const tml_tensor_t *const *ins,
                    const tml_tensor_t *out) {
    uint64_t count = 1;
    for (int d = 0; d < 4; d++) {
        if (w[d] < 1 || w[d] > 0xffff) {
            return 0;
        }
        count *= (uint32_t)w[d];
    }
    if (count != out->size) {
        return 0;
    }
    for (uint32_t i = 0; i < n_inputs; i++) {
        int64_t last = 0;
        for (int d = 0; d < 4; d++) {
            const int32_t s = w[4 + 4 * (int)i + d];
            if (s < 0 || s > 0x1000000) {
                return 0;
            }
            last += (int64_t)(w[d] - 1) * s;
        }
        if (last >= (int64_t)ins[i]->size) {
            return 0;
        }
    }
    return 1;
}

#if TML_HAS_DUAL16
int tml_dual16_values_ok(const tml_tensor_t *f) {
    const int16_t *v = (const int16_t *)f->data;
    for (uint32_t i = 0; i < f->size / 2; i++) {
        if ((uint32_t)(v[i] + 128) > 255u) {
            return 0;
        }
    }
    return 1;
}
#endif
