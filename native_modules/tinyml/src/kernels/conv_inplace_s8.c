#include "tml_config.h"
#if TML_HAS_CONV_2D || TML_HAS_DEPTHWISE_CONV_2D
#include <string.h>
#include "arch.h"
#include "dot_s8.h"
#include "dw_bands_s8.h"
#include "fixedpoint.h"

/* In-place convolutions (TinyEngine's trick): the output is written over the input buffer, so
 * the two never need to be alive side by side. The arithmetic is the ordinary kernels', so the
 * results stay bit-exact; only the order in which memory is reused changes. */

static int is_pointwise(const tml_conv_params_t *p, const tml_dims_t *in, const tml_dims_t *f,
                        const tml_dims_t *out) {
    return f->h == 1 && f->w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 0 &&
           p->pad_w == 0 && in->h == out->h && in->w == out->w;
}

/* Row streaming: after output row oy is stored, rows below read input from row
 * (oy + 1) * stride - pad on; the stored bytes must end at or before it. */
static int rows_fit(const tml_conv_params_t *p, const tml_dims_t *in, const tml_dims_t *out) {
    const int64_t out_row = (int64_t)out->w * out->c, in_row = (int64_t)in->w * in->c;
    if (in->n != 1) {
        return 0;
    }
    for (int64_t oy = 0; oy + 1 < out->h; oy++) {
        const int64_t next = (oy + 1) * p->stride_h - p->pad_h;
        if ((oy + 1) * out_row > (next > 0 ? next : 0) * in_row) {
            return 0;
        }
    }
    return 1;
}

uint32_t tml_conv_in_place_scratch(int depthwise, const tml_conv_params_t *p,
                                   const tml_dims_t *in, const tml_dims_t *f,
                                   const tml_dims_t *out) {
    if (depthwise) {
        const uint32_t in_size = (uint32_t)(in->n * in->h * in->w * in->c);
        const uint32_t out_size = (uint32_t)(out->n * out->h * out->w * out->c);
        const int ok = p->depth_multiplier == 1 && (in->n == 1 || out_size <= in_size);
        return ok ? (uint32_t)in->h * (uint32_t)in->w : 0;
    }
    if (is_pointwise(p, in, f, out)) {
        return (uint32_t)out->c;
    }
    return rows_fit(p, in, out) ? (uint32_t)out->w * (uint32_t)out->c : 0;
}

int tml_conv2d_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                          const tml_dims_t *in_dims, int8_t *buf, const tml_dims_t *f_dims,
                          const int8_t *filter, const int32_t *bias, const tml_dims_t *out_dims,
                          int8_t *scratch) {
#if TML_HAS_CONV_2D
    if (is_pointwise(p, in_dims, f_dims, out_dims)) {
        return tml_conv2d_1x1_inplace_s8(p, q, in_dims, buf, f_dims, filter, bias, out_dims,
                                         scratch);
    }
    return tml_conv2d_rows_inplace_s8(p, q, in_dims, buf, f_dims, filter, bias, out_dims,
                                      scratch);
#else
    (void)p, (void)q, (void)in_dims, (void)buf, (void)f_dims, (void)filter, (void)bias;
    (void)out_dims, (void)scratch;
    return -1;
#endif
}

#if TML_HAS_CONV_2D
/* 1x1, stride 1, no padding: each output pixel depends only on the same input pixel. Pixel p
 * is computed into scratch (out_c bytes) and then stored at p * out_c. Walking forward when
 * out_c <= in_c (or backward otherwise), a store only covers input pixels already consumed. */
TML_COLD int tml_conv2d_1x1_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                              const tml_dims_t *in_dims, int8_t *buf, const tml_dims_t *f_dims,
                              const int8_t *filter, const int32_t *bias,
                              const tml_dims_t *out_dims, int8_t *scratch) {
    const int32_t in_c = in_dims->c, out_c = out_dims->c;
    const int32_t pixels = in_dims->n * in_dims->h * in_dims->w;
    const tml_dims_t px_in = {1, 1, 1, in_c}, px_out = {1, 1, 1, out_c};
    const int forward = out_c <= in_c;
    /* a DUAL16 filter's kernels (tml_dot16_s8) may write the first input's outputs before
     * they read the second input: always from a copy */
    const int reads_first = tml_dot_reads_first(in_c) && !p->filter_dual16;
    if (reads_first || in_c <= TML_CONV_PATCH_BYTES) {
        /* Two pixels at a time, written straight over their own inputs, which are read whole
         * first: by this core's GEMM itself, or copied to the stack. Forward, pixels i and
         * i + 1 store below (i + 2) * out_c <= (i + 2) * in_c, where the unread inputs start;
         * backward (out_c > in_c), pixels i - 2 and i - 1 store from (i - 2) * out_c >=
         * (i - 2) * in_c, where the unread inputs end. */
        tml_conv_dot_t c;
        tml_conv_dot_init(&c, p, q, bias, filter, in_c, out_c);
        int8_t copy[2 * TML_CONV_PATCH_BYTES];
        int32_t done = 0;
#if TML_HAS_DOT4
        /* four at a time, by the same argument (DUAL16: Armv7E-M's kernel only) */
        if (tml_dot4_ok(in_c) && (TML_ARCH_DSP || !c.d.w16)) {
            for (; pixels - done >= 4; done += 4) {
                const int32_t first = forward ? done : pixels - done - 4;
                const tml_dot4_in_t x = {buf + (int64_t)first * in_c, in_c, in_c, 0};
                tml_dot4_s8(&c.d, in_c, &x, filter, out_c, buf + (int64_t)first * out_c, out_c);
            }
        }
#endif
        for (; done < pixels; done += 2) {
            const int32_t two = pixels - done >= 2;
            const int32_t first = forward ? done : pixels - done - 1 - two;
            const int8_t *x0 = buf + (int64_t)first * in_c;
            int8_t *o0 = buf + (int64_t)first * out_c;
            /* Armv6-M's two-input kernel packs both inputs before its first output too */
            if (!reads_first && !(TML_DOT_PAIRS16 && c.d.pairs16 && two)) {
                tml_copy(copy, x0, (1 + two) * in_c);
                x0 = copy;
            }
#if TML_HAS_DUAL16
            if (c.d.w16) {
                tml_dot16_s8(&c.d, in_c, x0, two ? x0 + in_c : NULL,
                             (const int16_t *)(const void *)filter, out_c, o0, o0 + out_c);
                continue;
            }
#endif
            tml_dot_s8(&c.d, in_c, x0, two ? x0 + in_c : NULL, filter, out_c, o0, o0 + out_c);
        }
        return 0;
    }
    for (int32_t i = 0; i < pixels; i++) {
        const int32_t px = forward ? i : pixels - 1 - i;
        tml_conv2d_s8(p, q, &px_in, buf + (int64_t)px * in_c, f_dims, filter, bias, &px_out,
                      scratch);
        tml_copy(buf + (int64_t)px * out_c, scratch, out_c);
    }
    return 0;
}

/* Any other CONV_2D of batch 1 whose output rows fit over input rows already consumed (a
 * strided first layer: 96x96x3 -> 48x48x8 writes 384 bytes per output row while moving 576
 * bytes down the input): row oy is computed into scratch (one output row), then stored at
 * oy * row bytes. The loader checks that no store reaches an input row still to be read. */
int tml_conv2d_rows_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                               const tml_dims_t *in_dims, int8_t *buf, const tml_dims_t *f_dims,
                               const int8_t *filter, const int32_t *bias,
                               const tml_dims_t *out_dims, int8_t *scratch) {
    const int32_t row = out_dims->w * out_dims->c;
    const tml_dims_t one_row = {1, 1, out_dims->w, out_dims->c};
    tml_conv_params_t pr = *p;
    tml_conv_dot_t c; /* once for every row */
    tml_conv_dot_init(&c, p, q, bias, filter, f_dims->h * f_dims->w * in_dims->c, out_dims->c);
    for (int32_t oy = 0; oy < out_dims->h; oy++) {
        pr.pad_h = p->pad_h - oy * p->stride_h; /* output row oy as the only row */
        tml_conv2d_dot_s8(&pr, &c.d, in_dims, buf, f_dims, filter, &one_row, scratch);
        tml_copy(buf + (int64_t)oy * row, scratch, row);
    }
    return 0;
}
#endif

#if TML_HAS_DEPTHWISE_CONV_2D
/* One output of channel plane `x` (in_h x in_w bytes), taps outside the plane skipped. */
static int32_t plane_checked(const tml_conv_params_t *p, const int8_t *x, int32_t in_h,
                             int32_t in_w, const int8_t *w, int32_t k_h, int32_t k_w,
                             int32_t w_step, int32_t iy0, int32_t ix0) {
    int32_t acc = 0;
    for (int32_t ky = 0; ky < k_h; ky++) {
        const int32_t iy = iy0 + p->dilation_h * ky;
        for (int32_t kx = 0; iy >= 0 && iy < in_h && kx < k_w; kx++) {
            const int32_t ix = ix0 + p->dilation_w * kx;
            if (ix >= 0 && ix < in_w) {
                acc += (x[iy * in_w + ix] + p->input_offset) * w[(ky * k_w + kx) * w_step];
            }
        }
    }
    return acc;
}

/* Output row of one channel from its kernel-height input rows (rows[ky] is input row
 * oy * stride_h - pad_h + ky * dilation_h from column -pad_w, zero-point padded): every
 * window lies inside, so each tap is one load and one multiply-accumulate of the raw input,
 * starting from `folded` = bias + input_offset * sum(w) (the same int32 as the reference's
 * sum of (x + input_offset) * w, the padding's zp + offset being 0). No partial sum can
 * overflow: |bias| <= 2^31 - 1 - taps * 2^15 (loader), and each of the two added parts is at
 * most taps * 2^14 in magnitude. */
static void dw_row(const tml_conv_params_t *p, const int8_t *rows, int32_t row_len,
                   const int8_t *w, int32_t k_h, int32_t k_w, int32_t folded, int32_t mult,
                   int32_t shift, int32_t rounding, int32_t out_w, int8_t *o, int32_t o_step) {
    const int32_t sw = p->stride_w, dw = p->dilation_w;
    if (!TML_ARCH_V6M && k_h == 3 && k_w == 3 && dw == 1) { /* Armv6-M: flash first */
        const int8_t *r0 = rows, *r1 = r0 + row_len, *r2 = r1 + row_len;
#if TML_ARCH_DSP
        /* Per row: a word x0..x3 at the window, SMLAD((x0, x2), (w0, w2)) + x1 * w1. */
        const int32_t p0 = tml_pack16(w[0], w[2]), q0 = w[1], p1 = tml_pack16(w[3], w[5]);
        const int32_t q1 = w[4], p2 = tml_pack16(w[6], w[8]), q2 = w[7];
        for (int32_t ox = 0, x = 0; ox < out_w; ox++, x += sw, o += o_step) {
            int32_t v = tml_read4(r0 + x);
            int32_t acc = tml_smlabb(tml_sxtb16_ror8(v), q0, tml_smlad(tml_sxtb16(v), p0, folded));
            v = tml_read4(r1 + x);
            acc = tml_smlabb(tml_sxtb16_ror8(v), q1, tml_smlad(tml_sxtb16(v), p1, acc));
            v = tml_read4(r2 + x);
            acc = tml_smlabb(tml_sxtb16_ror8(v), q2, tml_smlad(tml_sxtb16(v), p2, acc));
            *o = tml_output_stage(acc, mult, shift, rounding, p->output_offset, p->act_min,
                                  p->act_max);
        }
#else
        for (int32_t ox = 0, x = 0; ox < out_w; ox++, x += sw, o += o_step) {
            const int32_t acc = folded + r0[x] * w[0] + r0[x + 1] * w[1] + r0[x + 2] * w[2] +
                                r1[x] * w[3] + r1[x + 1] * w[4] + r1[x + 2] * w[5] +
                                r2[x] * w[6] + r2[x + 1] * w[7] + r2[x + 2] * w[8];
            *o = tml_output_stage(acc, mult, shift, rounding, p->output_offset, p->act_min,
                                  p->act_max);
        }
#endif
        return;
    }
    for (int32_t ox = 0; ox < out_w; ox++, o += o_step) {
        int32_t acc = folded;
        const int8_t *wt = w;
        for (int32_t ky = 0; ky < k_h; ky++) {
            const int8_t *x = rows + ky * row_len + ox * sw;
            for (int32_t kx = 0; kx < k_w; kx++) {
                acc += x[kx * dw] * *wt++;
            }
        }
        *o = tml_output_stage(acc, mult, shift, rounding, p->output_offset, p->act_min,
                              p->act_max);
    }
}

/* Sums per requantization pass of dw_plane_3x3: the multiply-accumulate loop stores them on
 * the stack (across rows when rows are short), then tml_rq_row requantizes them in one call,
 * so neither loop runs short of registers. Even: dw_plane_3x3 computes outputs in pairs. */
#define TML_DW_CHUNK (TML_ARCH_V6M ? 128 : 64) /* Armv6-M: KWS's five 25-output rows */

/* The sums of n consecutive outputs of one row (3x3 stride 1 undilated) from its three padded
 * input rows r0, r0 + row_len, r0 + 2 * row_len, into acc[0..n - 1] (an odd n also writes
 * acc[n]), with the weights wk in the form dw_plane_3x3 makes once per plane. Each tap is
 * one load and one multiply-accumulate from `folded` (see dw_row). */
#if TML_ARCH_V6M
/* dw_sums_3x3 on Armv6-M (Thumb-1 assembly), two outputs a step: the plane holds x + 128 as
 * unsigned bytes (TML_DW_FLIP: LDRB with an immediate offset, no index registers), and the
 * step's four bytes of each row are loaded once for both outputs: per row four LDRB and six
 * MULS + ADDS, each weight copied from a high register (w0..w5) or the stack (w6..w8), about
 * 51 cycles an output. a = {w0..w8, row_len, folded - 128 * sum(w)}; n > 0 (an odd n also
 * writes acc[n], reading one byte past the row: the plane's slack). */
#define TML_M0_DW3_ROW(ptr, wa, wb, wc)                                                      \
    "ldrb r3, [" ptr ", #0]\n"                                                               \
    wa                                                                                       \
    "muls r4, r3, r4\n"                                                                      \
    "adds r5, r5, r4\n"                                                                      \
    "ldrb r3, [" ptr ", #1]\n"                                                               \
    wb                                                                                       \
    "muls r4, r3, r4\n"                                                                      \
    "adds r5, r5, r4\n"                                                                      \
    wa                                                                                       \
    "muls r4, r3, r4\n"                                                                      \
    "adds r6, r6, r4\n"                                                                      \
    "ldrb r3, [" ptr ", #2]\n"                                                               \
    wc                                                                                       \
    "muls r4, r3, r4\n"                                                                      \
    "adds r5, r5, r4\n"                                                                      \
    wb                                                                                       \
    "muls r4, r3, r4\n"                                                                      \
    "adds r6, r6, r4\n"                                                                      \
    "ldrb r3, [" ptr ", #3]\n"                                                               \
    wc                                                                                       \
    "muls r4, r3, r4\n"                                                                      \
    "adds r6, r6, r4\n"
__attribute__((naked, noinline)) static void m0_dw3(__attribute__((unused)) const int8_t *r0,
                                                    __attribute__((unused)) int32_t n,
                                                    __attribute__((unused)) int32_t *acc,
                                                    __attribute__((unused)) const int32_t *a) {
    __asm__ volatile(
        TML_M0_ENTER
        "sub sp, #24\n"
        "ldmia r3!, {r4-r7}\n"      /* w0..w3 */
        "mov r8, r4\n"
        "mov r9, r5\n"
        "mov r10, r6\n"
        "mov r11, r7\n"
        "ldmia r3!, {r4-r7}\n"      /* w4..w7 */
        "mov r12, r4\n"
        "mov lr, r5\n"
        "str r6, [sp, #0]\n"
        "str r7, [sp, #4]\n"
        "ldmia r3!, {r4-r6}\n"      /* w8, row_len, the folded bias */
        "str r4, [sp, #8]\n"
        "str r2, [sp, #12]\n"       /* acc */
        "str r6, [sp, #20]\n"
        "adds r1, r1, #1\n"
        "lsrs r1, r1, #1\n"
        "lsls r1, r1, #1\n"
        "adds r1, r0, r1\n"
        "str r1, [sp, #16]\n"       /* row 0's end, n rounded up to pairs */
        "adds r1, r0, r5\n"         /* row 1 */
        "adds r2, r1, r5\n"         /* row 2 */
        "1:\n"
        "ldr r5, [sp, #20]\n"
        "movs r6, r5\n"
        TML_M0_DW3_ROW("r0", "mov r4, r8\n", "mov r4, r9\n", "mov r4, r10\n")
        TML_M0_DW3_ROW("r1", "mov r4, r11\n", "mov r4, r12\n", "mov r4, lr\n")
        TML_M0_DW3_ROW("r2", "ldr r4, [sp, #0]\n", "ldr r4, [sp, #4]\n", "ldr r4, [sp, #8]\n")
        "ldr r7, [sp, #12]\n"
        "stmia r7!, {r5, r6}\n"
        "str r7, [sp, #12]\n"
        "adds r0, r0, #2\n"
        "adds r1, r1, #2\n"
        "adds r2, r2, #2\n"
        "ldr r7, [sp, #16]\n"
        "cmp r0, r7\n"
        "bne 1b\n"
        "add sp, #24\n"
        TML_M0_LEAVE);
}
/* The byte Armv6-M's planes for m0_dw3 hold for x: x + 128 as unsigned (x ^ 0x80). */
#define TML_DW_FLIP 0x80
#else
#define TML_DW_FLIP 0
#endif

#if TML_ARCH_DSP
/* dw_sums_3x3 on Armv7E-M: `pairs` pairs of outputs from the padded rows r0, r0 + row_len,
 * r0 + 2 * row_len, sums to acc. wk = {(w0, w2), (w3, w5), (w6, w8) as 16-bit lanes, w1 | w4 <<
 * 16, w7, folded}: 25 instructions a pair, every constant in a register (r4-r9). */
__attribute__((naked, noinline)) static void dsp_dw3(__attribute__((unused)) const int8_t *r0,
                                                     __attribute__((unused)) int32_t row_len,
                                                     __attribute__((unused)) int32_t *acc,
                                                     __attribute__((unused)) const int32_t *wk,
                                                     __attribute__((unused)) int32_t pairs) {
    __asm__ volatile(
        "push {r4-r11, lr}\n"
        "ldm r3, {r4-r9}\n"
        "ldr r3, [sp, #36]\n"       /* pairs: the fifth argument */
        "add r3, r2, r3, lsl #3\n"  /* acc's end */
        "1:\n"
        "ldr lr, [r0]\n"            /* row 0: x0..x3 */
        "sxtb16 r12, lr\n"          /* (x0, x2) */
        "sxtb16 lr, lr, ror #8\n"   /* (x1, x3) */
        "smlad r10, r12, r4, r9\n"
        "smlabb r10, lr, r7, r10\n"
        "smlad r11, lr, r4, r9\n"
        "smlatb r11, r12, r7, r11\n"
        "ldr lr, [r0, r1]\n"        /* row 1 */
        "sxtb16 r12, lr\n"
        "sxtb16 lr, lr, ror #8\n"
        "smlad r10, r12, r5, r10\n"
        "smlabt r10, lr, r7, r10\n"
        "smlad r11, lr, r5, r11\n"
        "smlatt r11, r12, r7, r11\n"
        "ldr lr, [r0, r1, lsl #1]\n" /* row 2 */
        "sxtb16 r12, lr\n"
        "sxtb16 lr, lr, ror #8\n"
        "smlad r10, r12, r6, r10\n"
        "smlabb r10, lr, r8, r10\n"
        "smlad r11, lr, r6, r11\n"
        "smlatb r11, r12, r8, r11\n"
        "strd r10, r11, [r2], #8\n"
        "adds r0, r0, #2\n"
        "cmp r2, r3\n"
        "bne 1b\n"
        "pop {r4-r11, pc}\n");
}
#endif

TML_HOT_INLINE void dw_sums_3x3(const int8_t *r0, int32_t row_len, int32_t n,
                                const int32_t *wk, int32_t folded, int32_t *acc) {
    const int8_t *r1 = r0 + row_len, *r2 = r1 + row_len;
#if TML_ARCH_DSP
    /* Two outputs per step: a word of row bytes x0..x3 splits into lanes (x0, x2) and
     * (x1, x3); with the row's weights as lanes (w0, w2) and w1, output ox is
     * SMLAD((x0, x2), (w0, w2)) + x1 * w1 and output ox + 1 is SMLAD((x1, x3), (w0, w2)) +
     * x2 * w1. An odd last output computes the pair, its word read reaching at most 1 byte
     * past the row (the next row, or the buffer's slack). */
    (void)folded, (void)r1, (void)r2; /* folded in wk[5] (dw_plane_3x3) */
    dsp_dw3(r0, row_len, acc, wk, (n + 1) >> 1);
#elif TML_ARCH_V6M
    (void)folded, (void)r1, (void)r2; /* row_len and folded in wk[9], wk[10] */
    m0_dw3(r0, n, acc, wk);
#else
    const int32_t w0 = wk[0], w1 = wk[1], w2 = wk[2], w3 = wk[3], w4 = wk[4], w5 = wk[5];
    const int32_t w6 = wk[6], w7 = wk[7], w8 = wk[8];
    int32_t a0 = r0[0], a1 = r0[1], b0 = r1[0], b1 = r1[1], c0 = r2[0], c1 = r2[1], j = 0;
    /* three outputs a step, the window's columns rotating through the registers (no moves) */
    for (; j + 3 <= n; j += 3) {
        const int32_t a2 = r0[j + 2], b2 = r1[j + 2], c2 = r2[j + 2];
        acc[j] = folded + a0 * w0 + a1 * w1 + a2 * w2 + b0 * w3 + b1 * w4 + b2 * w5 +
                 c0 * w6 + c1 * w7 + c2 * w8;
        a0 = r0[j + 3], b0 = r1[j + 3], c0 = r2[j + 3];
        acc[j + 1] = folded + a1 * w0 + a2 * w1 + a0 * w2 + b1 * w3 + b2 * w4 + b0 * w5 +
                     c1 * w6 + c2 * w7 + c0 * w8;
        a1 = r0[j + 4], b1 = r1[j + 4], c1 = r2[j + 4];
        acc[j + 2] = folded + a2 * w0 + a0 * w1 + a1 * w2 + b2 * w3 + b0 * w4 + b1 * w5 +
                     c2 * w6 + c0 * w7 + c1 * w8;
    }
    for (; j < n; j++) {
        const int32_t a2 = r0[j + 2], b2 = r1[j + 2], c2 = r2[j + 2];
        acc[j] = folded + a0 * w0 + a1 * w1 + a2 * w2 + b0 * w3 + b1 * w4 + b2 * w5 + c0 * w6 +
                 c1 * w7 + c2 * w8;
        a0 = a1, a1 = a2, b0 = b1, b1 = b2, c0 = c1, c1 = c2;
    }
#endif
}

/* The output stage of a chunk's n sums: one row at out, step apart, or (row > 0, Armv6-M)
 * rows of `row` sums, row_step apart. */
static inline void dw_flush(const tml_rq_t *rq, const int32_t *acc, int32_t n, int8_t *out,
                            int32_t step, int32_t row, int32_t row_step) {
#if TML_ARCH_V6M
    if (row > 0) {
        tml_rq_rows(rq, acc, n / row, row, out, step, row_step);
        return;
    }
#endif
    (void)row, (void)row_step;
    tml_rq_row(rq, acc, n, out, step);
}

/* Every output of one channel, 3x3 stride 1 undilated, from its zero-point padded plane (row
 * r of the plane at plane + r * row_len, row_len = out_w + 2; the buffer holds 4 readable
 * bytes past the plane): output (r, x) at o + r * o_row + x * o_step. When o_row = out_w *
 * o_step (row-major), one requantization pass spans rows. */
static void dw_plane_3x3(const int8_t *plane, int32_t row_len, int32_t out_h, int32_t out_w,
                         const int8_t *w, int32_t folded, const tml_rq_t *rq, int8_t *o,
                         int32_t o_step, int32_t o_row) {
    int32_t acc[TML_DW_CHUNK + 1]; /* + 1: an odd count's pair */
    int32_t fill = 0, wk[11]; /* the weights in dw_sums_3x3's form, made once per plane */
    wk[9] = row_len, wk[10] = folded; /* and what Armv6-M's m0_dw3 reads after them */
#if TML_ARCH_DSP
    for (int32_t r = 0; r < 3; r++) { /* per row: lanes (w0, w2); then w1, w4 and w7 */
        wk[r] = tml_pack16(w[3 * r], w[3 * r + 2]);
    }
    wk[3] = tml_pack16(w[1], w[4]), wk[4] = w[7], wk[5] = folded;
#else
    for (int32_t t = 0; t < 9; t++) {
        wk[t] = w[t];
        wk[10] -= TML_DW_FLIP * w[t]; /* sum(w * x) = sum(w * (x + flip)) - flip * sum(w) */
    }
#endif
    const int spans = o_row == out_w * o_step;
    /* Armv6-M: rows that do not span (a transposed plane's) still share a chunk, whole, and
     * one output-stage call (tml_rq_rows) */
    const int whole_rows = TML_ARCH_V6M && !spans && out_w <= TML_DW_CHUNK;
    int8_t *o_acc = o; /* where acc[0]'s output goes */
    for (int32_t oy = 0; oy < out_h; oy++, plane += row_len) {
        for (int32_t x0 = 0, n; x0 < out_w; x0 += n) {
            n = out_w - x0 < TML_DW_CHUNK ? out_w - x0 : TML_DW_CHUNK;
            if (fill + n > TML_DW_CHUNK || (fill > 0 && x0 == 0 && !spans && !whole_rows)) {
                dw_flush(rq, acc, fill, o_acc, o_step, whole_rows ? out_w : 0, o_row);
                fill = 0;
            }
            if (fill == 0) {
                o_acc = o + oy * o_row + x0 * o_step;
            }
            dw_sums_3x3(plane + x0, row_len, n, wk, folded, acc + fill);
            fill += n;
        }
    }
    dw_flush(rq, acc, fill, o_acc, o_step, whole_rows ? out_w : 0, o_row);
}

/* Every output of one channel of a one-column map (the 1-D convolutions of audio models:
 * input, kernel and output one column wide), from its zero-point padded column (plane row r
 * at col[r]): sums in chunks on the stack, then one output-stage call per chunk. Not on
 * Armv6-M (flash first: dw_row there, as narrow maps are not transposed there). */
static void dw_column(const int8_t *col, int32_t out_h, int32_t stride, int32_t dilation,
                      int32_t k_h, const int8_t *w, int32_t folded, const tml_rq_t *rq,
                      int8_t *o, int32_t o_step) {
    int32_t acc[TML_DW_CHUNK];
    for (int32_t oy0 = 0, n; oy0 < out_h; oy0 += n) {
        n = out_h - oy0 < TML_DW_CHUNK ? out_h - oy0 : TML_DW_CHUNK;
        for (int32_t j = 0; j < n; j++) {
            const int8_t *x = col + (oy0 + j) * stride;
            int32_t a = folded;
            for (int32_t t = 0; t < k_h; t++) {
                a += x[t * dilation] * w[t];
            }
            acc[j] = a;
        }
        tml_rq_row(rq, acc, n, o + oy0 * o_step, o_step);
    }
}

/* Whether dw_plane_3x3 runs faster over the transposed plane (its rows the columns): fewer,
 * longer rows cost less when the map is narrow. A row costs about its setup plus a step per
 * pair of outputs (the Armv7E-M loop's counts; a choice of order, the results are the
 * same). */
static int dw_transpose(int32_t out_h, int32_t out_w) {
    const int32_t setup = 45, pair = 25;
    const int32_t rows_first = out_h * (setup + pair * ((out_w + 1) / 2));
    const int32_t cols_first = out_w * (setup + pair * ((out_h + 1) / 2));
    return cols_first < rows_first;
}

#if TML_ARCH_V6M
/* gather_planes of four channels on Armv6-M: n > 0 words from src, src_step apart (both
 * word-aligned), each XORed with flip4 and its byte j stored to dst[j * plane + i]: 5 cycles
 * a byte (the byte loop took 14). */
__attribute__((naked, noinline)) static void m0_gather4(TML_ARG int8_t *dst,
                                                        TML_ARG int32_t plane,
                                                        TML_ARG const int8_t *src,
                                                        TML_ARG int32_t src_step,
                                                        TML_ARG int32_t n,
                                                        TML_ARG uint32_t flip4) {
    __asm__ volatile(
        TML_SYNTAX_UNIFIED
        "push {r4-r7, lr}\n"
        "ldr r4, [sp, #20]\n"       /* n: the fifth argument */
        "ldr r5, [sp, #24]\n"       /* flip4 */
        "movs r7, r1\n"             /* plane */
        "lsls r6, r1, #1\n"
        "adds r6, r0, r6\n"         /* channel 2's plane */
        "mov r1, r2\n"              /* src */
        "mov r2, r3\n"              /* its step */
        "adds r3, r0, r4\n"         /* channel 0's end */
        "1:\n"
        "ldr r4, [r1]\n"
        "eors r4, r5\n"
        "strb r4, [r0]\n"
        "lsrs r4, r4, #8\n"
        "strb r4, [r0, r7]\n"
        "lsrs r4, r4, #8\n"
        "strb r4, [r6]\n"
        "lsrs r4, r4, #8\n"
        "strb r4, [r6, r7]\n"
        "adds r1, r1, r2\n"
        "adds r0, r0, #1\n"
        "adds r6, r6, #1\n"
        "cmp r0, r3\n"
        "bne 1b\n"
        "pop {r4-r7, pc}\n"
        TML_SYNTAX_RESTORE);
}
#endif

/* n bytes of g <= 4 consecutive channels, src_step apart, into g planes (plane bytes apart,
 * channel j's at dst + j * plane), each byte XORed with flip (TML_DW_FLIP or 0; always 0 where
 * g is 4 but on Armv6-M): four channels from one word load. Out of line: one copy for its
 * three callers. */
__attribute__((noinline)) static void gather_planes(int8_t *dst, int32_t plane,
                                                    const int8_t *src, int32_t src_step,
                                                    int32_t n, int32_t g, int32_t flip) {
#if TML_ARCH_V6M
    if (g == 4 && n > 0 && (((uintptr_t)src | (uintptr_t)src_step) & 3) == 0) {
        m0_gather4(dst, plane, src, src_step, n, (uint32_t)flip * 0x01010101u);
        return;
    }
#endif
    if (!TML_ARCH_V6M && g == 4) {
        for (int32_t i = 0; i < n; i++, src += src_step) {
            const uint32_t v = (uint32_t)tml_read4(src); /* little-endian: byte j, channel j */
            dst[i] = (int8_t)v, dst[plane + i] = (int8_t)(v >> 8);
            dst[2 * plane + i] = (int8_t)(v >> 16), dst[3 * plane + i] = (int8_t)(v >> 24);
        }
        return;
    }
    for (int32_t j = 0; j < g; j++) { /* a pointer that steps: no 64-bit index per byte */
        const int8_t *x = src + j;
        for (int8_t *d = dst + j * plane, *end = d + n; d < end; d++, x += src_step) {
            *d = (int8_t)(*x ^ flip);
        }
    }
}

/* Depth multiplier 1: output channel c reads only input channel c, so channel c's input is
 * copied out, then its outputs are written over it in place. When the zero-point padded plane
 * ((H + pads) x (W + pads)) fits TML_DW_ROW_BYTES, the copy goes there and every output row
 * reads its rows from it with no bounds checks (dw_row); otherwise it goes to scratch (H * W
 * bytes) and each output row gathers its padded input rows into the stack buffer (rows wider
 * than the buffer, or kernels of more than 25 taps, take the checked loop). */
int tml_depthwise_conv2d_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                                    const tml_dims_t *in_dims, int8_t *buf,
                                    const tml_dims_t *f_dims, const int8_t *filter,
                                    const int32_t *bias, const tml_dims_t *out_dims,
                                    int8_t *scratch) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w, taps = k_h * k_w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    const int32_t zp = -p->input_offset;
    /* Columns an output row reads, from input column -pad_w; rows the outputs read, from
     * input row -pad_h. */
    const int32_t row_len = (out_w - 1) * p->stride_w + (k_w - 1) * p->dilation_w + 1;
    const int32_t plane_h = (out_h - 1) * p->stride_h + (k_h - 1) * p->dilation_h + 1;
    const int fits = taps <= 25 && (int64_t)k_h * row_len <= TML_DW_ROW_BYTES;
    const int padded = fits && (int64_t)plane_h * row_len <= TML_DW_ROW_BYTES;
    /* Armv6-M has no row-by-row path (flash before speed there): the checked loop instead. */
    const int rowwise = TML_ARCH_V6M ? padded : fits;
    int32_t rows_w[(TML_DW_ROW_BYTES + 4) / 4]; /* 4: dw_plane_3x3's slack */
    int8_t *rows = (int8_t *)rows_w;
    int8_t w[25];
    const int plane33 = padded && k_h == 3 && k_w == 3 && p->stride_h == 1 &&
                        p->stride_w == 1 && p->dilation_h == 1 && p->dilation_w == 1;
    /* A narrow map's plane is stored transposed (plane33 only): row x holds column x. */
    const int transposed = plane33 && dw_transpose(out_h, out_w);
    const int32_t flip = plane33 ? TML_DW_FLIP : 0; /* m0_dw3's unsigned plane */
#if TML_ARCH_DSP
    /* Four channels at a time where the plane path is slower (measured on qemu-m4: strided
     * layers, whose rows dw_row computes one output at a time, and maps of at most 64 outputs,
     * where a plane's setup outweighs its two-outputs-a-step loop) or cannot hold the plane. */
    if ((!plane33 || out_h * out_w <= 64) &&
        tml_dw_bands_s8(p, q, in_dims, buf, f_dims, filter, bias, out_dims, buf, rows_w)) {
        return 0;
    }
#endif
    if (rowwise && !padded) {
        memset(rows + k_h * row_len, 0, 4); /* dw_row's word reads end up to 1 byte past */
    }
    /* Padded planes go group channels at a time: each input word then fills a byte of four
     * planes, plane bytes apart (each plane with dw_plane_3x3's slack after it). */
    const int32_t plane = (plane_h * row_len + 4 + 3) & ~3;
    const int32_t group = padded && 4 * plane <= (int32_t)sizeof(rows_w) ? 4 : 1;
    for (int32_t b = 0; b < in_dims->n; b++) {
        int8_t *in_b = buf + (int64_t)b * in_h * in_w * ch;
        int8_t *out_b = buf + (int64_t)b * out_h * out_w * ch;
        if (b > 0 && out_h * out_w > in_h * in_w) {
            return -1; /* batches would overlap: the loader allows batch 1 only then */
        }
        if (padded) { /* the padding, the same for every channel (the gathers below skip it) */
            memset(rows, zp ^ flip, (size_t)(group * plane));
        }
        for (int32_t c0 = 0; c0 < ch; c0 += group) {
            const int32_t g = ch - c0 < group ? ch - c0 : group;
            if (transposed) { /* input (y, x) at plane row x + pad_w, column y + pad_h */
                const int32_t n = in_w < row_len - p->pad_w ? in_w : row_len - p->pad_w;
                const int32_t m = in_h < plane_h - p->pad_h ? in_h : plane_h - p->pad_h;
                for (int32_t x = 0; x < n; x++) {
                    gather_planes(rows + (x + p->pad_w) * plane_h + p->pad_h, plane,
                                  in_b + (int64_t)x * ch + c0, in_w * ch, m, g, flip);
                }
            } else if (padded && in_w == 1 && row_len == 1 && p->pad_w == 0) { /* one column */
                const int32_t m = in_h < plane_h - p->pad_h ? in_h : plane_h - p->pad_h;
                gather_planes(rows + p->pad_h, plane, in_b + c0, ch, m, g, 0);
            } else if (padded) {
                /* input (y, x) at plane row y + pad_h, column x + pad_w */
                const int32_t n = in_w < row_len - p->pad_w ? in_w : row_len - p->pad_w;
                const int32_t m = in_h < plane_h - p->pad_h ? in_h : plane_h - p->pad_h;
                for (int32_t y = 0; y < m; y++) {
                    gather_planes(rows + (y + p->pad_h) * row_len + p->pad_w, plane,
                                  in_b + (int64_t)y * in_w * ch + c0, ch, n, g, flip);
                }
            } else {
                for (int32_t i = 0; i < in_h * in_w; i++) {
                    scratch[i] = in_b[(int64_t)i * ch + c0];
                }
            }
            for (int32_t c = c0; c < c0 + g; c++) {
                int8_t *rows_c = rows + (c - c0) * plane; /* channel c's plane (padded) */
                int32_t wsum = 0;
                for (int32_t t = 0; t < taps && rowwise; t++) {
                    w[t] = filter[t * ch + c];
                    wsum += w[t];
                }
                const int32_t bc = bias ? bias[c] : 0, folded = bc + p->input_offset * wsum;
                const int32_t mult = q->mult[c], shift = q->shift[c];
                if (!TML_ARCH_V6M && padded && row_len == 1) { /* one column: k_w = out_w = 1 */
                    tml_rq_t rq;
                    tml_rq_init(&rq, mult, shift, q->rounding, p->output_offset, p->act_min,
                                p->act_max);
                    dw_column(rows_c, out_h, p->stride_h, p->dilation_h, k_h, w, folded, &rq,
                              out_b + c, ch);
                    continue;
                }
                if (plane33) {
                    tml_rq_t rq;
                    tml_rq_init(&rq, mult, shift, q->rounding, p->output_offset, p->act_min,
                                p->act_max);
                    if (transposed) { /* the transposed kernel over the transposed plane */
                        const int8_t wt[9] = {w[0], w[3], w[6], w[1], w[4],
                                              w[7], w[2], w[5], w[8]};
                        dw_plane_3x3(rows_c, plane_h, out_w, out_h, wt, folded, &rq,
                                     out_b + c, out_w * ch, ch);
                    } else {
                        dw_plane_3x3(rows_c, row_len, out_h, out_w, w, folded, &rq,
                                     out_b + c, ch, out_w * ch);
                    }
                    continue;
                }
                for (int32_t oy = 0; oy < out_h; oy++) {
                    const int32_t iy0 = oy * p->stride_h - p->pad_h;
                    int8_t *o = out_b + (int64_t)oy * out_w * ch + c;
                    if (padded) {
                        dw_row(p, rows_c + oy * p->stride_h * row_len,
                               row_len * p->dilation_h, w, k_h, k_w, folded, mult, shift,
                               q->rounding, out_w, o, ch);
                        continue;
                    }
                    if (rowwise) {
                        for (int32_t ky = 0; ky < k_h; ky++) {
                            const int32_t iy = iy0 + ky * p->dilation_h;
                            int8_t *r = rows_c + ky * row_len;
                            if (iy < 0 || iy >= in_h) {
                                memset(r, zp, (size_t)row_len);
                                continue;
                            }
                            /* columns -pad_w .. row_len - pad_w - 1 of input row iy */
                            const int32_t lo = p->pad_w < row_len ? p->pad_w : row_len;
                            int32_t mid = in_w < row_len - lo ? in_w : row_len - lo;
                            memset(r, zp, (size_t)lo);
                            memcpy(r + lo, scratch + iy * in_w, (size_t)mid);
                            memset(r + lo + mid, zp, (size_t)(row_len - lo - mid));
                        }
                        dw_row(p, rows_c, row_len, w, k_h, k_w, folded, mult, shift,
                               q->rounding, out_w, o, ch);
                        continue;
                    }
                    for (int32_t ox = 0; ox < out_w; ox++, o += ch) {
                        const int32_t ix0 = ox * p->stride_w - p->pad_w;
                        const int32_t acc = bc + plane_checked(p, scratch, in_h, in_w,
                                                               filter + c, k_h, k_w, ch, iy0,
                                                               ix0);
                        *o = (int8_t)tml_clamp(
                            tml_wrap_add(tml_requantize_fast(acc, mult, shift, q->rounding),
                                         p->output_offset),
                            p->act_min, p->act_max);
                    }
                }
            }
        }
    }
    return 0;
}
#endif
#endif
