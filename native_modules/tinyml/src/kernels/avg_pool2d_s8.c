#include "tml_config.h"
#if TML_HAS_AVERAGE_POOL_2D
#include "fixedpoint.h"

/* Padding cells are not counted: the average is over the window's part inside the input, and
 * the division rounds half away from zero, as TFLite's reference does. */
int tml_avg_pool2d_s8(const tml_pool_params_t *p, const tml_dims_t *in_dims, const int8_t *in,
                      const tml_dims_t *out_dims, int8_t *out) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, depth = in_dims->c;
    for (int32_t b = 0; b < in_dims->n; b++) {
        for (int32_t oy = 0; oy < out_dims->h; oy++) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            const int32_t ky_start = iy0 < 0 ? -iy0 : 0;
            const int32_t ky_end = p->filter_h < in_h - iy0 ? p->filter_h : in_h - iy0;
            for (int32_t ox = 0; ox < out_dims->w; ox++) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const int32_t kx_start = ix0 < 0 ? -ix0 : 0;
                const int32_t kx_end = p->filter_w < in_w - ix0 ? p->filter_w : in_w - ix0;
                for (int32_t c = 0; c < depth; c++) {
                    int32_t acc = 0;
                    int32_t count = 0;
                    for (int32_t ky = ky_start; ky < ky_end; ky++) {
                        for (int32_t kx = kx_start; kx < kx_end; kx++) {
                            const int64_t idx =
                                (((int64_t)b * in_h + iy0 + ky) * in_w + ix0 + kx) * depth + c;
                            acc += in[idx];
                            count++;
                        }
                    }
                    if (count == 0) {
                        return -1;
                    }
                    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    *out++ = (int8_t)tml_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
    return 0;
}
#endif
