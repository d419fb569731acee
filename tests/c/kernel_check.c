/* Differential test of the fast kernels against the reference kernels (src/kernels/ref/):
 * seeded random shapes, strides, padding, dilation, depth multipliers, quantization parameters
 * and data, including the shapes each fast path special-cases (1x1, 3x3 interiors, channel
 * counts around multiples of 4, patches past the im2col buffer, in-place variants), and the
 * requantization fast path against tml_requantize over the edges of every shift. No libc
 * beyond memset/memcpy and no heap: the same file runs on the host (kernel_check_main.c) and
 * inside every emulated core as a native module (kernel_check_mod.c, built by
 * tests/c/natmod/Makefile); a seed gives the same cases everywhere. */
#include <stdint.h>
#include <string.h>
#include "dot_s8.h"
#include "fixedpoint.h"
#include "ref/ref.h"
#include "tinyml.h"
#include "tml_config.h"
#include "tml_kernels.h"
#include "kernel_check.h"

/* Six buffers of MAXB bytes and the per-channel arrays: about 50 KB of BSS, which the native
 * module takes from the heap when it is imported (the Pico's is about 200 KB). Shapes are
 * drawn to fit (channel counts capped by what the buffers hold); the rare case that still does
 * not fit is skipped, and g_checked counts the others. */
#define MAXB (8 * 1024)
#define MAXC 128 /* output channels */

int32_t g_checked; /* cases whose shapes fitted the buffers and ran */

typedef struct {
    uint32_t s;
} rng_t;

static uint32_t next(rng_t *r) { /* xorshift32 */
    uint32_t x = r->s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return r->s = x;
}
static int32_t range(rng_t *r, int32_t lo, int32_t hi) { /* inclusive */
    return lo + (int32_t)(next(r) % (uint32_t)(hi - lo + 1));
}

/* Not static: a native module's BSS must be reachable through its symbol table (mpy_ld). */
struct kc_buffers {
    int8_t in[MAXB], filter[MAXB], out_ref[MAXB], out_fast[MAXB], buf[MAXB], scratch[MAXB];
    int32_t bias[MAXC], mult[MAXC], shift[MAXC];
    int16_t filter16[MAXB + 64]; /* the weights stored DUAL16 (rows padded to groups of 4) */
} g_kc;

/* Sensitive cases: data within a few steps of `centre` and a unit scale, so that an
 * accumulator off by one changes an output byte (with realistic scales most would not). */
int32_t g_sensitive;

static void fill(rng_t *r, int8_t *p, int32_t n, int32_t centre) {
    const int32_t mode = range(r, 0, 9);
    for (int32_t i = 0; i < n; i++) {
        p[i] = (int8_t)(g_sensitive ? tml_clamp(centre + range(r, -3, 3), -128, 127)
                        : mode == 0 ? -128 : mode == 1 ? 127 : range(r, -128, 127));
    }
}

/* TFLite's int8 weights are symmetric, in [-127, 127] (Armv6-M's two-input kernel needs it):
 * -128 made -127 in half of the convolution cases. */
static void symmetric(rng_t *r, int8_t *p, int32_t n) {
    const int32_t on = range(r, 0, 1);
    for (int32_t i = 0; on && i < n; i++) {
        p[i] = p[i] == -128 ? -127 : p[i];
    }
}

static void quant(rng_t *r, int32_t n, int32_t terms, int32_t *rounding, int with_bias) {
    *rounding = range(r, 0, 3) == 0 ? range(r, 0, 2) : TML_ROUND_DOUBLE;
    const int32_t base_shift = range(r, -14, 1);
    const int32_t limit = tml_between_limit(terms);
    for (int32_t i = 0; i < n; i++) {
        const int32_t kind = range(r, 0, 19);
        g_kc.mult[i] = kind == 0 ? 0 : kind == 1 ? 0x7fffffff : kind == 2 ? 0x40000000
                  : (int32_t)(0x40000000u + (next(r) & 0x3fffffffu));
        /* kind 6: the deep right shifts of a per-channel model's near-dead channels, where
         * Armv7-M's four-input output stage cannot fold the output offset (fold_blocks) */
        g_kc.shift[i] = kind == 3   ? range(r, -31, 30)
                        : kind == 6 ? range(r, -31, -23)
                                    : base_shift + range(r, -2, 2);
        if (g_sensitive) {
            g_kc.mult[i] = 0x40000000;
            g_kc.shift[i] = range(r, -1, 1);
        }
        const int32_t b = g_sensitive ? range(r, -50, 50) : kind == 4 ? limit
                        : kind == 5 ? -limit : (int32_t)(next(r) % 2000001u) - 1000000;
        g_kc.bias[i] = with_bias ? b : 0;
    }
}

static int compare(const char *what, int32_t n, char *msg, uint32_t seed, int32_t case_no) {
    for (int32_t i = 0; i < n; i++) {
        if (g_kc.out_ref[i] != g_kc.out_fast[i]) {
            tml_check_message(msg, what, seed, case_no, i, g_kc.out_ref[i], g_kc.out_fast[i]);
            return 1;
        }
    }
    return 0;
}

static void conv_params(rng_t *r, tml_conv_params_t *p) {
    p->input_offset = range(r, -127, 128);
    p->output_offset = range(r, -128, 127);
    p->act_min = range(r, 0, 3) ? -128 : range(r, -128, 0);
    p->act_max = range(r, 0, 3) ? 127 : range(r, p->act_min, 127);
    p->filter_dual16 = 0;
}

/* An int in [lo, hi], at most cap (lo when cap < lo: such a case is skipped). */
static int32_t range_capped(rng_t *r, int32_t lo, int32_t hi, int32_t cap) {
    return range(r, lo, hi < cap ? hi : cap > lo ? cap : lo);
}

static int32_t min3(int32_t a, int32_t b, int32_t c) {
    const int32_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* The per-channel requantization arrays (not a static initializer: a native module has no
 * .data for the addresses). */
static tml_requant_t requant_arrays(void) {
    tml_requant_t q;
    q.mult = g_kc.mult;
    q.shift = g_kc.shift;
    q.rounding = 0;
    return q;
}

/* CONV_2D (and in place when the shapes allow it). Shapes: 0: 1x1 (the GEMM reads pixels in
 * place); 1: 3x3; 2: any, dilated too; 3: 3x3 with K = 9 x channels around
 * TML_CONV_PATCH_BYTES (longer patches take the unbuffered loop); 4: 1x1 with K around it (the
 * DSP GEMM widens inputs of up to 640 bytes, and only those may be overwritten in place). */
static int check_conv(rng_t *r, char *msg, uint32_t seed, int32_t case_no) {
    tml_conv_params_t p;
    tml_dims_t in, f, out;
    const int32_t shape = range(r, 0, 4), patch = TML_CONV_PATCH_BYTES;
    conv_params(r, &p);
    in.c = shape == 3   ? range(r, patch / 9 - 4, patch / 9 + 18)
           : shape == 4 ? range(r, patch - 40, patch + 60)
                        : range(r, 1, 40);
    f.h = shape == 0 || shape == 4 ? 1 : shape == 2 ? range(r, 1, 5) : 3;
    f.w = shape == 0 || shape == 4 ? 1 : shape == 2 ? range(r, 1, 5) : 3;
    f.c = in.c;
    in.h = range_capped(r, 1, 10, MAXB / in.c);
    in.w = range_capped(r, 1, 10, MAXB / (in.h * in.c));
    in.n = 2 * in.h * in.w * in.c <= MAXB ? range(r, 1, 2) : 1;
    p.stride_h = range(r, 1, 3), p.stride_w = range(r, 1, 3);
    const int dilated = shape == 2 || shape == 3;
    p.dilation_h = dilated ? range(r, 1, 2) : 1, p.dilation_w = dilated ? range(r, 1, 2) : 1;
    const int pointwise = shape == 0 || shape == 4;
    p.pad_h = pointwise ? 0 : range(r, 0, f.h), p.pad_w = pointwise ? 0 : range(r, 0, f.w);
    if (range(r, 0, 2) == 0) {
        p.stride_h = p.stride_w = 1;
    }
    p.depth_multiplier = 1;
    out.n = in.n;
    out.h = (in.h + 2 * p.pad_h - p.dilation_h * (f.h - 1) - 1) / p.stride_h + 1;
    out.w = (in.w + 2 * p.pad_w - p.dilation_w * (f.w - 1) - 1) / p.stride_w + 1;
    if (out.h < 1 || out.w < 1) {
        return 0;
    }
    const int32_t k = f.h * f.w * in.c, pixels = out.n * out.h * out.w;
    f.n = out.c = range_capped(r, 1, 20, MAXB / (k > pixels ? k : pixels));
    const int32_t n_in = in.n * in.h * in.w * in.c, n_f = f.n * k, n_out = pixels * out.c;
    if (n_in > MAXB || n_f > MAXB || n_out > MAXB) {
        return 0;
    }
    tml_requant_t q = requant_arrays();
    const int with_bias = range(r, 0, 4) != 0;
    quant(r, out.c, k, &q.rounding, 1);
    fill(r, g_kc.in, n_in, -p.input_offset);
    fill(r, g_kc.filter, n_f, 0);
    symmetric(r, g_kc.filter, n_f);
    const int32_t *bias = with_bias ? g_kc.bias : NULL;
    tml_conv2d_ref_s8(&p, &q, &in, g_kc.in, &f, g_kc.filter, bias, &out, g_kc.out_ref);
    g_checked++;
    tml_conv2d_s8(&p, &q, &in, g_kc.in, &f, g_kc.filter, bias, &out, g_kc.out_fast);
    if (compare("conv2d", n_out, msg, seed, case_no)) {
        return 1;
    }
    const uint32_t scratch = tml_conv_in_place_scratch(0, &p, &in, &f, &out);
    if (scratch) {
        memset(g_kc.buf, 0x55, sizeof g_kc.buf);
        memcpy(g_kc.buf, g_kc.in, (size_t)n_in);
        tml_conv2d_inplace_s8(&p, &q, &in, g_kc.buf, &f, g_kc.filter, bias, &out, g_kc.scratch);
        memcpy(g_kc.out_fast, g_kc.buf, (size_t)n_out);
        if (compare("conv2d in place", n_out, msg, seed, case_no)) {
            return 1;
        }
    }
#if TML_HAS_DUAL16
    /* the filter stored DUAL16 where the loader allows it (Ci a multiple of 4, rows of at most
     * TML_DUAL16_MAX_ROW): each group of four w0 w1 w2 w3 as w0 w2 w1 w3 */
    if (in.c % 4 == 0 && k <= TML_DUAL16_MAX_ROW) {
        for (int32_t i = 0; i < n_f; i++) {
            g_kc.filter16[i] = g_kc.filter[(i & ~3) | (i & 1) << 1 | (i >> 1 & 1)];
        }
        const int8_t *f16 = (const int8_t *)(const void *)g_kc.filter16;
        p.filter_dual16 = 1;
        memset(g_kc.out_fast, 0x55, (size_t)n_out);
        tml_conv2d_s8(&p, &q, &in, g_kc.in, &f, f16, bias, &out, g_kc.out_fast);
        if (compare("conv2d dual16", n_out, msg, seed, case_no)) {
            return 1;
        }
        if (scratch) {
            memset(g_kc.buf, 0x55, sizeof g_kc.buf);
            memcpy(g_kc.buf, g_kc.in, (size_t)n_in);
            tml_conv2d_inplace_s8(&p, &q, &in, g_kc.buf, &f, f16, bias, &out, g_kc.scratch);
            memcpy(g_kc.out_fast, g_kc.buf, (size_t)n_out);
            return compare("conv2d dual16 in place", n_out, msg, seed, case_no);
        }
    }
#endif
    return 0;
}

/* DEPTHWISE_CONV_2D (and in place with depth multiplier 1). Shapes: 0: 3x3 (the interior loops;
 * in place, the row reuse at stride 1); 1: any, dilated too; 2: depth multiplier > 1 (the
 * checked loop); 3: rows wider than TML_DW_ROW_BYTES (in place: rows gathered one output row
 * at a time, or the checked loop); 4: rows of 80 to 213 pixels in fours of channels (on
 * Armv7E-M, several bands of rows per channel group: the rows kept from band to band, the
 * stores of one band before the gathers of the next); 5: one column (the 1-D convolutions of
 * audio models: a kernel up to 15 high, dilated up to 3). Channel counts are multiples of 4
 * or any, as many as the buffers hold. */
static int check_depthwise(rng_t *r, char *msg, uint32_t seed, int32_t case_no) {
    tml_conv_params_t p;
    tml_dims_t in, f, out;
    const int32_t shape = range(r, 0, 5), row = TML_DW_ROW_BYTES;
    conv_params(r, &p);
    const int32_t dm = p.depth_multiplier = shape == 2 ? range(r, 2, 3) : 1;
    in.h = shape == 3   ? range(r, 1, 4)
           : shape == 4 ? range(r, 3, 8)
           : shape == 5 ? range(r, 1, 40)
                        : range(r, 1, 12);
    in.w = shape == 3   ? range(r, row / 5, row * 3 / 5)
           : shape == 4 ? range(r, row / 32, row / 12)
           : shape == 5 ? 1
                        : range(r, 1, 12);
    f.n = 1;
    f.h = shape == 0 ? 3 : shape == 5 ? range(r, 1, 15) : shape >= 3 ? range(r, 2, 5)
                                                                     : range(r, 1, 5);
    f.w = shape == 0 ? 3 : shape == 5 ? 1 : shape >= 3 ? range(r, 2, 5) : range(r, 1, 5);
    p.stride_h = range(r, 0, 1) ? 1 : range(r, 1, 3);
    p.stride_w = range(r, 0, 1) ? 1 : range(r, 1, 3);
    p.dilation_h = shape == 5 ? range(r, 1, 3) : shape ? range(r, 1, 2) : 1;
    p.dilation_w = shape ? range(r, 1, 2) : 1;
    p.pad_h = range(r, 0, f.h), p.pad_w = shape == 5 ? 0 : range(r, 0, f.w);
    out.h = (in.h + 2 * p.pad_h - p.dilation_h * (f.h - 1) - 1) / p.stride_h + 1;
    out.w = (in.w + 2 * p.pad_w - p.dilation_w * (f.w - 1) - 1) / p.stride_w + 1;
    if (out.h < 1 || out.w < 1) {
        return 0;
    }
    const int32_t plane = in.h * in.w > out.h * out.w * dm ? in.h * in.w : out.h * out.w * dm;
    const int32_t cap = min3(MAXB / plane, MAXB / (f.h * f.w * dm), MAXC / dm);
    in.c = shape == 4 || range(r, 0, 1) ? 4 * range_capped(r, 1, 8, cap / 4)
                                        : range_capped(r, 1, 33, cap);
    in.n = 2 * plane * in.c <= MAXB ? range(r, 1, 2) : 1;
    f.c = out.c = in.c * dm;
    out.n = in.n;
    const int32_t n_in = in.n * in.h * in.w * in.c, n_f = f.h * f.w * f.c;
    const int32_t n_out = out.n * out.h * out.w * out.c;
    if (n_in > MAXB || n_f > MAXB || n_out > MAXB || out.c > MAXC) {
        return 0;
    }
    tml_requant_t q = requant_arrays();
    const int with_bias = range(r, 0, 4) != 0;
    quant(r, out.c, f.h * f.w, &q.rounding, 1);
    fill(r, g_kc.in, n_in, -p.input_offset);
    fill(r, g_kc.filter, n_f, 0);
    const int32_t *bias = with_bias ? g_kc.bias : NULL;
    tml_depthwise_conv2d_ref_s8(&p, &q, &in, g_kc.in, &f, g_kc.filter, bias, &out, g_kc.out_ref);
    g_checked++;
    tml_depthwise_conv2d_s8(&p, &q, &in, g_kc.in, &f, g_kc.filter, bias, &out, g_kc.out_fast);
    if (compare("depthwise", n_out, msg, seed, case_no)) {
        return 1;
    }
    if (tml_conv_in_place_scratch(1, &p, &in, &f, &out)) {
        memset(g_kc.buf, 0x55, sizeof g_kc.buf);
        memcpy(g_kc.buf, g_kc.in, (size_t)n_in);
        tml_depthwise_conv2d_inplace_s8(&p, &q, &in, g_kc.buf, &f, g_kc.filter, bias, &out,
                                        g_kc.scratch);
        memcpy(g_kc.out_fast, g_kc.buf, (size_t)n_out);
        return compare("depthwise in place", n_out, msg, seed, case_no);
    }
    return 0;
}

/* FULLY_CONNECTED: depths up to 300, and one case in four around TML_CONV_PATCH_BYTES (the DSP
 * GEMM widens inputs of up to 640 bytes only); a nonzero filter zero point (the plain loop)
 * one in six. */
static int check_fc(rng_t *r, char *msg, uint32_t seed, int32_t case_no) {
    tml_fc_params_t p;
    const int32_t patch = TML_CONV_PATCH_BYTES, batches = range(r, 1, 3);
    const int32_t depth = range(r, 0, 3) ? range(r, 1, 300) : range(r, patch - 60, patch + 200);
    const int32_t units = range_capped(r, 1, 20, MAXB / depth);
    p.input_offset = range(r, -127, 128);
    p.filter_offset = range(r, 0, 5) ? 0 : range(r, -127, 128);
    p.output_offset = range(r, -128, 127);
    p.act_min = range(r, 0, 3) ? -128 : range(r, -128, 0);
    p.act_max = range(r, 0, 3) ? 127 : range(r, p.act_min, 127);
    const int32_t per_channel = range(r, 0, 1);
    tml_requant_t q = requant_arrays();
    quant(r, units, depth * 2, &q.rounding, 1);
    fill(r, g_kc.in, batches * depth, -p.input_offset);
    fill(r, g_kc.filter, units * depth, -p.filter_offset);
    const int32_t *bias = range(r, 0, 4) ? g_kc.bias : NULL;
    tml_fully_connected_ref_s8(&p, &q, batches, depth, g_kc.in, units, g_kc.filter, bias,
                               per_channel, g_kc.out_ref);
    g_checked++;
    tml_fully_connected_s8(&p, &q, batches, depth, g_kc.in, units, g_kc.filter, bias,
                           per_channel, g_kc.out_fast);
    if (compare("fully_connected", batches * units, msg, seed, case_no)) {
        return 1;
    }
#if TML_HAS_DUAL16
    if (p.filter_offset == 0 && depth <= TML_DUAL16_MAX_ROW) { /* stored DUAL16 */
        const int32_t row = (depth + 3) & ~3;
        for (int32_t u = 0; u < units; u++) {
            for (int32_t i = 0; i < row; i++) {
                const int32_t e = (i & ~3) | (i & 1) << 1 | (i >> 1 & 1);
                g_kc.filter16[u * row + i] = e < depth ? g_kc.filter[u * depth + e] : 0;
            }
        }
        memset(g_kc.out_fast, 0x55, (size_t)(batches * units));
        tml_fully_connected_d16_s8(&p, &q, batches, depth, g_kc.in, units, g_kc.filter16, bias,
                                   per_channel, g_kc.out_fast);
        return compare("fully_connected dual16", batches * units, msg, seed, case_no);
    }
#endif
    return 0;
}

/* tml_requantize_down (the hoisted form for double rounding and shift <= 0) and
 * tml_requantize_hi (shift <= -2) where they apply (the first that differs from the other),
 * else `other`. */
static int32_t rq_down(int32_t x, int32_t mult, int32_t shift, int32_t rounding, int32_t other) {
    if (rounding != TML_ROUND_DOUBLE || shift > 0) {
        return other;
    }
    const int32_t mask = (int32_t)(((uint32_t)1 << -shift) - 1);
    const int32_t down = tml_requantize_down(x, mult, -shift, mask, mask >> 1);
    if (shift <= -2) { /* and tml_requantize_hi, the one-multiply form, where it applies */
        const int32_t hi = tml_requantize_hi(x, mult, (int32_t)((uint32_t)1 << (-shift - 2)),
                                             -shift - 1);
        if (hi != down) {
            return hi;
        }
        if (x == (int16_t)x) { /* and Armv6-M's two-product form */
            return tml_requantize_hi16(x, mult, -shift);
        }
    }
    return down;
}

/* tml_requantize_fast (and tml_requantize_down) against tml_requantize: every shift, edge inputs and multipliers, then
 * random ones. Returns 1 at the first difference. */
#define RQ_WHAT "requantize (case: the shift, index: the input)"
static int check_requant(rng_t *r, int32_t randoms, char *msg, uint32_t seed) {
    static const int32_t xs[] = {0, 1, -1, 2, -2, 3, -3, 0x7fffffff, -0x7fffffff - 1,
                                 -0x7fffffff, 0x7ffffffe, 0x40000000, -0x40000000, 0x3fffffff,
                                 -0x3fffffff, 0xffff, -0xffff, 0x10000, -0x10000, 0x7fff,
                                 -0x8000, 0x8000, -0x7fff};
    static const int32_t ms[] = {0, 1, 2, 0x40000000, 0x40000001, 0x7fffffff, 0x7ffffffe,
                                 0x55555555, 0x60000000};
    for (int32_t rounding = 0; rounding <= 2; rounding++) {
        for (int32_t shift = -31; shift <= 30; shift++) {
            for (uint32_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
                for (uint32_t j = 0; j < sizeof ms / sizeof ms[0]; j++) {
                    for (int32_t d = -2; d <= 2; d++) { /* around each power of two too */
                        const uint32_t step = shift <= 0 && -shift < 31
                                                  ? (uint32_t)d << -shift : (uint32_t)d;
                        const int32_t x = (int32_t)((uint32_t)xs[i] + step);
                        const int32_t a = tml_requantize(x, ms[j], shift, rounding);
                        const int32_t f = tml_requantize_fast(x, ms[j], shift, rounding);
                        const int32_t b = f != a ? f : rq_down(x, ms[j], shift, rounding, f);
                        if (a != b) {
                            tml_check_message(msg, RQ_WHAT, seed, shift, x, a, b);
                            return 1;
                        }
                    }
                }
            }
            for (int32_t i = 0; i < randoms; i++) {
                const int32_t x = (int32_t)next(r) >> range(r, 0, 30);
                const int32_t m = (int32_t)(next(r) >> 1);
                const int32_t a = tml_requantize(x, m, shift, rounding);
                const int32_t b = rq_down(x, m, shift, rounding,
                                          tml_requantize_fast(x, m, shift, rounding));
                if (a != b) {
                    tml_check_message(msg, RQ_WHAT, seed, shift, x, a, b);
                    return 1;
                }
            }
        }
    }
    return 0;
}

/* tml_rq_row (Armv7-M: rq_row_hi_ssat, with the output offset folded into the high word where
 * tml_rq_fold_ok) against the reference requantization (tml_requantize, then the offset and
 * the clamp): every right shift, the edge inputs and multipliers, the extreme output offsets,
 * rows of odd and even length. Returns 1 at the first difference. */
#define RQ_ROW_WHAT "requantize row (case: the shift, index: the input)"
static int check_rq_row(char *msg, uint32_t seed) {
    static const int32_t xs[] = {0x7fffffff, -0x7fffffff - 1, -0x7fffffff, 0x7ffffffe, 1, -1,
                                 0, 0x40000000, -0x40000000, 0x3fffffff, -0x3fffffff, 0xffff,
                                 -0xffff, 0x10000, -0x10000, 0x12345, -0x12345,
                                 /* 16 bits: Armv6-M's two-product form */
                                 0x7fff, -0x8000, -0x7fff, 0x4000, -0x4001, 12345, -12345};
    static const int32_t ms[] = {0, 1, 0x40000000, 0x40000001, 0x7fffffff, 0x55555555};
    static const int32_t oos[] = {-128, -127, -1, 0, 5, 127};
    const int32_t n = (int32_t)(sizeof xs / sizeof xs[0]);
    int8_t out[sizeof xs / sizeof xs[0]];
    /* every rounding; the whole int8 range, and a ReLU's (from the output offset up) */
    for (int32_t cfg = 0; cfg < 6; cfg++) {
        const int32_t rounding = cfg % 3, relu = cfg / 3;
        for (int32_t shift = -31; shift <= 1; shift++) {
            for (uint32_t j = 0; j < sizeof ms / sizeof ms[0]; j++) {
                for (uint32_t k = 0; k < sizeof oos / sizeof oos[0]; k++) {
                    const int32_t lo = relu ? oos[k] : -128;
                    tml_rq_t rq;
                    tml_rq_init(&rq, ms[j], shift, rounding, oos[k], lo, 127);
                    for (int32_t len = n - 1; len <= n; len++) { /* odd and even rows */
                        tml_rq_row(&rq, xs + n - len, len, out, 1);
                        for (int32_t i = 0; i < len; i++) {
                            const int32_t x = xs[n - len + i];
                            const int32_t v = tml_requantize(x, ms[j], shift, rounding);
                            const int32_t a = tml_clamp(tml_wrap_add(v, oos[k]), lo, 127);
                            if (a != out[i]) {
                                tml_check_message(msg, RQ_ROW_WHAT, seed, shift, x, a, out[i]);
                                return 1;
                            }
                        }
                    }
                }
            }
        }
    }
    return 0;
}

#if TML_DOT_PAIRS16
/* tml_dot_fold (on Armv6-M through m0_wsum) against sums taken byte by byte: four rows of
 * every length it takes, every other length with a -128 in its last row, which must leave the
 * layer unfolded. Its own random stream: the builds without it draw the same cases. */
#define FOLD_WHAT "fold (case: the row length, index: the row)"
uint32_t g_fold_words[TML_DOT_PAIRS16_MAX]; /* four rows of up to the longest, aligned (a
                                             * native module's bss cannot be static) */
static int check_fold(char *msg, uint32_t seed) {
    int8_t *w = (int8_t *)g_fold_words;
    rng_t r = {(seed ^ 0x9e3779b9u) | 1u};
    int32_t bias[4], folded[4], mult[4] = {0, 0, 0, 0}, shift[4] = {0, 0, 0, 0};
    for (int32_t k = 4; k <= TML_DOT_PAIRS16_MAX; k += 4) {
        const int with = k % 8 == 4;
        for (int32_t i = 0; i < 4 * k; i++) {
            w[i] = (int8_t)range(&r, -127, 127);
        }
        if (with) {
            w[3 * k + range(&r, 0, k - 1)] = -128;
        }
        for (int32_t o = 0; o < 4; o++) {
            bias[o] = range(&r, -100000, 100000);
        }
        const tml_requant_t q = {mult, shift, TML_ROUND_DOUBLE};
        const int32_t off = range(&r, -127, 128);
        tml_dot_params_t d;
        tml_dot_init(&d, bias, &q, 1, 4, off, 0, -128, 127);
        tml_dot_fold(&d, w, k, 4, folded);
        if (d.pairs16 != !with) {
            tml_check_message(msg, FOLD_WHAT, seed, k, -1, !with, d.pairs16);
            return 1;
        }
        for (int32_t o = 0; o < 4 && !with; o++) {
            int32_t sum = 0;
            for (int32_t i = 0; i < k; i++) {
                sum += w[o * k + i];
            }
            if (folded[o] != bias[o] + off * sum) {
                tml_check_message(msg, FOLD_WHAT, seed, k, o, bias[o] + off * sum, folded[o]);
                return 1;
            }
        }
    }
    return 0;
}
#else
static int check_fold(char *msg, uint32_t seed) {
    (void)msg, (void)seed;
    return 0;
}
#endif

int tml_kernel_check(uint32_t seed, int32_t cases, char *msg) {
    g_checked = 0;
    rng_t r = {seed ? seed : 1u};
    msg[0] = 0;
    if (check_requant(&r, cases, msg, seed) || check_rq_row(msg, seed) ||
        check_fold(msg, seed)) {
        return 1;
    }
    for (int32_t i = 0; i < cases; i++) {
        const int32_t kind = i % 3;
        g_sensitive = (i / 3) % 2;
        const int bad = kind == 0   ? check_conv(&r, msg, seed, i)
                        : kind == 1 ? check_depthwise(&r, msg, seed, i)
                                    : check_fc(&r, msg, seed, i);
        if (bad) {
            return 1;
        }
    }
    return 0;
}
