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
} tml_conv_params_t;

/* CONV_2D. input [N,H,W,Ci]; filter [Co,KH,KW,Ci]; bias [Co] or NULL; output [N,OH,OW,Co]. */
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

typedef struct {
    int32_t input1_offset, input2_offset;  /* -zero_point of each input */
    int32_t output_offset;                 /* output zero_point */
    int32_t left_shift;                    /* headroom shift applied to both inputs (20) */
    int32_t input1_mult, input1_shift;     /* rescale of each input to the common scale */
    int32_t input2_mult, input2_shift;
    int32_t output_mult, output_shift;     /* common scale to the output scale */
    int32_t act_min, act_max;
    int32_t rounding;                      /* TML_ROUND_* */
} tml_add_params_t;

/* ADD of two int8 tensors of the same shape (size elements each). */
int tml_add_s8(const tml_add_params_t *p, int32_t size, const int8_t *a, const int8_t *b,
               int8_t *out);

#endif /* TML_KERNELS_H */
