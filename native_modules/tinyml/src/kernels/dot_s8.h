/* The multiply-accumulate engine of CONV_2D and FULLY_CONNECTED (internal): one or two int8
 * input vectors against a block of int8 weight rows, each sum requantized to an int8 output.
 * Each input element is loaded once per block of weight rows and each weight once per pair of
 * inputs, in registers (a register-blocked GEMM); arch.h picks the per-core inner loop. */
#ifndef TML_DOT_S8_H
#define TML_DOT_S8_H

#include <stdint.h>
#include "tml_kernels.h"

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
} tml_dot_params_t;

/* The parameters of one layer's rows (n of them): the fields above, and hi_rows = 1 when
 * every row's output stage takes the one-multiply form (per-channel, biased, double rounding,
 * shift <= -2) and the activation range is the whole int8 range (any range on Armv6-M), which
 * the assembly output stages then run without per-row checks; hi_blocks marks the blocks of
 * 32 rows that qualify on their own (the first 1024 rows). Once per layer, not per call. */
void tml_dot_init(tml_dot_params_t *d, const int32_t *bias, const tml_requant_t *q,
                  int32_t per_channel, int32_t n, int32_t input_offset, int32_t output_offset,
                  int32_t act_min, int32_t act_max);

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

/* 1 if tml_dot_s8 over k-element inputs reads every input byte before it writes the first
 * output (this core widens the inputs first), so that outputs may overlap the inputs. */
int tml_dot_reads_first(int32_t k);

#endif /* TML_DOT_S8_H */
