#include "tml_config.h"
#if TML_HAS_AVERAGE_POOL_2D
#include "arch.h"
#include "fixedpoint.h"

/* The window's sum a over count cells, divided rounding half away from zero, clamped. */
static int8_t average(int32_t a, int32_t count, const tml_pool_params_t *p) {
    const int32_t v = a > 0 ? (a + count / 2) / count : (a - count / 2) / count;
    return (int8_t)tml_clamp(v, p->act_min, p->act_max);
}

/* One channel's sum over a window of rows x cols cells (depth apart in a row, row_step
 * between rows). Out of line: its loop keeps every bound in a register (Armv6-M). */
__attribute__((noinline)) static int32_t window_sum(const int8_t *row, int32_t rows,
                                                    int32_t cols, int32_t row_step,
                                                    int32_t depth) {
    int32_t s = 0;
    for (; rows > 0; rows--, row += row_step) {
        const int8_t *px = row;
        for (int32_t kx = 0; kx < cols; kx++, px += depth) {
            s += *px;
        }
    }
    return s;
}

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
            for (int32_t ox = 0; ox < out_dims->w; ox++, out += depth) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const int32_t kx_start = ix0 < 0 ? -ix0 : 0;
                const int32_t kx_end = p->filter_w < in_w - ix0 ? p->filter_w : in_w - ix0;
                if (ky_end <= ky_start || kx_end <= kx_start) {
                    return -1; /* a window wholly in the padding: nothing to average */
                }
                const int32_t count = (ky_end - ky_start) * (kx_end - kx_start);
                const int8_t *win = in + (((int64_t)b * in_h + iy0 + ky_start) * in_w + ix0 +
                                          kx_start) * depth;
                const int32_t rows = ky_end - ky_start, cols = kx_end - kx_start;
                const int32_t row_step = in_w * depth;
                int32_t c = 0;
                /* four channels' sums in registers (on Armv6-M, flash first: one) */
                for (; !TML_ARCH_V6M && c + 4 <= depth; c += 4) {
                    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    for (int32_t ky = 0; ky < rows; ky++) {
                        const int8_t *px = win + (int64_t)ky * row_step + c;
                        for (int32_t kx = 0; kx < cols; kx++, px += depth) {
                            s0 += px[0], s1 += px[1], s2 += px[2], s3 += px[3];
                        }
                    }
                    out[c] = average(s0, count, p), out[c + 1] = average(s1, count, p);
                    out[c + 2] = average(s2, count, p), out[c + 3] = average(s3, count, p);
                }
                for (; c < depth; c++) {
                    out[c] = average(window_sum(win + c, rows, cols, row_step, depth), count, p);
                }
            }
        }
    }
    return 0;
}
#endif
