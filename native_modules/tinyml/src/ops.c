/* Operator records: the registry of built-in operators, the checks common to every kind, the
 * evaluation of one operator, and the decoded view of a record (tml_model_op_info).
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
    const uint8_t *r = tml_op_rec(m, k);
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
        if (tml_tensor_packing(c.m, c.idx[i]) != TML_PACKING_PLAIN &&
            !(def->packed_inputs & (1u << i))) {
            return TML_E_PARAMS;
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

int tml_op_eval(const tml_model_t *m, uint32_t k) {
    tml_op_ctx_t c;
    load_ctx(m, tml_op_rec(m, k), &c);
    return op_def(c.kind)->eval(&c);
}

tml_status_t tml_model_op_info(const tml_model_t *m, uint32_t index, tml_op_info_t *info) {
    tml_op_ctx_t c;
    if (index >= m->n_ops) {
        return TML_E_INDEX;
    }
    const uint8_t *rec = tml_op_rec(m, index);
    load_ctx(m, rec, &c);
    memset(info, 0, sizeof(*info));
    info->kind = c.kind;
    info->n_inputs = c.n_in;
    for (uint32_t i = 0; i < TML_OP_MAX_INPUTS; i++) {
        info->inputs[i] = c.idx[i];
    }
    info->output = tml_rd16(rec + O_OUTPUTS);
    info->act_min = -128;
    info->act_max = 127;
    /* The loader checked every word and array the operator's info reads (tml_op_check). */
    const tml_op_def_t *def = op_def(c.kind);
    if (def->info != NULL) {
        def->info(&c, info);
    }
    return TML_OK;
}
