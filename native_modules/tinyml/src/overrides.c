/* Constant overrides (tml_model_set_const): the caller's RAM read instead of constant tensors,
 * held to the checks of every operator that reads them, when set and again before invokes. */
#include "core.h"

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
        if (reads(m, tml_op_rec(m, k), tensor)) {
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
