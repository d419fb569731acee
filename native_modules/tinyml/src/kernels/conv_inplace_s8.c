#include "tml_config.h"
#if TML_HAS_CONV_2D || TML_HAS_DEPTHWISE_CONV_2D
#include <string.h>
#include "fixedpoint.h"

/* In-place convolutions (TinyEngine's trick): the output is written over the input buffer, so
 * the two never need to be alive side by side. The arithmetic is the ordinary kernels', so the
 * results stay bit-exact; only the order in which memory is reused changes. */

static int is_pointwise(const tml_conv_params_t *p, const tml_dims_t *in, const tml_dims_t *f,
                        const tml_dims_t *out) {
    return f->h == 1 && f->w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 0 &&
           p->pad_w == 0 && in->h == out->h && in->w == out->w;
}

/* Row streaming: after output row oy is stored, rows below read input from row
 * (oy + 1) * stride - pad on; the stored bytes must end at or before it. */
static int rows_fit(const tml_conv_params_t *p, const tml_dims_t *in, const tml_dims_t *out) {
    const int64_t out_row = (int64_t)out->w * out->c, in_row = (int64_t)in->w * in->c;
    if (in->n != 1) {
        return 0;
    }
    for (int64_t oy = 0; oy + 1 < out->h; oy++) {
        const int64_t next = (oy + 1) * p->stride_h - p->pad_h;
        if ((oy + 1) * out_row > (next > 0 ? next : 0) * in_row) {
            return 0;
        }
    }
    return 1;
}

uint32_t tml_conv_in_place_scratch(int depthwise, const tml_conv_params_t *p,
                                   const tml_dims_t *in, const tml_dims_t *f,
                                   const tml_dims_t *out) {
    if (depthwise) {
        const uint32_t in_size = (uint32_t)(in->n * in->h * in->w * in->c);
        const uint32_t out_size = (uint32_t)(out->n * out->h * out->w * out->c);
        const int ok = p->depth_multiplier == 1 && (in->n == 1 || out_size <= in_size);
        return ok ? (uint32_t)in->h * (uint32_t)in->w : 0;
    }
    if (is_pointwise(p, in, f, out)) {
        return (uint32_t)out->c;
    }
    return rows_fit(p, in, out) ? (uint32_t)out->w * (uint32_t)out->c : 0;
}

int tml_conv2d_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                          const tml_dims_t *in_dims, int8_t *buf, const tml_dims_t *f_dims,
                          const int8_t *filter, const int32_t *bias, const tml_dims_t *out_dims,
                          int8_t *scratch) {
#if TML_HAS_CONV_2D
    if (is_pointwise(p, in_dims, f_dims, out_dims)) {
        return tml_conv2d_1x1_inplace_s8(p, q, in_dims, buf, f_dims, filter, bias, out_dims,
                                         scratch);
    }
    return tml_conv2d_rows_inplace_s8(p, q, in_dims, buf, f_dims, filter, bias, out_dims,
                                      scratch);
#else
    (void)p, (void)q, (void)in_dims, (void)buf, (void)f_dims, (void)filter, (void)bias;
    (void)out_dims, (void)scratch;
    return -1;
#endif
}

#if TML_HAS_CONV_2D
/* 1x1, stride 1, no padding: each output pixel depends only on the same input pixel. Pixel p
 * is computed into scratch (out_c bytes) and then stored at p * out_c. Walking forward when
 * out_c <= in_c (or backward otherwise), a store only covers input pixels already consumed. */
int tml_conv2d_1x1_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                              const tml_dims_t *in_dims, int8_t *buf, const tml_dims_t *f_dims,
                              const int8_t *filter, const int32_t *bias,
                              const tml_dims_t *out_dims, int8_t *scratch) {
    const int32_t in_c = in_dims->c, out_c = out_dims->c;
    const int32_t pixels = in_dims->n * in_dims->h * in_dims->w;
    const tml_dims_t px_in = {1, 1, 1, in_c}, px_out = {1, 1, 1, out_c};
    const int forward = out_c <= in_c;
    for (int32_t i = 0; i < pixels; i++) {
        const int32_t px = forward ? i : pixels - 1 - i;
        tml_conv2d_s8(p, q, &px_in, buf + (int64_t)px * in_c, f_dims, filter, bias, &px_out,
                      scratch);
        memcpy(buf + (int64_t)px * out_c, scratch, (size_t)out_c);
    }
    return 0;
}

/* Any other CONV_2D of batch 1 whose output rows fit over input rows already consumed (a
 * strided first layer: 96x96x3 -> 48x48x8 writes 384 bytes per output row while moving 576
 * bytes down the input): row oy is computed into scratch (one output row), then stored at
 * oy * row bytes. The loader checks that no store reaches an input row still to be read. */
int tml_conv2d_rows_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                               const tml_dims_t *in_dims, int8_t *buf, const tml_dims_t *f_dims,
                               const int8_t *filter, const int32_t *bias,
                               const tml_dims_t *out_dims, int8_t *scratch) {
    const int32_t row = out_dims->w * out_dims->c;
    const tml_dims_t one_row = {1, 1, out_dims->w, out_dims->c};
    tml_conv_params_t pr = *p;
    for (int32_t oy = 0; oy < out_dims->h; oy++) {
        pr.pad_h = p->pad_h - oy * p->stride_h; /* output row oy as the only row */
        tml_conv2d_s8(&pr, q, in_dims, buf, f_dims, filter, bias, &one_row, scratch);
        memcpy(buf + (int64_t)oy * row, scratch, (size_t)row);
    }
    return 0;
}
#endif

#if TML_HAS_DEPTHWISE_CONV_2D
/* Depth multiplier 1: output channel c reads only input channel c. Channel c of the input is
 * copied into scratch (H * W bytes), then output channel c is written over it in place. */
int tml_depthwise_conv2d_inplace_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                                    const tml_dims_t *in_dims, int8_t *buf,
                                    const tml_dims_t *f_dims, const int8_t *filter,
                                    const int32_t *bias, const tml_dims_t *out_dims,
                                    int8_t *scratch) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    for (int32_t b = 0; b < in_dims->n; b++) {
        int8_t *in_b = buf + (int64_t)b * in_h * in_w * ch;
        int8_t *out_b = buf + (int64_t)b * out_h * out_w * ch;
        if (b > 0 && out_h * out_w > in_h * in_w) {
            return -1; /* batches would overlap: the loader allows batch 1 only then */
        }
        for (int32_t c = 0; c < ch; c++) {
            for (int32_t i = 0; i < in_h * in_w; i++) {
                scratch[i] = in_b[(int64_t)i * ch + c];
            }
            for (int32_t oy = 0; oy < out_h; oy++) {
                const int32_t iy0 = oy * p->stride_h - p->pad_h;
                for (int32_t ox = 0; ox < out_w; ox++) {
                    const int32_t ix0 = ox * p->stride_w - p->pad_w;
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
                            const int32_t x = scratch[iy * in_w + ix];
                            const int32_t w = filter[((int64_t)ky * k_w + kx) * ch + c];
                            acc += (x + p->input_offset) * w;
                        }
                    }
                    if (bias) {
                        acc += bias[c];
                    }
                    out_b[((int64_t)oy * out_w + ox) * ch + c] =
                        tml_output_stage(acc, q, c, p->output_offset, p->act_min, p->act_max);
                }
            }
        }
    }
    return 0;
}
#endif
#endif
