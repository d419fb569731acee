/* Front end: configuration, init, reset and the streaming call (fe_frontend.h). */
#include "tml_config.h"
#if TML_HAS_FRONTEND
#include <string.h>
#include "fe_frontend.h"

/* Fraction bits of the filterbank's weights: the square root of a sum of weight * energy
 * carries half of them, which the log stage's correction accounts for. */
#define FE_FILTERBANK_HALF_BITS 6

void tml_fe_config_default(tml_fe_config_t *cfg) {
    cfg->sample_rate = 16000;
    cfg->window_size = 25;
    cfg->window_step = 10;
    cfg->num_channels = 32;
    cfg->upper_band_limit = 7500.0f;
    cfg->lower_band_limit = 125.0f;
    cfg->smoothing_bits = 10;
    cfg->even_smoothing = 0.025f;
    cfg->odd_smoothing = 0.06f;
    cfg->min_signal_remaining = 0.05f;
    cfg->enable_pcan = 1;
    cfg->pcan_strength = 0.95f;
    cfg->pcan_offset = 80.0f;
    cfg->gain_bits = 21;
    cfg->enable_log = 1;
    cfg->scale_shift = 6;
}

void tml_fe_config_micro_speech(tml_fe_config_t *cfg) {
    tml_fe_config_default(cfg);
    cfg->window_size = 30;
    cfg->window_step = 20;
    cfg->num_channels = 40;
}

int tml_fe_init(tml_fe_t *fe, const tml_fe_config_t *cfg) {
    if (fe == NULL || cfg == NULL) {
        return TML_FE_E_ARG;
    }
    fe->ready = 0;
    /* Window and step in samples, rounded down as the reference does (ms * rate / 1000). */
    if (cfg->sample_rate < 1 || cfg->window_size < 1 || cfg->window_step < 1) {
        return TML_FE_E_WINDOW;
    }
    const int64_t size = (int64_t)cfg->window_size * cfg->sample_rate / 1000;
    const int64_t step = (int64_t)cfg->window_step * cfg->sample_rate / 1000;
    if (size > TML_FE_MAX_WINDOW) {
        return TML_FE_E_WINDOW;
    }
    int status = tml_fe_window_init(&fe->window, (int32_t)size, (int32_t)step);
    if (status != TML_FE_OK) {
        return status;
    }
    int32_t fft_size = 1;
    while (fft_size < size) {
        fft_size <<= 1;
    }
    if (tml_fe_fft_init(&fe->fft, fft_size) != TML_FE_FFT_OK) {
        return TML_FE_E_FFT;
    }
    fe->fft_size = fft_size;
    status = tml_fe_filterbank_init(&fe->filterbank, cfg->num_channels, cfg->sample_rate,
                                    fft_size / 2 + 1, cfg->lower_band_limit,
                                    cfg->upper_band_limit);
    if (status != TML_FE_OK) {
        return status;
    }
    status = tml_fe_noise_init(&fe->noise, cfg->num_channels, cfg->smoothing_bits,
                               cfg->even_smoothing, cfg->odd_smoothing,
                               cfg->min_signal_remaining);
    if (status != TML_FE_OK) {
        return status;
    }
    /* The FFT scales its output down by fft_size while the weights carry 12 bits (6 after
     * the square root): both stages below correct for the difference. */
    const int32_t correction = tml_fe_bits32((uint32_t)fft_size) - 1 - FE_FILTERBANK_HALF_BITS;
    status = tml_fe_pcan_init(&fe->pcan, cfg->enable_pcan, cfg->pcan_strength,
                              cfg->pcan_offset, cfg->gain_bits, cfg->smoothing_bits,
                              correction);
    if (status != TML_FE_OK) {
        return status;
    }
    status = tml_fe_log_init(&fe->log, cfg->enable_log, cfg->scale_shift, correction);
    if (status != TML_FE_OK) {
        return status;
    }
    fe->ready = 1;
    tml_fe_reset(fe);
    return TML_FE_OK;
}

void tml_fe_reset(tml_fe_t *fe) {
    if (fe == NULL || !fe->ready) {
        return;
    }
    tml_fe_window_reset(&fe->window);
    tml_fe_filterbank_reset(&fe->filterbank);
    tml_fe_noise_reset(&fe->noise);
    /* The frame past the window stays zero: the FFT's zero padding. */
    memset(fe->frame, 0, sizeof(fe->frame));
    memset(fe->spectrum, 0, sizeof(fe->spectrum));
    memset(fe->signal, 0, sizeof(fe->signal));
}

int32_t tml_fe_process(tml_fe_t *fe, const int16_t *samples, int32_t n, int32_t *consumed,
                       uint16_t *features) {
    if (fe == NULL || consumed == NULL || features == NULL || n < 0 ||
        (samples == NULL && n > 0)) {
        return TML_FE_E_ARG;
    }
    *consumed = 0;
    if (!fe->ready) {
        return TML_FE_E_STATE;
    }
    int32_t shift;
    if (!tml_fe_window_push(&fe->window, samples, n, consumed, fe->frame, &shift)) {
        return 0;
    }
    tml_fe_fft_run(&fe->fft, fe->frame, fe->spectrum);
    const int32_t channels = fe->filterbank.num_channels;
    tml_fe_filterbank_run(&fe->filterbank, fe->spectrum, shift, fe->signal);
    tml_fe_noise_run(&fe->noise, fe->signal);
    if (fe->pcan.enabled) {
        tml_fe_pcan_run(&fe->pcan, fe->noise.estimate, fe->signal, channels);
    }
    tml_fe_log_run(&fe->log, fe->signal, channels, features);
    return 1;
}

void tml_fe_to_int8(const uint16_t *features, int32_t n, int8_t *out) {
    for (int32_t i = 0; i < n; i++) {
        /* features[i] < 2^16: the product and the sum stay below 2^25. */
        int32_t v = ((int32_t)features[i] * 256 + 333) / 666 - 128;
        out[i] = (int8_t)(v > 127 ? 127 : v);
    }
}

const char *tml_fe_strerror(int status) {
    switch (status) {
    case TML_FE_OK:
        return "ok";
    case TML_FE_E_ARG:
        return "NULL pointer or negative sample count";
    case TML_FE_E_STATE:
        return "front end not initialized";
    case TML_FE_E_WINDOW:
        return "sample rate, window size or window step out of range";
    case TML_FE_E_CHANNELS:
        return "num_channels out of range";
    case TML_FE_E_BAND:
        return "band limits invalid or beyond the spectrum";
    case TML_FE_E_NOISE:
        return "noise reduction parameters out of range";
    case TML_FE_E_PCAN:
        return "PCAN parameters out of range";
    case TML_FE_E_LOG:
        return "log scale parameters out of range";
    case TML_FE_E_FFT:
        return "FFT size not supported";
    default:
        return "unknown front-end status";
    }
}
#endif /* TML_HAS_FRONTEND */
