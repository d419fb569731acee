/* Operator records: the checks common to every kind, the registry of built-in operators, the
 * run loop over the validated plan, and the decoded view of a record (tml_model_op_info).
 * Parameters are decoded from the blob on each invoke (a few dozen little-endian reads per op),
 * so no RAM is spent on decoded copies. */
#include <string.h>
#include "op.h"

/* Indexed by kind; a compiled-out operator (tml_config.h) has a NULL entry. */
static const tml_op_def_t *const op_table[TML_OP_KIND_COUNT] = {
    [TML_OP_RESHAPE] = &tml_op_reshape,
#if TML_HAS_CONV_2D
    [TML_OP_CONV_2D] = &tml_op_conv_2d,
#endif
#if TML_HAS_DEPTHWISE_CONV_2D
    [TML_OP_DEPTHWISE_CONV_2D] = &tml_op_depthwise_conv_2d,
#endif
#if TML_HAS_FULLY_CONNECTED
    [TML_OP_FULLY_CONNECTED] = &tml_op_fully_connected,
#endif
#if TML_HAS_AVERAGE_POOL_2D
    [TML_OP_AVERAGE_POOL_2D] = &tml_op_average_pool_2d,
#endif
#if TML_HAS_SOFTMAX
    [TML_OP_SOFTMAX] = &tml_op_softmax,
#endif
#if TML_HAS_ADD
    [TML_OP_ADD] = &tml_op_add,
#endif
#if TML_HAS_MUL
    [TML_OP_MUL] = &tml_op_mul,
#endif
#if TML_HAS_MINIMUM
    [TML_OP_MINIMUM] = &tml_op_minimum,
#endif
#if TML_HAS_MAXIMUM
    [TML_OP_MAXIMUM] = &tml_op_maximum,
#endif
#if TML_HAS_MAX_POOL_2D
    [TML_OP_MAX_POOL_2D] = &tml_op_max_pool_2d,
#endif
#if TML_HAS_LUT
    [TML_OP_LUT] = &tml_op_lut,
#endif
#if TML_HAS_CONCAT
    [TML_OP_CONCAT] = &tml_op_concat,
#endif
#if TML_HAS_PAD
    [TML_OP_PAD] = &tml_op_pad,
#endif
#if TML_HAS_STRIDED_COPY
    [TML_OP_STRIDED_COPY] = &tml_op_strided_copy,
#endif
#if TML_HAS_RESIZE_NEAREST
    [TML_OP_RESIZE_NEAREST] = &tml_op_resize_nearest,
#endif
#if TML_HAS_PRELU
    [TML_OP_PRELU] = &tml_op_prelu,
#endif
#if TML_HAS_MEAN
    [TML_OP_MEAN] = &tml_op_mean,
#endif
};

static const tml_op_def_t *op_def(uint32_t kind) {
    return kind < TML_OP_KIND_COUNT ? op_table[kind] : NULL;
}

/* Fill the context from op record rec. Indices and parameter bounds were checked by
 * tml_op_check before any invoke; tml_op_check itself calls this only after checking them. */
static void load_ctx(const tml_model_t *m, const uint8_t *rec, tml_op_ctx_t *c) {
    const uint32_t p_off = tml_rd32(rec + O_PARAMS_OFF);
    c->m = m;
    c->kind = rec[O_KIND];
    c->n_in = rec[O_N_IN];
    c->rounding = (rec[O_FLAGS] & TML_OP_FLAG_DOUBLE_ROUNDING) ? TML_ROUND_DOUBLE
                  : (rec[O_FLAGS] & TML_OP_FLAG_ROUND_AWAY)    ? TML_ROUND_AWAY
                                                               : TML_ROUND_SINGLE;
    for (uint32_t i = 0; i < TML_OP_MAX_INPUTS; i++) {
        c->idx[i] = tml_rd16(rec + O_INPUTS + 2 * i);
        if (i < c->n_in && c->idx[i] != TML_NONE) {
            tml_model_tensor(m, c->idx[i], &c->in[i]);
        } else {
            memset(&c->in[i], 0, sizeof(c->in[i]));
        }
    }
    tml_model_tensor(m, tml_rd16(rec + O_OUTPUTS), &c->out);
    c->in_place = rec[O_FLAGS] & TML_OP_FLAG_IN_PLACE;
    c->scratch_off = tml_rd32(rec + O_SCRATCH_OFF);
    c->scratch_size = tml_rd32(rec + O_SCRATCH_SIZE);
    c->scratch = m->arena ? (int8_t *)m->arena + c->scratch_off : NULL;
    c->n_words = tml_rd32(rec + O_PARAMS_SIZE) / 4;
    for (uint32_t i = 0; i < c->n_words && i < TML_MAX_WORDS; i++) {
        c->w[i] = tml_rdi32(m->data + p_off + 4 * i);
    }
}

tml_status_t tml_op_check(const tml_model_t *m, uint32_t k) {
    const uint8_t *r = m->ops + (size_t)k * TML_OP_RECORD;
    const uint32_t n_in = r[O_N_IN], n_out = r[O_N_OUT];
    const uint32_t p_off = tml_rd32(r + O_PARAMS_OFF), p_size = tml_rd32(r + O_PARAMS_SIZE);
    const tml_op_def_t *def = op_def(r[O_KIND]);
    tml_op_ctx_t c;

    if (def == NULL) {
        return TML_E_OP_UNSUPPORTED; /* unknown, or compiled out by tml_config.h */
    }
    if ((r[O_FLAGS] & ~TML_OP_KNOWN_FLAGS) ||
        (r[O_FLAGS] & TML_OP_ROUNDING_FLAGS) == TML_OP_ROUNDING_FLAGS ||
        n_in < def->min_in || n_in > def->max_in ||
        n_out != 1 || tml_rd16(r + O_OUTPUTS + 2) != TML_NONE) {
        return TML_E_OP;
    }
    for (uint32_t i = 0; i < TML_OP_MAX_INPUTS; i++) {
        const uint16_t idx = tml_rd16(r + O_INPUTS + 2 * i);
        if (i >= n_in) {
            if (idx != TML_NONE) {
                return TML_E_OP;
            }
        } else if (idx == TML_NONE) {
            if (i != 2 || def->min_in > 2) { /* only a bias may be omitted */
                return TML_E_OP;
            }
        } else if (idx >= m->n_tensors) {
            return TML_E_OP;
        }
    }
    if (tml_rd16(r + O_OUTPUTS) >= m->n_tensors) {
        return TML_E_OP;
    }
    if (p_size != 4u * def->words || (p_off & 3) || !tml_in_range(p_off, p_size, m->data_size)) {
        return TML_E_PARAMS;
    }
    load_ctx(m, r, &c);
    if (!tml_is_act(&c.out)) {
        return TML_E_OP;
    }
    const tml_status_t st = def->check(&c); /* shapes and parameters first */
    if (st != TML_OK) {
        return st;
    }
    if (c.in_place) {
        /* Output at input 0's offset; the buffer is the larger of the two; the scratch lies in
         * the arena apart from both and holds what the kernel needs. */
        const tml_tensor_t *in = &c.in[0];
        const uint32_t buf_end = in->offset + (in->size > c.out.size ? in->size : c.out.size);
        uint32_t need;
        if (def->in_place_scratch == NULL || !tml_is_act(in) || in->offset != c.out.offset ||
            (need = def->in_place_scratch(&c)) == 0 || c.scratch_size < need ||
            !tml_in_range(c.scratch_off, c.scratch_size, m->arena_size) ||
            !tml_in_range(in->offset, buf_end - in->offset, m->arena_size) ||
            (c.scratch_off < buf_end && in->offset < c.scratch_off + c.scratch_size)) {
            return TML_E_PLAN;
        }
    } else if (c.scratch_off != 0 || c.scratch_size != 0) {
        return TML_E_PLAN; /* scratch only for in-place variants */
    }
    for (uint32_t i = 0; i < n_in; i++) {
        const tml_tensor_t *t = &c.in[i];
        if (c.idx[i] == TML_NONE) {
            continue;
        }
        if (t->location == TML_LOC_CONST && !(def->const_inputs & (1u << i))) {
            return TML_E_OP;
        }
        /* An output never overwrites an input, except input 0 in place: an exact alias for
         * element-wise kinds, or the in-place variant checked above. */
        if (tml_overlaps(t, &c.out) &&
            !(i == 0 && c.in_place) &&
            !(i == 0 && def->in_place && t->offset == c.out.offset && t->size == c.out.size)) {
            return TML_E_PLAN;
        }
        /* Nothing else may touch the in-place buffer or the scratch. */
        if (i > 0 && c.in_place && t->location == TML_LOC_ARENA &&
            ((t->offset < c.scratch_off + c.scratch_size && c.scratch_off < t->offset + t->size) ||
             tml_overlaps(t, &c.in[0]) || tml_overlaps(t, &c.out))) {
            return TML_E_PLAN;
        }
    }
    return TML_OK;
}

tml_status_t tml_model_invoke(tml_model_t *m) {
    return tml_model_invoke_range(m, 0, m->n_ops);
}

tml_status_t tml_model_invoke_range(tml_model_t *m, uint32_t first, uint32_t end) {
    tml_op_ctx_t c;
    if (m->arena == NULL) {
        return TML_E_NO_ARENA;
    }
    if (first > end || end > m->n_ops) {
        return TML_E_INDEX;
    }
    if (m->n_overrides != 0) {
        /* The overrides live in the caller's RAM, which may have changed since they were set:
         * the kernels rely on the checks (a bias too large would overflow the accumulator). */
        const tml_status_t st = tml_check_overrides(m, first, end, TML_NONE);
        if (st != TML_OK) {
            return st;
        }
    }
    for (uint32_t k = first; k < end; k++) {
        const uint8_t *rec = m->ops + (size_t)k * TML_OP_RECORD;
        load_ctx(m, rec, &c);
        if (op_def(c.kind)->eval(&c) != 0) {
            return TML_E_KERNEL;
        }
    }
    return TML_OK;
}

/* Operator record rec names tensor `tensor` as an input (TML_NONE: any overridden tensor). */
static int reads(const tml_model_t *m, const uint8_t *rec, uint32_t tensor) {
    for (uint32_t i = 0; i < rec[O_N_IN]; i++) {
        const uint32_t idx = tml_rd16(rec + O_INPUTS + 2 * i);
        if (idx != TML_NONE &&
            (tensor == TML_NONE ? tml_override(m, idx) != NULL : idx == tensor)) {
            return 1;
        }
    }
    return 0;
}

tml_status_t tml_check_overrides(tml_model_t *m, uint32_t first, uint32_t end, uint32_t tensor) {
    for (uint32_t k = first; k < end; k++) {
        if (reads(m, m->ops + (size_t)k * TML_OP_RECORD, tensor)) {
            const tml_status_t st = tml_op_check(m, k);
            if (st != TML_OK) {
                m->err_a = k;
                m->err_b = (uint32_t)st;
                return TML_E_CONST_CHECK;
            }
        }
    }
    return TML_OK;
}

static void set_requant(const tml_model_t *m, tml_op_info_t *info, int32_t mult_off,
                        int32_t shift_off, uint32_t n) {
    info->n_requant = n;
    info->mult = m->data + mult_off;
    info->shift = m->data + shift_off;
}

tml_status_t tml_model_op_info(const tml_model_t *m, uint32_t index, tml_op_info_t *info) {
    tml_op_ctx_t c;
    if (index >= m->n_ops) {
        return TML_E_INDEX;
    }
    const uint8_t *rec = m->ops + (size_t)index * TML_OP_RECORD;
    load_ctx(m, rec, &c);
    const int32_t *w = c.w;
    memset(info, 0, sizeof(*info));
    info->kind = c.kind;
    info->n_inputs = c.n_in;
    for (uint32_t i = 0; i < TML_OP_MAX_INPUTS; i++) {
        info->inputs[i] = c.idx[i];
    }
    info->output = tml_rd16(rec + O_OUTPUTS);
    info->act_min = -128;
    info->act_max = 127;
    /* The loader checked every word and array read below (tml_op_check). */
    switch (c.kind) {
    case TML_OP_CONV_2D:
    case TML_OP_DEPTHWISE_CONV_2D:
        for (int i = 0; i < 6; i++) {
            info->geometry[i] = w[P_CONV_STRIDE_H + i]; /* strides, dilations, pads */
        }
        info->geometry[6] = c.kind == TML_OP_DEPTHWISE_CONV_2D ? w[P_DW_DEPTH_MULT] : 1;
        info->act_min = w[P_CONV_ACT_MIN];
        info->act_max = w[P_CONV_ACT_MAX];
        set_requant(m, info, w[P_CONV_MULT_OFF], w[P_CONV_SHIFT_OFF],
                    (uint32_t)c.out.dims[3]);
        break;
    case TML_OP_FULLY_CONNECTED:
        info->act_min = w[P_FC_ACT_MIN];
        info->act_max = w[P_FC_ACT_MAX];
        set_requant(m, info, w[P_FC_MULT_OFF], w[P_FC_SHIFT_OFF],
                    w[P_FC_PER_CHANNEL] ? (uint32_t)c.in[1].dims[0] : 1u);
        break;
    case TML_OP_AVERAGE_POOL_2D:
    case TML_OP_MAX_POOL_2D:
        for (int i = 0; i < 6; i++) {
            info->geometry[i] = w[P_POOL_STRIDE_H + i]; /* strides, filter, pads */
        }
        info->act_min = w[P_POOL_ACT_MIN];
        info->act_max = w[P_POOL_ACT_MAX];
        break;
    case TML_OP_ADD:
        info->act_min = w[P_ADD_ACT_MIN];
        info->act_max = w[P_ADD_ACT_MAX];
        break;
    case TML_OP_MUL:
        info->act_min = w[P_MUL_ACT_MIN];
        info->act_max = w[P_MUL_ACT_MAX];
        break;
    default:
        break;
    }
    return TML_OK;
}

/* ---- shared checks ---- */

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

int tml_check_bias(const tml_tensor_t *b, int32_t n, int64_t terms, int64_t max_term) {
    const int64_t limit = (int64_t)0x7fffffff - terms * max_term;
    if (!tml_is_const(b, TML_DTYPE_INT32) || b->rank != 1 || b->dims[0] != n) {
        return 0;
    }
    for (int32_t i = 0; i < n; i++) {
        const int64_t v = tml_rdi32((const uint8_t *)b->data + 4 * (uint32_t)i);
        if (v > limit || v < -limit) {
            return 0;
        }
    }
    return 1;
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
