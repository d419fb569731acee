/* The blob validator: every count, offset, size, shape and parameter is checked here, once
 * (the header, sections, tensors and I/O here; each operator by ops.c and its own file; the
 * metadata by metadata.c), so that tml_model_invoke can run the kernels without checks. */
#include <string.h>
#include "core.h"

static tml_status_t check_tensor(const tml_model_t *m, uint32_t i) {
    const uint8_t *r = tml_tensor_rec(m, i);
    const uint32_t dtype = r[T_DTYPE], rank = r[T_RANK], loc = r[T_LOCATION];
    const uint32_t off = tml_rd32(r + T_OFFSET), size = tml_rd32(r + T_SIZE);
    uint32_t elem;
    switch (dtype) {
#define TML_ELEM_(NAME, code, bytes) \
    case (code):                     \
        elem = (bytes);              \
        break;
        TML_SCHEMA_DTYPES(TML_ELEM_)
#undef TML_ELEM_
    default:
        return TML_E_TENSOR;
    }
    const uint32_t packing = r[T_PACKING];
    if (rank < 1 || rank > 4 || tml_rd32(r + T_RESERVED1) != 0) {
        return TML_E_TENSOR;
    }
    /* DUAL16 (1.2): int8 constants stored as int16, rows padded to a multiple of 4. Which
     * operators may read such a tensor, and its values, is each operator's check. */
    if (TML_HAS_DUAL16 && packing == TML_PACKING_DUAL16) {
        if (dtype != TML_DTYPE_INT8 || loc != TML_LOC_CONST) {
            return TML_E_TENSOR;
        }
        elem = 2;
    } else if (packing != TML_PACKING_PLAIN) {
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
    if (count > (1u << 24)) {
        return TML_E_TENSOR;
    }
    if (TML_HAS_DUAL16 && packing == TML_PACKING_DUAL16) { /* rows padded to groups of 4 */
        const uint32_t last = tml_rd16(r + T_DIMS + 2 * (rank - 1));
        if (last > TML_DUAL16_MAX_ROW) {
            return TML_E_TENSOR;
        }
        count = (uint32_t)count / last * ((last + 3u) & ~3u);
    }
    if (count * elem != size || (packing == TML_PACKING_DUAL16 && off % 4 != 0)) {
        return TML_E_TENSOR;
    }
    if (off % elem != 0) {
        return TML_E_TENSOR;
    }
    if (loc == TML_LOC_ARENA) {
        if (!tml_in_range(off, size, m->arena_size)) {
            return TML_E_PLAN;
        }
    } else if (loc == TML_LOC_CONST) {
        if (!tml_in_range(off, size, m->data_size)) {
            return TML_E_TENSOR;
        }
    } else {
        return TML_E_TENSOR;
    }
    return TML_OK;
}

tml_status_t tml_model_init(tml_model_t *m, const void *blob, size_t blob_len) {
    const uint8_t *b = (const uint8_t *)blob;
    tml_status_t st;
    memset(m, 0, sizeof(*m));
    m->err_item = -1;
    if (blob_len < TML_HEADER_SIZE) {
        return TML_E_TOO_SMALL;
    }
    for (uint32_t i = 0; i < 4; i++) {
        if (b[H_MAGIC + i] != (uint8_t)TML_MAGIC[i]) {
            return TML_E_MAGIC;
        }
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
    if ((t_off & 3) || (o_off & 3) || (io_off & 3) || (meta_off & 3) ||
        (data_off & (TML_DATA_ALIGN - 1)) ||
        t_off < TML_HEADER_SIZE || o_off < TML_HEADER_SIZE || io_off < TML_HEADER_SIZE ||
        meta_off < TML_HEADER_SIZE || data_off < TML_HEADER_SIZE ||
        !tml_in_range(t_off, (uint32_t)m->n_tensors * TML_TENSOR_RECORD, total) ||
        !tml_in_range(o_off, (uint32_t)m->n_ops * TML_OP_RECORD, total) ||
        !tml_in_range(io_off, io_size, total) || !tml_in_range(meta_off, meta_size, total) ||
        !tml_in_range(data_off, data_size, total)) {
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
        tml_tensor_t t;
        if (tml_model_tensor(m, ti, &t) != TML_OK) {
            return TML_E_HEADER;
        }
        if (t.dtype != TML_DTYPE_INT8 || t.location != TML_LOC_ARENA) {
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
    if ((st = tml_check_meta(m)) != TML_OK) {
        return st;
    }
    return TML_OK;
}
