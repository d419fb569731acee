/* LUT: any int8 -> int8 element-wise operator as a 256-byte table; may run in place. */
#include "op.h"

#if TML_HAS_LUT
static tml_status_t check(const tml_op_ctx_t *c) {
    if (!tml_is_act(&c->in[0]) || c->in[0].size != c->out.size ||
        !tml_check_array(c->m, c->w[P_LUT_TABLE_OFF], 256, 1)) {
        return TML_E_PARAMS;
    }
    return TML_OK;
}

static int eval(const tml_op_ctx_t *c) {
    return tml_lut_s8((const int8_t *)(c->m->data + c->w[P_LUT_TABLE_OFF]), (int32_t)c->out.size,
                      (const int8_t *)c->in[0].data, (int8_t *)c->out.data);
}

const tml_op_def_t tml_op_lut = {
    .kind = TML_OP_LUT,
    .min_in = 1,
    .max_in = 1,
    .words = TML_OP_WORDS_LUT,
    .in_place = 1,
    .check = check,
    .eval = eval,
};
#endif
