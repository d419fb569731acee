#include "tml_config.h"
#if TML_HAS_AVERAGE_POOL_2D
#include "fixedpoint.h"

/* Channels summed per pass: one window walk adds a pixel's channels into int32 sums on the
 * stack (channels innermost, as NHWC stores them). */
#define TML_POOL_CHUNK 64

/* Padding cells are not counted: the average is over the window's part inside the input, and
 * the division rounds half away from zero, as TFLite's reference does. */
int tml_avg_pool2d_s8(const tml_pool_params_t *p, const tml_dims_t *in_dims, const int8_t *in,
                      const tml_dims_t *out_dims, int8_t *out) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, depth = in_dims->c;
    int32_t acc[TML_POOL_CHUNK];
    for (int32_t b = 0; b < in_dims->n; b++) {
        for (int32_t oy = 0; oy < out_dims->h; oy++) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            const int32_t ky_start = iy0 < 0 ? -iy0 : 0;
            const int32_t ky_end = p->filter_h < in_h - iy0 ? p->filter_h : in_h - iy0;
            for (int32_t ox = 0; ox < out_dims->w; ox++, out += depth) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const int32_t kx_start = ix0 < 0 ? -ix0 : 0;
                const int32_t kx_end = p->filter_w < in_w - ix0 ? p->filter_w : in_w - ix0;
                if (ky_end <= ky_start || kx_end <= kx_start) {
                    return -1; /* a window wholly in the padding: nothing to average */
                }
                const int32_t count = (ky_end - ky_start) * (kx_end - kx_start);
                for (int32_t c0 = 0; c0 < depth; c0 += TML_POOL_CHUNK) {
                    const int32_t cn = depth - c0 < TML_POOL_CHUNK ? depth - c0 : TML_POOL_CHUNK;
                    for (int32_t c = 0; c < cn; c++) {
                        acc[c] = 0;
                    }
                    for (int32_t ky = ky_start; ky < ky_end; ky++) {
                        const int8_t *row =
                            in + (((int64_t)b * in_h + iy0 + ky) * in_w + ix0) * depth + c0;
                        for (int32_t kx = kx_start; kx < kx_end; kx++) {
                            const int8_t *px = row + (int64_t)kx * depth;
                            for (int32_t c = 0; c < cn; c++) {
                                acc[c] += px[c];
                            }
                        }
                    }
                    for (int32_t c = 0; c < cn; c++) {
                        const int32_t a = acc[c];
                        const int32_t v = a > 0 ? (a + count / 2) / count : (a - count / 2) / count;
                        out[c0 + c] = (int8_t)tml_clamp(v, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
    return 0;
}
#endif
