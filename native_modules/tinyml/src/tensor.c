/* Tensor records, decoded: what every other file of the core reads a tensor through. */
#include "core.h"

tml_status_t tml_model_tensor(const tml_model_t *m, uint32_t index, tml_tensor_t *t) {
    if (index >= m->n_tensors) {
        return TML_E_INDEX;
    }
    const uint8_t *r = tml_tensor_rec(m, index);
    t->dtype = r[T_DTYPE];
    t->rank = r[T_RANK];
    for (int32_t d = 0; d < 4; d++) {
        t->dims[d] = d < t->rank ? tml_rd16(r + T_DIMS + 2 * d) : 1;
    }
    t->size = tml_rd32(r + T_SIZE);
    t->scale_bits = tml_rd32(r + T_SCALE);
    t->zero_point = tml_rdi32(r + T_ZERO_POINT);
    t->location = r[T_LOCATION];
    t->offset = tml_rd32(r + T_OFFSET);
    if (t->location == TML_LOC_CONST) {
        const void *ram = tml_override(m, index);
        t->data = (void *)(ram != NULL ? ram : m->data + t->offset);
    } else {
        t->data = m->arena ? (void *)(m->arena + t->offset) : NULL;
    }
    return TML_OK;
}
