#include "tml_config.h"
#if TML_HAS_MEAN
#include "fixedpoint.h"

/* TFLite's QuantizedMeanOrSum for int8: the raw sum minus n times the input zero point, then
 * one requantization whose multiplier already includes the division by n. The loader bounds n
 * so that the sum fits in int32. */
int tml_mean_s8(const tml_mean_params_t *p, const int8_t *in, int8_t *out) {
    int32_t stride[4], keep[4], red[4];
    int32_t n = 1;
    stride[3] = 1;
    for (int d = 2; d >= 0; d--) {
        stride[d] = stride[d + 1] * p->dims[d + 1];
    }
    for (int d = 0; d < 4; d++) {
        const int reduced = (p->axes >> d) & 1;
        keep[d] = reduced ? 1 : p->dims[d];
        red[d] = reduced ? p->dims[d] : 1;
        n *= red[d];
    }
    for (int32_t o0 = 0; o0 < keep[0]; o0++) {
        for (int32_t o1 = 0; o1 < keep[1]; o1++) {
            for (int32_t o2 = 0; o2 < keep[2]; o2++) {
                for (int32_t o3 = 0; o3 < keep[3]; o3++) {
                    const int8_t *base =
                        in + o0 * stride[0] + o1 * stride[1] + o2 * stride[2] + o3 * stride[3];
                    int32_t sum = 0;
                    for (int32_t r0 = 0; r0 < red[0]; r0++) {
                        for (int32_t r1 = 0; r1 < red[1]; r1++) {
                            for (int32_t r2 = 0; r2 < red[2]; r2++) {
                                const int8_t *row = base + r0 * stride[0] + r1 * stride[1] +
                                                    r2 * stride[2];
                                for (int32_t r3 = 0; r3 < red[3]; r3++) {
                                    sum += row[r3 * stride[3]];
                                }
                            }
                        }
                    }
                    int32_t v = tml_requantize_fast(sum - p->input_zero_point * n, p->mult, p->shift,
                                               p->rounding);
                    *out++ = (int8_t)tml_clamp(tml_wrap_add(v, p->output_zero_point), -128, 127);
                }
            }
        }
    }
    return 0;
}
#endif
