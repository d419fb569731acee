/* A validated model's accessors and its run loop. */
#include "core.h"

uint32_t tml_model_arena_size(const tml_model_t *m) {
    return m->arena_size;
}

uint32_t tml_model_op_count(const tml_model_t *m) {
    return m->n_ops;
}

uint32_t tml_model_tensor_count(const tml_model_t *m) {
    return m->n_tensors;
}

uint32_t tml_model_input_count(const tml_model_t *m) {
    return m->n_inputs;
}

uint32_t tml_model_output_count(const tml_model_t *m) {
    return m->n_outputs;
}

uint32_t tml_model_label_count(const tml_model_t *m) {
    return m->n_labels;
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

tml_status_t tml_model_invoke(tml_model_t *m) {
    return tml_model_invoke_range(m, 0, m->n_ops);
}

tml_status_t tml_model_invoke_range(tml_model_t *m, uint32_t first, uint32_t end) {
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
        if (tml_op_eval(m, k) != 0) {
            return TML_E_KERNEL;
        }
    }
    return TML_OK;
}
