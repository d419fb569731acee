#include "tml_config.h"
#if (TML_HAS_FULLY_CONNECTED || TML_HAS_CONV_2D) && TML_HAS_DUAL16
#include "arch.h"
#include "dot_s8.h"
#include "tinyml.h"

/* The multiply-accumulate engine over weights stored DUAL16 (tml_schema.def): int8 values as
 * int16, each group of four w0 w1 w2 w3 stored w0 w2 w1 w3. On Armv7E-M a word of them is
 * the pair of lanes SMLAD takes against a widened input word (x0, x2) or (x1, x3), so the
 * two sign extensions each word of int8 weights costs there are done once, by the converter:
 * 16 multiply-accumulates in 13 instructions instead of 21 (dsp_1xn). Each input is widened
 * whole (rows of at most 640 elements, the loader's rule), and the second input of a batch of
 * two is a second pass. The other cores read the same rows in a plain loop. */

#if TML_ARCH_DSP
/* dsp16_1xn: one widened input (q: k4 > 0 groups [a02, a13]) against 2 * pairs consecutive
 * DUAL16 rows of 4 * k4 weights (row 2i at w + 8ik bytes), the sums of row r to s[r]. Eight
 * elements of a row pair per loop step, each row's four weight words by one LDM straight into
 * SMLAD; an odd k4 takes one group first. After a pair's loop wa has reached wb's start, so
 * wa = wb, wb += one row (as many bytes as q holds). */
#define TML_DSP16_HALF(acc)                                                                  \
    "smlad " acc ", r6, r10, " acc "\n"                                                      \
    "smlad " acc ", r7, r11, " acc "\n"                                                      \
    "smlad " acc ", r8, r12, " acc "\n"                                                      \
    "smlad " acc ", r9, lr, " acc "\n"

__attribute__((naked, noinline)) static void dsp16_1xn(TML_ARG const int32_t *q,
                                                       TML_ARG int32_t k4,
                                                       TML_ARG const int16_t *w,
                                                       TML_ARG int32_t pairs,
                                                       TML_ARG int32_t *s) {
    __asm__ volatile(
        TML_DSP_FRAME
        "add r1, r0, r1, lsl #3\n"  /* q's end */
        "sub r9, r1, r0\n"          /* 8 * k4: the bytes of q and of one row */
        "add r3, r2, r9\n"          /* wb = wa + one row */
        "3:\n"
        "movs r4, #0\n"
        "movs r5, #0\n"
        "ldr r8, [sp, #12]\n"
        "cmp r8, #0\n"
        "beq 1f\n"
        "ldrd r6, r7, [r0], #8\n"   /* an odd k4's first group */
        "ldrd r10, r11, [r2], #8\n"
        "smlad r4, r6, r10, r4\n"
        "smlad r4, r7, r11, r4\n"
        "ldrd r10, r11, [r3], #8\n"
        "smlad r5, r6, r10, r5\n"
        "smlad r5, r7, r11, r5\n"
        "cmp r0, r1\n"
        "beq 2f\n"
        "1:\n"
        "ldm r0!, {r6, r7, r8, r9}\n"
        "ldm r2!, {r10, r11, r12, lr}\n"
        TML_DSP16_HALF("r4")
        "ldm r3!, {r10, r11, r12, lr}\n"
        TML_DSP16_HALF("r5")
        "cmp r0, r1\n"
        "bne 1b\n"
        "2:\n"
        TML_DSP_NEXT_ROWS("strd r4, r5, [r8], #8\n", "r9"));
}

/* Rows of at most TML_SCHEMA's DUAL16_MAX_ROW elements (the loader's rule): an input widened
 * whole fits q. */
typedef char tml_dual16_row_fits[TML_DUAL16_MAX_ROW <= TML_DOT_WIDE_MAX ? 1 : -1];

/* One input x of k elements against n rows: widened once (the last group's missing elements
 * 0), chunks of row pairs through dsp16_1xn, an odd last row in C; the output stage of each
 * chunk by tml_dot_rows1. */
static void dot16_one(const tml_dot_params_t *p, int32_t k, const int8_t *x, const int16_t *w,
                      int32_t n, int8_t *out) {
    int32_t q[TML_DOT_WIDE_MAX / 2 + 2], sums[2 * TML_DOT_PAIRS];
    const int32_t k4 = (k + 3) >> 2, full = k >> 2, off = p->input_offset;
    const int32_t off2 = tml_lanes2(off);
    for (int32_t g = 0; g < full; g++) {
        const int32_t v = tml_read4(x + 4 * g);
        q[2 * g] = tml_sxtab16(off2, v), q[2 * g + 1] = tml_sxtab16_ror8(off2, v);
    }
    if (k4 > full) {
        int32_t e[4] = {0, 0, 0, 0};
        for (int32_t j = 0; j < (k & 3); j++) {
            e[j] = x[4 * full + j] + off;
        }
        q[2 * full] = tml_pack16(e[0], e[2]), q[2 * full + 1] = tml_pack16(e[1], e[3]);
    }
    int32_t o = 0;
    for (int32_t pairs; o + 2 <= n; o += 2 * pairs) {
        pairs = (n - o) / 2 < TML_DOT_PAIRS ? (n - o) / 2 : TML_DOT_PAIRS;
        dsp16_1xn(q, k4, w + (int64_t)o * 4 * k4, pairs, sums);
        tml_dot_rows1(p, o, 2 * pairs, sums, out);
    }
    if (o < n) { /* the odd last row: its weight words against q's */
        const int32_t *wo = (const int32_t *)(const void *)(w + (int64_t)o * 4 * k4);
        sums[0] = 0;
        for (int32_t i = 0; i < 2 * k4; i++) {
            sums[0] = tml_smlad(wo[i], q[i], sums[0]);
        }
        tml_dot_rows1(p, o, 1, sums, out);
    }
}
#else
/* The sum of row w (groups of four, the last one padded with zero weights) against x. */
static int32_t row16(int32_t k, int32_t off, const int8_t *x, const int16_t *w) {
    int32_t s = 0, i = 0;
    for (; i + 4 <= k; i += 4, w += 4) {
        s += (x[i] + off) * w[0] + (x[i + 1] + off) * w[2] + (x[i + 2] + off) * w[1] +
             (x[i + 3] + off) * w[3];
    }
    for (int32_t j = 0; i < k; i++, j++) { /* positions 0, 2, 1 of the last group */
        s += (x[i] + off) * w[(j & 1) << 1 | j >> 1];
    }
    return s;
}
#endif

void tml_dot16_s8(const tml_dot_params_t *p, int32_t k, const int8_t *x0, const int8_t *x1,
                  const int16_t *w, int32_t n, int8_t *out0, int8_t *out1) {
#if TML_ARCH_DSP
    dot16_one(p, k, x0, w, n, out0);
    if (x1) {
        dot16_one(p, k, x1, w, n, out1);
    }
#else
    const int32_t row = 4 * ((k + 3) >> 2), off = p->input_offset;
    for (int32_t o = 0; o < n; o++) {
        const int16_t *wo = w + (int64_t)o * row;
        out0[o] = tml_dot_stage(p, o, row16(k, off, x0, wo));
        if (x1) {
            out1[o] = tml_dot_stage(p, o, row16(k, off, x1, wo));
        }
    }
#endif
}
#endif
