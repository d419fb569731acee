/* MINIMUM and MAXIMUM, broadcasting: inputs (x, y); the broadcast words only. */
#include "op.h"

#if TML_HAS_MINIMUM || TML_HAS_MAXIMUM
static tml_status_t check(const tml_op_ctx_t *c) {
    const tml_tensor_t *ins[2] = {&c->in[0], &c->in[1]};
    if (!tml_is_i8(ins[0]) || !tml_is_i8(ins[1]) || !tml_check_bcast(c->w, 2, ins, &c->out) ||
        !tml_bcast_in_place_ok(c->w, ins[0], &c->out)) {
        return TML_E_PARAMS;
    }
    return TML_OK;
}

static int eval(const tml_op_ctx_t *c) {
    tml_bcast_t b;
    const int8_t *x = (const int8_t *)c->in[0].data, *y = (const int8_t *)c->in[1].data;
    tml_bcast_of(c->w, &b);
#if TML_HAS_MINIMUM
    if (c->kind == TML_OP_MINIMUM) {
        return tml_minimum_s8(&b, x, y, (int8_t *)c->out.data);
    }
#endif
#if TML_HAS_MAXIMUM
    return tml_maximum_s8(&b, x, y, (int8_t *)c->out.data);
#else
    return -1;
#endif
}

const tml_op_def_t tml_op_minimum = {
    .kind = TML_OP_MINIMUM,
    .min_in = 2,
    .max_in = 2,
    .words = TML_OP_WORDS_MINIMUM,
    .in_place = 1,
    .const_inputs = TML_IN(0) | TML_IN(1),
    .check = check,
    .eval = eval,
};
const tml_op_def_t tml_op_maximum = {
    .kind = TML_OP_MAXIMUM,
    .min_in = 2,
    .max_in = 2,
    .words = TML_OP_WORDS_MAXIMUM,
    .in_place = 1,
    .const_inputs = TML_IN(0) | TML_IN(1),
    .check = check,
    .eval = eval,
};
#endif
