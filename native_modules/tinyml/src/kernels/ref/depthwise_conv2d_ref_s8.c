#include "tml_config.h"
#if TML_HAS_DEPTHWISE_CONV_2D
#include "fixedpoint.h"
#include "ref.h"

/* Each output channel oc = ic * M + m reads only input channel ic. The accumulator holds at most
 * KH * KW terms of magnitude <= 2^15 (loader limit), so it cannot overflow. */
int tml_depthwise_conv2d_ref_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                            const tml_dims_t *in_dims, const int8_t *in,
                            const tml_dims_t *f_dims, const int8_t *filter,
                            const int32_t *bias, const tml_dims_t *out_dims, int8_t *out) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t mult = p->depth_multiplier;

    for (int32_t b = 0; b < in_dims->n; b++) {
        const int8_t *in_b = in + (int64_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out_w; ox++) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                for (int32_t ic = 0; ic < in_c; ic++) {
                    for (int32_t m = 0; m < mult; m++) {
                        const int32_t oc = ic * mult + m;
                        int32_t acc = 0;
                        for (int32_t ky = 0; ky < k_h; ky++) {
                            const int32_t iy = iy0 + p->dilation_h * ky;
                            if (iy < 0 || iy >= in_h) {
                                continue;
                            }
                            for (int32_t kx = 0; kx < k_w; kx++) {
                                const int32_t ix = ix0 + p->dilation_w * kx;
                                if (ix < 0 || ix >= in_w) {
                                    continue;
                                }
                                const int32_t x = in_b[((int64_t)iy * in_w + ix) * in_c + ic];
                                const int32_t w = filter[((int64_t)ky * k_w + kx) * out_c + oc];
                                acc += (x + p->input_offset) * w;
                            }
                        }
                        if (bias) {
                            acc += bias[oc];
                        }
                        out[((int64_t)(b * out_h + oy) * out_w + ox) * out_c + oc] =
                            tml_ref_output_stage(acc, q, oc, p->output_offset, p->act_min,
                                             p->act_max);
                    }
                }
            }
        }
    }
    return 0;
}
#endif
