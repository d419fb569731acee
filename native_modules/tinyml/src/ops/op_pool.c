/* AVERAGE_POOL_2D and MAX_POOL_2D: input x; words P_POOL_*. */
#include "op.h"

#if TML_HAS_AVERAGE_POOL_2D || TML_HAS_MAX_POOL_2D
static tml_status_t check(const tml_op_ctx_t *c) {
    const tml_tensor_t *in = &c->in[0], *out = &c->out;
    const int32_t *w = c->w;
    if (!tml_is_act(in) || in->rank != 4 || out->rank != 4 || in->dims[0] != out->dims[0] ||
        in->dims[3] != out->dims[3]) {
        return TML_E_PARAMS;
    }
    for (int i = P_POOL_STRIDE_H; i <= P_POOL_PAD_W; i++) {
        if (w[i] < (i < P_POOL_PAD_H ? 1 : 0) || w[i] > 255) {
            return TML_E_PARAMS;
        }
    }
    if (!tml_check_act(w[P_POOL_ACT_MIN], w[P_POOL_ACT_MAX])) {
        return TML_E_PARAMS;
    }
    /* Every output window must cover at least one input cell. */
    for (int axis = 0; axis < 2; axis++) {
        const int32_t size_out = out->dims[1 + axis], size_in = in->dims[1 + axis];
        const int32_t stride = w[P_POOL_STRIDE_H + axis];
        const int32_t filter = w[P_POOL_FILTER_H + axis], pad = w[P_POOL_PAD_H + axis];
        for (int32_t o = 0; o < size_out; o++) {
            const int64_t start = (int64_t)o * stride - pad;
            if (start + filter <= 0 || start >= size_in) {
                return TML_E_PARAMS;
            }
        }
    }
    return TML_OK;
}

static void info(const tml_op_ctx_t *c, tml_op_info_t *info) {
    const int32_t *w = c->w;
    info->act_min = w[P_POOL_ACT_MIN];
    info->act_max = w[P_POOL_ACT_MAX];
    info->stride_h = w[P_POOL_STRIDE_H];
    info->stride_w = w[P_POOL_STRIDE_W];
    info->dilation_h = 1;
    info->dilation_w = 1;
    info->pad_h = w[P_POOL_PAD_H];
    info->pad_w = w[P_POOL_PAD_W];
    info->filter_h = w[P_POOL_FILTER_H];
    info->filter_w = w[P_POOL_FILTER_W];
}

static int eval(const tml_op_ctx_t *c) {
    const int32_t *w = c->w;
    const tml_tensor_t *in = &c->in[0], *out = &c->out;
    tml_pool_params_t p;
    const tml_dims_t di = {in->dims[0], in->dims[1], in->dims[2], in->dims[3]};
    const tml_dims_t dout = {out->dims[0], out->dims[1], out->dims[2], out->dims[3]};
    p.stride_h = w[P_POOL_STRIDE_H];
    p.stride_w = w[P_POOL_STRIDE_W];
    p.filter_h = w[P_POOL_FILTER_H];
    p.filter_w = w[P_POOL_FILTER_W];
    p.pad_h = w[P_POOL_PAD_H];
    p.pad_w = w[P_POOL_PAD_W];
    p.act_min = w[P_POOL_ACT_MIN];
    p.act_max = w[P_POOL_ACT_MAX];
#if TML_HAS_MAX_POOL_2D
    if (c->kind == TML_OP_MAX_POOL_2D) {
        return tml_max_pool2d_s8(&p, &di, (const int8_t *)in->data, &dout, (int8_t *)out->data);
    }
#endif
#if TML_HAS_AVERAGE_POOL_2D
    return tml_avg_pool2d_s8(&p, &di, (const int8_t *)in->data, &dout, (int8_t *)out->data);
#else
    return -1;
#endif
}

const tml_op_def_t tml_op_average_pool_2d = {
    .kind = TML_OP_AVERAGE_POOL_2D,
    .min_in = 1,
    .max_in = 1,
    .words = TML_OP_WORDS_AVERAGE_POOL_2D,
    .check = check,
    .eval = eval,
    .info = info,
};
const tml_op_def_t tml_op_max_pool_2d = {
    .kind = TML_OP_MAX_POOL_2D,
    .min_in = 1,
    .max_in = 1,
    .words = TML_OP_WORDS_MAX_POOL_2D,
    .check = check,
    .eval = eval,
    .info = info,
};
#endif
