/* Float at the API edges only: quantize caller inputs, dequantize outputs. */
#include <string.h>
#include "tinyml.h"

#if TML_HAS_FLOAT
float tml_scale_f32(uint32_t scale_bits) {
    float f;
    memcpy(&f, &scale_bits, sizeof(f));
    return f;
}

/* Round half away from zero without libm (natmods have none): the fraction q - trunc(q) is
 * exact in float, so the comparison with 0.5 decides the same way std::round does. */
static int32_t round_away(float q) {
    const int32_t t = (int32_t)q;
    const float frac = q - (float)t;
    if (frac >= 0.5f) {
        return t + 1;
    }
    if (frac <= -0.5f) {
        return t - 1;
    }
    return t;
}

tml_status_t tml_quantize_f32(const float *x, uint32_t n, float scale, int32_t zero_point,
                              int8_t *out) {
    for (uint32_t i = 0; i < n; i++) {
        float v = x[i];
        if (v != v || v - v != 0.0f) { /* NaN, or +-inf (inf - inf is NaN) */
            return TML_E_VALUE;
        }
        float q = v / scale;
        /* Clamp before converting so the float-to-int conversion is always defined. */
        if (q > 1e6f) {
            q = 1e6f;
        } else if (q < -1e6f) {
            q = -1e6f;
        }
        int32_t r = round_away(q) + zero_point;
        out[i] = (int8_t)(r < -128 ? -128 : (r > 127 ? 127 : r));
    }
    return TML_OK;
}

void tml_dequantize_f32(const int8_t *q, uint32_t n, float scale, int32_t zero_point,
                        float *out) {
    for (uint32_t i = 0; i < n; i++) {
        out[i] = (float)(q[i] - zero_point) * scale;
    }
}
#endif
