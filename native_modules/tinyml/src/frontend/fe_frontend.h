/* Audio front end: our C99 implementation of the stages of TensorFlow's audio_microfrontend op
 * (the "microfrontend" library of TensorFlow Lite Micro, whose features TFLM's micro_speech
 * model is trained on). Every integer step follows the reference's arithmetic, so the uint16
 * features are bit-exact with the op's output at out_scale 1, out_type uint16.
 *
 * One stage per file, each called by the one after it in this list:
 *   fe_window.c      Hann window with 12-bit coefficients over window_size samples, moving by
 *                    window_step samples; the windowed frame is shifted up to fill 16 bits
 *   fe_fft.c         (own header fe_fft.h) the real FFT of the frame, kiss_fftr FIXED_POINT=16
 *   fe_filterbank.c  power spectrum, mel filterbank (12-bit triangular weights, 64-bit sums),
 *                    integer square root, the frame's up-shift undone
 *   fe_noise.c       per-channel noise estimate (low-pass filter), spectral subtraction
 *   fe_pcan.c        per-channel amplitude normalization by the noise estimate (optional)
 *   fe_log.c         fixed-point natural logarithm (optional), clamped to uint16
 *   fe_frontend.c    configuration, init, reset, the streaming call
 *
 * No heap, no global mutable state: everything lives in the caller's tml_fe_t (see the maxima
 * below; sizeof(tml_fe_t) is 14,312 bytes on x86-64, the FFT's 2,576 included). The
 * per-frame path is integer only.
 *
 * tml_fe_init computes its tables with floating point, as the reference does, because the
 * reference's tables are defined by that arithmetic: the Hann window (cos), the mel
 * filterbank's band edges and weights (log1p) and the PCAN gain table (powf). It repeats the
 * exact mix of float and double of the copy of the library inside TensorFlow's op (the one
 * the features of micro_speech's training come from). TFLM's own current copy has since
 * moved these to float only (cosf, log1pf), which changes a few table entries (for
 * micro_speech's configuration: window coefficient 17 of 480 and 3 of the 40-channel
 * weights), so its features differ slightly from the op's; ours are the op's. The tables
 * are bit-exact on a target whose float and double are IEEE with FLT_EVAL_METHOD 0
 * (x86-64, Arm, RISC-V; double may be software) and whose libm returns the same cos, log1p
 * and powf as the one the op runs with (glibc; newlib's gave the same tables on Cortex-M3
 * and M4F in the configurations checked); the one product followed by an add whose
 * rounding matters is kept apart, so a compiler fusing multiply-adds cannot change them.
 *
 * What the op does after the library, over a whole clip, is left to the caller: stacking
 * left_context/right_context frames (zero_padding), keeping every frame_stride-th frame, and
 * dividing by out_scale (tests/c/fe_check.c does all three as the op does).
 *
 * Use:
 *   tml_fe_config_t cfg; tml_fe_config_default(&cfg);   (or tml_fe_config_micro_speech)
 *   static tml_fe_t fe;  if (tml_fe_init(&fe, &cfg) != TML_FE_OK) ...
 *   while (n > 0) {
 *       int32_t used; uint16_t feat[TML_FE_MAX_CHANNELS];
 *       int32_t r = tml_fe_process(&fe, samples, n, &used, feat);
 *       if (r < 0) ...; samples += used; n -= used;
 *       if (r == 1) ... feat[0 .. cfg.num_channels) is one frame ...
 *   }
 */
#ifndef TML_FE_FRONTEND_H
#define TML_FE_FRONTEND_H

#include <stdint.h>
#include "fe_fft.h"

/* Maxima of the caller-owned state: a window of 33 to 1024 samples (64 ms at 16 kHz, 21 ms
 * at 48 kHz), so an FFT of 64 to 1024 points (the window rounded up to a power of two), and
 * up to 64 filterbank channels. */
#define TML_FE_MAX_WINDOW 1024
#define TML_FE_MAX_FFT TML_FE_FFT_MAX_SIZE /* 1024 */
#define TML_FE_MAX_CHANNELS 64
#define TML_FE_MAX_BINS (TML_FE_MAX_FFT / 2 + 1)
/* Entries of the PCAN gain table: 3 per octave of a 32-bit noise estimate (intervals 2..32,
 * a quadratic each), plus the values at 0 and 1, laid out 4 per interval from offset 2. */
#define TML_FE_PCAN_LUT 125

/* Status codes: 0 is success, every failure is negative. */
enum {
    TML_FE_OK = 0,
    TML_FE_E_ARG = -1,      /* NULL pointer or negative sample count */
    TML_FE_E_STATE = -2,    /* tml_fe_t not (successfully) initialized */
    TML_FE_E_WINDOW = -3,   /* sample rate, window size or step out of range */
    TML_FE_E_CHANNELS = -4, /* num_channels outside 1..TML_FE_MAX_CHANNELS */
    TML_FE_E_BAND = -5,     /* band limits: not finite, lower < 0, upper <= lower, a band
                             * edge at or above the spectrum's last bin, degenerate weights */
    TML_FE_E_NOISE = -6,    /* smoothing_bits outside 0..31 or a coefficient outside [0, 1] */
    TML_FE_E_PCAN = -7,     /* (enable_pcan) strength or offset not finite, offset < 0, or
                             * gain_bits leaving a shift outside the integer's width */
    TML_FE_E_LOG = -8,      /* (enable_log) scale_shift outside 0..31 */
    TML_FE_E_FFT = -9       /* tml_fe_fft_init refused the FFT size: windows of fewer than
                             * 33 samples (an FFT under its 64 points) */
};

/* The op's attributes that shape each frame (the names and meanings of audio_microfrontend's).
 * Defaults, from TensorFlow's op registration and its Python wrapper: see
 * tml_fe_config_default. */
typedef struct {
    int32_t sample_rate;        /* Hz */
    int32_t window_size;        /* ms; window_size * sample_rate / 1000 samples */
    int32_t window_step;        /* ms; window_step * sample_rate / 1000 samples */
    int32_t num_channels;       /* filterbank channels */
    float upper_band_limit;     /* Hz, highest frequency in the filterbank */
    float lower_band_limit;     /* Hz, lowest frequency in the filterbank */
    int32_t smoothing_bits;     /* noise estimate kept at signal << smoothing_bits */
    float even_smoothing;       /* noise estimate's smoothing, even-numbered channels */
    float odd_smoothing;        /* noise estimate's smoothing, odd-numbered channels */
    float min_signal_remaining; /* fraction of the signal left after subtracting the noise */
    int32_t enable_pcan;        /* nonzero: per-channel amplitude normalization */
    float pcan_strength;        /* gain normalization exponent */
    float pcan_offset;          /* added to the noise estimate in the denominator */
    int32_t gain_bits;          /* fractional bits of the gain */
    int32_t enable_log;         /* nonzero: logarithm of the result */
    int32_t scale_shift;        /* the logarithm is scaled by 2^scale_shift */
} tml_fe_config_t;

/* The configuration's fields in their struct order, X(name, I) for int32_t and X(name, F) for
 * float: the bindings take a configuration as a tuple in this order and export the names
 * (FE_FIELDS), so the order is written here only. */
#define TML_FE_CONFIG_FIELDS(X)                                                              \
    X(sample_rate, I) X(window_size, I) X(window_step, I) X(num_channels, I)                 \
    X(upper_band_limit, F) X(lower_band_limit, F) X(smoothing_bits, I) X(even_smoothing, F)   \
    X(odd_smoothing, F) X(min_signal_remaining, F) X(enable_pcan, I) X(pcan_strength, F)      \
    X(pcan_offset, F) X(gain_bits, I) X(enable_log, I) X(scale_shift, I)

/* Stage states (internal: read them only through the functions below). */
typedef struct {
    int32_t size;                     /* samples per window */
    int32_t step;                     /* samples per step */
    int32_t used;                     /* samples held in input[] */
    int16_t coef[TML_FE_MAX_WINDOW];  /* Hann window, 12 fractional bits */
    int16_t input[TML_FE_MAX_WINDOW]; /* the window's samples so far */
} tml_fe_window_t;

typedef struct {
    int32_t num_channels;
    int32_t start;                          /* first bin used (DC always excluded) */
    int32_t end;                            /* one past the last bin used */
    int16_t edge[TML_FE_MAX_CHANNELS + 2];  /* band b is bins [edge[b], edge[b + 1]) */
    int16_t weight[TML_FE_MAX_BINS];        /* bin's weight in the channel its band closes */
    int16_t unweight[TML_FE_MAX_BINS];      /* bin's weight in the channel its band opens */
    uint64_t acc[TML_FE_MAX_CHANNELS];      /* per-channel energy sums of a frame */
} tml_fe_filterbank_t;

typedef struct {
    int32_t num_channels;
    int32_t smoothing_bits;
    uint16_t even_smoothing;                /* 14 fractional bits */
    uint16_t odd_smoothing;
    uint16_t min_signal_remaining;
    uint32_t estimate[TML_FE_MAX_CHANNELS]; /* noise estimate << smoothing_bits */
} tml_fe_noise_t;

typedef struct {
    int32_t enabled;
    int32_t snr_shift;
    int16_t lut[TML_FE_PCAN_LUT];
} tml_fe_pcan_t;

typedef struct {
    int32_t enabled;
    int32_t scale_shift;
    int32_t correction_bits; /* log2(fft size) - 6: the FFT's scaling of the magnitudes */
} tml_fe_log_t;

/* The whole front end, 14 KB (see above): make it static, or part of a larger static object,
 * rather than a local on a small stack. */
typedef struct {
    int32_t ready; /* set by a successful tml_fe_init */
    int32_t fft_size;
    tml_fe_window_t window;
    tml_fe_filterbank_t filterbank;
    tml_fe_noise_t noise;
    tml_fe_pcan_t pcan;
    tml_fe_log_t log;
    int16_t frame[TML_FE_MAX_FFT];            /* the windowed frame, the FFT's input */
    int16_t spectrum[2 * TML_FE_MAX_BINS];   /* the FFT's output: (re, im) per bin */
    uint32_t signal[TML_FE_MAX_CHANNELS];    /* per-channel values between the stages */
    tml_fe_fft_t fft;
} tml_fe_t;

/* The defaults of audio_microfrontend() in TensorFlow's Python API: 16000 Hz, 25 ms windows
 * every 10 ms, 32 channels over 125..7500 Hz, smoothing_bits 10, even/odd smoothing
 * 0.025/0.06, min_signal_remaining 0.05, PCAN on (strength 0.95, offset 80, gain_bits 21),
 * log on with scale_shift 6. (The op's own registration has the same values except
 * enable_pcan = false.) */
void tml_fe_config_default(tml_fe_config_t *cfg);
/* The configuration TFLM's micro_speech model is trained on: the defaults above with 30 ms
 * windows every 20 ms and 40 channels. */
void tml_fe_config_micro_speech(tml_fe_config_t *cfg);

/* Checks cfg, computes the window, filterbank and PCAN tables and resets the state.
 * TML_FE_OK or a TML_FE_E_* status; after a failure fe is unusable until a successful init. */
int tml_fe_init(tml_fe_t *fe, const tml_fe_config_t *cfg);

/* Back to the state right after tml_fe_init: no samples held, noise estimates zero. */
void tml_fe_reset(tml_fe_t *fe);
/* The channels of each frame (an initialized front-end). */
static inline int32_t tml_fe_channels(const tml_fe_t *fe) {
    return fe->filterbank.num_channels;
}

/* Feeds samples[0 .. n) as the reference's FrontendProcessSamples does: takes samples only
 * until the current window is full (*consumed says how many), and when it is, computes that
 * window's features into features[0 .. num_channels) and returns 1. Returns 0 when all n were
 * taken without completing a window, or a negative TML_FE_E_* status. Call again with the
 * rest of the samples until n is used up. */
int32_t tml_fe_process(tml_fe_t *fe, const int16_t *samples, int32_t n, int32_t *consumed,
                       uint16_t *features);

/* Features as int8 model inputs, as TensorFlow Lite Micro's micro_speech example makes them:
 * the speech_commands training scales a feature v by 10/256 and the model's input is int8 with
 * a scale of about 26/256 and a zero point of -128, which the example does in integers as
 * round(v * 256 / 666) - 128 (666 = 25.6 * 26, halves rounded up), clamped to int8. n values
 * from features to out. */
void tml_fe_to_int8(const uint16_t *features, int32_t n, int8_t *out);

/* A short English description of a status code. */
const char *tml_fe_strerror(int status);

/* ---- Internal: the stages (one file each) and the helpers they share. ---- */

int tml_fe_window_init(tml_fe_window_t *w, int32_t size, int32_t step);
void tml_fe_window_reset(tml_fe_window_t *w);
/* Takes samples until the window is full; then writes the windowed frame, shifted up so its
 * largest magnitude fills 15 bits, to frame[0 .. size), returns 1 and the shift in *shift. */
int32_t tml_fe_window_push(tml_fe_window_t *w, const int16_t *samples, int32_t n,
                           int32_t *consumed, int16_t *frame, int32_t *shift);

int tml_fe_filterbank_init(tml_fe_filterbank_t *fb, int32_t num_channels, int32_t sample_rate,
                           int32_t spectrum_size, float lower_hz, float upper_hz);
void tml_fe_filterbank_reset(tml_fe_filterbank_t *fb);
/* Channel amplitudes of one spectrum (tml_fe_fft_run's (re, im) pairs), each shifted down by
 * `shift`. */
void tml_fe_filterbank_run(tml_fe_filterbank_t *fb, const int16_t *spectrum, int32_t shift,
                           uint32_t *out);

int tml_fe_noise_init(tml_fe_noise_t *nr, int32_t num_channels, int32_t smoothing_bits,
                      float even_smoothing, float odd_smoothing, float min_signal_remaining);
void tml_fe_noise_reset(tml_fe_noise_t *nr);
void tml_fe_noise_run(tml_fe_noise_t *nr, uint32_t *signal);

/* input_correction_bits: log2(fft size) - 6, as for the log stage. */
int tml_fe_pcan_init(tml_fe_pcan_t *pc, int32_t enable, float strength, float offset,
                     int32_t gain_bits, int32_t smoothing_bits, int32_t input_correction_bits);
void tml_fe_pcan_run(const tml_fe_pcan_t *pc, const uint32_t *noise_estimate, uint32_t *signal,
                     int32_t num_channels);

int tml_fe_log_init(tml_fe_log_t *lg, int32_t enable, int32_t scale_shift,
                    int32_t correction_bits);
void tml_fe_log_run(const tml_fe_log_t *lg, const uint32_t *signal, int32_t num_channels,
                    uint16_t *out);

/* Number of significant bits of v (0 for 0). */
static inline int32_t tml_fe_bits32(uint32_t v) {
    int32_t n = 0;
    if (v >> 16) {
        n += 16;
        v >>= 16;
    }
    if (v >> 8) {
        n += 8;
        v >>= 8;
    }
    if (v >> 4) {
        n += 4;
        v >>= 4;
    }
    if (v >> 2) {
        n += 2;
        v >>= 2;
    }
    if (v >> 1) {
        n += 1;
        v >>= 1;
    }
    return n + (int32_t)v;
}

static inline int32_t tml_fe_bits64(uint64_t v) {
    return (v >> 32) ? 32 + tml_fe_bits32((uint32_t)(v >> 32)) : tml_fe_bits32((uint32_t)v);
}

/* x >> n rounding toward minus infinity, for negative x too (C99 leaves >> of a negative
 * value to the implementation; the reference relies on the arithmetic shift). */
static inline int32_t tml_fe_asr(int32_t x, int32_t n) {
    return x >= 0 ? x >> n : -1 - ((-1 - x) >> n);
}

/* The low 16 bits of x as a two's-complement int16 (what a cast does on the reference's
 * compilers; C99 leaves an out-of-range conversion to the implementation). */
static inline int16_t tml_fe_wrap16(int32_t x) {
    uint32_t u = (uint32_t)x & 0xFFFFu;
    return (int16_t)(u < 0x8000u ? (int32_t)u : (int32_t)u - 65536);
}

#endif /* TML_FE_FRONTEND_H */
