/* The metadata section: the model's name and labels, then tagged records (blob 1.1): the
 * trainable head and the sparse-update scheme, checked at load and read by tml_train.h. */
#include "core.h"

/* The trainable-head record (tag 1): u16 operator index, u16 reserved 0, f32 scale per row.
 * The operator must be a FULLY_CONNECTED over a batch of one with int8 weights [rows, cols]
 * and, if any, an int32 bias of rows values. */
static tml_status_t check_head(tml_model_t *m, const uint8_t *p, uint32_t len) {
    if (len < 4 || tml_rd16(p + 2) != 0) {
        return TML_E_META;
    }
    const uint32_t k = tml_rd16(p);
    if (k >= m->n_ops) {
        return TML_E_META;
    }
    const uint8_t *rec = tml_op_rec(m, k);
    if (rec[O_KIND] != TML_OP_FULLY_CONNECTED) {
        return TML_E_META;
    }
    tml_tensor_t x, w, y;
    tml_model_tensor(m, tml_rd16(rec + O_INPUTS), &x);
    tml_model_tensor(m, tml_rd16(rec + O_INPUTS + 2), &w);
    tml_model_tensor(m, tml_rd16(rec + O_OUTPUTS), &y);
    const uint32_t rows = (uint32_t)w.dims[0], cols = (uint32_t)w.dims[1];
    /* The op check already established int8 weights of rank 2 and the shapes' agreement. */
    const uint8_t *params = m->data + tml_rd32(rec + O_PARAMS_OFF);
    if (x.location != TML_LOC_ARENA || x.size != cols || y.size != rows || len != 4u + 4u * rows ||
        tml_rdi32(params + 4 * P_FC_FILTER_OFFSET) != 0 ||
        tml_tensor_packing(m, tml_rd16(rec + O_INPUTS + 2)) != TML_PACKING_PLAIN) {
        return TML_E_META;  /* a batch of one, symmetric weights, stored plain */
    }
    for (uint32_t r = 0; r < rows; r++) {
        const uint32_t bits = tml_rd32(p + 4 + 4 * r);
        const uint32_t exponent = (bits >> 23) & 0xffu;
        if ((bits >> 31) != 0 || exponent == 0 || exponent == 0xffu) {
            return TML_E_META;  /* negative, zero, subnormal, infinite or NaN */
        }
    }
    m->head = p;
    return TML_OK;
}

/* The sparse-update scheme record (tag 2): u16 n_entries, u16 0, then per entry u16 operator,
 * u16 flags (bit 0: bias), u16 n_channels, u16 0, n_channels u16 channels, u16 0 if n_channels
 * is odd. Operators strictly increasing; each a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED
 * (whose checks established int8 constant weights); channels strictly increasing and inside
 * the weights' last dimension. */
static tml_status_t check_sparse(tml_model_t *m, const uint8_t *p, uint32_t len) {
    if (m->sparse != NULL || len < 4 || tml_rd16(p + 2) != 0) {
        return TML_E_META; /* at most one scheme */
    }
    const uint32_t n = tml_rd16(p);
    uint32_t pos = 4, next_op = 0;
    for (uint32_t e = 0; e < n; e++) {
        if (!tml_in_range(pos, 8, len)) {
            return TML_E_META;
        }
        const uint32_t k = tml_rd16(p + pos), flags = tml_rd16(p + pos + 2);
        const uint32_t n_ch = tml_rd16(p + pos + 4);
        const uint32_t size = 8u + 2u * n_ch + 2u * (n_ch & 1u);
        if (k < next_op || k >= m->n_ops || (flags & ~1u) != 0 || tml_rd16(p + pos + 6) != 0 ||
            (flags == 0 && n_ch == 0) || !tml_in_range(pos, size, len)) {
            return TML_E_META;
        }
        const uint8_t *rec = tml_op_rec(m, k);
        const uint32_t kind = rec[O_KIND];
        if (kind != TML_OP_CONV_2D && kind != TML_OP_DEPTHWISE_CONV_2D &&
            kind != TML_OP_FULLY_CONNECTED) {
            return TML_E_META;
        }
        tml_tensor_t w;
        tml_model_tensor(m, tml_rd16(rec + O_INPUTS + 2), &w);
        const uint32_t has_bias = rec[O_N_IN] > 2 && tml_rd16(rec + O_INPUTS + 4) != TML_NONE;
        if (w.dtype != TML_DTYPE_INT8 || w.location != TML_LOC_CONST ||
            tml_tensor_packing(m, tml_rd16(rec + O_INPUTS + 2)) != TML_PACKING_PLAIN ||
            ((flags & 1u) && !has_bias)) {
            return TML_E_META;
        }
        const uint32_t dim = (uint32_t)w.dims[w.rank - 1];
        for (uint32_t i = 0; i < n_ch; i++) {
            const uint32_t ch = tml_rd16(p + pos + 8 + 2 * i);
            if (ch >= dim || (i > 0 && ch <= tml_rd16(p + pos + 6 + 2 * i))) {
                return TML_E_META;
            }
        }
        if ((n_ch & 1u) && tml_rd16(p + pos + 8 + 2 * n_ch) != 0) {
            return TML_E_META;
        }
        pos += size;
        next_op = k + 1;
    }
    if (pos != len) {
        return TML_E_META;
    }
    m->sparse = p;
    return TML_OK;
}

tml_status_t tml_check_meta(tml_model_t *m) {
    const uint8_t *p = m->meta;
    uint32_t pos = 0;
    if (m->meta_size < 4) {
        return TML_E_META;
    }
    uint32_t name_len = tml_rd16(p);
    pos = 2;
    if (!tml_in_range(pos, name_len, m->meta_size)) {
        return TML_E_META;
    }
    pos += name_len;
    if (!tml_in_range(pos, 2, m->meta_size)) {
        return TML_E_META;
    }
    m->n_labels = tml_rd16(p + pos);
    pos += 2;
    for (uint32_t i = 0; i < m->n_labels; i++) {
        if (!tml_in_range(pos, 2, m->meta_size)) {
            return TML_E_META;
        }
        uint32_t len = tml_rd16(p + pos);
        pos += 2;
        if (!tml_in_range(pos, len, m->meta_size)) {
            return TML_E_META;
        }
        pos += len;
    }
    /* Records (1.1): u16 tag, u16 length, payload. Tag 0 (padding) ends them; unknown tags
     * are skipped, so a newer minor version can add more. */
    while (tml_in_range(pos, 4, m->meta_size)) {
        const uint32_t tag = tml_rd16(p + pos), len = tml_rd16(p + pos + 2);
        pos += 4;
        if (tag == 0) {
            break;
        }
        if (!tml_in_range(pos, len, m->meta_size)) {
            return TML_E_META;
        }
        if (tag == TML_META_HEAD || tag == TML_META_SPARSE) {
            const tml_status_t st = tag == TML_META_HEAD ? check_head(m, p + pos, len) :
                                               check_sparse(m, p + pos, len);
            if (st != TML_OK) {
                return st;
            }
        }
        pos += len;
    }
    return TML_OK;
}

tml_status_t tml_model_head(const tml_model_t *m, tml_head_t *h) {
    if (m->head == NULL) {
        return TML_E_INDEX;
    }
    const uint8_t *rec = tml_op_rec(m, tml_rd16(m->head));
    tml_tensor_t w;
    h->op = tml_rd16(m->head);
    h->embedding = tml_rd16(rec + O_INPUTS);
    h->weights = tml_rd16(rec + O_INPUTS + 2);
    h->bias = rec[O_N_IN] > 2 ? tml_rd16(rec + O_INPUTS + 4) : TML_NONE;
    h->output = tml_rd16(rec + O_OUTPUTS);
    tml_model_tensor(m, h->weights, &w);
    h->rows = (uint32_t)w.dims[0];
    h->cols = (uint32_t)w.dims[1];
    h->scales = m->head + 4;
    return TML_OK;
}

uint32_t tml_model_update_count(const tml_model_t *m) {
    return m->sparse != NULL ? tml_rd16(m->sparse) : 0;
}

tml_status_t tml_model_update(const tml_model_t *m, uint32_t i, tml_update_t *u) {
    if (i >= tml_model_update_count(m)) {
        return TML_E_INDEX;
    }
    const uint8_t *e = m->sparse + 4;
    for (uint32_t j = 0; j < i; j++) {
        const uint32_t n_ch = tml_rd16(e + 4);
        e += 8u + 2u * n_ch + 2u * (n_ch & 1u);
    }
    u->op = tml_rd16(e);
    u->bias = tml_rd16(e + 2) & 1u;
    u->n_channels = tml_rd16(e + 4);
    u->channels = e + 8;
    return TML_OK;
}

void tml_model_name(const tml_model_t *m, const char **s, uint32_t *len) {
    *len = tml_rd16(m->meta);
    *s = (const char *)m->meta + 2;
}

tml_status_t tml_model_label(const tml_model_t *m, uint32_t index, const char **s,
                             uint32_t *len) {
    if (index >= m->n_labels) {
        return TML_E_INDEX;
    }
    uint32_t pos = 2u + tml_rd16(m->meta) + 2u;
    for (uint32_t i = 0; i < index; i++) {
        pos += 2u + tml_rd16(m->meta + pos);
    }
    *len = tml_rd16(m->meta + pos);
    *s = (const char *)m->meta + pos + 2;
    return TML_OK;
}
