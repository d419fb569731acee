/* Front end, stage 5: per-channel amplitude normalization, PCAN (fe_frontend.h).
 *
 * Each channel's amplitude is multiplied by a gain of (estimate + offset)^-strength, the
 * estimate being the noise stage's, then compressed: quadratically below 2 (in 12-bit
 * fixed point), linearly above. The gain comes from a table made at init: for each octave
 * [2^(i-1), 2^i) of the estimate, a quadratic through the exact gains at the octave's start,
 * middle and end, evaluated on the estimate's 10 bits below its top bit. */
#include "tml_config.h"
#if TML_HAS_FRONTEND
#include <string.h>
#include "fe_frontend.h"
#include "fe_math.h"

#define FE_SNR_BITS 12
#define FE_OUTPUT_BITS 6
#define FE_GAIN_INTERVALS 32

/* Init-time float, the reference's single-precision expression for the gain at estimate x
 * (which has input_bits fractional bits), in gain_bits fractional bits, capped at 32767 and
 * rounded half up. Scaling by powers of two is exact. */
static int16_t fe_gain(float strength, float offset, int32_t gain_bits, int32_t input_bits,
                       uint32_t x) {
    const float xf = (float)x / (float)((uint32_t)1 << input_bits);
    const float g =
        (float)((uint32_t)1 << gain_bits) * tml_fe_powf(xf + offset, -strength);
    if (g > 32767.0f) {
        return 32767;
    }
    return (int16_t)(g + 0.5f);
}

int tml_fe_pcan_init(tml_fe_pcan_t *pc, int32_t enable, float strength, float offset,
                     int32_t gain_bits, int32_t smoothing_bits,
                     int32_t input_correction_bits) {
    memset(pc, 0, sizeof(*pc));
    if (!enable) {
        return TML_FE_OK;
    }
    const int32_t input_bits = smoothing_bits - input_correction_bits;
    const int32_t snr_shift = gain_bits - input_correction_bits - FE_SNR_BITS;
    /* offset >= 0 keeps powf's base non-negative (no NaN); the shifts stay inside their
     * integers' widths. */
    if (!tml_fe_isfinitef(strength) || !tml_fe_isfinitef(offset) || !(offset >= 0.0f) ||
        gain_bits < 0 || gain_bits > 31 || input_bits < 0 || input_bits > 31 ||
        snr_shift < 0 || snr_shift > 63) {
        return TML_FE_E_PCAN;
    }
    pc->enabled = 1;
    pc->snr_shift = snr_shift;
    int16_t *lut = pc->lut;
    lut[0] = fe_gain(strength, offset, gain_bits, input_bits, 0);
    lut[1] = fe_gain(strength, offset, gain_bits, input_bits, 1);
    /* Interval i (estimates with i significant bits) at lut[4i - 6 ..]: the gain at its
     * start y0, and the quadratic's coefficients 4 (y1 - y0) - (y2 - y0) and the rest, so
     * that y0 + a1 t + a2 t^2 passes through y1 at t = 1/2 and y2 at t = 1. The last
     * interval ends at 2^32 - 1. The coefficients wrap to 16 bits as the reference's do. */
    for (int32_t i = 2; i <= FE_GAIN_INTERVALS; i++) {
        const uint32_t x0 = (uint32_t)1 << (i - 1);
        const uint32_t x1 = x0 + (x0 >> 1);
        const uint32_t x2 = i == FE_GAIN_INTERVALS ? x0 + (x0 - 1) : 2 * x0;
        const int32_t y0 = fe_gain(strength, offset, gain_bits, input_bits, x0);
        const int32_t y1 = fe_gain(strength, offset, gain_bits, input_bits, x1);
        const int32_t y2 = fe_gain(strength, offset, gain_bits, input_bits, x2);
        const int32_t a1 = 4 * (y1 - y0) - (y2 - y0);
        const int32_t a2 = (y2 - y0) - a1;
        lut[4 * i - 6] = (int16_t)y0;
        lut[4 * i - 5] = tml_fe_wrap16(a1);
        lut[4 * i - 4] = tml_fe_wrap16(a2);
    }
    return TML_FE_OK;
}

/* The gain for estimate x from the table: t is x's 10 bits below its top bit, and the
 * quadratic is evaluated in fixed point, int32 and int16 wrap-around as in the reference. */
static int32_t fe_gain_at(const int16_t *lut, uint32_t x) {
    if (x <= 2) {
        return lut[x];
    }
    const int32_t interval = tml_fe_bits32(x);
    const int16_t *q = lut + 4 * interval - 6;
    const uint32_t aligned = interval < 11 ? x << (11 - interval) : x >> (interval - 11);
    const int32_t t = (int32_t)(aligned & 0x3FFu);
    /* |q[2] t / 32| + |q[1] * 32| < 2^21, times t < 2^10: inside int32. */
    int32_t r = tml_fe_asr((int32_t)q[2] * t, 5) + (int32_t)q[1] * 32;
    r *= t;
    r = tml_fe_asr(r + (1 << 14), 15) + q[0];
    return tml_fe_wrap16(r);
}

/* Compression of a 12-bit fixed-point ratio into 6 fractional bits: x^2 / 4 below 2, x - 1
 * from there on. */
static uint32_t fe_shrink(uint32_t x) {
    if (x < ((uint32_t)2 << FE_SNR_BITS)) {
        return (x * x) >> (2 + 2 * FE_SNR_BITS - FE_OUTPUT_BITS);
    }
    return (x >> (FE_SNR_BITS - FE_OUTPUT_BITS)) - ((uint32_t)1 << FE_OUTPUT_BITS);
}

void tml_fe_pcan_run(const tml_fe_pcan_t *pc, const uint32_t *noise_estimate, uint32_t *signal,
                     int32_t num_channels) {
    for (int32_t c = 0; c < num_channels; c++) {
        /* A negative table gain widens with its sign, as the reference's does. */
        const uint32_t gain = (uint32_t)fe_gain_at(pc->lut, noise_estimate[c]);
        const uint32_t snr = (uint32_t)(((uint64_t)signal[c] * gain) >> pc->snr_shift);
        signal[c] = fe_shrink(snr);
    }
}
#endif /* TML_HAS_FRONTEND */
