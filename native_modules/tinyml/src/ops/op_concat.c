/* CONCATENATION and PACK of up to 4 inputs (the converter chains longer ones): in each of
 * `outer` rounds, input k contributes size_k / outer consecutive bytes. */
#include "op.h"

#if TML_HAS_CONCAT
static tml_status_t check(const tml_op_ctx_t *c) {
    const int32_t outer = c->w[P_CONCAT_OUTER];
    uint64_t total = 0;
    if (outer < 1) {
        return TML_E_PARAMS;
    }
    for (uint32_t k = 0; k < c->n_in; k++) {
        const tml_tensor_t *t = &c->in[k];
        if (!tml_is_i8(t) || t->size % (uint32_t)outer != 0) {
            return TML_E_PARAMS;
        }
        total += t->size;
    }
    return total == c->out.size ? TML_OK : TML_E_PARAMS;
}

static int eval(const tml_op_ctx_t *c) {
    const int32_t outer = c->w[P_CONCAT_OUTER];
    int32_t block[TML_OP_MAX_INPUTS];
    const int8_t *in[TML_OP_MAX_INPUTS];
    for (uint32_t k = 0; k < c->n_in; k++) {
        block[k] = (int32_t)c->in[k].size / outer;
        in[k] = (const int8_t *)c->in[k].data;
    }
    return tml_concat_s8(outer, (int32_t)c->n_in, block, in, (int8_t *)c->out.data);
}

const tml_op_def_t tml_op_concat = {
    .kind = TML_OP_CONCAT,
    .min_in = 1,
    .max_in = TML_OP_MAX_INPUTS,
    .words = TML_OP_WORDS_CONCAT,
    .const_inputs = TML_IN(0) | TML_IN(1) | TML_IN(2) | TML_IN(3),
    .check = check,
    .eval = eval,
};
#endif
