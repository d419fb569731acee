#include "tml_config.h"
#if TML_HAS_MAX_POOL_2D
#include "fixedpoint.h"

/* The maximum over the window's part inside the input (padding never wins). */
int tml_max_pool2d_s8(const tml_pool_params_t *p, const tml_dims_t *in_dims, const int8_t *in,
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
                if (ky_start >= ky_end || kx_start >= kx_end) {
                    return -1;
                }
                for (int32_t c = 0; c < depth; c++) {
                    int32_t m = -128;
                    for (int32_t ky = ky_start; ky < ky_end; ky++) {
                        const int8_t *row = in + (((int64_t)b * in_h + iy0 + ky) * in_w + ix0) *
                                                     depth + c;
                        for (int32_t kx = kx_start; kx < kx_end; kx++) {
                            const int32_t v = row[(int64_t)kx * depth];
                            m = v > m ? v : m;
                        }
                    }
                    *out++ = (int8_t)tml_clamp(m, p->act_min, p->act_max);
                }
            }
        }
    }
    return 0;
}
#endif
