#include "tml_config.h"
#if TML_HAS_DEPTHWISE_CONV_2D
#include "arch.h"
#include "dw_bands_s8.h"
#include "fixedpoint.h"

/* DEPTHWISE_CONV_2D over NHWC. On Armv7E-M, the layers dw_bands_s8.c suits (channels in
 * fours, 3x3 or one column) run there. Otherwise output pixels whose
 * window lies inside the input (the interior) run without bounds checks, channel by channel;
 * border pixels and depth multipliers above 1 take the checked loop. Each
 * output channel oc = ic * M + m reads only input channel ic; its accumulator holds at most
 * KH * KW terms of magnitude <= 2^15 (loader limit), so it cannot overflow. The reference is
 * src/kernels/ref/depthwise_conv2d_ref_s8.c. */

static inline int8_t stage(const tml_conv_params_t *p, const tml_requant_t *q,
                           const int32_t *bias, int32_t oc, int32_t acc) {
    if (bias) {
        acc += bias[oc];
    }
    return tml_output_stage(acc, q->mult[oc], q->shift[oc], q->rounding, p->output_offset,
                            p->act_min, p->act_max);
}

/* Every output channel of one pixel, taps outside the input skipped. */
TML_DSP_COLD static void pixel_checked(const tml_conv_params_t *p, const tml_requant_t *q,
                          const tml_dims_t *in_dims, const int8_t *in_b,
                          const tml_dims_t *f_dims, const int8_t *filter, const int32_t *bias,
                          int32_t iy0, int32_t ix0, int32_t out_c, int8_t *out) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w, mult = p->depth_multiplier;
    for (int32_t oc = 0, ic = 0, m = 0; oc < out_c; oc++) {
        int32_t acc = 0;
        for (int32_t ky = 0; ky < k_h; ky++) {
            const int32_t iy = iy0 + p->dilation_h * ky;
            for (int32_t kx = 0; iy >= 0 && iy < in_h && kx < k_w; kx++) {
                const int32_t ix = ix0 + p->dilation_w * kx;
                if (ix >= 0 && ix < in_w) {
                    const int32_t x = in_b[((int64_t)iy * in_w + ix) * in_c + ic];
                    acc += (x + p->input_offset) * filter[((int64_t)ky * k_w + kx) * out_c + oc];
                }
            }
        }
        out[oc] = stage(p, q, bias, oc, acc);
        if (++m == mult) {
            m = 0, ic++;
        }
    }
}

/* Every channel of one interior pixel, depth multiplier 1: x points at the window's top left
 * input pixel. */
TML_DSP_COLD static void pixel_interior(const tml_conv_params_t *p, const tml_requant_t *q,
                           const int8_t *x, int32_t row_step, int32_t col_step, int32_t k_h,
                           int32_t k_w, const int8_t *filter, const int32_t *bias, int32_t ch,
                           int8_t *out) {
    const int32_t off = p->input_offset;
    int32_t c = 0;
    if (k_h == 3 && k_w == 3) {
        const int32_t s1 = col_step, s2 = 2 * col_step;
        for (; c < ch; c++) {
            const int8_t *r0 = x + c, *r1 = r0 + row_step, *r2 = r1 + row_step;
            const int8_t *w = filter + c;
            int32_t acc = (r0[0] + off) * w[0] + (r0[s1] + off) * w[ch] +
                          (r0[s2] + off) * w[2 * ch];
            acc += (r1[0] + off) * w[3 * ch] + (r1[s1] + off) * w[4 * ch] +
                   (r1[s2] + off) * w[5 * ch];
            acc += (r2[0] + off) * w[6 * ch] + (r2[s1] + off) * w[7 * ch] +
                   (r2[s2] + off) * w[8 * ch];
            out[c] = stage(p, q, bias, c, acc);
        }
        return;
    }
    for (; c < ch; c++) {
        int32_t acc = 0;
        const int8_t *xr = x + c, *wr = filter + c;
        for (int32_t ky = 0; ky < k_h; ky++, xr += row_step) {
            const int8_t *xp = xr;
            for (int32_t kx = 0; kx < k_w; kx++, xp += col_step, wr += ch) {
                acc += (*xp + off) * *wr;
            }
        }
        out[c] = stage(p, q, bias, c, acc);
    }
}

/* Every output channel of one interior pixel, any depth multiplier: four output channels at a
 * time in registers, each tap's input (offset added) loaded once per channel it feeds. */
TML_DSP_COLD static void pixel_interior_mult(const tml_conv_params_t *p, const tml_requant_t *q,
                                const int8_t *x, int32_t row_step, int32_t col_step,
                                int32_t k_h, int32_t k_w, const int8_t *filter,
                                const int32_t *bias, int32_t out_c, int8_t *out) {
    const int32_t off = p->input_offset, mult = p->depth_multiplier;
    int32_t oc = 0;
    for (; oc + 4 <= out_c; oc += 4) {
        const int32_t i0 = oc / mult, i1 = (oc + 1) / mult, i2 = (oc + 2) / mult;
        const int32_t i3 = (oc + 3) / mult;
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const int8_t *xr = x, *wr = filter + oc;
        for (int32_t ky = 0; ky < k_h; ky++, xr += row_step) {
            const int8_t *xp = xr;
            for (int32_t kx = 0; kx < k_w; kx++, xp += col_step, wr += out_c) {
                s0 += (xp[i0] + off) * wr[0];
                s1 += (xp[i1] + off) * wr[1];
                s2 += (xp[i2] + off) * wr[2];
                s3 += (xp[i3] + off) * wr[3];
            }
        }
        out[oc] = stage(p, q, bias, oc, s0);
        out[oc + 1] = stage(p, q, bias, oc + 1, s1);
        out[oc + 2] = stage(p, q, bias, oc + 2, s2);
        out[oc + 3] = stage(p, q, bias, oc + 3, s3);
    }
    for (; oc < out_c; oc++) {
        const int32_t ic = oc / mult;
        int32_t acc = 0;
        const int8_t *xr = x, *wr = filter + oc;
        for (int32_t ky = 0; ky < k_h; ky++, xr += row_step) {
            const int8_t *xp = xr;
            for (int32_t kx = 0; kx < k_w; kx++, xp += col_step, wr += out_c) {
                acc += (xp[ic] + off) * *wr;
            }
        }
        out[oc] = stage(p, q, bias, oc, acc);
    }
}

/* On Armv7E-M, the layers that dw_bands does not suit: compiled for size there. */
TML_DSP_COLD int tml_depthwise_conv2d_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                            const tml_dims_t *in_dims, const int8_t *in,
                            const tml_dims_t *f_dims, const int8_t *filter,
                            const int32_t *bias, const tml_dims_t *out_dims, int8_t *out) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t span_h = (k_h - 1) * p->dilation_h, span_w = (k_w - 1) * p->dilation_w;
    const int32_t row_step = p->dilation_h * in_w * in_c, col_step = p->dilation_w * in_c;
#if TML_ARCH_DSP
    int32_t buf[TML_DW_ROW_BYTES / 4];
    if (tml_dw_bands_s8(p, q, in_dims, in, f_dims, filter, bias, out_dims, out, buf)) {
        return 0;
    }
#endif

    for (int32_t b = 0; b < in_dims->n; b++) {
        const int8_t *in_b = in + (int64_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            const int rows_in = iy0 >= 0 && iy0 + span_h < in_h;
            for (int32_t ox = 0; ox < out_w; ox++) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                int8_t *o = out + ((int64_t)(b * out_h + oy) * out_w + ox) * out_c;
                /* Armv6-M keeps the checked loop only: flash before speed there. */
                const int interior = rows_in && ix0 >= 0 && ix0 + span_w < in_w;
                if (!TML_ARCH_V6M && interior && p->depth_multiplier == 1) {
                    pixel_interior(p, q, in_b + ((int64_t)iy0 * in_w + ix0) * in_c, row_step,
                                   col_step, k_h, k_w, filter, bias, out_c, o);
                } else if (!TML_ARCH_V6M && interior) {
                    pixel_interior_mult(p, q, in_b + ((int64_t)iy0 * in_w + ix0) * in_c,
                                        row_step, col_step, k_h, k_w, filter, bias, out_c, o);
                } else {
                    pixel_checked(p, q, in_dims, in_b, f_dims, filter, bias, iy0, ix0, out_c, o);
                }
            }
        }
    }
    return 0;
}
#endif
