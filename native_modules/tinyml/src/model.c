/* Blob reader and validator: every count, offset, size, shape and parameter is checked here,
 * once, so that tml_model_invoke can run the kernels without checks. */
#include <string.h>
#include "tinyml.h"
#include "op.h"

#define TML_INT32_MAX_ 0x7fffffff

static const char *const status_text[TML_STATUS_COUNT] = {
    [TML_OK] = "ok",
    [TML_E_TOO_SMALL] = "truncated: shorter than a blob header",
    [TML_E_MAGIC] = "bad magic: not a tinyml blob",
    [TML_E_VERSION] = "unsupported blob version",
    [TML_E_TRUNCATED] = "truncated: fewer bytes than the header's total size",
    [TML_E_CRC] = "CRC mismatch: blob corrupted",
    [TML_E_ALIGN] = "buffer not 4-byte aligned",
    [TML_E_HEADER] = "invalid header field",
    [TML_E_SECTION] = "section outside the blob or misaligned",
    [TML_E_TENSOR] = "invalid tensor record",
    [TML_E_OP] = "invalid operator record",
    [TML_E_OP_UNSUPPORTED] = "unsupported operator",
    [TML_E_PARAMS] = "invalid operator parameters",
    [TML_E_PLAN] = "invalid memory plan",
    [TML_E_META] = "invalid metadata",
    [TML_E_ARENA] = "arena too small",
    [TML_E_NO_ARENA] = "no arena set",
    [TML_E_INDEX] = "index out of range",
    [TML_E_KERNEL] = "kernel failed",
    [TML_E_VALUE] = "input is NaN or infinite",
    [TML_E_INPUT_LEN] = "input of the wrong length",
    [TML_E_OUTPUT_LEN] = "output buffer of the wrong length",
    [TML_E_NOT_CONST] = "constant override: not a constant tensor",
    [TML_E_CONST_SIZE] = "constant override: wrong size",
    [TML_E_CONST_ALIGN] = "constant override: buffer not 4-byte aligned",
    [TML_E_CONST_FULL] = "constant override: too many tensors",
    [TML_E_CONST_CHECK] = "constant override: refused by an operator's checks",
};

const char *tml_status_str(tml_status_t status) {
    if ((unsigned)status >= TML_STATUS_COUNT) {
        return "unknown error";
    }
    return status_text[status];
}

uint32_t tml_crc32(uint32_t crc, const uint8_t *p, size_t len) {
    /* Nibble table: 64 bytes of constants instead of 1 KB, about 2x slower than bytewise. */
    static const uint32_t table[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ table[crc & 15];
        crc = (crc >> 4) ^ table[crc & 15];
    }
    return ~crc;
}

/* [off, off + size) lies inside [0, limit) without overflow. */
static int in_range(uint32_t off, uint32_t size, uint32_t limit) {
    return tml_in_range(off, size, limit);
}

static const uint8_t *tensor_rec(const tml_model_t *m, uint32_t i) {
    return m->tensors + (size_t)i * TML_TENSOR_RECORD;
}

/* Reads tensor i's facts for the operator checks. */
typedef struct {
    uint32_t dtype, rank, loc, off, size;
    int32_t d[4];
} tinfo_t;

static void tinfo(const tml_model_t *m, uint32_t i, tinfo_t *t) {
    const uint8_t *r = tensor_rec(m, i);
    t->dtype = r[T_DTYPE];
    t->rank = r[T_RANK];
    t->loc = r[T_LOCATION];
    t->off = tml_rd32(r + T_OFFSET);
    t->size = tml_rd32(r + T_SIZE);
    for (uint32_t d = 0; d < 4; d++) {
        t->d[d] = d < t->rank ? tml_rd16(r + T_DIMS + 2 * d) : 1;
    }
}

tml_status_t tml_model_tensor(const tml_model_t *m, uint32_t index, tml_tensor_t *t) {
    tinfo_t ti;
    if (index >= m->n_tensors) {
        return TML_E_INDEX;
    }
    tinfo(m, index, &ti);
    const uint8_t *r = tensor_rec(m, index);
    t->dtype = (int32_t)ti.dtype;
    t->rank = (int32_t)ti.rank;
    for (int d = 0; d < 4; d++) {
        t->dims[d] = ti.d[d];
    }
    t->size = ti.size;
    t->scale_bits = tml_rd32(r + T_SCALE);
    t->zero_point = tml_rdi32(r + T_ZERO_POINT);
    t->location = (int32_t)ti.loc;
    t->offset = ti.off;
    if (ti.loc == TML_LOC_CONST) {
        const void *ram = tml_override(m, index);
        t->data = (void *)(ram != NULL ? ram : m->data + ti.off);
    } else {
        t->data = m->arena ? (void *)(m->arena + ti.off) : NULL;
    }
    return TML_OK;
}

static tml_status_t check_tensor(const tml_model_t *m, uint32_t i) {
    const uint8_t *r = tensor_rec(m, i);
    const uint32_t dtype = r[T_DTYPE], rank = r[T_RANK], loc = r[T_LOCATION];
    const uint32_t off = tml_rd32(r + T_OFFSET), size = tml_rd32(r + T_SIZE);
    uint32_t elem;
    if (dtype == TML_DTYPE_INT8) {
        elem = 1;
    } else if (dtype == TML_DTYPE_INT32) {
        elem = 4;
    } else {
        return TML_E_TENSOR;
    }
    if (rank < 1 || rank > 4 || r[3] != 0 || tml_rd32(r + 28) != 0) {
        return TML_E_TENSOR;
    }
    uint64_t count = 1;
    for (uint32_t d = 0; d < 4; d++) {
        uint32_t dim = tml_rd16(r + T_DIMS + 2 * d);
        if (d < rank) {
            if (dim == 0) {
                return TML_E_TENSOR;
            }
            count *= dim;
        } else if (dim != 0) {
            return TML_E_TENSOR;
        }
    }
    /* 2^24 elements bounds every index product in the kernels well inside int32. */
    if (count > (1u << 24) || count * elem != size) {
        return TML_E_TENSOR;
    }
    if (off % elem != 0) {
        return TML_E_TENSOR;
    }
    if (loc == TML_LOC_ARENA) {
        if (!in_range(off, size, m->arena_size)) {
            return TML_E_PLAN;
        }
    } else if (loc == TML_LOC_CONST) {
        if (!in_range(off, size, m->data_size)) {
            return TML_E_TENSOR;
        }
    } else {
        return TML_E_TENSOR;
    }
    return TML_OK;
}

static int is_act(const tinfo_t *t) {
    return t->dtype == TML_DTYPE_INT8 && t->loc == TML_LOC_ARENA;
}

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
    const uint8_t *rec = m->ops + (size_t)k * TML_OP_RECORD;
    if (rec[O_KIND] != TML_OP_FULLY_CONNECTED) {
        return TML_E_META;
    }
    tinfo_t x, w, y;
    tinfo(m, tml_rd16(rec + O_INPUTS), &x);
    tinfo(m, tml_rd16(rec + O_INPUTS + 2), &w);
    tinfo(m, tml_rd16(rec + O_OUTPUTS), &y);
    const uint32_t rows = (uint32_t)w.d[0], cols = (uint32_t)w.d[1];
    /* The op check already established int8 weights of rank 2 and the shapes' agreement. */
    const uint8_t *params = m->data + tml_rd32(rec + O_PARAMS_OFF);
    if (x.loc != TML_LOC_ARENA || x.size != cols || y.size != rows || len != 4u + 4u * rows ||
        tml_rdi32(params + 4 * P_FC_FILTER_OFFSET) != 0) {
        return TML_E_META;  /* a batch of one, symmetric weights */
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
        if (!in_range(pos, 8, len)) {
            return TML_E_META;
        }
        const uint32_t k = tml_rd16(p + pos), flags = tml_rd16(p + pos + 2);
        const uint32_t n_ch = tml_rd16(p + pos + 4);
        const uint32_t size = 8u + 2u * n_ch + 2u * (n_ch & 1u);
        if (k < next_op || k >= m->n_ops || (flags & ~1u) != 0 || tml_rd16(p + pos + 6) != 0 ||
            (flags == 0 && n_ch == 0) || !in_range(pos, size, len)) {
            return TML_E_META;
        }
        const uint8_t *rec = m->ops + (size_t)k * TML_OP_RECORD;
        const uint32_t kind = rec[O_KIND];
        if (kind != TML_OP_CONV_2D && kind != TML_OP_DEPTHWISE_CONV_2D &&
            kind != TML_OP_FULLY_CONNECTED) {
            return TML_E_META;
        }
        tinfo_t w;
        tinfo(m, tml_rd16(rec + O_INPUTS + 2), &w);
        const uint32_t has_bias = rec[O_N_IN] > 2 && tml_rd16(rec + O_INPUTS + 4) != TML_NONE;
        if (w.dtype != TML_DTYPE_INT8 || w.loc != TML_LOC_CONST || ((flags & 1u) && !has_bias)) {
            return TML_E_META;
        }
        const uint32_t dim = (uint32_t)w.d[w.rank - 1];
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

static tml_status_t check_meta(tml_model_t *m) {
    const uint8_t *p = m->meta;
    uint32_t pos = 0;
    if (m->meta_size < 4) {
        return TML_E_META;
    }
    uint32_t name_len = tml_rd16(p);
    pos = 2;
    if (!in_range(pos, name_len, m->meta_size)) {
        return TML_E_META;
    }
    pos += name_len;
    if (!in_range(pos, 2, m->meta_size)) {
        return TML_E_META;
    }
    m->n_labels = tml_rd16(p + pos);
    pos += 2;
    for (uint32_t i = 0; i < m->n_labels; i++) {
        if (!in_range(pos, 2, m->meta_size)) {
            return TML_E_META;
        }
        uint32_t len = tml_rd16(p + pos);
        pos += 2;
        if (!in_range(pos, len, m->meta_size)) {
            return TML_E_META;
        }
        pos += len;
    }
    /* Records (1.1): u16 tag, u16 length, payload. Tag 0 (padding) ends them; unknown tags
     * are skipped, so a newer minor version can add more. */
    while (in_range(pos, 4, m->meta_size)) {
        const uint32_t tag = tml_rd16(p + pos), len = tml_rd16(p + pos + 2);
        pos += 4;
        if (tag == 0) {
            break;
        }
        if (!in_range(pos, len, m->meta_size)) {
            return TML_E_META;
        }
        if (tag == 1 || tag == 2) {
            const tml_status_t st = tag == 1 ? check_head(m, p + pos, len) :
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
    const uint8_t *rec = m->ops + (size_t)tml_rd16(m->head) * TML_OP_RECORD;
    tinfo_t w;
    h->op = tml_rd16(m->head);
    h->embedding = tml_rd16(rec + O_INPUTS);
    h->weights = tml_rd16(rec + O_INPUTS + 2);
    h->bias = rec[O_N_IN] > 2 ? tml_rd16(rec + O_INPUTS + 4) : TML_NONE;
    h->output = tml_rd16(rec + O_OUTPUTS);
    tinfo(m, h->weights, &w);
    h->rows = (uint32_t)w.d[0];
    h->cols = (uint32_t)w.d[1];
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

tml_status_t tml_model_set_const(tml_model_t *m, uint32_t tensor, const void *data, size_t len) {
    tml_tensor_t t;
    uint32_t slot = 0;
    if (tml_model_tensor(m, tensor, &t) != TML_OK) {
        return TML_E_INDEX;
    }
    if (t.location != TML_LOC_CONST) {
        m->err_a = tensor;
        return TML_E_NOT_CONST;
    }
    while (slot < m->n_overrides && m->override_tensor[slot] != tensor) {
        slot++;
    }
    if (data == NULL) {
        if (slot < m->n_overrides) {
            m->n_overrides--;
            m->override_tensor[slot] = m->override_tensor[m->n_overrides];
            m->override_data[slot] = m->override_data[m->n_overrides];
        }
        return TML_OK; /* the blob's own values passed the loader's checks */
    }
    if (len != t.size) {
        m->err_a = tensor;
        m->err_b = t.size;
        m->err_c = (uint32_t)(len > 0xffffffffu ? 0xffffffffu : len);
        return TML_E_CONST_SIZE;
    }
    if (((uintptr_t)data & 3) != 0) {
        return TML_E_CONST_ALIGN;
    }
    if (slot == TML_MAX_OVERRIDES) {
        return TML_E_CONST_FULL;
    }
    const void *previous = slot < m->n_overrides ? m->override_data[slot] : NULL;
    m->override_tensor[slot] = (uint16_t)tensor;
    m->override_data[slot] = data;
    if (previous == NULL) {
        m->n_overrides++;
    }
    const tml_status_t st = tml_check_overrides(m, 0, m->n_ops, tensor);
    if (st != TML_OK) {
        if (previous != NULL) {
            m->override_data[slot] = previous;
        } else {
            m->n_overrides--; /* the new entry is the last one */
        }
    }
    return st;
}

tml_status_t tml_model_init(tml_model_t *m, const void *blob, size_t blob_len) {
    const uint8_t *b = (const uint8_t *)blob;
    tml_status_t st;
    memset(m, 0, sizeof(*m));
    m->err_item = -1;
    if (blob_len < TML_HEADER_SIZE) {
        return TML_E_TOO_SMALL;
    }
    if (b[H_MAGIC] != 'T' || b[H_MAGIC + 1] != 'M' || b[H_MAGIC + 2] != 'L' ||
        b[H_MAGIC + 3] != 'B') {
        return TML_E_MAGIC;
    }
    /* A newer minor version only appends what an older reader may ignore. */
    if (tml_rd16(b + H_MAJOR) != TML_VERSION_MAJOR) {
        m->err_a = tml_rd16(b + H_MAJOR);
        m->err_b = tml_rd16(b + H_MINOR);
        return TML_E_VERSION;
    }
    const uint32_t total = tml_rd32(b + H_TOTAL_SIZE);
    if (total < TML_HEADER_SIZE) {
        return TML_E_HEADER;
    }
    if (total > blob_len) {
        m->err_a = total;
        m->err_b = (uint32_t)(blob_len > 0xffffffffu ? 0xffffffffu : blob_len);
        return TML_E_TRUNCATED;
    }
    if (tml_crc32(0, b + 16, total - 16) != tml_rd32(b + H_CRC)) {
        return TML_E_CRC;
    }
    if (((uintptr_t)b & 3) != 0) {
        return TML_E_ALIGN;
    }
    m->blob = b;
    m->blob_size = total;
    m->version_minor = tml_rd16(b + H_MINOR);
    m->flags = tml_rd32(b + H_FLAGS);
    m->arena_size = tml_rd32(b + H_ARENA_SIZE);
    m->n_tensors = tml_rd16(b + H_N_TENSORS);
    m->n_ops = tml_rd16(b + H_N_OPS);
    m->n_inputs = tml_rd16(b + H_N_INPUTS);
    m->n_outputs = tml_rd16(b + H_N_OUTPUTS);
    if (m->flags != 0 || tml_rd32(b + H_RESERVED) != 0 || m->n_inputs < 1 ||
        m->n_outputs < 1 || m->n_tensors < 1 || m->n_ops < 1 || (m->arena_size & 3)) {
        return TML_E_HEADER;
    }
    const uint32_t t_off = tml_rd32(b + H_TENSORS_OFF), o_off = tml_rd32(b + H_OPS_OFF);
    const uint32_t io_off = tml_rd32(b + H_IO_OFF);
    const uint32_t meta_off = tml_rd32(b + H_META_OFF), meta_size = tml_rd32(b + H_META_SIZE);
    const uint32_t data_off = tml_rd32(b + H_DATA_OFF), data_size = tml_rd32(b + H_DATA_SIZE);
    const uint32_t io_size = 2u * ((uint32_t)m->n_inputs + m->n_outputs);
    if ((t_off & 3) || (o_off & 3) || (io_off & 3) || (meta_off & 3) || (data_off & 15) ||
        t_off < TML_HEADER_SIZE || o_off < TML_HEADER_SIZE || io_off < TML_HEADER_SIZE ||
        meta_off < TML_HEADER_SIZE || data_off < TML_HEADER_SIZE ||
        !in_range(t_off, (uint32_t)m->n_tensors * TML_TENSOR_RECORD, total) ||
        !in_range(o_off, (uint32_t)m->n_ops * TML_OP_RECORD, total) ||
        !in_range(io_off, io_size, total) || !in_range(meta_off, meta_size, total) ||
        !in_range(data_off, data_size, total)) {
        return TML_E_SECTION;
    }
    m->tensors = b + t_off;
    m->ops = b + o_off;
    m->io = b + io_off;
    m->meta = b + meta_off;
    m->meta_size = meta_size;
    m->data = b + data_off;
    m->data_size = data_size;

    for (uint32_t i = 0; i < m->n_tensors; i++) {
        if ((st = check_tensor(m, i)) != TML_OK) {
            m->err_item = (int32_t)i;
            m->err_kind = TML_ITEM_TENSOR;
            return st;
        }
    }
    for (uint32_t i = 0; i < (uint32_t)m->n_inputs + m->n_outputs; i++) {
        const uint32_t ti = tml_rd16(m->io + 2 * i);
        tinfo_t t;
        if (ti >= m->n_tensors) {
            return TML_E_HEADER;
        }
        tinfo(m, ti, &t);
        if (!is_act(&t)) {
            m->err_item = (int32_t)ti;
            m->err_kind = TML_ITEM_TENSOR;
            return TML_E_TENSOR;
        }
    }
    for (uint32_t k = 0; k < m->n_ops; k++) {
        if ((st = tml_op_check(m, k)) != TML_OK) {
            m->err_item = (int32_t)k;
            m->err_kind = TML_ITEM_OP;
            return st;
        }
    }
    if ((st = check_meta(m)) != TML_OK) {
        return st;
    }
    return TML_OK;
}

uint32_t tml_model_arena_size(const tml_model_t *m) {
    return m->arena_size;
}

tml_status_t tml_model_set_arena(tml_model_t *m, void *arena, size_t arena_len) {
    if (arena_len < m->arena_size) {
        m->err_a = m->arena_size;
        m->err_b = (uint32_t)(arena_len > 0xffffffffu ? 0xffffffffu : arena_len);
        return TML_E_ARENA;
    }
    if (((uintptr_t)arena & 3) != 0) {
        return TML_E_ALIGN;
    }
    m->arena = (uint8_t *)arena;
    return TML_OK;
}

static tml_status_t io_tensor(const tml_model_t *m, uint32_t slot, tml_tensor_t *t) {
    return tml_model_tensor(m, tml_rd16(m->io + 2 * slot), t);
}

tml_status_t tml_model_input(const tml_model_t *m, uint32_t index, tml_tensor_t *t) {
    if (index >= m->n_inputs) {
        return TML_E_INDEX;
    }
    return io_tensor(m, index, t);
}

tml_status_t tml_model_output(const tml_model_t *m, uint32_t index, tml_tensor_t *t) {
    if (index >= m->n_outputs) {
        return TML_E_INDEX;
    }
    return io_tensor(m, (uint32_t)m->n_inputs + index, t);
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

tml_status_t tml_check_length(tml_model_t *m, tml_status_t kind, uint32_t got, uint32_t want) {
    if (got == want) {
        return TML_OK;
    }
    m->err_a = got;
    m->err_b = want;
    return kind;
}

/* A tiny formatter: natmods have no snprintf. */
typedef struct {
    char *buf;
    size_t cap, len;
} out_t;

static void put_str(out_t *o, const char *s) {
    while (*s) {
        if (o->len + 1 < o->cap) {
            o->buf[o->len] = *s;
        }
        o->len++;
        s++;
    }
}

static void put_u32(out_t *o, uint32_t v) {
    char digits[11];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char s[2] = {0, 0};
    while (n) {
        s[0] = digits[--n];
        put_str(o, s);
    }
}

size_t tml_format_error(char *buf, size_t cap, tml_status_t status, const tml_model_t *m) {
    out_t o = {buf, cap, 0};
    if (m && status == TML_E_VERSION) {
        put_str(&o, "unsupported blob version ");
        put_u32(&o, m->err_a);
        put_str(&o, ".");
        put_u32(&o, m->err_b);
        put_str(&o, " (this reader supports ");
        put_u32(&o, TML_VERSION_MAJOR);
        put_str(&o, ".x)");
    } else if (m && status == TML_E_TRUNCATED) {
        put_str(&o, "truncated: blob header says ");
        put_u32(&o, m->err_a);
        put_str(&o, " bytes, got ");
        put_u32(&o, m->err_b);
    } else if (m && status == TML_E_ARENA) {
        put_str(&o, "arena too small: needs ");
        put_u32(&o, m->err_a);
        put_str(&o, " bytes, got ");
        put_u32(&o, m->err_b);
    } else if (m && status == TML_E_NOT_CONST) {
        put_str(&o, "constant override: tensor ");
        put_u32(&o, m->err_a);
        put_str(&o, " is not a constant");
    } else if (m && status == TML_E_CONST_SIZE) {
        put_str(&o, "constant override: tensor ");
        put_u32(&o, m->err_a);
        put_str(&o, " has ");
        put_u32(&o, m->err_b);
        put_str(&o, " bytes, got ");
        put_u32(&o, m->err_c);
    } else if (status == TML_E_CONST_FULL) {
        put_str(&o, "constant override: at most ");
        put_u32(&o, TML_MAX_OVERRIDES);
        put_str(&o, " tensors");
    } else if (m && status == TML_E_CONST_CHECK) {
        put_str(&o, "constant override: ");
        put_str(&o, tml_status_str((tml_status_t)m->err_b));
        put_str(&o, " (operator ");
        put_u32(&o, m->err_a);
        put_str(&o, ")");
    } else if (m && (status == TML_E_INPUT_LEN || status == TML_E_OUTPUT_LEN)) {
        put_str(&o, status == TML_E_INPUT_LEN ? "wrong input length: got " :
                                                "wrong output length: got ");
        put_u32(&o, m->err_a);
        put_str(&o, " values, expected ");
        put_u32(&o, m->err_b);
    } else {
        put_str(&o, tml_status_str(status));
        if (m && m->err_item >= 0 && m->err_kind != TML_ITEM_NONE) {
            put_str(&o, m->err_kind == TML_ITEM_OP ? " (operator " : " (tensor ");
            put_u32(&o, (uint32_t)m->err_item);
            put_str(&o, ")");
        }
    }
    if (cap) {
        buf[o.len < cap ? o.len : cap - 1] = 0;
    }
    return o.len < cap ? o.len : (cap ? cap - 1 : 0);
}
