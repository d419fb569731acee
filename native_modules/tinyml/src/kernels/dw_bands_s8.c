#include "tml_config.h"
#if TML_HAS_DEPTHWISE_CONV_2D
#include "arch.h"
#if TML_ARCH_DSP
#include <string.h>
#include "dw_bands_s8.h"
#include "fixedpoint.h"

/* Parameters of the assembly function below, which reads them from its registers. */
#define TML_ARG __attribute__((unused))

/* Output pixels per output-stage pass of dw_bands (their sums on the stack, a row of them
 * per channel of the group). */
#define TML_DW4_CHUNK 32

/* The geometry of dw_bands: input pixels per buffer row (the padded span an output row reads,
 * one word of four channels each), input rows an output row reads, and output rows per band
 * of buffer rows. */
typedef struct {
    int32_t row_px, span_h, band;
} dw_bands_t;

/* What band_rows needs of a layer: buffer columns x_lo .. x_hi - 1 hold input columns
 * x - pad_w (the rest, and rows outside the input, the zero-point word zpw). */
typedef struct {
    int32_t row_px, x_lo, x_hi, zpw, in_h, row_bytes, ch;
} band_rows_t;

/* n buffer rows from input row iy on (d: the first, col: input row 0's column x_lo - pad_w
 * at the group's channels): the rows above the input, those inside (one word load per
 * column inside, a one-column row in a three-instruction step), those below. Out of line:
 * few registers live, none spilled. */
TML_COLD __attribute__((noinline)) static void band_rows(const band_rows_t *g, int32_t *d,
                                                         const int8_t *col, int32_t iy,
                                                         int32_t n) {
    const int32_t row_px = g->row_px, x_lo = g->x_lo, x_hi = g->x_hi, zpw = g->zpw;
    const int32_t above = iy >= 0 ? 0 : -iy < n ? -iy : n;
    const int32_t left = g->in_h - (iy + above); /* input rows from the first inside one */
    const int32_t inside = left <= 0 ? 0 : left < n - above ? left : n - above;
    int32_t *end = d + above * row_px;
    for (; d < end; d++) {
        *d = zpw;
    }
    const int8_t *src = col + (int64_t)(iy + above) * g->row_bytes;
    if (row_px == 1 && x_lo == 0 && x_hi == 1) { /* a one-column map: a word a row */
        for (end = d + inside; d < end; d++, src += g->row_bytes) {
            *d = tml_read4(src);
        }
    } else {
        for (int32_t r = 0; r < inside; r++, d += row_px, src += g->row_bytes) {
            int32_t x = 0;
            const int8_t *s = src;
            for (; x < x_lo; x++) {
                d[x] = zpw;
            }
            for (; x < x_hi; x++, s += g->ch) {
                d[x] = tml_read4(s);
            }
            for (; x < row_px; x++) {
                d[x] = zpw;
            }
        }
    }
    for (end = d + (n - above - inside) * row_px; d < end; d++) {
        *d = zpw;
    }
}

/* Whether dw_bands runs this layer (Armv7E-M): depth multiplier 1, channels in fours, 3x3
 * undilated (dsp_dw4) or a one-column map (the 1-D convolutions of audio models, dsp_dw4c:
 * any kernel height up to 25, stride and dilation), buffer rows for at least one output row;
 * in place (batch 1), the rows that a band gathers must still be unwritten when the band
 * before it has stored its outputs. */
static int dw_bands_plan(const tml_conv_params_t *p, const tml_dims_t *in,
                         const tml_dims_t *f, const tml_dims_t *out, int in_place,
                         dw_bands_t *g) {
    const int32_t sh = p->stride_h;
    const int c3x3 = f->h == 3 && f->w == 3 && p->dilation_h == 1 && p->dilation_w == 1;
    const int column = f->w == 1 && in->w == 1 && out->w == 1 && f->h <= 25;
    g->span_h = (f->h - 1) * p->dilation_h + 1;
    g->row_px = (out->w - 1) * p->stride_w + (f->w - 1) * p->dilation_w + 1;
    const int32_t rows = TML_DW_ROW_BYTES / 4 / g->row_px;
    if (!(c3x3 || column) || p->depth_multiplier != 1 || in->c % 4 != 0 || rows < g->span_h ||
        (in_place && in->n != 1)) {
        return 0;
    }
    g->band = (rows - g->span_h) / sh + 1;
    for (int32_t oy = g->band; in_place && oy < out->h; oy += g->band) {
        /* the outputs of rows < oy are stored; band oy.. gathers the input rows from the end
         * of the previous band's (the rows it shares with that band are kept) */
        const int64_t prev_end = (int64_t)(oy - 1) * sh - p->pad_h + g->span_h;
        const int64_t first = (int64_t)oy * sh - p->pad_h;
        const int64_t from = prev_end > first ? prev_end : first;
        if (from < in->h && from * in->w < (int64_t)oy * out->w) {
            return 0;
        }
    }
    return 1;
}

/* One tap of dsp_dw4 at byte offset `off` of the row pointer r3: the word of four channels
 * (c .. c + 3) split into lanes (c, c + 2) and (c + 1, c + 3), the tap's weights as the same
 * lanes, SMLABB / SMLATT lane by lane into the sums r4..r7 (channels c .. c + 3). */
#define TML_DW4_TAP(off)                                                                     \
    "ldr r8, [r3, #" off "]\n"                                                               \
    "ldrd r10, r11, [r2], #8\n"                                                              \
    "sxtb16 r9, r8\n"                                                                        \
    "sxtb16 r8, r8, ror #8\n"                                                                \
    "smlabb r4, r9, r10, r4\n"                                                               \
    "smlatt r6, r9, r10, r6\n"                                                               \
    "smlabb r5, r8, r11, r5\n"                                                               \
    "smlatt r7, r8, r11, r7\n"

/* The four sums r4..r7 (channels c .. c + 3) of one output to acc (r12) and its three rows
 * below (TML_DW4_CHUNK words apart); r12 steps to the next output. */
#define TML_DW4_STORE                                                                        \
    "str r4, [r12]\n"                                                                        \
    "str r5, [r12, #128]\n" /* 4 * TML_DW4_CHUNK */                                          \
    "str r6, [r12, #256]\n"                                                                  \
    "str r7, [r12, #384]\n"                                                                  \
    "add r12, r12, #4\n"

/* The sums of n > 0 outputs of one output row, four channels each, 3x3 undilated: x the
 * window of the first (words of the gathered rows, row_bytes apart), wk the taps' weights in
 * lanes (18 words), a = {folded[4], the step of x from output to output in bytes, acc, n};
 * channel j's sum of output i to acc[j * TML_DW4_CHUNK + i]. 84 instructions an output. */
__attribute__((naked, noinline)) static void dsp_dw4(TML_ARG const int32_t *x,
                                                     TML_ARG int32_t row_bytes,
                                                     TML_ARG const int32_t *wk,
                                                     TML_ARG const int32_t *a) {
    __asm__ volatile(
        "push {r4-r11, lr}\n"
        "sub sp, sp, #20\n"
        "ldm r3, {r4-r8}\n"         /* folded, the step of x */
        "stm sp, {r4-r8}\n"
        "ldr r12, [r3, #20]\n"      /* acc */
        "ldr lr, [r3, #24]\n"       /* n */
        "mla lr, lr, r8, r0\n"      /* x's end */
        "1:\n"
        "ldrd r4, r5, [sp]\n"
        "ldrd r6, r7, [sp, #8]\n"
        "mov r3, r0\n"
        TML_DW4_TAP("0") TML_DW4_TAP("4") TML_DW4_TAP("8")
        "add r3, r3, r1\n"
        TML_DW4_TAP("0") TML_DW4_TAP("4") TML_DW4_TAP("8")
        "add r3, r3, r1\n"
        TML_DW4_TAP("0") TML_DW4_TAP("4") TML_DW4_TAP("8")
        "sub r2, r2, #72\n"
        TML_DW4_STORE
        "ldr r8, [sp, #16]\n"
        "add r0, r0, r8\n"
        "cmp r0, lr\n"
        "bne 1b\n"
        "add sp, sp, #20\n"
        "pop {r4-r11, pc}\n");
}

/* dsp_dw4 for a one-column map: n > 0 outputs, x the first one's first tap, `taps` taps
 * tap_bytes apart, a = {folded[4], the step of x from output to output in bytes, acc, n,
 * taps}: 11 instructions a tap, four channels each. */
__attribute__((naked, noinline)) static void dsp_dw4c(TML_ARG const int32_t *x,
                                                      TML_ARG int32_t tap_bytes,
                                                      TML_ARG const int32_t *wk,
                                                      TML_ARG const int32_t *a) {
    __asm__ volatile(
        "push {r4-r11, lr}\n"
        "sub sp, sp, #32\n"
        "ldm r3, {r4-r8}\n"         /* folded, the step of x */
        "stm sp, {r4-r8}\n"
        "ldr r12, [r3, #20]\n"      /* acc */
        "ldr lr, [r3, #24]\n"       /* n */
        "ldr r9, [r3, #28]\n"       /* taps */
        "str r9, [sp, #24]\n"
        "mla lr, lr, r8, r0\n"
        "str lr, [sp, #20]\n"       /* x's end */
        "1:\n"
        "ldrd r4, r5, [sp]\n"
        "ldrd r6, r7, [sp, #8]\n"
        "mov r3, r0\n"
        "ldr lr, [sp, #24]\n"      /* taps left */
        "2:\n"
        TML_DW4_TAP("0")
        "add r3, r3, r1\n"
        "subs lr, lr, #1\n"
        "bne 2b\n"
        "ldr r9, [sp, #24]\n"
        "sub r2, r2, r9, lsl #3\n"
        TML_DW4_STORE
        "ldr r8, [sp, #16]\n"
        "add r0, r0, r8\n"
        "ldr lr, [sp, #20]\n"
        "cmp r0, lr\n"
        "bne 1b\n"
        "add sp, sp, #32\n"
        "pop {r4-r11, pc}\n");
}

/* DEPTHWISE_CONV_2D four channels at a time (dsp_dw4 for 3x3, dsp_dw4c for one-column maps):
 * each group's input rows are gathered into buf (TML_DW_ROW_BYTES, word aligned) as words of
 * its four channels, zero-point padded, a band of rows at a time (the rows shared with the
 * next band kept), so the taps carry no bounds checks; sums start from bias + input_offset *
 * sum(w) as in dw_row; then tml_rq_row per channel. `in` and `out` may be the same buffer
 * (dw_bands_plan). A one-column band's outputs are one line of `rows` outputs. */
TML_COLD static void dw_bands(const tml_conv_params_t *p, const tml_requant_t *q,
                              const dw_bands_t *g, const tml_dims_t *in_dims, const int8_t *in,
                              const tml_dims_t *f_dims, const int8_t *filter,
                              const int32_t *bias, const tml_dims_t *out_dims, int8_t *out,
                              int32_t *buf) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, row_px = g->row_px;
    const int32_t sh = p->stride_h, taps = f_dims->h * f_dims->w;
    const int column = f_dims->w == 1; /* else 3x3 (dw_bands_plan) */
    const int32_t x_step = column ? sh : p->stride_w; /* words from output to output */
    band_rows_t rg;
    rg.row_px = row_px, rg.in_h = in_h, rg.row_bytes = in_w * ch, rg.ch = ch;
    rg.zpw = (int32_t)((uint32_t)(uint8_t)(-p->input_offset) * 0x01010101u);
    rg.x_lo = p->pad_w < row_px ? p->pad_w : row_px;
    rg.x_hi = in_w + p->pad_w < row_px ? in_w + p->pad_w : row_px;
    int32_t wk[50], acc[4 * TML_DW4_CHUNK], a[8];
    a[4] = 4 * x_step, a[7] = taps;
    for (int32_t b = 0; b < in_dims->n; b++) {
        const int8_t *in_b = in + (int64_t)b * in_h * in_w * ch;
        int8_t *out_b = out + (int64_t)b * out_h * out_w * ch;
        for (int32_t c = 0; c < ch; c += 4) {
            const int8_t *col = in_b + c + (int64_t)(rg.x_lo - p->pad_w) * ch;
            tml_rq_t rq[4];
            int32_t sum[4] = {0, 0, 0, 0};
            for (int32_t t = 0; t < taps; t++) { /* lanes (c, c + 2) and (c + 1, c + 3) */
                const int8_t *w = filter + t * ch + c;
                sum[0] += w[0], sum[1] += w[1], sum[2] += w[2], sum[3] += w[3];
                wk[2 * t] = tml_pack16(w[0], w[2]), wk[2 * t + 1] = tml_pack16(w[1], w[3]);
            }
            for (int32_t j = 0; j < 4; j++) {
                a[j] = (bias ? bias[c + j] : 0) + p->input_offset * sum[j];
                tml_rq_init(&rq[j], q->mult[c + j], q->shift[c + j], q->rounding,
                            p->output_offset, p->act_min, p->act_max);
            }
            int32_t have = -(1 << 30), held = 0; /* the input row of buf's first row; rows */
            for (int32_t oy0 = 0; oy0 < out_h; oy0 += g->band) {
                const int32_t iy0 = oy0 * sh - p->pad_h;
                const int32_t rows = out_h - oy0 < g->band ? out_h - oy0 : g->band;
                const int32_t need = (rows - 1) * sh + g->span_h;
                int32_t keep = have + held - iy0; /* rows of the last band this one reads */
                keep = keep < 0 ? 0 : keep > need ? need : keep;
                if (keep > 0) {
                    memmove(buf, buf + (iy0 - have) * row_px, (size_t)(keep * row_px * 4));
                }
                if (need > keep) {
                    band_rows(&rg, buf + keep * row_px, col, iy0 + keep, need - keep);
                }
                have = iy0, held = need;
                /* the band's outputs in NHWC order, in chunks that may span rows */
                int8_t *o = out_b + (int64_t)oy0 * out_w * ch + c;
                const int32_t lines = column ? 1 : rows, line = column ? rows : out_w;
                int32_t fill = 0;
                for (int32_t oy = 0; oy < lines; oy++) {
                    for (int32_t x0 = 0, n; x0 < line; x0 += n) {
                        n = line - x0 < TML_DW4_CHUNK - fill ? line - x0 : TML_DW4_CHUNK - fill;
                        const int32_t *x = buf + oy * sh * row_px + x0 * x_step;
                        a[5] = (int32_t)(intptr_t)(acc + fill), a[6] = n;
                        if (column) {
                            dsp_dw4c(x, 4 * p->dilation_h, wk, a);
                        } else {
                            dsp_dw4(x, row_px * 4, wk, a);
                        }
                        fill += n;
                        if (fill == TML_DW4_CHUNK || (oy + 1 == lines && x0 + n == line)) {
                            for (int32_t j = 0; j < 4; j++) {
                                tml_rq_row(&rq[j], acc + j * TML_DW4_CHUNK, fill, o + j, ch);
                            }
                            o += (int64_t)fill * ch, fill = 0;
                        }
                    }
                }
            }
        }
    }
}

int tml_dw_bands_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                    const tml_dims_t *in_dims, const int8_t *in, const tml_dims_t *f_dims,
                    const int8_t *filter, const int32_t *bias, const tml_dims_t *out_dims,
                    int8_t *out, int32_t *buf) {
    dw_bands_t g;
    if (!dw_bands_plan(p, in_dims, f_dims, out_dims, in == out, &g)) {
        return 0;
    }
    dw_bands(p, q, &g, in_dims, in, f_dims, filter, bias, out_dims, out, buf);
    return 1;
}
#endif
#endif
