/* RESIZE_NEAREST_NEIGHBOR: input x [N,H,W,C]; words: data offsets of the row and column maps. */
#include "op.h"

#if TML_HAS_RESIZE_NEAREST
static int check_map(const tml_model_t *m, int32_t off, int32_t n, int32_t limit) {
    if (!tml_check_array(m, off, (uint32_t)n, 4)) {
        return 0;
    }
    const int32_t *map = tml_data_i32(m, off);
    for (int32_t i = 0; i < n; i++) {
        if (map[i] < 0 || map[i] >= limit) {
            return 0;
        }
    }
    return 1;
}

static tml_status_t check(const tml_op_ctx_t *c) {
    const tml_tensor_t *in = &c->in[0], *out = &c->out;
    if (!tml_is_act(in) || in->rank != 4 || out->rank != 4 || in->dims[0] != out->dims[0] ||
        in->dims[3] != out->dims[3] ||
        !check_map(c->m, c->w[P_RN_MAP_H_OFF], out->dims[1], in->dims[1]) ||
        !check_map(c->m, c->w[P_RN_MAP_W_OFF], out->dims[2], in->dims[2])) {
        return TML_E_PARAMS;
    }
    return TML_OK;
}

static int eval(const tml_op_ctx_t *c) {
    const tml_tensor_t *in = &c->in[0], *out = &c->out;
    const tml_dims_t di = {in->dims[0], in->dims[1], in->dims[2], in->dims[3]};
    const tml_dims_t dout = {out->dims[0], out->dims[1], out->dims[2], out->dims[3]};
    return tml_resize_nearest_s8(&di, &dout, tml_data_i32(c->m, c->w[P_RN_MAP_H_OFF]),
                                 tml_data_i32(c->m, c->w[P_RN_MAP_W_OFF]),
                                 (const int8_t *)in->data, (int8_t *)out->data);
}

const tml_op_def_t tml_op_resize_nearest = {
    .kind = TML_OP_RESIZE_NEAREST,
    .min_in = 1,
    .max_in = 1,
    .words = TML_OP_WORDS_RESIZE_NEAREST,
    .check = check,
    .eval = eval,
};
#endif
