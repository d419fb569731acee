/* The multiply-accumulate engine of CONV_2D and FULLY_CONNECTED (internal): one or two int8
 * input vectors against a block of int8 weight rows, each sum requantized to an int8 output.
 * Each input element is loaded once per block of weight rows and each weight once per pair of
 * inputs, in registers (a register-blocked GEMM); arch.h picks the per-core inner loop. */
#ifndef TML_DOT_S8_H
#define TML_DOT_S8_H

#include <stdint.h>
#include "arch.h"
#include "tml_kernels.h"

/* Inputs of up to this many elements are widened first (see dot_widened and
 * dot_generic_widened); longer ones are read as bytes. */
#define TML_DOT_WIDE_MAX 640
/* The scalar cores with registers and stack to spare widen too (not Armv6-M). */
#define TML_GENERIC_WIDE (!TML_ARCH_DSP && !TML_ARCH_VEC && !TML_ARCH_V6M)
/* Row pairs per dsp_2xn call, and rows per output-stage pass of tml_dot4_s8 (their sums on
 * the stack: 16 bytes each). */
#define TML_DOT_PAIRS 32

/* Parameters of the assembly functions, which read them from their registers. */
#define TML_ARG __attribute__((unused))

/* The frame of dsp_1xn and dsp_4xn: the loop state their inner loops have no register for,
 * on the stack: [sp] q's start, [sp, #4] the row pairs or rows left, [sp, #8] s (the fifth
 * argument, above 9 + 4 words), [sp, #12] k4 & 1. */
#define TML_DSP_FRAME                                                                        \
    "push {r4-r11, lr}\n"                                                                    \
    "sub sp, sp, #16\n"                                                                      \
    "str r0, [sp, #0]\n"                                                                     \
    "str r3, [sp, #4]\n"                                                                     \
    "ldr r8, [sp, #52]\n"                                                                    \
    "str r8, [sp, #8]\n"                                                                     \
    "and r8, r1, #1\n"                                                                       \
    "str r8, [sp, #12]\n"

/* The end of a step of such a kernel over a group of rows (wa in r2, wb in r3, the sums in r4
 * and up, q's end in r1): the sums stored by `store` through the pointer kept at [sp, #8], q
 * rewound, wa = wb and wb += `row` (one row's weight bytes, from r9 = q's bytes), and back to
 * label 3 while groups remain; then TML_DSP_FRAME's frame is left. */
#define TML_DSP_NEXT_ROWS(store, row)                                                        \
    "ldr r8, [sp, #8]\n"                                                                     \
    store "str r8, [sp, #8]\n"                                                               \
    "ldr r0, [sp, #0]\n"                                                                     \
    "sub r9, r1, r0\n"                                                                       \
    "mov r2, r3\n"                                                                           \
    "add r3, r3, " row "\n"                                                                  \
    "ldr r8, [sp, #4]\n"                                                                     \
    "subs r8, r8, #1\n"                                                                      \
    "str r8, [sp, #4]\n"                                                                     \
    "bne 3b\n"                                                                               \
    "add sp, sp, #16\n"                                                                      \
    "pop {r4-r11, pc}\n"

typedef struct {
    const int32_t *bias;      /* [n], or NULL */
    const int32_t *mult;      /* requantization per row of weights ... */
    const int32_t *shift;
    int32_t per_channel;      /* ... or 0: mult[0], shift[0] for every row */
    int32_t rounding;         /* TML_ROUND_* */
    int32_t input_offset;     /* -input zero point, in [-127, 128] */
    int32_t output_offset, act_min, act_max;
    int32_t hi_rows;          /* set by tml_dot_init: see there */
    uint32_t hi_blocks;       /* bit b: rows 32b .. 32b + 31 would qualify (tml_dot_init) */
    int32_t fold_rows;        /* hi_rows, and every shift >= -22 (tml_rq_fold_ok; Armv7-M) */
    uint32_t fold_blocks;     /* the same per block of 32 rows, as hi_blocks */
    int32_t pairs16;          /* set by tml_dot_fold (TML_DOT_PAIRS16 only): see there */
    int32_t w16;              /* 1: the weights are stored DUAL16 (a convolution's filter:
                               * tml_conv_dot_init); 0 (tml_dot_init): int8 */
} tml_dot_params_t;

/* The parameters of one layer's rows (n of them): the fields above, and hi_rows = 1 when
 * every row's output stage takes the one-multiply form (per-channel, biased, double rounding,
 * shift <= -2) and the activation range is the whole int8 range (any range on Armv6-M), which
 * the assembly output stages then run without per-row checks; hi_blocks marks the blocks of
 * 32 rows that qualify on their own (the first 1024 rows). Once per layer, not per call. */
void tml_dot_init(tml_dot_params_t *d, const int32_t *bias, const tml_requant_t *q,
                  int32_t per_channel, int32_t n, int32_t input_offset, int32_t output_offset,
                  int32_t act_min, int32_t act_max);

/* Armv6-M's kernel for two inputs (m0_pairs16 in dot_s8.c) packs them into one register per
 * element, the first in the low 16 bits and the second in the high 16, so that one MULS
 * multiplies both by a weight. It needs raw inputs (input_offset 0), so a convolution folds
 * the offset into its biases once per layer: folded[o] = bias[o] + input_offset * sum_i
 * w[o * k + i], the same int32 sums the reference makes (|folded[o]| <= |bias[o]| + k * 2^15,
 * within the loader's bias limit), and sets pairs16 = 1, when the kernel applies: Armv6-M (or
 * -DTML_DOT_PAIRS16_TEST on the host), n <= TML_DOT_FOLD_MAX, k a multiple of 4 and at most
 * TML_DOT_PAIRS16_MAX, the weights word-aligned and none of them -128. */
#if TML_ARCH_V6M || defined(TML_DOT_PAIRS16_TEST)
#define TML_DOT_PAIRS16 1
#else
#define TML_DOT_PAIRS16 0
#endif
#define TML_DOT_FOLD_MAX 128
#define TML_DOT_PAIRS16_MAX 160

/* A convolution layer's row parameters, made once per layer in its caller's frame: d as
 * tml_dot_init makes them for the layer (per channel, its offsets and activation range), on
 * the folded biases where the two-input kernel applies (above). */
typedef struct {
    tml_dot_params_t d;
    int32_t folded[TML_DOT_PAIRS16 ? TML_DOT_FOLD_MAX : 1];
} tml_conv_dot_t;
/* d's biases folded and pairs16 set, where the kernel applies; else d left as it was. */
void tml_dot_fold(tml_dot_params_t *d, const int8_t *w, int32_t k, int32_t n, int32_t *folded);
static inline void tml_conv_dot_init(tml_conv_dot_t *c, const tml_conv_params_t *p,
                                     const tml_requant_t *q, const int32_t *bias,
                                     const int8_t *filter, int32_t k, int32_t n) {
    tml_dot_init(&c->d, bias, q, 1, n, p->input_offset, p->output_offset, p->act_min,
                 p->act_max);
#if TML_HAS_DUAL16
    /* a DUAL16 filter: no folded biases (every DUAL16 path adds the offset to the inputs) */
    c->d.w16 = p->filter_dual16;
    if (c->d.w16) {
        return;
    }
#endif
#if TML_DOT_PAIRS16
    tml_dot_fold(&c->d, filter, k, n, c->folded);
#else
    (void)filter, (void)k;
#endif
}

/* tml_conv2d_s8 with the layer's row parameters already made (tml_conv_dot_init), for
 * callers that run one layer in several calls. d->w16: filter holds the weights stored DUAL16
 * (tml_conv2d_s8's conditions), read through its pointer as bytes. */
int tml_conv2d_dot_s8(const tml_conv_params_t *p, const tml_dot_params_t *d,
                      const tml_dims_t *in_dims, const int8_t *in, const tml_dims_t *f_dims,
                      const int8_t *filter, const tml_dims_t *out_dims, int8_t *out);

/* Row o's output stage for the sum acc (its bias not yet added), out of line (not on
 * Armv7E-M, whose kernels use the row functions below). */
int8_t tml_dot_stage(const tml_dot_params_t *p, int32_t o, int32_t acc);

/* Armv7E-M: the output stage of one input's rows o .. o + rows - 1 from their sums s[0 ..
 * rows - 1] (biases not yet added; s is overwritten). One requantization for every row
 * (per-tensor): the biases added first, then tml_rq_row. */
void tml_dot_rows1(const tml_dot_params_t *p, int32_t o, int32_t rows, int32_t *s,
                   int8_t *out);

/* For each o < n and each input r (x0, and x1 unless NULL):
 *   out_r[o] = output stage(bias[o] + sum_{i<k} (x_r[i] + input_offset) * w[o * k + i]).
 * The caller guarantees |sum| < 2^31 (the loader's bias limit). */
void tml_dot_s8(const tml_dot_params_t *p, int32_t k, const int8_t *x0, const int8_t *x1,
                const int8_t *w, int32_t n, int8_t *out0, int8_t *out1);

/* Where tml_dot4_s8's four inputs lie: element e of input i (i < 4) at x + i * x_stride +
 * (e / seg) * seg_stride + e % seg, k / seg runs of seg bytes, as a convolution's patch lies
 * in its input (its kernel rows). seg = k: each input one run. Otherwise seg is a multiple of
 * 4 that divides k. */
typedef struct {
    const int8_t *x;
    int32_t x_stride, seg, seg_stride;
} tml_dot4_in_t;

/* tml_dot_s8 for four inputs (tml_dot4_in_t), outputs at out + i * out_stride: each weight
 * loaded and extended once for all four. Only where tml_dot4_ok(k) (this core has the
 * kernel, and k suits it); it reads every input byte before it writes the first output. */
int tml_dot4_ok(int32_t k);
/* The cores with a four-input kernel (Armv7-M, rv32), so that the others compile no call to
 * it. */
#if !defined(TML_ARCH_GENERIC) &&                                                             \
    (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) ||                                 \
     (defined(__riscv) && __riscv_xlen == 32))
#define TML_HAS_DOT4 1
#else
#define TML_HAS_DOT4 0
#endif
void tml_dot4_s8(const tml_dot_params_t *p, int32_t k, const tml_dot4_in_t *in, const int8_t *w,
                 int32_t n, int8_t *out, int32_t out_stride);

/* Armv7E-M: tml_dot4_s8 in parts, for patches longer than TML_DOT4_MAX (a convolution's kernel
 * rows one at a time): the sums of four inputs of k elements (k a multiple of 4, at most
 * TML_DOT4_MAX, one run each) against rows o .. o + rows - 1 (rows <= TML_DOT4_PART_ROWS) of the
 * weights at w, w_stride weights apart (bytes, or with p->w16 DUAL16 pairs: 2 * w_stride
 * bytes), to acc[4r + i] (first: the first part, whose sums start
 * from where tml_dot4_put expects them) or added to it; then tml_dot4_put gives the outputs
 * (output r of input i at out + i * out_stride + o + r). */
#define TML_DOT4_PART_ROWS (2 * TML_DOT_PAIRS)
void tml_dot4_sums(const tml_dot_params_t *p, int32_t k, const tml_dot4_in_t *in,
                   const int8_t *w, int32_t w_stride, int32_t o, int32_t rows, int32_t *acc,
                   int first);
void tml_dot4_put(const tml_dot_params_t *p, int32_t o, int32_t rows, const int32_t *acc,
                  int8_t *out, int32_t out_stride);

/* 1 if tml_dot_s8 over k-element inputs reads every input byte before it writes the first
 * output (this core widens the inputs first), so that outputs may overlap the inputs. */
int tml_dot_reads_first(int32_t k);

/* tml_dot_s8 over weights stored DUAL16 (tml_schema.def): row o at w + o * 4 * ceil(k / 4),
 * each group of four weights w0 w1 w2 w3 as int16 w0 w2 w1 w3, the padding 0. */
void tml_dot16_s8(const tml_dot_params_t *p, int32_t k, const int8_t *x0, const int8_t *x1,
                  const int16_t *w, int32_t n, int8_t *out0, int8_t *out1);

#endif /* TML_DOT_S8_H */
