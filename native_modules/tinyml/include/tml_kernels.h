/* tinyml int8 kernels: pure functions over explicit parameter structs.
 *
 * Every kernel is bit-exact with TensorFlow Lite's reference kernels (BUILTIN_REF) for the
 * TFLite int8 quantization spec: activations int8 asymmetric per tensor, weights int8 symmetric
 * (per channel for convolutions), bias int32 with zero point 0.
 *
 * Conventions: status return; then the params struct; then the quantization struct; then
 * (dims, data) pairs; the output last. Tensors are NHWC, row-major. Kernels never allocate,
 * print or keep state, and do not validate: the blob loader checks every shape and parameter
 * once, before any kernel runs.
 */
#ifndef TML_KERNELS_H
#define TML_KERNELS_H

#include <stdint.h>

typedef struct {
    int32_t n, h, w, c;
} tml_dims_t;

/* Requantization rounding (see docs/blob-format.md, "flags"). */
enum {
    TML_ROUND_SINGLE = 0, /* one rounding (TFLITE_SINGLE_ROUNDING): TFLite FULLY_CONNECTED */
    TML_ROUND_DOUBLE = 1, /* gemmlowp's doubling high mul, then rounding shift */
    TML_ROUND_AWAY = 2,   /* one rounding, ties away from zero: LiteRT's reference
                           * FULLY_CONNECTED, which requantizes in double precision */
};

/* Per-channel (or per-tensor: n == 1) requantization: real scale = mult * 2^(shift - 31). */
typedef struct {
    const int32_t *mult;   /* [n] in [0, 2^31) */
    const int32_t *shift;  /* [n] in [-31, 30] */
    int32_t rounding;      /* TML_ROUND_* */
} tml_requant_t;

/* Shared by convolution-like kernels. */
typedef struct {
    int32_t stride_h, stride_w;        /* >= 1 */
    int32_t dilation_h, dilation_w;    /* >= 1 */
    int32_t pad_h, pad_w;              /* top and left padding, >= 0 */
    int32_t input_offset;              /* -input_zero_point, in [-127, 128] */
    int32_t output_offset;             /* output_zero_point, in [-128, 127] */
    int32_t act_min, act_max;          /* fused activation clamp, -128 <= min <= max <= 127 */
    int32_t depth_multiplier;          /* depthwise only */
    int32_t filter_dual16;             /* CONV_2D only, 1: the filter is stored DUAL16 (below) */
} tml_conv_params_t;

/* CONV_2D. input [N,H,W,Ci]; filter [Co,KH,KW,Ci]; bias [Co] or NULL; output [N,OH,OW,Co].
 * p->filter_dual16 = 1 (where TML_HAS_DUAL16): the filter is stored DUAL16 (docs/blob-format.md)
 * and read through `filter` as bytes: Co rows of KH * KW * Ci int16, each group of four weights
 * w0 w1 w2 w3 as w0 w2 w1 w3, with Ci a multiple of 4 and KH * KW * Ci <= TML_DUAL16_MAX_ROW
 * (the loader's rules); the output is the same as over the weights stored plain. The in-place
 * variants (tml_conv2d_inplace_s8) take it too. */
int tml_conv2d_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                  const tml_dims_t *in_dims, const int8_t *in,
                  const tml_dims_t *f_dims, const int8_t *filter, const int32_t *bias,
                  const tml_dims_t *out_dims, int8_t *out);

/* DEPTHWISE_CONV_2D. input [N,H,W,Ci]; filter [1,KH,KW,Ci*M]; bias [Ci*M] or NULL;
 * output [N,OH,OW,Ci*M] with M = p->depth_multiplier. */
int tml_depthwise_conv2d_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                            const tml_dims_t *in_dims, const int8_t *in,
                            const tml_dims_t *f_dims, const int8_t *filter,
                            const int32_t *bias, const tml_dims_t *out_dims, int8_t *out);

/* In place (the output written over the input buffer, which holds max(input, output) bytes):
 * 1x1 / stride 1 / no padding CONV_2D pixel by pixel with an out_c-byte scratch; other
 * CONV_2D row by row with a one-output-row scratch where rows fit over consumed input; and
 * DEPTHWISE_CONV_2D with depth multiplier 1 and an H*W-byte scratch (batch 1 when the output
 * is larger). */
/* Scratch bytes the in-place variant needs for these shapes and parameters, 0 if none applies
 * (then the op must run out of place). The loader and the host planner both call this one
 * function, so they cannot disagree. */
uint32_t tml_conv_in_place_scratch(int depthwise, const tml_conv_params_t *p,
                                   const tml_dims_t *in, const tml_dims_t *f,
                                   const tml_dims_t *out);
/* CONV_2D in place: pixel by pixel when 1x1 / stride 1 / unpadded, else row by row. */
int tml_conv2d_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                          const tml_dims_t *in_dims, int8_t *buf, const tml_dims_t *f_dims,
                          const int8_t *filter, const int32_t *bias, const tml_dims_t *out_dims,
                          int8_t *scratch);
int tml_conv2d_1x1_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                              const tml_dims_t *in_dims, int8_t *buf, const tml_dims_t *f_dims,
                              const int8_t *filter, const int32_t *bias,
                              const tml_dims_t *out_dims, int8_t *scratch);
int tml_conv2d_rows_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                               const tml_dims_t *in_dims, int8_t *buf, const tml_dims_t *f_dims,
                               const int8_t *filter, const int32_t *bias,
                               const tml_dims_t *out_dims, int8_t *scratch);
int tml_depthwise_conv2d_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                                    const tml_dims_t *in_dims, int8_t *buf,
                                    const tml_dims_t *f_dims, const int8_t *filter,
                                    const int32_t *bias, const tml_dims_t *out_dims,
                                    int8_t *scratch);

typedef struct {
    int32_t input_offset;   /* -input_zero_point */
    int32_t filter_offset;  /* -filter_zero_point (0 for symmetric weights) */
    int32_t output_offset;  /* output_zero_point */
    int32_t act_min, act_max;
} tml_fc_params_t;

/* FULLY_CONNECTED. input [batches, depth] (any shape of that flat size); filter [units, depth];
 * bias [units] or NULL; output [batches, units]. q has one entry, or one per unit. */
int tml_fully_connected_s8(const tml_fc_params_t *p, const tml_requant_t *q,
                           int32_t batches, int32_t depth, const int8_t *in,
                           int32_t units, const int8_t *filter, const int32_t *bias,
                           int32_t per_channel, int8_t *out);

/* FULLY_CONNECTED over weights stored DUAL16 (docs/blob-format.md): filter16 holds units rows
 * of 4 * ceil(depth / 4) int16, each group of four weights w0 w1 w2 w3 as w0 w2 w1 w3 and the
 * padding 0; p->filter_offset must be 0. The output is tml_fully_connected_s8's over the same
 * weights stored plain. */
int tml_fully_connected_d16_s8(const tml_fc_params_t *p, const tml_requant_t *q,
                               int32_t batches, int32_t depth, const int8_t *in,
                               int32_t units, const int16_t *filter16, const int32_t *bias,
                               int32_t per_channel, int8_t *out);

typedef struct {
    int32_t stride_h, stride_w;
    int32_t filter_h, filter_w;
    int32_t pad_h, pad_w;
    int32_t act_min, act_max;
} tml_pool_params_t;

/* AVERAGE_POOL_2D. input [N,H,W,C]; output [N,OH,OW,C]; same quantization in and out.
 * Returns 0, or -1 if an output window covers no input (the loader rules this out). */
int tml_avg_pool2d_s8(const tml_pool_params_t *p, const tml_dims_t *in_dims, const int8_t *in,
                      const tml_dims_t *out_dims, int8_t *out);

typedef struct {
    int32_t input_multiplier;  /* Q0.31 multiplier of beta * input_scale, see host planner */
    int32_t input_left_shift;  /* >= 0 */
    int32_t diff_min;          /* inputs further than this below the row max give exp = 0 */
    int32_t rounding;          /* TML_ROUND_* */
} tml_softmax_params_t;

/* SOFTMAX over the last dimension. input/output [rows, depth]; output scale 1/256, zp -128. */
int tml_softmax_s8(const tml_softmax_params_t *p, int32_t rows, int32_t depth, const int8_t *in,
                   int8_t *out);

/* Element-wise broadcasting over up to 4 dimensions: output element (i0, i1, i2, i3) reads
 * input k at sum(i_d * stride[k][d]); a broadcast dimension has stride 0. */
typedef struct {
    int32_t dims[4];
    int32_t stride[2][4];
} tml_bcast_t;

typedef struct {
    int32_t input1_offset, input2_offset;  /* -zero_point of each input */
    int32_t output_offset;                 /* output zero_point */
    int32_t left_shift;                    /* headroom shift applied to both inputs (20) */
    int32_t input1_mult, input1_shift;     /* rescale of each input to the common scale; */
    int32_t input2_mult, input2_shift;
    int32_t output_mult, output_shift;     /* common scale to the output scale */
    int32_t act_min, act_max;
    int32_t subtract;                      /* SUB: 1 */
    int32_t rounding;                      /* TML_ROUND_* */
} tml_add_params_t;

/* ADD (and SUB: the rescaled second input is subtracted) with broadcasting. */
int tml_add_s8(const tml_add_params_t *p, const tml_bcast_t *b, const int8_t *x, const int8_t *y,
               int8_t *out);

typedef struct {
    int32_t input1_offset, input2_offset, output_offset;
    int32_t output_mult, output_shift;     /* s1 * s2 / s_out */
    int32_t act_min, act_max;
    int32_t rounding;
} tml_mul_params_t;

/* MUL of two int8 tensors with broadcasting. */
int tml_mul_s8(const tml_mul_params_t *p, const tml_bcast_t *b, const int8_t *x, const int8_t *y,
               int8_t *out);

/* MINIMUM / MAXIMUM on the raw int8 values, with broadcasting (TFLite ignores quantization). */
int tml_minimum_s8(const tml_bcast_t *b, const int8_t *x, const int8_t *y, int8_t *out);
int tml_maximum_s8(const tml_bcast_t *b, const int8_t *x, const int8_t *y, int8_t *out);

typedef struct {
    int32_t input_offset, output_offset;
    int32_t mult_pos, shift_pos;           /* s_in / s_out, for inputs >= zero point */
    int32_t mult_neg, shift_neg;           /* s_in * s_alpha / s_out */
    int32_t alpha_offset;                  /* -alpha zero_point */
    int32_t rounding;
} tml_prelu_params_t;

/* PRELU: x >= 0 ? x : alpha * x, alpha broadcast against x (stride[1]). */
int tml_prelu_s8(const tml_prelu_params_t *p, const tml_bcast_t *b, const int8_t *x,
                 const int8_t *alpha, int8_t *out);

/* MAX_POOL_2D. input [N,H,W,C]; output [N,OH,OW,C]; same quantization in and out. */
int tml_max_pool2d_s8(const tml_pool_params_t *p, const tml_dims_t *in_dims, const int8_t *in,
                      const tml_dims_t *out_dims, int8_t *out);

/* Element-wise table lookup: out[i] = table[(uint8_t)in[i]]. The host computes the table with
 * the exact integer arithmetic of the TFLite operator it replaces (LOGISTIC, TANH, HARD_SWISH,
 * LEAKY_RELU, RELU, RELU6, int8 QUANTIZE, ...). in == out is allowed. */
int tml_lut_s8(const int8_t *table, int32_t size, const int8_t *in, int8_t *out);

/* CONCATENATION (and PACK): `outer` rounds; in each, input k contributes block[k] bytes. */
int tml_concat_s8(int32_t outer, int32_t n, const int32_t *block, const int8_t *const *in,
                  int8_t *out);

typedef struct {
    int32_t in_dims[4], out_dims[4];
    int32_t before[4];                     /* leading pad per dimension */
    int32_t value;                         /* pad value (the output zero point) */
} tml_pad_params_t;

/* PAD over 4 dimensions. */
int tml_pad_s8(const tml_pad_params_t *p, const int8_t *in, int8_t *out);

typedef struct {
    int32_t dims[4];                       /* output dims */
    int32_t base;                          /* input offset of output element 0 */
    int32_t stride[4];                     /* signed input strides per output dim */
} tml_strided_t;

/* Affine gather: out[i0,i1,i2,i3] = in[base + sum(i_d * stride[d])]. */
int tml_strided_copy_s8(const tml_strided_t *p, const int8_t *in, int8_t *out);

/* RESIZE_NEAREST_NEIGHBOR: output row oy reads input row map_h[oy], column ox reads map_w[ox]
 * (the host computes the maps with TFLite's rules). */
int tml_resize_nearest_s8(const tml_dims_t *in_dims, const tml_dims_t *out_dims,
                          const int32_t *map_h, const int32_t *map_w, const int8_t *in,
                          int8_t *out);

typedef struct {
    int32_t dims[4];                       /* input viewed as 4-D */
    int32_t axes;                          /* bit d set: dimension d is reduced */
    int32_t input_zero_point, output_zero_point;
    int32_t mult, shift;                   /* applied to sum(q) - n * zp_in */
    int32_t rounding;
} tml_mean_params_t;

/* MEAN over the dimensions in p->axes; the output holds the kept dimensions in order. */
int tml_mean_s8(const tml_mean_params_t *p, const int8_t *in, int8_t *out);

#endif /* TML_KERNELS_H */
