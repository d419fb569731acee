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

/* The same dequantization in integer arithmetic, for builds without floats (the armv6m native
 * module: libgcc's soft-float cannot be linked into it). (q - zp) * scale is an integer of at
 * most 9 bits times a float32: the exact product fits in 64 bits, and rounding it to 24
 * significant bits, ties to even, gives the very bits an FPU produces. */
static uint32_t mul_int_f32(int32_t k, uint32_t bits) {
    const uint32_t sign = (k < 0 ? 0x80000000u : 0u) ^ (bits & 0x80000000u);
    const uint32_t mag = (uint32_t)(k < 0 ? -k : k);
    int32_t e = (int32_t)((bits >> 23) & 0xffu);
    uint64_t p = bits & 0x7fffffu;
    if (e == 0xff) {
        return sign | 0x7fc00000u; /* an inf/NaN scale gives NaN */
    }
    if (e == 0) {
        e = 1; /* subnormal scale: no implicit bit */
    } else {
        p |= 0x800000u;
    }
    p *= mag; /* value = p * 2^(e - 150) */
    if (p == 0) {
        return sign;
    }
    while (p < 0x800000u && e > 1) { /* normalize a small product */
        p <<= 1;
        e--;
    }
    int s = 0;
    while ((p >> s) >= 0x1000000u) {
        s++;
    }
    uint64_t m = p >> s;
    if (s > 0) {
        const uint64_t rem = p & (((uint64_t)1 << s) - 1), half = (uint64_t)1 << (s - 1);
        if (rem > half || (rem == half && (m & 1u))) {
            m++;
        }
        if (m == 0x1000000u) {
            m >>= 1;
            s++;
        }
    }
    e += s;
    if (e >= 0xff) {
        return sign | 0x7f800000u;
    }
    if (m < 0x800000u) {
        return sign | (uint32_t)m; /* subnormal result */
    }
    return sign | ((uint32_t)e << 23) | ((uint32_t)m & 0x7fffffu);
}

void tml_dequantize_bits(const int8_t *q, uint32_t n, uint32_t scale_bits, int32_t zero_point,
                         uint32_t *out) {
    for (uint32_t i = 0; i < n; i++) {
        out[i] = mul_int_f32(q[i] - zero_point, scale_bits);
    }
}
