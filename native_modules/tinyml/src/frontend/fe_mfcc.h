/* MFCC front end for the MLPerf Tiny keyword-spotting model (models/kws), in fixed point.
 *
 * The model was trained on TensorFlow's tf.signal features of each 1 s clip (MLPerf Tiny's
 * get_dataset.py, re-implemented in numpy by models/kws/make_samples.py):
 *
 *   x = wav / max(wav)                      the clip divided by its (positive) maximum
 *   frames of 480 samples every 320         49 frames per second at 16 kHz
 *   periodic Hann window, |rfft| of 512     magnitudes (not power), 257 bins
 *   mel_b = sum_k W[k][b] |X_k|             40 HTK-mel triangles over 20..4000 Hz
 *                                           (tf.signal.linear_to_mel_weight_matrix)
 *   L_b = ln(mel_b + 1e-6)
 *   c_k = sqrt(2/40) sum_b L_b cos(pi k (2b + 1) / 80),  k < 10
 *                                           (tf.signal.mfccs_from_log_mel_spectrograms)
 *   q = clip(round_half_even(c / scale) + zero_point, -128, 127)   scale 0.5847029, zp 83
 *
 * The division by the clip's maximum M is what a streaming front end cannot do frame by frame:
 * M is known only once the whole second is in. With y = s / 32768 (the clip as the WAV decoder
 * gives it) and g = 32768 / |M|, the magnitudes scale by g, so
 *
 *   L_b = ln(g mel_b(y) + 1e-6) = ln 2 * log2(2^(log2 g + log2 mel_b(y)) + 2^log2(1e-6)).
 *
 * Without the 1e-6 this would be log mel_b(y) + ln g, and since the DCT of a constant reaches
 * only c_0, the normalization would be one offset on c_0 (+ sqrt(2N) ln g). But the 1e-6 is
 * not negligible wherever g mel_b(y) is within a few decades of it: in the bands between the
 * harmonics of a quiet pure tone, at the edges of digital silence. Applying the normalization
 * as a c_0 offset changes 3.94 % of the int8 features of the test clips (1.95 % by more than
 * one code, up to 35 codes; docs/audio.md). So the front end keeps the log-mel energies of each
 * frame, log2 mel_b(y) (the frame's samples as they are, no division), and the division comes
 * in at the end, inside the log, per band:
 *
 *   tml_mfcc_process  per frame (integer only): Hann window (Q30), 512-point real FFT in 32 bits
 *                     with block floating point, magnitudes (64-bit integer square root), mel
 *                     sums (Q24 weights, 64 bits), log2 (Q24, by repeated squaring): one row of
 *                     num_mel_bins int32, log2 mel_b(y) in Q24 (TML_MFCC_LOG_ZERO for a band
 *                     with no energy at all, e.g. digital silence)
 *   tml_mfcc_finish   per window of rows and its peak M (integer only): log2 g added, the
 *                     1e-6 added in the log domain (log2(2^a + 2^e) = max + log2(1 + 2^-|a-e|),
 *                     the second term from a table), the DCT with ln 2 / scale folded in, one
 *                     rounding half to even, the zero point, the clip to int8
 *
 * The caller owns the ring of rows (49 x 40 int32 = 7,840 bytes for a KWS window) and the peak
 * of the samples of the window (a KeywordSpotter tracks both). Float arithmetic happens only in
 * tml_mfcc_init, through fe_math.c (no C maths library): the Hann window, the FFT's twiddles,
 * the mel weights (HTK mel by tml_fe_log1p, in double as models/kws/make_samples.py does), the
 * DCT table, the log-add table. No heap, no global mutable state.
 *
 * Use:
 *   tml_mfcc_config_t cfg; tml_mfcc_config_kws(&cfg);
 *   static tml_mfcc_t mf;  if (tml_mfcc_init(&mf, &cfg) != TML_MFCC_OK) ...
 *   static int32_t rows[49][40]; int32_t next = 0;       (a ring of rows)
 *   while (n > 0) {
 *       int32_t used;
 *       int32_t r = tml_mfcc_process(&mf, samples, n, &used, rows[next]);
 *       if (r < 0) ...; samples += used; n -= used;
 *       if (r == 1) next = (next + 1) % 49;               (one more frame)
 *   }
 *   int8_t features[49 * 10];
 *   tml_mfcc_finish(&mf, &rows[0][0], 49, next, peak_of_the_window, features);
 */
#ifndef TML_FE_MFCC_H
#define TML_FE_MFCC_H

#include <stdint.h>

/* Maxima of the caller-owned state (override with -D for other configurations). The FFT's
 * headroom analysis in fe_mfcc.c holds up to 512 points. */
#ifndef TML_MFCC_MAX_FRAME
#define TML_MFCC_MAX_FRAME 512
#endif
#ifndef TML_MFCC_MAX_FFT
#define TML_MFCC_MAX_FFT 512
#endif
#ifndef TML_MFCC_MAX_MEL
#define TML_MFCC_MAX_MEL 64
#endif
#ifndef TML_MFCC_MAX_COEFFICIENTS
#define TML_MFCC_MAX_COEFFICIENTS 13
#endif
#define TML_MFCC_MAX_BINS (TML_MFCC_MAX_FFT / 2 + 1)
/* Entries of the log-add table: log2(1 + 2^-d) for d = 0, 1/16, .., 24 (beyond 24 it is below
 * 2^-24 / ln 2 and taken as 0). */
#define TML_MFCC_LOGADD_STEPS 16
#define TML_MFCC_LOGADD_SIZE (24 * TML_MFCC_LOGADD_STEPS + 1)

/* Fraction bits of a row's values (log2 of the mel energies). */
#define TML_MFCC_LOG_BITS 24
/* A row's value for a band whose energy is exactly 0: log2 0 = -infinity. */
#define TML_MFCC_LOG_ZERO INT32_MIN

/* Status codes: 0 is success, every failure is negative. */
enum {
    TML_MFCC_OK = 0,
    TML_MFCC_E_ARG = -1,     /* NULL pointer, negative count, ring index out of range */
    TML_MFCC_E_STATE = -2,   /* tml_mfcc_t not (successfully) initialized */
    TML_MFCC_E_FRAME = -3,   /* sample rate, frame length or frame step out of range */
    TML_MFCC_E_FFT = -4,     /* fft_length not a power of two in [16, TML_MFCC_MAX_FFT] at or
                              * above frame_length */
    TML_MFCC_E_MEL = -5,     /* num_mel_bins outside 1..TML_MFCC_MAX_MEL */
    TML_MFCC_E_BAND = -6,    /* band edges not finite, lower < 0, upper <= lower, or upper
                              * above the Nyquist frequency */
    TML_MFCC_E_COEFS = -7,   /* num_coefficients outside 1..min(num_mel_bins, MAX) */
    TML_MFCC_E_LOG = -8,     /* log_offset outside [1e-10, 1e-4] */
    TML_MFCC_E_QUANT = -9    /* scale outside [2^-10, 2^10] or zero_point outside int8 */
};

/* The pipeline's parameters (tf.signal's names, in samples). */
typedef struct {
    int32_t sample_rate;      /* Hz */
    int32_t frame_length;     /* samples per frame, 2..TML_MFCC_MAX_FRAME */
    int32_t frame_step;       /* samples between frames, 1..frame_length */
    int32_t fft_length;       /* power of two >= frame_length (the frame is zero-padded) */
    int32_t num_mel_bins;     /* mel triangles */
    float lower_edge_hz;      /* the lowest triangle's lower edge */
    float upper_edge_hz;      /* the highest triangle's upper edge, <= sample_rate / 2 */
    float log_offset;         /* added to each mel energy before the log */
    int32_t num_coefficients; /* MFCCs kept per frame */
    float scale;              /* int8 quantization of the MFCCs: q = c / scale + zero_point */
    int32_t zero_point;
} tml_mfcc_config_t;

/* The configuration's fields in their struct order, X(name, I) for int32_t and X(name, F) for
 * float (for the bindings, as TML_FE_CONFIG_FIELDS). */
#define TML_MFCC_CONFIG_FIELDS(X)                                                            \
    X(sample_rate, I) X(frame_length, I) X(frame_step, I) X(fft_length, I)                    \
    X(num_mel_bins, I) X(lower_edge_hz, F) X(upper_edge_hz, F) X(log_offset, F)               \
    X(num_coefficients, I) X(scale, F) X(zero_point, I)

/* The whole state (internal: use the functions below): 13,640 bytes at the default maxima,
 * on x86-64 and 32-bit Arm alike. */
typedef struct {
    int32_t ready;            /* set by a successful tml_mfcc_init */
    int32_t frame_length;
    int32_t frame_step;
    int32_t fft_length;
    int32_t num_mel_bins;
    int32_t num_coefficients;
    int32_t zero_point;
    int32_t used;             /* samples held in input[] */
    int32_t bin_start;        /* bins [bin_start, bin_end) have a nonzero mel weight */
    int32_t bin_end;
    int32_t dct_shift;        /* fraction bits of dct[] plus TML_MFCC_LOG_BITS */
    int32_t log2_offset;      /* log2(log_offset), Q24 */
    int32_t window[TML_MFCC_MAX_FRAME];        /* periodic Hann, Q30 */
    int32_t cosine[TML_MFCC_MAX_FFT / 4 + 1];  /* cos(2 pi k / fft_length), Q30 */
    uint32_t rise[TML_MFCC_MAX_BINS];          /* bin's weight in triangle band[k], Q24 */
    uint32_t fall[TML_MFCC_MAX_BINS];          /* bin's weight in triangle band[k] - 1, Q24 */
    int16_t band[TML_MFCC_MAX_BINS];           /* mel band (between two edges) of each bin */
    int16_t input[TML_MFCC_MAX_FRAME];         /* the frame's samples so far */
    int32_t work[TML_MFCC_MAX_FFT];            /* the FFT's (re, im) pairs */
    uint64_t mel[TML_MFCC_MAX_MEL];            /* the frame's mel sums */
    int32_t dct[TML_MFCC_MAX_MEL * TML_MFCC_MAX_COEFFICIENTS]; /* [b][k]: D ln 2 / scale */
    int32_t logadd[TML_MFCC_LOGADD_SIZE];      /* log2(1 + 2^-d), Q24 */
} tml_mfcc_t;

/* The MLPerf Tiny KWS model's features: 16 kHz, 480-sample frames every 320 samples, a
 * 512-point FFT, 40 mel bins over 20..4000 Hz, log offset 1e-6, 10 coefficients, quantized
 * with the model's input scale 0.5847029 and zero point 83. */
void tml_mfcc_config_kws(tml_mfcc_config_t *cfg);

/* Checks cfg, builds the tables and resets the state. TML_MFCC_OK or a TML_MFCC_E_* status;
 * after a failure m is unusable until a successful init. */
int tml_mfcc_init(tml_mfcc_t *m, const tml_mfcc_config_t *cfg);

/* Back to the state right after tml_mfcc_init: no samples held. */
void tml_mfcc_reset(tml_mfcc_t *m);

/* int32 values per row (num_mel_bins) and int8 features per frame (num_coefficients). */
static inline int32_t tml_mfcc_row_length(const tml_mfcc_t *m) {
    return m->num_mel_bins;
}
static inline int32_t tml_mfcc_coefficients(const tml_mfcc_t *m) {
    return m->num_coefficients;
}

/* Feeds samples[0 .. n): takes samples only until the current frame is full (*consumed says
 * how many) and, when it is, writes the frame's row[0 .. num_mel_bins) and returns 1: log2 of
 * each mel energy of the frame taken as y = sample / 32768, Q24, or TML_MFCC_LOG_ZERO. Returns
 * 0 when all n were taken without completing a frame, or a negative TML_MFCC_E_* status. Call
 * again with the rest until n is used up: any chunking gives the same rows. */
int32_t tml_mfcc_process(tml_mfcc_t *m, const int16_t *samples, int32_t n, int32_t *consumed,
                         int32_t *row);

/* The int8 features of a window of rows: rows is a ring of num_rows rows of num_mel_bins
 * int32, the oldest at index first; peak is max(samples) over the window's samples (the
 * float pipeline's tf.reduce_max: 0 means no normalization, the clip taken as sample / 32768;
 * a negative peak divides by |peak|, as dividing by a negative maximum gives the same
 * magnitudes). Writes out[num_rows * num_coefficients], oldest frame first. Integer only;
 * does not modify m. */
int tml_mfcc_finish(const tml_mfcc_t *m, const int32_t *rows, int32_t num_rows, int32_t first,
                    int32_t peak, int8_t *out);

/* A short English description of a status code. */
const char *tml_mfcc_strerror(int status);

#endif /* TML_FE_MFCC_H */
