/* RESHAPE (also SQUEEZE, EXPAND_DIMS): the planner aliases output and input, so this copies
 * only when a plan placed them apart. */
#include <string.h>
#include "op.h"

static tml_status_t check(const tml_op_ctx_t *c) {
    const tml_tensor_t *in = &c->in[0], *out = &c->out;
    if (!tml_is_act(in) || in->size != out->size ||
        (tml_overlaps(in, out) && in->offset != out->offset)) {
        return TML_E_PARAMS;
    }
    return TML_OK;
}

static int eval(const tml_op_ctx_t *c) {
    if (c->in[0].data != c->out.data) {
        memmove(c->out.data, c->in[0].data, c->out.size);
    }
    return 0;
}

const tml_op_def_t tml_op_reshape = {
    .kind = TML_OP_RESHAPE,
    .min_in = 1,
    .max_in = 1,
    .words = TML_OP_WORDS_RESHAPE,
    .in_place = 1,
    .check = check,
    .eval = eval,
};
