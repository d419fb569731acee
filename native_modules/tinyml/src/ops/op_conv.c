/* CONV_2D and DEPTHWISE_CONV_2D: inputs (x, filter, bias or none); words P_CONV_* (+ depth
 * multiplier for depthwise). */
#include "op.h"

#if TML_HAS_CONV_2D || TML_HAS_DEPTHWISE_CONV_2D
static int check_common(const int32_t *w) {
    return tml_between(w[P_CONV_STRIDE_H], 1, 255) && tml_between(w[P_CONV_STRIDE_W], 1, 255) &&
           tml_between(w[P_CONV_DIL_H], 1, 255) && tml_between(w[P_CONV_DIL_W], 1, 255) &&
           tml_between(w[P_CONV_PAD_H], 0, 65535) && tml_between(w[P_CONV_PAD_W], 0, 65535) &&
           tml_between(w[P_CONV_IN_OFFSET], -127, 128) &&
           tml_between(w[P_CONV_OUT_OFFSET], -128, 127) &&
           tml_check_act(w[P_CONV_ACT_MIN], w[P_CONV_ACT_MAX]);
}

/* Each output sums kh * kw (* in channels for CONV_2D) products of an offset input, magnitude
 * <= 256, and an int8 weight, magnitude <= 128. */
static int32_t bias_limit(const tml_op_ctx_t *c) {
    const tml_tensor_t *f = &c->in[1];
    const int64_t terms = (int64_t)f->dims[1] * f->dims[2] *
                          (c->kind == TML_OP_DEPTHWISE_CONV_2D ? 1 : f->dims[3]);
    return tml_bias_limit(terms, 256 * 128);
}

static tml_status_t check(const tml_op_ctx_t *c) {
    const tml_tensor_t *in = &c->in[0], *f = &c->in[1], *out = &c->out;
    const int32_t *w = c->w;
    const int dw = c->kind == TML_OP_DEPTHWISE_CONV_2D;
    if (!tml_is_act(in) || !check_common(w) || in->rank != 4 || out->rank != 4 ||
        !tml_is_const(f, TML_DTYPE_INT8) || f->rank != 4 || out->dims[0] != in->dims[0]) {
        return TML_E_PARAMS;
    }
    const int32_t out_c = out->dims[3];
    if (dw) {
        const int32_t mult = w[P_DW_DEPTH_MULT];
        if (mult < 1 || f->dims[0] != 1 || f->dims[3] != out_c ||
            (int64_t)in->dims[3] * mult != out_c || (int64_t)f->dims[1] * f->dims[2] > 32768) {
            return TML_E_PARAMS;
        }
    } else if (f->dims[0] != out_c || f->dims[3] != in->dims[3] ||
               (int64_t)f->dims[1] * f->dims[2] * f->dims[3] > 32768) {
        return TML_E_PARAMS;
    }
    if ((c->idx[2] != TML_NONE && !tml_check_bias(&c->in[2], out_c, bias_limit(c))) ||
        !tml_check_requant(c->m, w[P_CONV_MULT_OFF], w[P_CONV_SHIFT_OFF], (uint32_t)out_c)) {
        return TML_E_PARAMS;
    }
#if TML_HAS_DUAL16
    /* A filter stored DUAL16 (CONV_2D only: packed_inputs): whole groups of four along Ci, so
     * that each output channel's row of KH * KW * Ci weights is a run of groups; that row at
     * most TML_DUAL16_MAX_ROW long (a patch the kernels gather whole). */
    if (tml_tensor_packing(c->m, c->idx[1]) == TML_PACKING_DUAL16 &&
        (f->dims[3] % 4 != 0 ||
         (int64_t)f->dims[1] * f->dims[2] * f->dims[3] > TML_DUAL16_MAX_ROW ||
         !tml_dual16_values_ok(f))) {
        return TML_E_PARAMS;
    }
#endif
    return TML_OK;
}

static void dims_of(const tml_tensor_t *t, tml_dims_t *d) {
    d->n = t->dims[0];
    d->h = t->dims[1];
    d->w = t->dims[2];
    d->c = t->dims[3];
}

static void conv_params(const tml_op_ctx_t *c, tml_conv_params_t *p) {
    const int32_t *w = c->w;
    p->stride_h = w[P_CONV_STRIDE_H];
    p->stride_w = w[P_CONV_STRIDE_W];
    p->dilation_h = w[P_CONV_DIL_H];
    p->dilation_w = w[P_CONV_DIL_W];
    p->pad_h = w[P_CONV_PAD_H];
    p->pad_w = w[P_CONV_PAD_W];
    p->input_offset = w[P_CONV_IN_OFFSET];
    p->output_offset = w[P_CONV_OUT_OFFSET];
    p->act_min = w[P_CONV_ACT_MIN];
    p->act_max = w[P_CONV_ACT_MAX];
    p->depth_multiplier = c->kind == TML_OP_DEPTHWISE_CONV_2D ? w[P_DW_DEPTH_MULT] : 1;
    p->filter_dual16 = tml_tensor_packing(c->m, c->idx[1]) == TML_PACKING_DUAL16;
}

/* The in-place variants (conv_inplace_s8.c) and their scratch: the kernels' own rule. */
static uint32_t in_place_scratch(const tml_op_ctx_t *c) {
    tml_conv_params_t p;
    tml_dims_t di, df, dout;
    conv_params(c, &p);
    dims_of(&c->in[0], &di);
    dims_of(&c->in[1], &df);
    dims_of(&c->out, &dout);
    return tml_conv_in_place_scratch(c->kind == TML_OP_DEPTHWISE_CONV_2D, &p, &di, &df, &dout);
}

static void info(const tml_op_ctx_t *c, tml_op_info_t *info) {
    tml_conv_params_t p;
    conv_params(c, &p);
    info->act_min = p.act_min;
    info->act_max = p.act_max;
    info->stride_h = p.stride_h;
    info->stride_w = p.stride_w;
    info->dilation_h = p.dilation_h;
    info->dilation_w = p.dilation_w;
    info->pad_h = p.pad_h;
    info->pad_w = p.pad_w;
    info->filter_h = c->in[1].dims[1];
    info->filter_w = c->in[1].dims[2];
    info->depth_mult = p.depth_multiplier;
    tml_info_requant(c, info, c->w[P_CONV_MULT_OFF], c->w[P_CONV_SHIFT_OFF],
                     (uint32_t)c->out.dims[3]);
    info->bias_limit = bias_limit(c);
}

static int eval(const tml_op_ctx_t *c) {
    const int32_t *w = c->w;
    tml_conv_params_t p;
    tml_requant_t q;
    tml_dims_t di, df, dout;
    conv_params(c, &p);
    q.mult = tml_data_i32(c->m, w[P_CONV_MULT_OFF]);
    q.shift = tml_data_i32(c->m, w[P_CONV_SHIFT_OFF]);
    q.rounding = c->rounding;
    dims_of(&c->in[0], &di);
    dims_of(&c->in[1], &df);
    dims_of(&c->out, &dout);
    const int32_t *bias = (const int32_t *)c->in[2].data;
    if (c->in_place) {
        int8_t *buf = (int8_t *)c->in[0].data;
#if TML_HAS_DEPTHWISE_CONV_2D
        if (c->kind == TML_OP_DEPTHWISE_CONV_2D) {
            return tml_depthwise_conv2d_inplace_s8(&p, &q, &di, buf, &df,
                                                   (const int8_t *)c->in[1].data, bias, &dout,
                                                   c->scratch);
        }
#endif
        return tml_conv2d_inplace_s8(&p, &q, &di, buf, &df, (const int8_t *)c->in[1].data,
                                     bias, &dout, c->scratch);
    }
#if TML_HAS_DEPTHWISE_CONV_2D
    if (c->kind == TML_OP_DEPTHWISE_CONV_2D) {
        return tml_depthwise_conv2d_s8(&p, &q, &di, (const int8_t *)c->in[0].data, &df,
                                       (const int8_t *)c->in[1].data, bias, &dout,
                                       (int8_t *)c->out.data);
    }
#endif
#if TML_HAS_CONV_2D
    return tml_conv2d_s8(&p, &q, &di, (const int8_t *)c->in[0].data, &df,
                         (const int8_t *)c->in[1].data, bias, &dout, (int8_t *)c->out.data);
#else
    return -1;
#endif
}

const tml_op_def_t tml_op_conv_2d = {
    .kind = TML_OP_CONV_2D,
    .min_in = 2,
    .max_in = 3,
    .words = TML_OP_WORDS_CONV_2D,
    .const_inputs = TML_IN(1) | TML_IN(2),
    .packed_inputs = TML_HAS_DUAL16 ? TML_IN(1) : 0,
    .check = check,
    .eval = eval,
    .in_place_scratch = in_place_scratch,
    .info = info,
};
const tml_op_def_t tml_op_depthwise_conv_2d = {
    .kind = TML_OP_DEPTHWISE_CONV_2D,
    .min_in = 2,
    .max_in = 3,
    .words = TML_OP_WORDS_DEPTHWISE_CONV_2D,
    .const_inputs = TML_IN(1) | TML_IN(2),
    .check = check,
    .eval = eval,
    .in_place_scratch = in_place_scratch,
    .info = info,
};
#endif
