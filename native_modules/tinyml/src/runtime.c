/* Operator dispatch over the validated plan. Parameters are decoded from the blob on each
 * invoke (a few dozen little-endian reads per op) so that no RAM is spent on decoded copies;
 * tml_model_init has already checked every value read here. */
#include <string.h>
#include "tinyml.h"
#include "blob_layout.h"

static void dims_of(const tml_tensor_t *t, tml_dims_t *d) {
    d->n = t->dims[0];
    d->h = t->dims[1];
    d->w = t->dims[2];
    d->c = t->dims[3];
}

static const int32_t *data_i32(const tml_model_t *m, int32_t off) {
    return (const int32_t *)(const void *)(m->data + off);
}

static void read_words(const tml_model_t *m, const uint8_t *op, int32_t *w, int n) {
    const uint8_t *p = m->data + tml_rd32(op + O_PARAMS_OFF);
    for (int i = 0; i < n; i++) {
        w[i] = tml_rdi32(p + 4 * i);
    }
}

static void conv_params(const int32_t *w, tml_conv_params_t *p) {
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
    p->depth_multiplier = 1;
}

static tml_status_t run_op(const tml_model_t *m, const uint8_t *op) {
    tml_tensor_t in, w_t, b_t, out;
    int32_t w[16];
    const uint32_t kind = op[O_KIND];
    const uint16_t bias_idx = tml_rd16(op + O_INPUTS + 4);
    const int32_t rounding =
        (op[O_FLAGS] & TML_OP_FLAG_DOUBLE_ROUNDING) ? TML_ROUND_DOUBLE : TML_ROUND_SINGLE;
    int rc = 0;

    tml_model_tensor(m, tml_rd16(op + O_INPUTS), &in);
    tml_model_tensor(m, tml_rd16(op + O_OUTPUTS), &out);
    switch (kind) {
#if TML_HAS_CONV_2D || TML_HAS_DEPTHWISE_CONV_2D
        case TML_OP_CONV_2D:
        case TML_OP_DEPTHWISE_CONV_2D: {
            tml_conv_params_t p;
            tml_requant_t q;
            tml_dims_t di, df, dout;
            const int dw = kind == TML_OP_DEPTHWISE_CONV_2D;
            read_words(m, op, w, dw ? P_DW_WORDS : P_CONV_WORDS);
            conv_params(w, &p);
            q.mult = data_i32(m, w[P_CONV_MULT_OFF]);
            q.shift = data_i32(m, w[P_CONV_SHIFT_OFF]);
            q.rounding = rounding;
            tml_model_tensor(m, tml_rd16(op + O_INPUTS + 2), &w_t);
            const int32_t *bias = NULL;
            if (bias_idx != TML_NONE) {
                tml_model_tensor(m, bias_idx, &b_t);
                bias = (const int32_t *)b_t.data;
            }
            dims_of(&in, &di);
            dims_of(&w_t, &df);
            dims_of(&out, &dout);
            if (dw) {
#if TML_HAS_DEPTHWISE_CONV_2D
                p.depth_multiplier = w[P_DW_DEPTH_MULT];
                rc = tml_depthwise_conv2d_s8(&p, &q, &di, (const int8_t *)in.data, &df,
                                             (const int8_t *)w_t.data, bias, &dout,
                                             (int8_t *)out.data);
#endif
            } else {
#if TML_HAS_CONV_2D
                rc = tml_conv2d_s8(&p, &q, &di, (const int8_t *)in.data, &df,
                                   (const int8_t *)w_t.data, bias, &dout, (int8_t *)out.data);
#endif
            }
            break;
        }
#endif
#if TML_HAS_FULLY_CONNECTED
        case TML_OP_FULLY_CONNECTED: {
            tml_fc_params_t p;
            tml_requant_t q;
            read_words(m, op, w, P_FC_WORDS);
            p.input_offset = w[P_FC_IN_OFFSET];
            p.filter_offset = w[P_FC_FILTER_OFFSET];
            p.output_offset = w[P_FC_OUT_OFFSET];
            p.act_min = w[P_FC_ACT_MIN];
            p.act_max = w[P_FC_ACT_MAX];
            q.mult = data_i32(m, w[P_FC_MULT_OFF]);
            q.shift = data_i32(m, w[P_FC_SHIFT_OFF]);
            q.rounding = rounding;
            tml_model_tensor(m, tml_rd16(op + O_INPUTS + 2), &w_t);
            const int32_t *bias = NULL;
            if (bias_idx != TML_NONE) {
                tml_model_tensor(m, bias_idx, &b_t);
                bias = (const int32_t *)b_t.data;
            }
            const int32_t units = w_t.dims[0], depth = w_t.dims[1];
            rc = tml_fully_connected_s8(&p, &q, (int32_t)in.size / depth, depth,
                                        (const int8_t *)in.data, units,
                                        (const int8_t *)w_t.data, bias, w[P_FC_PER_CHANNEL],
                                        (int8_t *)out.data);
            break;
        }
#endif
#if TML_HAS_AVERAGE_POOL_2D
        case TML_OP_AVERAGE_POOL_2D: {
            tml_pool_params_t p;
            tml_dims_t di, dout;
            read_words(m, op, w, P_POOL_WORDS);
            p.stride_h = w[P_POOL_STRIDE_H];
            p.stride_w = w[P_POOL_STRIDE_W];
            p.filter_h = w[P_POOL_FILTER_H];
            p.filter_w = w[P_POOL_FILTER_W];
            p.pad_h = w[P_POOL_PAD_H];
            p.pad_w = w[P_POOL_PAD_W];
            p.act_min = w[P_POOL_ACT_MIN];
            p.act_max = w[P_POOL_ACT_MAX];
            dims_of(&in, &di);
            dims_of(&out, &dout);
            rc = tml_avg_pool2d_s8(&p, &di, (const int8_t *)in.data, &dout, (int8_t *)out.data);
            break;
        }
#endif
        case TML_OP_RESHAPE:
            if (in.data != out.data) {
                memmove(out.data, in.data, in.size);
            }
            break;
#if TML_HAS_ADD
        case TML_OP_ADD: {
            tml_add_params_t p;
            tml_tensor_t b;
            read_words(m, op, w, P_ADD_WORDS);
            p.input1_offset = w[P_ADD_IN1_OFFSET];
            p.input2_offset = w[P_ADD_IN2_OFFSET];
            p.output_offset = w[P_ADD_OUT_OFFSET];
            p.left_shift = w[P_ADD_LEFT_SHIFT];
            p.input1_mult = w[P_ADD_IN1_MULT];
            p.input1_shift = w[P_ADD_IN1_SHIFT];
            p.input2_mult = w[P_ADD_IN2_MULT];
            p.input2_shift = w[P_ADD_IN2_SHIFT];
            p.output_mult = w[P_ADD_OUT_MULT];
            p.output_shift = w[P_ADD_OUT_SHIFT];
            p.act_min = w[P_ADD_ACT_MIN];
            p.act_max = w[P_ADD_ACT_MAX];
            p.rounding = rounding;
            tml_model_tensor(m, tml_rd16(op + O_INPUTS + 2), &b);
            rc = tml_add_s8(&p, (int32_t)in.size, (const int8_t *)in.data,
                            (const int8_t *)b.data, (int8_t *)out.data);
            break;
        }
#endif
#if TML_HAS_SOFTMAX
        case TML_OP_SOFTMAX: {
            tml_softmax_params_t p;
            read_words(m, op, w, P_SM_WORDS);
            p.input_multiplier = w[P_SM_MULT];
            p.input_left_shift = w[P_SM_LEFT_SHIFT];
            p.diff_min = w[P_SM_DIFF_MIN];
            p.rounding = rounding;
            const int32_t depth = in.dims[in.rank - 1];
            rc = tml_softmax_s8(&p, (int32_t)in.size / depth, depth, (const int8_t *)in.data,
                                (int8_t *)out.data);
            break;
        }
#endif
        default:
            return TML_E_OP_UNSUPPORTED;
    }
    return rc == 0 ? TML_OK : TML_E_KERNEL;
}

tml_status_t tml_model_invoke(tml_model_t *m) {
    if (m->arena == NULL) {
        return TML_E_NO_ARENA;
    }
    for (uint32_t k = 0; k < m->n_ops; k++) {
        tml_status_t st = run_op(m, m->ops + (size_t)k * TML_OP_RECORD);
        if (st != TML_OK) {
            return st;
        }
    }
    return TML_OK;
}
