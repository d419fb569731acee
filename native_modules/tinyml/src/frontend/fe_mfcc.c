/* MFCC front end for the MLPerf Tiny KWS model, in fixed point (fe_mfcc.h has the maths).
 *
 * Per-frame formats (y = sample / 32768, the frame's Hann window w):
 *   v = sample * w             int64, w in Q30: y w = v / 2^45
 *   f = v / 2^sh0              int32, shifted so that max |f| is in [2^28, 2^29)
 *   complex FFT of the packed  int32 (re, im) pairs, radix 2, Q30 twiddles; before each stage
 *   (f[2n], f[2n+1])           and before the real split every value is shifted down, if need
 *                              be, to below 2^29 in magnitude ("block floating point"; S shifts
 *                              in all), so no stage can overflow: a radix-2 butterfly grows a
 *                              component by at most 1 + sqrt 2
 *   2 X_k after the split      int64 components, |2 X_k| <= 4 sqrt 2 * 2^29 = 2^31.5, so its
 *                              power fits uint64 and its rounded square root uint32
 *   mel_b = sum W_kb |2 X_k|   uint64, weights in Q24: mel_b(y) = mel_b / 2^(70 - sh0 - S)
 *   row_b = log2 mel_b(y)      Q24 (log2 of the integer by repeated squaring, 24 bits)
 * The exponent tracks every shift exactly, so a frame of any level keeps 28 significant bits
 * into the FFT. Measured against numpy's float64 (tests/host/test_mfcc.py's clips): a band
 * within 120 dB of the frame's strongest bin is within 0.013 of log2 (median 5e-8), one
 * 120..140 dB down within 0.09; further down the FFT's rounding noise shows (0.67 at
 * 140..160 dB). Only synthetic clips have bands that far down (energy outside the bands).
 *
 * tml_mfcc_finish, per band: a = row_b + log2 g (g = 32768 / |peak|), e = log2(log_offset),
 * log2(g mel + log_offset) = max(a, e) + log2(1 + 2^-|a - e|), the last term interpolated in a
 * table of step 1/16 (error below 1e-4 in log2); then sum_b D[b][k] ln 2 / scale * that, in
 * int64, one rounding half to even (numpy's np.round), the zero point, the clip to int8. */
#include "tml_config.h"
#if TML_HAS_FRONTEND
#include <string.h>
#include "fe_frontend.h"
#include "fe_math.h"
#include "fe_mfcc.h"

#define MFCC_WINDOW_BITS 30  /* Hann window and twiddles */
#define MFCC_FRAME_BITS 29   /* |values| < 2^29 entering each FFT stage */
#define MFCC_WEIGHT_BITS 24  /* mel weights */
/* log2 mel_b(y) = log2(mel sum) - (MFCC_EXPONENT - sh0 - S): 15 bits of the int16 sample,
 * MFCC_WINDOW_BITS of the window, MFCC_WEIGHT_BITS of the weights, 1 of the split's 2 X_k. */
#define MFCC_EXPONENT (15 + MFCC_WINDOW_BITS + MFCC_WEIGHT_BITS + 1)
#define MFCC_LOGADD_SHIFT (TML_MFCC_LOG_BITS - 4) /* 16 table steps per unit of log2 */
#if (1 << (TML_MFCC_LOG_BITS - MFCC_LOGADD_SHIFT)) != TML_MFCC_LOGADD_STEPS
#error "the log-add table's step (and its init's 2^(-1/16)) must match TML_MFCC_LOGADD_STEPS"
#endif

/* ---- integer helpers (the per-frame path) ---- */

/* floor(x / 2^n), 0 < n < 63, for negative x too (C99 leaves >> of negatives open). */
static int64_t mfcc_floor_shift(int64_t x, int32_t n) {
    return x >= 0 ? x >> n : -1 - ((-1 - x) >> n);
}

/* x / 2^n rounded to nearest, halves up. */
static int32_t mfcc_round_shift(int64_t x, int32_t n) {
    return (int32_t)mfcc_floor_shift(x + ((int64_t)1 << (n - 1)), n);
}

/* log2 u in Q24, u > 0: the top bit gives the integer part; the mantissa m in [1, 2) (Q30)
 * gives the fraction a bit at a time, m^2 >= 2 meaning the next bit is 1. Truncating m to 31
 * bits and each square to Q30 costs under 2^-29 in all: the result is log2 u rounded down to
 * 24 bits. */
static int32_t mfcc_log2(uint64_t u) {
    const int32_t top = tml_fe_bits64(u) - 1;
    uint32_t mant = top >= 30 ? (uint32_t)(u >> (top - 30)) : (uint32_t)(u << (30 - top));
    int32_t frac = 0;
    for (int32_t i = 0; i < TML_MFCC_LOG_BITS; i++) {
        uint64_t sq = ((uint64_t)mant * mant) >> 30; /* [2^30, 2^32) */
        frac <<= 1;
        if (sq >= ((uint64_t)1 << 31)) {
            frac |= 1;
            sq >>= 1;
        }
        mant = (uint32_t)sq;
    }
    return (top << TML_MFCC_LOG_BITS) + frac;
}

/* floor(sqrt(p)) by the digit-by-digit method, then rounded to nearest: (r + 1/2)^2 =
 * r^2 + r + 1/4, so p - r^2 > r rounds up. p <= 2^63 here, so the result fits uint32. */
static uint32_t mfcc_isqrt(uint64_t p) {
    uint64_t rem = p, root = 0, bit = (uint64_t)1 << 62;
    while (bit > rem) {
        bit >>= 2;
    }
    while (bit != 0) {
        if (rem >= root + bit) {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)(rem > root ? root + 1 : root);
}

/* cos and sin of 2 pi k / fft_length, Q30, for 0 <= k <= fft_length / 2, from the
 * quarter-wave table. */
static void mfcc_twiddle(const tml_mfcc_t *m, int32_t k, int32_t *c, int32_t *s) {
    const int32_t quarter = m->fft_length / 4;
    if (k <= quarter) {
        *c = m->cosine[k];
        *s = m->cosine[quarter - k];
    } else {
        *c = -m->cosine[2 * quarter - k];
        *s = m->cosine[k - quarter];
    }
}

/* Shifts the n values of z down (rounding) until all are below 2^MFCC_FRAME_BITS in
 * magnitude, or at most equal to it after rounding; returns the shift. */
static int32_t mfcc_headroom(int32_t *z, int32_t n) {
    uint32_t max = 0;
    for (int32_t i = 0; i < n; i++) {
        const uint32_t a = z[i] < 0 ? (uint32_t)(-(int64_t)z[i]) : (uint32_t)z[i];
        max = a > max ? a : max;
    }
    const int32_t sh = tml_fe_bits32(max) - MFCC_FRAME_BITS;
    if (sh > 0) {
        for (int32_t i = 0; i < n; i++) {
            z[i] = mfcc_round_shift(z[i], sh);
        }
        return sh;
    }
    return 0;
}

/* In-place complex FFT of fft_length / 2 points, (re, im) pairs in z, radix 2, decimation in
 * time; returns the number of halvings (block floating point). */
static int32_t mfcc_fft(const tml_mfcc_t *m, int32_t *z) {
    const int32_t n = m->fft_length;
    const int32_t points = n / 2;
    for (int32_t i = 1, j = 0; i < points; i++) { /* bit-reversed order */
        int32_t bit = points >> 1;
        for (; j & bit; bit >>= 1) {
            j ^= bit;
        }
        j ^= bit;
        if (i < j) {
            const int32_t re = z[2 * i], im = z[2 * i + 1];
            z[2 * i] = z[2 * j];
            z[2 * i + 1] = z[2 * j + 1];
            z[2 * j] = re;
            z[2 * j + 1] = im;
        }
    }
    int32_t shifts = 0;
    for (int32_t half = 1; half < points; half <<= 1) {
        shifts += mfcc_headroom(z, n);
        const int32_t stride = n / (2 * half); /* exp(-2 pi i j / 2 half) = W_n^(j stride) */
        for (int32_t j = 0; j < half; j++) {
            int32_t c, s;
            mfcc_twiddle(m, j * stride, &c, &s);
            for (int32_t i = j; i < points; i += 2 * half) {
                int32_t *a = z + 2 * i;
                int32_t *b = z + 2 * (i + half);
                /* b (c - i s): |b| < 2^29.5 and c, s <= 2^30, so the sums fit int64 */
                const int32_t tr = mfcc_round_shift((int64_t)b[0] * c + (int64_t)b[1] * s,
                                                    MFCC_WINDOW_BITS);
                const int32_t ti = mfcc_round_shift((int64_t)b[1] * c - (int64_t)b[0] * s,
                                                    MFCC_WINDOW_BITS);
                b[0] = a[0] - tr;
                b[1] = a[1] - ti;
                a[0] += tr;
                a[1] += ti;
            }
        }
    }
    return shifts + mfcc_headroom(z, n);
}

/* The frame in input[] (full) to one row. */
static void mfcc_frame(tml_mfcc_t *m, int32_t *row) {
    const int32_t len = m->frame_length;
    const int32_t nmel = m->num_mel_bins;
    int32_t *z = m->work;

    uint64_t max = 0;
    for (int32_t i = 0; i < len; i++) {
        const int64_t v = (int64_t)m->input[i] * m->window[i];
        const uint64_t a = (uint64_t)(v < 0 ? -v : v);
        max = a > max ? a : max;
    }
    if (max == 0) { /* no sample under a nonzero window weight: every band is empty */
        for (int32_t b = 0; b < nmel; b++) {
            row[b] = TML_MFCC_LOG_ZERO;
        }
        return;
    }
    /* |v| < 2^45: sh0 in [-13, 17] (the smallest nonzero |v| is above 2^15: a window
     * weight of at least 3.7e-5 for frames of up to 512 samples) */
    const int32_t sh0 = tml_fe_bits64(max) - MFCC_FRAME_BITS;
    for (int32_t i = 0; i < len; i++) {
        const int64_t v = (int64_t)m->input[i] * m->window[i];
        z[i] = sh0 > 0 ? mfcc_round_shift(v, sh0) : (int32_t)(v * ((int64_t)1 << -sh0));
    }
    for (int32_t i = len; i < m->fft_length; i++) {
        z[i] = 0;
    }
    const int32_t shifts = mfcc_fft(m, z);

    /* The real FFT's bins from the half-length complex one: with Z_M = Z_0,
     * 2 X_k = (Z_k + conj Z_(M-k)) + W^k (-i) (Z_k - conj Z_(M-k)), W = exp(-2 pi i / n). */
    const int32_t points = m->fft_length / 2;
    memset(m->mel, 0, sizeof(m->mel));
    for (int32_t k = m->bin_start; k < m->bin_end; k++) {
        /* 0 < k <= points: bin `points` (Nyquist) pairs Z_0 with itself */
        const int32_t *z0 = z + 2 * (k < points ? k : 0);
        const int32_t *z1 = z + 2 * (points - k);
        const int64_t ar = (int64_t)z0[0] + z1[0], ai = (int64_t)z0[1] - z1[1];
        const int64_t pr = (int64_t)z0[1] + z1[1], pi = (int64_t)z1[0] - z0[0]; /* -i B */
        int32_t c, s;
        mfcc_twiddle(m, k, &c, &s);
        const int64_t re = ar + mfcc_floor_shift(c * pr + s * pi + ((int64_t)1 << 29),
                                                 MFCC_WINDOW_BITS);
        const int64_t im = ai + mfcc_floor_shift(c * pi - s * pr + ((int64_t)1 << 29),
                                                 MFCC_WINDOW_BITS);
        const uint64_t power = (uint64_t)(re * re) + (uint64_t)(im * im);
        const uint32_t mag = mfcc_isqrt(power);
        const int32_t b = m->band[k];
        if (b < nmel) {
            m->mel[b] += (uint64_t)m->rise[k] * mag;
        }
        if (b > 0) {
            m->mel[b - 1] += (uint64_t)m->fall[k] * mag;
        }
    }
    const int32_t exponent = (MFCC_EXPONENT - sh0 - shifts) << TML_MFCC_LOG_BITS;
    for (int32_t b = 0; b < nmel; b++) {
        row[b] = m->mel[b] == 0 ? TML_MFCC_LOG_ZERO : mfcc_log2(m->mel[b]) - exponent;
    }
}

int32_t tml_mfcc_process(tml_mfcc_t *m, const int16_t *samples, int32_t n, int32_t *consumed,
                         int32_t *row) {
    if (m == NULL || consumed == NULL || row == NULL || n < 0 || (n > 0 && samples == NULL)) {
        return TML_MFCC_E_ARG;
    }
    *consumed = 0;
    if (!m->ready) {
        return TML_MFCC_E_STATE;
    }
    int32_t take = m->frame_length - m->used;
    take = take < n ? take : n;
    if (take > 0) {
        memcpy(m->input + m->used, samples, (size_t)take * sizeof(int16_t));
    }
    *consumed = take;
    m->used += take;
    if (m->used < m->frame_length) {
        return 0;
    }
    mfcc_frame(m, row);
    memmove(m->input, m->input + m->frame_step,
            (size_t)(m->frame_length - m->frame_step) * sizeof(int16_t));
    m->used -= m->frame_step;
    return 1;
}

/* log2(1 + 2^-d), d >= 0 in Q24, from the table (0 beyond it). */
static int32_t mfcc_logadd(const tml_mfcc_t *m, int32_t d) {
    if (d >= (TML_MFCC_LOGADD_SIZE - 1) << MFCC_LOGADD_SHIFT) {
        return 0;
    }
    const int32_t i = d >> MFCC_LOGADD_SHIFT;
    const int32_t frac = d & ((1 << MFCC_LOGADD_SHIFT) - 1);
    const int32_t lo = m->logadd[i];
    return lo + (int32_t)mfcc_floor_shift((int64_t)(m->logadd[i + 1] - lo) * frac,
                                          MFCC_LOGADD_SHIFT);
}

/* round_half_even(acc / 2^shift) + zero_point, clipped to int8. */
static int8_t mfcc_quantize(int64_t acc, int32_t shift, int32_t zero_point) {
    int64_t q = mfcc_floor_shift(acc, shift);
    const uint64_t rem = (uint64_t)acc & (((uint64_t)1 << shift) - 1);
    const uint64_t half = (uint64_t)1 << (shift - 1);
    if (rem > half || (rem == half && (q & 1) != 0)) {
        q++;
    }
    q += zero_point;
    return (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
}

int tml_mfcc_finish(const tml_mfcc_t *m, const int32_t *rows, int32_t num_rows, int32_t first,
                    int32_t peak, int8_t *out) {
    if (m == NULL || rows == NULL || out == NULL || num_rows < 0 || first < 0 ||
        (first >= num_rows && num_rows > 0)) {
        return TML_MFCC_E_ARG;
    }
    if (!m->ready) {
        return TML_MFCC_E_STATE;
    }
    const int32_t nmel = m->num_mel_bins;
    const int32_t ncoef = m->num_coefficients;
    const int32_t e = m->log2_offset;
    /* log2 g = 15 - log2 |peak|, in [-16, 15]; a zero peak leaves the clip at sample / 32768 */
    int32_t log2g = 0;
    if (peak != 0) {
        const uint64_t mag = peak < 0 ? (uint64_t)(-(int64_t)peak) : (uint64_t)peak;
        log2g = (15 << TML_MFCC_LOG_BITS) - mfcc_log2(mag);
    }
    for (int32_t f = 0, at = first; f < num_rows; f++, at = at + 1 < num_rows ? at + 1 : 0) {
        const int32_t *row = rows + (size_t)at * (size_t)nmel;
        int64_t acc[TML_MFCC_MAX_COEFFICIENTS] = {0};
        for (int32_t b = 0; b < nmel; b++) {
            /* log2(g mel + offset), |value| < 34 (Q24): the offset is at least 1e-10 and
             * g mel below 2^32 */
            int32_t l = e;
            if (row[b] != TML_MFCC_LOG_ZERO) {
                const int32_t a = row[b] + log2g;
                const int32_t d = a - e;
                l = (d >= 0 ? a : e) + mfcc_logadd(m, d >= 0 ? d : -d);
            }
            /* |dct| * 34 * 2^24 summed over the bands stays below 2^63 (tml_mfcc_init) */
            const int32_t *dct = m->dct + (size_t)b * (size_t)ncoef;
            for (int32_t k = 0; k < ncoef; k++) {
                acc[k] += (int64_t)dct[k] * l;
            }
        }
        for (int32_t k = 0; k < ncoef; k++) {
            out[(size_t)f * (size_t)ncoef + (size_t)k] =
                mfcc_quantize(acc[k], m->dct_shift, m->zero_point);
        }
    }
    return TML_MFCC_OK;
}

/* ---- init: floating point allowed here only, through fe_math.c ---- */

#define MFCC_PI 3.14159265358979323846
#define MFCC_LN2 0.69314718055994530942

/* round(x * 2^bits) for |x * 2^bits| < 2^62. */
static int64_t mfcc_init_fixed(double x, int32_t bits) {
    double scaled = x;
    for (int32_t i = 0; i < bits; i++) {
        scaled *= 2.0;
    }
    return (int64_t)tml_fe_floor(scaled + 0.5);
}

/* sqrt(a), a > 0, by Newton's iteration from above (decreasing until it stops). */
static double mfcc_init_sqrt(double a) {
    double x = a > 1.0 ? a : 1.0;
    for (int32_t i = 0; i < 200; i++) {
        const double next = 0.5 * (x + a / x);
        if (!(next < x)) {
            break;
        }
        x = next;
    }
    return x;
}

/* a * b rounded before any add (no fused multiply-add on any target). */
static double mfcc_init_product(double a, double b) {
    volatile double p = a * b;
    return p;
}

/* HTK mel, as tf.signal (and models/kws/make_samples.py, in double). */
static double mfcc_init_mel(double hz) {
    return 1127.0 * tml_fe_log1p(hz / 700.0);
}

/* Triangle t's weight at mel value v: tf.signal.linear_to_mel_weight_matrix's
 * max(0, min(rising, falling)). */
static double mfcc_init_weight(const double *edge, int32_t t, double v) {
    const double rising = (v - edge[t]) / (edge[t + 1] - edge[t]);
    const double falling = (edge[t + 2] - v) / (edge[t + 2] - edge[t + 1]);
    const double w = rising < falling ? rising : falling;
    return w > 0.0 ? w : 0.0;
}

static int mfcc_init_check(const tml_mfcc_config_t *cfg) {
    if (cfg->sample_rate < 1 || cfg->frame_length < 2 ||
        cfg->frame_length > TML_MFCC_MAX_FRAME || cfg->frame_step < 1 ||
        cfg->frame_step > cfg->frame_length) {
        return TML_MFCC_E_FRAME;
    }
    const int32_t n = cfg->fft_length;
    if (n < 16 || n > TML_MFCC_MAX_FFT || (n & (n - 1)) != 0 || n < cfg->frame_length) {
        return TML_MFCC_E_FFT;
    }
    if (cfg->num_mel_bins < 1 || cfg->num_mel_bins > TML_MFCC_MAX_MEL) {
        return TML_MFCC_E_MEL;
    }
    if (!tml_fe_isfinitef(cfg->lower_edge_hz) || !tml_fe_isfinitef(cfg->upper_edge_hz) ||
        !(cfg->lower_edge_hz >= 0.0f) || !(cfg->upper_edge_hz > cfg->lower_edge_hz) ||
        (double)cfg->upper_edge_hz > 0.5 * (double)cfg->sample_rate) {
        return TML_MFCC_E_BAND;
    }
    if (cfg->num_coefficients < 1 || cfg->num_coefficients > cfg->num_mel_bins ||
        cfg->num_coefficients > TML_MFCC_MAX_COEFFICIENTS) {
        return TML_MFCC_E_COEFS;
    }
    if (!tml_fe_isfinitef(cfg->log_offset) || !((double)cfg->log_offset >= 1e-10) ||
        !((double)cfg->log_offset <= 1e-4)) {
        return TML_MFCC_E_LOG;
    }
    if (!tml_fe_isfinitef(cfg->scale) || !((double)cfg->scale >= 1.0 / 1024.0) ||
        !((double)cfg->scale <= 1024.0) || cfg->zero_point < -128 || cfg->zero_point > 127) {
        return TML_MFCC_E_QUANT;
    }
    return TML_MFCC_OK;
}

void tml_mfcc_config_kws(tml_mfcc_config_t *cfg) {
    cfg->sample_rate = 16000;
    cfg->frame_length = 480;
    cfg->frame_step = 320;
    cfg->fft_length = 512;
    cfg->num_mel_bins = 40;
    cfg->lower_edge_hz = 20.0f;
    cfg->upper_edge_hz = 4000.0f;
    cfg->log_offset = 1e-6f;
    cfg->num_coefficients = 10;
    cfg->scale = 0.5847029f; /* models/kws/kws.tflite's input tensor */
    cfg->zero_point = 83;
}

int tml_mfcc_init(tml_mfcc_t *m, const tml_mfcc_config_t *cfg) {
    if (m == NULL || cfg == NULL) {
        return TML_MFCC_E_ARG;
    }
    m->ready = 0;
    const int status = mfcc_init_check(cfg);
    if (status != TML_MFCC_OK) {
        return status;
    }
    const int32_t len = cfg->frame_length;
    const int32_t n = cfg->fft_length;
    const int32_t nmel = cfg->num_mel_bins;
    const int32_t ncoef = cfg->num_coefficients;
    m->frame_length = len;
    m->frame_step = cfg->frame_step;
    m->fft_length = n;
    m->num_mel_bins = nmel;
    m->num_coefficients = ncoef;
    m->zero_point = cfg->zero_point;

    /* periodic Hann window 0.5 - 0.5 cos(2 pi i / len) (tf.signal.hann_window's default) */
    for (int32_t i = 0; i < len; i++) {
        const double h = 0.5 - 0.5 * tml_fe_cos(2.0 * MFCC_PI * (double)i / (double)len);
        m->window[i] = (int32_t)mfcc_init_fixed(h, MFCC_WINDOW_BITS);
    }
    for (int32_t k = 0; k <= n / 4; k++) {
        m->cosine[k] = (int32_t)mfcc_init_fixed(tml_fe_cos(2.0 * MFCC_PI * (double)k / (double)n),
                                                MFCC_WINDOW_BITS);
    }

    /* Mel weights as numpy's linspace and make_samples.py's mel_weight_matrix compute them in
     * double: bin k at k * (rate / 2) / (n / 2), edges mel_lo + i * (mel_hi - mel_lo) /
     * (nmel + 1) with the last edge mel_hi exactly. Bin k lies between edges band[k] and
     * band[k] + 1, so only triangles band[k] (rising) and band[k] - 1 (falling) weigh it. */
    double edge[TML_MFCC_MAX_MEL + 2];
    const double mel_lo = mfcc_init_mel((double)cfg->lower_edge_hz);
    const double mel_hi = mfcc_init_mel((double)cfg->upper_edge_hz);
    const double mel_step = (mel_hi - mel_lo) / (double)(nmel + 1);
    for (int32_t i = 0; i <= nmel; i++) {
        edge[i] = mfcc_init_product((double)i, mel_step) + mel_lo;
    }
    edge[nmel + 1] = mel_hi;
    const int32_t bins = n / 2 + 1;
    const double hz_step = 0.5 * (double)cfg->sample_rate / (double)(bins - 1);
    m->bin_start = bins;
    m->bin_end = 1;
    for (int32_t k = 1; k < bins; k++) { /* the DC bin weighs 0 */
        const double v = mfcc_init_mel(mfcc_init_product((double)k, hz_step));
        int32_t b = -1;
        while (b <= nmel && edge[b + 1] <= v) {
            b++;
        }
        m->band[k] = (int16_t)b;
        m->rise[k] = 0;
        m->fall[k] = 0;
        if (b < 0 || b > nmel) {
            continue;
        }
        if (b < nmel) {
            m->rise[k] = (uint32_t)mfcc_init_fixed(mfcc_init_weight(edge, b, v),
                                                   MFCC_WEIGHT_BITS);
        }
        if (b > 0) {
            m->fall[k] = (uint32_t)mfcc_init_fixed(mfcc_init_weight(edge, b - 1, v),
                                                   MFCC_WEIGHT_BITS);
        }
        m->bin_start = k < m->bin_start ? k : m->bin_start;
        m->bin_end = k + 1;
    }
    if (m->bin_start > m->bin_end) {
        m->bin_start = m->bin_end; /* no bin inside the band: every mel energy is 0 */
    }

    /* DCT with ln 2 (the rows are log2) and 1 / scale folded in, in the most fraction bits
     * (at most 30) for which sum_b |entry| * 34 * 2^24 stays below 2^63: the bound on the
     * sum is sqrt(2 nmel) ln 2 / scale (each |D| <= sqrt(2 / nmel)), kept below 2^33. */
    const double dct_scale = mfcc_init_sqrt(2.0 / (double)nmel) * MFCC_LN2 / (double)cfg->scale;
    const double bound = mfcc_init_sqrt(2.0 * (double)nmel) * MFCC_LN2 / (double)cfg->scale;
    int32_t bits = 30;
    double limit = 8589934592.0; /* 2^33 */
    for (int32_t i = 0; i < 30; i++) {
        limit *= 0.5;
    }
    while (bits > 0 && bound > limit) { /* bound * 2^bits <= 2^33 */
        bits--;
        limit *= 2.0;
    }
    m->dct_shift = bits + TML_MFCC_LOG_BITS;
    for (int32_t b = 0; b < nmel; b++) {
        for (int32_t k = 0; k < ncoef; k++) {
            const int32_t j = (k * (2 * b + 1)) % (4 * nmel); /* angle 2 pi j / (4 nmel) */
            const double c = tml_fe_cos(2.0 * MFCC_PI * (double)j / (double)(4 * nmel));
            m->dct[b * ncoef + k] = (int32_t)mfcc_init_fixed(c * dct_scale, bits);
        }
    }

    /* log2(1 + 2^(-i/16)) = log1p(p) / ln 2, p = (2^(-1/16))^i: 2^(-1/16) is four square
     * roots of 1/2 (TML_MFCC_LOGADD_STEPS = 16) */
    const double step = mfcc_init_sqrt(mfcc_init_sqrt(mfcc_init_sqrt(mfcc_init_sqrt(0.5))));
    double p = 1.0;
    for (int32_t i = 0; i < TML_MFCC_LOGADD_SIZE; i++) {
        m->logadd[i] = (int32_t)mfcc_init_fixed(tml_fe_log1p(p) / MFCC_LN2, TML_MFCC_LOG_BITS);
        p *= step;
    }

    /* log2(log_offset) with the per-frame log2: the offset scaled to an integer of 41 bits or
     * more (1e-10 * 2^k with k <= 74: below 2^63), then the scaling taken off */
    double scaled = (double)cfg->log_offset;
    int32_t k = 0;
    while (scaled < 1099511627776.0) { /* 2^40 */
        scaled *= 2.0;
        k++;
    }
    m->log2_offset = mfcc_log2((uint64_t)tml_fe_floor(scaled + 0.5)) - (k << TML_MFCC_LOG_BITS);

    tml_mfcc_reset(m);
    m->ready = 1;
    return TML_MFCC_OK;
}

void tml_mfcc_reset(tml_mfcc_t *m) {
    memset(m->input, 0, sizeof(m->input));
    m->used = 0;
}

const char *tml_mfcc_strerror(int status) {
    switch (status) {
    case TML_MFCC_OK:
        return "ok";
    case TML_MFCC_E_ARG:
        return "NULL pointer, negative count or ring index out of range";
    case TML_MFCC_E_STATE:
        return "MFCC front end not initialized";
    case TML_MFCC_E_FRAME:
        return "sample rate, frame length or frame step out of range";
    case TML_MFCC_E_FFT:
        return "fft_length not a supported power of two at or above frame_length";
    case TML_MFCC_E_MEL:
        return "num_mel_bins out of range";
    case TML_MFCC_E_BAND:
        return "band edges invalid or above the Nyquist frequency";
    case TML_MFCC_E_COEFS:
        return "num_coefficients out of range";
    case TML_MFCC_E_LOG:
        return "log_offset outside [1e-10, 1e-4]";
    case TML_MFCC_E_QUANT:
        return "scale outside [2^-10, 2^10] or zero_point outside int8";
    default:
        return "unknown MFCC status";
    }
}
#endif /* TML_HAS_FRONTEND */
