/* Front end, stage 6: fixed-point logarithm and the uint16 output (fe_frontend.h).
 *
 * With the log on, each value is first corrected for the FFT's scaling (shifted by
 * log2(fft size) - 6 bits, up or down), then ln(x) * 2^scale_shift is computed in fixed point:
 * log2 x as its integer part (the top bit) plus a 16-bit fraction from a piecewise-linear
 * correction table, times ln 2 in 16 bits, rounded at each step. Values 0 and 1 give 0.
 * Either way the result is clamped to 65535. */
#include "tml_config.h"
#if TML_HAS_FRONTEND
#include "fe_frontend.h"

#define FE_LOG_BITS 16                 /* fraction bits of log2 */
#define FE_LOG_SEGMENT_BITS 7          /* 128 table segments over [1, 2) */
#define FE_LN2_Q16 45426u              /* round(ln 2 * 2^16) */

/* log2(1 + i/128) - i/128 in 16 fractional bits, rounded half up, for i = 0 .. 128: what a
 * straight line between 2^k and 2^(k+1) lacks of log2, at the table's 129 knots. */
static const uint16_t fe_log2_correction[129] = {
    0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797,
    2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549,
    4633, 4714, 4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444,
    5477, 5507, 5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626,
    5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203,
    5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264,
    4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875,
    2768, 2659, 2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094,
    963, 830, 695, 559, 421, 282, 142, 0,
};

int tml_fe_log_init(tml_fe_log_t *lg, int32_t enable, int32_t scale_shift,
                    int32_t correction_bits) {
    lg->enabled = enable != 0;
    lg->scale_shift = scale_shift;
    lg->correction_bits = correction_bits;
    if (lg->enabled && (scale_shift < 0 || scale_shift > 31)) {
        return TML_FE_E_LOG;
    }
    if (correction_bits < -31 || correction_bits > 31) {
        return TML_FE_E_LOG;
    }
    return TML_FE_OK;
}

/* The fraction of log2 x (x >= 2, top bit at position `top`), 16 bits. */
static uint32_t fe_log2_fraction(uint32_t x, int32_t top) {
    int32_t f = (int32_t)(x - ((uint32_t)1 << top)); /* x's bits below the top, < 2^31 */
    if (top < FE_LOG_BITS) {
        f <<= FE_LOG_BITS - top;
    } else {
        f >>= top - FE_LOG_BITS;
    }
    const int32_t seg = f >> (FE_LOG_BITS - FE_LOG_SEGMENT_BITS);
    const int32_t c0 = fe_log2_correction[seg];
    const int32_t c1 = fe_log2_correction[seg + 1];
    const int32_t pos = f - (seg << (FE_LOG_BITS - FE_LOG_SEGMENT_BITS));
    const int32_t interp = tml_fe_asr((c1 - c0) * pos, FE_LOG_BITS);
    return (uint32_t)(f + c0 + interp);
}

/* ln(x) * 2^scale_shift, rounded, for x >= 2 (uint32 wrap-around as in the reference). */
static uint32_t fe_log_scaled(uint32_t x, int32_t scale_shift) {
    const int32_t top = tml_fe_bits32(x) - 1;
    const uint32_t log2_q16 = ((uint32_t)top << FE_LOG_BITS) + fe_log2_fraction(x, top);
    const uint32_t half = (uint32_t)1 << (FE_LOG_BITS - 1);
    const uint32_t ln_q16 =
        (uint32_t)(((uint64_t)FE_LN2_Q16 * log2_q16 + half) >> FE_LOG_BITS);
    return ((ln_q16 << scale_shift) + half) >> FE_LOG_BITS;
}

void tml_fe_log_run(const tml_fe_log_t *lg, const uint32_t *signal, int32_t num_channels,
                    uint16_t *out) {
    for (int32_t c = 0; c < num_channels; c++) {
        uint32_t v = signal[c];
        if (lg->enabled) {
            if (lg->correction_bits < 0) {
                v >>= -lg->correction_bits;
            } else {
                v <<= lg->correction_bits;
            }
            v = v > 1 ? fe_log_scaled(v, lg->scale_shift) : 0;
        }
        out[c] = (uint16_t)(v < 0xFFFFu ? v : 0xFFFFu);
    }
}
#endif /* TML_HAS_FRONTEND */
