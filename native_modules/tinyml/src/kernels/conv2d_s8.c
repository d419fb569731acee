#include "tml_config.h"
#if TML_HAS_CONV_2D
#include <string.h>
#include "arch.h"
#include "dot_s8.h"
#include "fixedpoint.h"
#include "tinyml.h"

/* CONV_2D as a GEMM over NHWC: each output pixel's input patch (kernel rows x kernel columns x
 * input channels, the filter's own order) is a vector of K bytes, and the output channels are
 * its dot products with the K-byte filter rows (tml_dot_s8). A 1x1 convolution without padding
 * reads its patches in place; other patches are gathered (im2col) two at a time into a stack
 * buffer, padding taps filled with the input zero point so that they add (zp + offset) * w = 0,
 * exactly the reference's skipped taps. The int32 sums are the reference's, in another order;
 * src/kernels/ref/conv2d_ref_s8.c is the reference, and the kernel tests compare the two. */

/* Patch of output pixel (oy, ox) into col: K bytes. */
TML_COLD static void gather(const tml_conv_params_t *p, const tml_dims_t *in_dims,
                            const int8_t *in_b, const tml_dims_t *f_dims, int32_t oy,
                            int32_t ox, int8_t *col) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_w = f_dims->w, zp = -p->input_offset;
    const int32_t iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
    for (int32_t ky = 0; ky < f_dims->h; ky++) {
        const int32_t iy = iy0 + p->dilation_h * ky;
        if (iy < 0 || iy >= in_h) {
            memset(col, zp, (size_t)(k_w * in_c));
            col += k_w * in_c;
            continue;
        }
        const int8_t *row = in_b + (int64_t)iy * in_w * in_c;
        if (TML_ARCH_V6M && p->dilation_w == 1 && k_w * in_c <= 16) {
            /* A first layer's short rows, bytes by loops: library calls cost more there */
            const int32_t lo = ix0 < 0 ? (-ix0 < k_w ? -ix0 : k_w) : 0;
            const int32_t hi = in_w - ix0 < k_w ? (in_w - ix0 > lo ? in_w - ix0 : lo) : k_w;
            const int32_t a = lo * in_c, b = hi * in_c, n = k_w * in_c;
            const int8_t *src = row + (ix0 + lo) * in_c;
            int32_t j = 0;
            for (; j < a; j++) {
                col[j] = (int8_t)tml_opaque(zp);
            }
            for (; j < b; j++) {
                col[j] = (int8_t)tml_opaque(*src++);
            }
            for (; j < n; j++) {
                col[j] = (int8_t)tml_opaque(zp);
            }
            col += n;
            continue;
        }
        if (TML_ARCH_V6M && p->dilation_w == 1 && ix0 >= 0 && ix0 + k_w <= in_w) {
            tml_copy(col, row + (int64_t)ix0 * in_c, k_w * in_c); /* flash first there */
            col += k_w * in_c;
            continue;
        }
        if (!TML_ARCH_V6M && p->dilation_w == 1) { /* taps lo .. hi - 1 inside: one copy */
            const int32_t lo = ix0 < 0 ? (-ix0 < k_w ? -ix0 : k_w) : 0;
            const int32_t hi = in_w - ix0 < k_w ? (in_w - ix0 > lo ? in_w - ix0 : lo) : k_w;
            if (lo > 0) {
                memset(col, zp, (size_t)(lo * in_c));
            }
            if (hi > lo) {
                tml_copy(col + lo * in_c, row + (int64_t)(ix0 + lo) * in_c, (hi - lo) * in_c);
            }
            if (hi < k_w) {
                memset(col + hi * in_c, zp, (size_t)((k_w - hi) * in_c));
            }
            col += k_w * in_c;
            continue;
        }
        for (int32_t kx = 0; kx < k_w; kx++) {
            const int32_t ix = ix0 + p->dilation_w * kx;
            if (ix < 0 || ix >= in_w) {
                memset(col, zp, (size_t)in_c);
            } else {
                tml_copy(col, row + (int64_t)ix * in_c, in_c);
            }
            col += in_c;
        }
    }
}

/* Patch of an output pixel whose window lies inside the input, undilated: k_h spans of `span`
 * bytes, row_bytes apart from x (no bounds checks, so no per-tap setup). The four-pixel loop
 * calls it before gather, whose setup would cost more than the copy for small patches
 * (measured on qemu-m4); moving the check into gather costs 85k instructions on IC and 112
 * bytes of Armv6-M flash. */
static inline void gather_inside(const int8_t *x, int32_t row_bytes, int32_t k_h, int32_t span,
                                 int8_t *col) {
    for (int32_t ky = 0; ky < k_h; ky++, x += row_bytes, col += span) {
        if (!TML_ARCH_V6M && span <= 16) { /* a first layer's few channels: no call */
            tml_copy_words(col, x, span);
        } else {
            tml_copy(col, x, span);
        }
    }
}

/* Patches too large for the buffer: one output at a time, taps outside the input skipped. */
TML_COLD static void conv_unbuffered(const tml_conv_params_t *p, const tml_dot_params_t *d,
                            const tml_dims_t *in_dims, const int8_t *in_b,
                            const tml_dims_t *f_dims, const int8_t *filter, int32_t oy,
                            int32_t ox, int32_t out_c, int8_t *out) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
    for (int32_t oc = 0; oc < out_c; oc++) {
        const int8_t *f_oc = filter + (int64_t)oc * k_h * k_w * in_c;
        int32_t acc = 0;
        for (int32_t ky = 0; ky < k_h; ky++) {
            const int32_t iy = iy0 + p->dilation_h * ky;
            for (int32_t kx = 0; iy >= 0 && iy < in_h && kx < k_w; kx++) {
                const int32_t ix = ix0 + p->dilation_w * kx;
                if (ix >= 0 && ix < in_w) {
                    const int8_t *px = in_b + ((int64_t)iy * in_w + ix) * in_c;
                    const int8_t *fw = f_oc + ((int64_t)ky * k_w + kx) * in_c;
                    for (int32_t ic = 0; ic < in_c; ic++) {
                        acc += (px[ic] + p->input_offset) * fw[ic];
                    }
                }
            }
        }
        if (d->bias) {
            acc += d->bias[oc];
        }
        out[oc] = tml_output_stage(acc, d->mult[oc], d->shift[oc], d->rounding,
                                   d->output_offset, d->act_min, d->act_max);
    }
}

#if TML_DOT_PAIRS16
/* conv_unbuffered adds d's biases to sums that hold the input offset: tml_conv_dot_init must
 * not fold the biases of a patch it takes. */
typedef char tml_pairs16_patch[TML_DOT_PAIRS16_MAX <= TML_CONV_PATCH_BYTES ? 1 : -1];
#endif

#if TML_HAS_DUAL16
/* A DUAL16 filter (the loader's row limit) is always gathered whole into a patch, never left
 * to conv_unbuffered, which reads int8 filters only. */
typedef char tml_dual16_patch[TML_DUAL16_MAX_ROW <= TML_CONV_PATCH_BYTES ? 1 : -1];
#endif

TML_COLD int tml_conv2d_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                  const tml_dims_t *in_dims, const int8_t *in,
                  const tml_dims_t *f_dims, const int8_t *filter, const int32_t *bias,
                  const tml_dims_t *out_dims, int8_t *out) {
    tml_conv_dot_t c;
    tml_conv_dot_init(&c, p, q, bias, filter, f_dims->h * f_dims->w * in_dims->c, out_dims->c);
    return tml_conv2d_dot_s8(p, &c.d, in_dims, in, f_dims, filter, out_dims, out);
}

TML_COLD int tml_conv2d_dot_s8(const tml_conv_params_t *p, const tml_dot_params_t *d,
                               const tml_dims_t *in_dims, const int8_t *in,
                               const tml_dims_t *f_dims, const int8_t *filter,
                               const tml_dims_t *out_dims, int8_t *out) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t out_w = out_dims->w, out_c = out_dims->c;
    const int32_t pixels = out_dims->h * out_w;
    const int32_t k = f_dims->h * f_dims->w * in_c;
    /* 1x1 without padding: output pixel (oy, ox) reads input pixel (oy, ox) * stride. */
    const int direct = f_dims->h == 1 && f_dims->w == 1 && p->pad_h == 0 && p->pad_w == 0 &&
                       (out_dims->h - 1) * p->stride_h < in_h &&
                       (out_w - 1) * p->stride_w < in_w;
    int8_t col[2][TML_CONV_PATCH_BYTES];

    for (int32_t b = 0; b < in_dims->n; b++) {
        const int8_t *in_b = in + (int64_t)b * in_h * in_w * in_c;
        int8_t *out_b = out + (int64_t)b * pixels * out_c;
        int32_t oy = 0, ox = 0, i = 0; /* (oy, ox): output pixel i */
#if TML_HAS_DOT4
        /* Four pixels of one row whose windows lie inside the input (undilated): read in
         * place, a run per kernel row (runs of a multiple of 4 bytes). */
        const int undilated = p->dilation_h == 1 && p->dilation_w == 1;
        const int32_t run = f_dims->w * in_c;
        const int runs = undilated && (run % 4 == 0 || f_dims->h == 1);
        /* DUAL16 weights: Armv7E-M's four-pixel kernel reads them, the other cores' do not */
        if (tml_dot4_ok(k) && 4 * k <= (int32_t)sizeof(col) && (TML_ARCH_DSP || !d->w16)) {
            /* Else: their patches gathered (or copied) side by side into col. */
            int8_t *four = &col[0][0];
#if TML_ARCH_DSP
            /* Kernel rows of a length that is not a multiple of 4 (a first layer's 3x3 over 3
             * channels: 9 bytes): the filter copied once into col after the four patches with
             * each kernel row zero-padded to run4 bytes, so that four pixels inside the input
             * are read in place, runs of run4 bytes (the bytes past a kernel row meet zero
             * weights), instead of gathered; k4 = kp / 4 then has no partial group. Only
             * where the copy pays: kernels of more than one row (one row is read in place
             * anyway) and at least as many four-pixel blocks as output channels. */
            const int32_t run4 = (run + 3) & ~3, kp = f_dims->h * run4;
            int8_t *wpad = four + ((4 * k + 3) & ~3);
            const int padded = undilated && run != run4 && f_dims->h > 1 &&
                               pixels >= 4 * out_c && tml_dot4_ok(kp) &&
                               (int64_t)out_c * kp <= (int8_t *)col + sizeof(col) - wpad;
            for (int32_t r = 0; padded && r < out_c * f_dims->h; r++) {
                tml_copy(wpad + r * run4, filter + r * run, run);
                memset(wpad + r * run4 + run, 0, (size_t)(run4 - run));
            }
#else
            const int padded = 0;
            const int32_t run4 = run, kp = k;
            const int8_t *wpad = filter;
#endif
            for (; i + 4 <= pixels; i += 4) {
                tml_dot4_in_t x = {four, k, k, 0};
                int32_t kk = k; /* kernel length and filter read: kp and wpad where padded */
                const int8_t *ww = filter;
                const int32_t iy0 = oy * p->stride_h - p->pad_h;
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const int inside = ox + 4 <= out_w && iy0 >= 0 && iy0 + f_dims->h <= in_h &&
                                   ix0 >= 0 && ix0 + 3 * p->stride_w + f_dims->w <= in_w;
                if (inside && padded && (ix0 + 3 * p->stride_w) * in_c + run4 <= in_w * in_c) {
                    x.x = in_b + ((int64_t)iy0 * in_w + ix0) * in_c;
                    x.x_stride = p->stride_w * in_c, x.seg = run4, x.seg_stride = in_w * in_c;
                    ox += 4, kk = kp, ww = wpad;
                } else if ((direct || runs) && inside) {
                    x.x = in_b + ((int64_t)iy0 * in_w + ix0) * in_c;
                    x.x_stride = p->stride_w * in_c, x.seg = run, x.seg_stride = in_w * in_c;
                    ox += 4;
                } else if ((runs || padded) && ox + 4 <= out_w && p->stride_w <= f_dims->w) {
                    /* Four pixels of one row at a border: the input band their windows
                     * cover (kernel rows x 3 strides + a kernel width, padding taps the zero
                     * point) gathered once into col, then read in place as above (at most 4k
                     * bytes: stride <= kernel width) */
                    const tml_dims_t band = {1, f_dims->h, 3 * p->stride_w + f_dims->w, in_c};
                    gather(p, in_dims, in_b, &band, oy, ox, four);
                    x.x_stride = p->stride_w * in_c, x.seg = padded ? run4 : run;
                    x.seg_stride = band.w * in_c;
                    ox += 4;
                    if (padded) { /* the bytes past a kernel row meet zero weights */
                        kk = kp, ww = wpad;
                    }
                } else {
                    for (int32_t j = 0; j < 4; j++) {
                        const int32_t jy0 = oy * p->stride_h - p->pad_h;
                        const int32_t jx0 = ox * p->stride_w - p->pad_w;
                        if (direct) {
                            tml_copy(four + j * k, in_b + ((int64_t)oy * p->stride_h * in_w +
                                                           ox * p->stride_w) * in_c, k);
                        } else if (undilated && jy0 >= 0 && jy0 + f_dims->h <= in_h &&
                                   jx0 >= 0 && jx0 + f_dims->w <= in_w) {
                            gather_inside(in_b + ((int64_t)jy0 * in_w + jx0) * in_c,
                                          in_w * in_c, f_dims->h, run, four + j * k);
                        } else {
                            gather(p, in_dims, in_b, f_dims, oy, ox, four + j * k);
                        }
                        if (++ox == out_w) {
                            ox = 0, oy++;
                        }
                    }
                }
                if (ox == out_w) {
                    ox = 0, oy++;
                }
                tml_dot4_s8(d, kk, &x, ww, out_c, out_b + (int64_t)i * out_c, out_c);
            }
        }
#if TML_ARCH_DSP
        /* Patches longer than tml_dot4_s8 takes (a 3x3 over 64 channels: 576 bytes) whose
         * kernel rows are a multiple of 4 bytes: four pixels a kernel row at a time
         * (tml_dot4_sums), the four rows gathered side by side into col; TML_DOT4_PART_ROWS
         * output channels a pass, their sums on the stack. */
        if (!tml_dot4_ok(k) && undilated && run % 4 == 0 && tml_dot4_ok(run) &&
            4 * run <= (int32_t)sizeof(col)) {
            /* gather's view of kernel row ky: a 1-row kernel, padding pad_h - ky */
            const tml_dims_t row_dims = {1, 1, f_dims->w, in_c};
            tml_conv_params_t pr = *p;
            int32_t acc[4 * TML_DOT4_PART_ROWS], py[4], px[4];
            for (; i + 4 <= pixels; i += 4) {
                for (int32_t j = 0; j < 4; j++) { /* the four output pixels */
                    py[j] = oy, px[j] = ox;
                    if (++ox == out_w) {
                        ox = 0, oy++;
                    }
                }
                for (int32_t o = 0, rows; o < out_c; o += rows) {
                    rows = out_c - o < TML_DOT4_PART_ROWS ? out_c - o : TML_DOT4_PART_ROWS;
                    for (int32_t ky = 0; ky < f_dims->h; ky++) {
                        const tml_dot4_in_t x = {&col[0][0], run, run, 0};
                        pr.pad_h = p->pad_h - ky;
                        for (int32_t j = 0; j < 4; j++) {
                            gather(&pr, in_dims, in_b, &row_dims, py[j], px[j],
                                   &col[0][0] + j * run);
                        }
                        tml_dot4_sums(d, run, &x,
                                      filter + ((int64_t)o * k + ky * run) * (1 + d->w16), k,
                                      o, rows, acc, ky == 0);
                    }
                    tml_dot4_put(d, o, rows, acc, out_b + (int64_t)i * out_c, out_c);
                }
            }
        }
#endif
#endif
        for (; i < pixels; i += 2) {
            const int8_t *x[2] = {NULL, NULL};
            for (int32_t j = 0; j < 2 && i + j < pixels; j++) {
                if (direct) {
                    x[j] = in_b + ((int64_t)oy * p->stride_h * in_w + ox * p->stride_w) * in_c;
                } else if (k <= TML_CONV_PATCH_BYTES) {
                    gather(p, in_dims, in_b, f_dims, oy, ox, col[j]);
                    x[j] = col[j];
                } else {
                    conv_unbuffered(p, d, in_dims, in_b, f_dims, filter, oy, ox, out_c,
                                    out_b + (int64_t)(i + j) * out_c);
                }
                if (++ox == out_w) {
                    ox = 0, oy++;
                }
            }
            if (x[0]) {
                int8_t *o0 = out_b + (int64_t)i * out_c;
#if TML_HAS_DUAL16
                if (d->w16) { /* k <= TML_CONV_PATCH_BYTES: the loader's rule for DUAL16 */
                    tml_dot16_s8(d, k, x[0], x[1], (const int16_t *)(const void *)filter, out_c,
                                 o0, o0 + out_c);
                    continue;
                }
#endif
                tml_dot_s8(d, k, x[0], x[1], filter, out_c, o0, o0 + out_c);
            }
        }
    }
    return 0;
}
#endif
