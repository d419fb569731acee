/* The core's internal interfaces between its files (no caller or binding sees them).
 *
 * Each file calls only files listed before it, so no call runs back up:
 *   crc32.c       CRC-32
 *   errors.c      status strings, tml_format_error
 *   tensor.c      tensor records (tml_model_tensor), with the constant overrides' RAM
 *   op_common.c   checks and helpers the operator files share
 *   ops/op_*.c    one file per operator kind: check, eval, info (op.h)
 *   ops.c         the operator registry: record checks, eval, tml_model_op_info
 *   metadata.c    name, labels, trainable head, sparse-update scheme
 *   overrides.c   constant overrides: tml_model_set_const, checked again before invokes
 *   validate.c    tml_model_init: header, sections, tensors, I/O, operators, metadata
 *   model.c       arena, counts, inputs and outputs, invoke
 *   bind.c        what the language bindings share (tml_bind.h)
 */
#ifndef TML_CORE_H
#define TML_CORE_H

#include "tinyml.h"
#include "tml_train.h"
#include "blob_layout.h"

/* What tml_model_t.err_kind says err_item indexes. */
enum { TML_ITEM_NONE = 0, TML_ITEM_TENSOR = 1, TML_ITEM_OP = 2 };

/* [off, off + size) lies inside [0, limit) without overflow. */
static inline int tml_in_range(uint32_t off, uint32_t size, uint32_t limit) {
    return off <= limit && size <= limit - off;
}

static inline const uint8_t *tml_tensor_rec(const tml_model_t *m, uint32_t i) {
    return m->tensors + (size_t)i * TML_TENSOR_RECORD;
}
/* How tensor i's values are stored (tml_packing_t): always PLAIN in a build without DUAL16,
 * whose loader refuses any other packing. */
static inline uint32_t tml_tensor_packing(const tml_model_t *m, uint32_t i) {
    return TML_HAS_DUAL16 ? tml_tensor_rec(m, i)[T_PACKING] : (uint32_t)TML_PACKING_PLAIN;
}

static inline const uint8_t *tml_op_rec(const tml_model_t *m, uint32_t k) {
    return m->ops + (size_t)k * TML_OP_RECORD;
}

/* The RAM that overrides constant tensor t (tml_model_set_const), or NULL. */
static inline const void *tml_override(const tml_model_t *m, uint32_t t) {
    for (uint32_t i = 0; i < m->n_overrides; i++) {
        if (m->override_tensor[i] == t) {
            return m->override_data[i];
        }
    }
    return NULL;
}

/* ops.c: check operator record k of a model whose header, sections and tensors are already
 * checked; run operator k of a validated model (0, or the kernel's failure). */
tml_status_t tml_op_check(const tml_model_t *m, uint32_t k);
int tml_op_eval(const tml_model_t *m, uint32_t k);

/* metadata.c: check the metadata section (name, labels, records) and find its records. */
tml_status_t tml_check_meta(tml_model_t *m);

/* overrides.c: check again the operators in [first, end) that read tensor `tensor` (TML_NONE:
 * any overridden tensor), over the overrides' current values. The first failure is
 * TML_E_CONST_CHECK, with the operator in err_a and its check's status in err_b. */
tml_status_t tml_check_overrides(tml_model_t *m, uint32_t first, uint32_t end, uint32_t tensor);

#endif /* TML_CORE_H */
