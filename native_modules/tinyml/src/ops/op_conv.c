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
    const int64_t terms = (int64_t)f->dims[1] * f->dims[2] * (dw ? 1 : f->dims[3]);
    if ((c->idx[2] != TML_NONE && !tml_check_bias(c->m, &c->in[2], out_c, terms, 256 * 128)) ||
        !tml_check_requant(c->m, w[P_CONV_MULT_OFF], w[P_CONV_SHIFT_OFF], (uint32_t)out_c)) {
        return TML_E_PARAMS;
    }
    return TML_OK;
}

static void dims_of(const tml_tensor_t *t, tml_dims_t *d) {
    d->n = t->dims[0];
    d->h = t->dims[1];
    d->w = t->dims[2];
    d->c = t->dims[3];
}

/* The in-place variants (conv_inplace_s8.c): 1x1 / stride 1 / unpadded CONV_2D needs out_c
 * bytes of scratch; DEPTHWISE_CONV_2D with multiplier 1 needs one input channel (H*W bytes),
 * and batch 1 when its output is larger than its input. */
static int is_pointwise(const tml_op_ctx_t *c) {
    const tml_tensor_t *in = &c->in[0], *f = &c->in[1], *out = &c->out;
    const int32_t *w = c->w;
    return f->dims[1] == 1 && f->dims[2] == 1 && w[P_CONV_STRIDE_H] == 1 &&
           w[P_CONV_STRIDE_W] == 1 && w[P_CONV_PAD_H] == 0 && w[P_CONV_PAD_W] == 0 &&
           in->dims[1] == out->dims[1] && in->dims[2] == out->dims[2];
}

/* Row streaming: after output row oy is stored, rows below read input from row
 * (oy + 1) * stride - pad on; the stored bytes must end at or before it. */
static int rows_fit(const tml_op_ctx_t *c) {
    const tml_tensor_t *in = &c->in[0], *out = &c->out;
    const int64_t out_row = (int64_t)out->dims[2] * out->dims[3];
    const int64_t in_row = (int64_t)in->dims[2] * in->dims[3];
    if (in->dims[0] != 1) {
        return 0;
    }
    for (int64_t oy = 0; oy + 1 < out->dims[1]; oy++) {
        int64_t next = (oy + 1) * c->w[P_CONV_STRIDE_H] - c->w[P_CONV_PAD_H];
        if ((oy + 1) * out_row > (next > 0 ? next : 0) * in_row) {
            return 0;
        }
    }
    return 1;
}

static uint32_t in_place_scratch(const tml_op_ctx_t *c) {
    const tml_tensor_t *in = &c->in[0], *out = &c->out;
    const int32_t *w = c->w;
    if (c->kind == TML_OP_CONV_2D) {
        if (is_pointwise(c)) {
            return (uint32_t)out->dims[3];
        }
        return rows_fit(c) ? (uint32_t)out->dims[2] * (uint32_t)out->dims[3] : 0;
    }
    const int ok = w[P_DW_DEPTH_MULT] == 1 && (in->dims[0] == 1 || out->size <= in->size);
    return ok ? (uint32_t)in->dims[1] * (uint32_t)in->dims[2] : 0;
}

static int eval(const tml_op_ctx_t *c) {
    const int32_t *w = c->w;
    tml_conv_params_t p;
    tml_requant_t q;
    tml_dims_t di, df, dout;
    p.stride_h = w[P_CONV_STRIDE_H];
    p.stride_w = w[P_CONV_STRIDE_W];
    p.dilation_h = w[P_CONV_DIL_H];
    p.dilation_w = w[P_CONV_DIL_W];
    p.pad_h = w[P_CONV_PAD_H];
    p.pad_w = w[P_CONV_PAD_W];
    p.input_offset = w[P_CONV_IN_OFFSET];
    p.output_offset = w[P_CONV_OUT_OFFSET];
    p.act_min = w[P_CONV_ACT_MIN];
    p.act_max = w[P_CONV_ACT_MAX];
    p.depth_multiplier = 1;
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
#if TML_HAS_CONV_2D
        if (is_pointwise(c)) {
            return tml_conv2d_1x1_inplace_s8(&p, &q, &di, buf, &df,
                                             (const int8_t *)c->in[1].data, bias, &dout,
                                             c->scratch);
        }
        return tml_conv2d_rows_inplace_s8(&p, &q, &di, buf, &df, (const int8_t *)c->in[1].data,
                                          bias, &dout, c->scratch);
#endif
    }
#if TML_HAS_DEPTHWISE_CONV_2D
    if (c->kind == TML_OP_DEPTHWISE_CONV_2D) {
        p.depth_multiplier = w[P_DW_DEPTH_MULT];
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

const tml_op_def_t tml_op_conv_2d = {TML_OP_CONV_2D, 2, 3, P_CONV_WORDS, 0, 6, check, eval,
                                     in_place_scratch};
const tml_op_def_t tml_op_depthwise_conv_2d = {TML_OP_DEPTHWISE_CONV_2D, 2, 3, P_DW_WORDS, 0, 6,
                                               check, eval, in_place_scratch};
#endif
