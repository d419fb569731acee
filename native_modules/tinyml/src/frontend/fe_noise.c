/* Front end, stage 4: noise reduction (fe_frontend.h).
 *
 * Each channel keeps a noise estimate, a first-order low-pass filter of its amplitude scaled
 * up by 2^smoothing_bits, with a 14-bit smoothing coefficient (one for even channels, one for
 * odd ones). The estimate is subtracted from the amplitude, leaving at least
 * min_signal_remaining of it. */
#include "tml_config.h"
#if TML_HAS_FRONTEND
#include <string.h>
#include "fe_frontend.h"

#define FE_NOISE_BITS 14

/* A fraction in [0, 1] as the reference stores it: x * 2^14 in float, truncated. */
static int fe_fraction14(float x, uint16_t *out) {
    if (!(x >= 0.0f && x <= 1.0f)) {
        return 0;
    }
    *out = (uint16_t)(x * (float)(1 << FE_NOISE_BITS));
    return 1;
}

int tml_fe_noise_init(tml_fe_noise_t *nr, int32_t num_channels, int32_t smoothing_bits,
                      float even_smoothing, float odd_smoothing, float min_signal_remaining) {
    if (num_channels < 1 || num_channels > TML_FE_MAX_CHANNELS) {
        return TML_FE_E_CHANNELS;
    }
    if (smoothing_bits < 0 || smoothing_bits > 31 ||
        !fe_fraction14(even_smoothing, &nr->even_smoothing) ||
        !fe_fraction14(odd_smoothing, &nr->odd_smoothing) ||
        !fe_fraction14(min_signal_remaining, &nr->min_signal_remaining)) {
        return TML_FE_E_NOISE;
    }
    nr->num_channels = num_channels;
    nr->smoothing_bits = smoothing_bits;
    tml_fe_noise_reset(nr);
    return TML_FE_OK;
}

void tml_fe_noise_reset(tml_fe_noise_t *nr) {
    memset(nr->estimate, 0, sizeof(nr->estimate));
}

void tml_fe_noise_run(tml_fe_noise_t *nr, uint32_t *signal) {
    const int32_t bits = nr->smoothing_bits;
    for (int32_t c = 0; c < nr->num_channels; c++) {
        const uint32_t k = (c & 1) ? nr->odd_smoothing : nr->even_smoothing;
        const uint32_t scaled = signal[c] << bits; /* wraps as in the reference */
        uint32_t est = (uint32_t)(((uint64_t)scaled * k +
                                   (uint64_t)nr->estimate[c] * ((1u << FE_NOISE_BITS) - k)) >>
                                  FE_NOISE_BITS);
        nr->estimate[c] = est;
        if (est > scaled) {
            est = scaled;
        }
        const uint32_t floor_value =
            (uint32_t)(((uint64_t)signal[c] * nr->min_signal_remaining) >> FE_NOISE_BITS);
        const uint32_t left = (scaled - est) >> bits;
        signal[c] = left > floor_value ? left : floor_value;
    }
}
#endif /* TML_HAS_FRONTEND */
