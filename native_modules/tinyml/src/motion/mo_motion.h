/* Motion features: windowed statistics and DFT band energies of accelerometer and gyroscope
 * streams (issue 18, "Motion"), for gesture and activity models. Integer only, so that every
 * feature is defined exactly and a NumPy reference equals it bit for bit, and so that it runs
 * the same on every core, with or without an FPU. No floating point, no libm, no heap, no
 * global mutable state: everything lives in the caller's tml_mo_t.
 *
 *   mo_motion.c   configuration, init, reset, the streaming call, the statistics
 *   mo_bands.c    the DFT of a window and its band energies
 *   mo_twiddle.c  the DFT's cosine and sine tables, computed in integers at init
 *
 * Input: int16 frames of `axes` samples each, interleaved by axis (x0 y0 z0 x1 y1 z1 ...), in
 * buffers of any number of frames. A window is `window` consecutive frames; after each window
 * the oldest `hop` frames drop, so windows start every `hop` frames (hop == window: windows
 * side by side; hop < window: overlapping).
 *
 * Output, per window: int32 features, axis after axis (all of axis 0's, then axis 1's, ...).
 * Per axis, in this order, the statistics selected by `stats` and then the `bands` band
 * energies. With x[0 .. n) the axis's samples in the window (n = window), S = sum x[i] and
 * Q = sum x[i]^2, computed exactly (|S| < 2^24, Q <= 2^39 for n <= 512):
 *
 *   mean   round(S / n), halves away from zero:  sign(S) * ((2|S| + n) div (2n))
 *   std    sqrt of the population variance V = (nQ - S^2) / n^2, rounded to the nearest
 *          integer (halves up):  (isqrt((4 (nQ - S^2)) div n^2) + 1) div 2
 *   min    min x[i]
 *   max    max x[i]
 *   rms    sqrt(Q / n) rounded the same way:  (isqrt((4Q) div n) + 1) div 2
 *
 * where div is integer division of non-negative numbers (floor) and isqrt(v) is the largest r
 * with r^2 <= v. (Rounding sqrt(V) to the nearest integer is floor(sqrt(V) + 1/2) =
 * floor((sqrt(4V) + 1) / 2), and floor(sqrt(4V)) = isqrt(floor(4V)): one rounding in all.)
 * std and rms are in 0 .. 32768, mean, min and max in -32768 .. 32767.
 *
 * Band energies. With C[m] = round(32768 cos(2 pi m / n)) and S[m] = round(32768 sin(2 pi m /
 * n)) for m in 0 .. n (mo_twiddle.c; no value lies at a half, so the rounding direction of
 * halves never matters), and the window w[i] = 32768 - C[i] (periodic Hann, 16 fractional
 * bits, 0 .. 65536) with `hann`, else w[i] = 65536:
 *
 *   Re[k] = sum_i x[i] w[i] C[(i k) mod n],   Im[k] = sum_i x[i] w[i] S[(i k) mod n]
 *   re[k] = floor((Re[k] + 2^25) / 2^26),     im[k] likewise        (DFT / 32, rounded)
 *   E[b]  = (P + D div 2) div D,  P = sum over bins k of band b of re[k]^2 + im[k]^2,
 *           D = n^2 * 2^10
 *
 * Re and Im are exact int64 (|x w C| <= 2^46, so |Re| <= 2^55 at n = 512). Re / 2^31 is the
 * DFT of x * w in sample units; re keeps 5 fractional bits of it. E[b] is the band's power
 * divided by n^2: the mean square the band's bins carry (a sine of amplitude A on bin k,
 * without Hann, gives A^2 / 4), in LSB^2, so it does not depend on the window's length. By
 * Parseval, P <= 2^58 (with the tables' rounding) and E[b] <= 2^30, so neither overflows;
 * E is still saturated to int32 as a guard. Im's sign (S rather than -S) and the rounding of
 * halves in re and im are part of the definition.
 *
 * Band b covers the DFT bins [edges[b], edges[b + 1]), 0 <= edges[0] < ... <= n/2 + 1 (bin 0
 * is the mean, bin n/2 the highest frequency). Either the caller gives the edges, or (edges[
 * bands] == 0) the bins band_lo .. band_hi (inclusive; band_hi 0 means n/2) are split into
 * `bands` equal-width bands: edges[b] = band_lo + (b * (band_hi - band_lo + 1)) div bands. At
 * a sample rate of f Hz, bin k is k f / n Hz.
 *
 * Cost per window and axis: n steps for the statistics (and the window), and 2n
 * multiply-adds (32 x 32 -> 64 bits) per DFT bin the bands cover: at n = 64 and bins 1..32,
 * 4,096; at n = 512 and 256 bins, 262,144.
 *
 * Use:
 *   tml_mo_config_t cfg; tml_mo_config_default(&cfg); cfg.axes = 6; ...
 *   static tml_mo_t mo;  if (tml_mo_init(&mo, &cfg) != TML_MO_OK) ...
 *   while (frames > 0) {
 *       int32_t used, feat[TML_MO_MAX_FEATURES];
 *       int32_t r = tml_mo_push(&mo, samples, frames, &used, feat);
 *       if (r < 0) ...; samples += used * cfg.axes; frames -= used;
 *       if (r == 1) ... feat[0 .. tml_mo_features(&mo)) is one window's features ...
 *   }
 */
#ifndef TML_MO_MOTION_H
#define TML_MO_MOTION_H

#include <stdint.h>

/* Maxima of the caller-owned state: 9 axes (accelerometer, gyroscope, magnetometer), windows
 * of up to 512 frames (5 s at 100 Hz), up to 16 bands. sizeof(tml_mo_t) is 15,436 bytes, on
 * x86-64 as on 32-bit cores (it holds no pointer): the frame ring (9,216), the cosine and sine
 * tables (4,096) and one axis's windowed samples (2,048). Make it static, or part of a larger
 * static object, rather than a local on a small stack. */
#define TML_MO_MAX_AXES 9
#define TML_MO_MAX_WINDOW 512
#define TML_MO_MAX_BANDS 16
#define TML_MO_N_STATS 5
#define TML_MO_MAX_FEATURES (TML_MO_MAX_AXES * (TML_MO_N_STATS + TML_MO_MAX_BANDS))

/* The statistics, as bits of `stats` and in their order in each axis's features. */
enum {
    TML_MO_MEAN = 1,
    TML_MO_STD = 2,
    TML_MO_MIN = 4,
    TML_MO_MAX = 8,
    TML_MO_RMS = 16,
    TML_MO_ALL_STATS = 31
};

/* Status codes: 0 is success, every failure is negative. */
enum {
    TML_MO_OK = 0,
    TML_MO_E_ARG = -1,    /* NULL pointer or negative frame count */
    TML_MO_E_STATE = -2,  /* tml_mo_t not (successfully) initialized */
    TML_MO_E_AXES = -3,   /* axes outside 1..TML_MO_MAX_AXES */
    TML_MO_E_WINDOW = -4, /* window outside 1..TML_MO_MAX_WINDOW */
    TML_MO_E_HOP = -5,    /* hop outside 1..window */
    TML_MO_E_STATS = -6,  /* stats has bits beyond TML_MO_ALL_STATS, or no feature at all */
    TML_MO_E_BANDS = -7,  /* bands outside 0..TML_MO_MAX_BANDS, band_lo .. band_hi outside
                           * 0 .. window/2, or fewer bins than bands */
    TML_MO_E_EDGES = -8,  /* given edges not increasing, or beyond bin window/2 */
    TML_MO_E_HANN = -9,   /* hann neither 0 nor 1 */
    TML_MO_E_FRAMES = -10 /* (tml_bind_mo_feed) samples that are not whole frames */
};

typedef struct {
    int32_t axes;    /* values per frame, 1..9 */
    int32_t window;  /* frames per window, 1..512 */
    int32_t hop;     /* frames between window starts, 1..window */
    int32_t stats;   /* TML_MO_* bits: the statistics computed, in their fixed order */
    int32_t bands;   /* band energies per axis, 0..16 */
    int32_t band_lo; /* equal-width bands: first bin (default 1: the mean's bin 0 left out) */
    int32_t band_hi; /* equal-width bands: last bin, inclusive; 0 means window/2 */
    int32_t hann;    /* 1: a Hann window before the DFT; 0: none */
    /* Band b is bins [edges[b], edges[b + 1]); edges[bands] == 0: equal-width bands from
     * band_lo and band_hi instead. */
    int16_t edges[TML_MO_MAX_BANDS + 1];
} tml_mo_config_t;

/* The configuration's fields in their struct order, X(name, I) for an int32_t and X(name, E)
 * for the edges array: the bindings take a configuration as (index, value) pairs in this
 * order and export the names (MO_FIELDS), so the order is written here only. */
#define TML_MO_CONFIG_FIELDS(X)                                                             \
    X(axes, I) X(window, I) X(hop, I) X(stats, I) X(bands, I) X(band_lo, I) X(band_hi, I)   \
    X(hann, I) X(edges, E)

/* The state (internal: read it through the functions below). */
typedef struct {
    int32_t ready; /* set by a successful tml_mo_init */
    int32_t axes, window, hop, stats, bands, hann;
    int32_t per_axis;                    /* features per axis */
    int32_t held;                        /* frames in the ring */
    int32_t head;                        /* ring index of the oldest frame */
    int16_t edges[TML_MO_MAX_BANDS + 1]; /* band b: bins [edges[b], edges[b + 1]) */
    int32_t cos[TML_MO_MAX_WINDOW];      /* C[m], m < window (mo_twiddle.c) */
    int32_t sin[TML_MO_MAX_WINDOW];      /* S[m] */
    int32_t xw[TML_MO_MAX_WINDOW];       /* one axis's windowed samples, x[i] w[i] */
    int16_t ring[TML_MO_MAX_AXES * TML_MO_MAX_WINDOW]; /* the frames, interleaved */
} tml_mo_t;

/* 3 axes, windows of 64 frames every 32, all five statistics, 4 equal-width bands over bins
 * 1..32, Hann window. */
void tml_mo_config_default(tml_mo_config_t *cfg);

/* Checks cfg, computes the band edges and the DFT's tables, and empties the window.
 * TML_MO_OK or a TML_MO_E_* status; after a failure mo is unusable until a successful init. */
int tml_mo_init(tml_mo_t *mo, const tml_mo_config_t *cfg);

/* Back to the state right after tml_mo_init: no frames held. */
void tml_mo_reset(tml_mo_t *mo);

/* Features per window: axes * (statistics selected + bands). */
static inline int32_t tml_mo_features(const tml_mo_t *mo) {
    return mo->axes * mo->per_axis;
}

/* Takes frames from samples[0 .. n_frames * axes) until the window is full (*consumed says how
 * many frames); when it is, writes its features to features[0 .. tml_mo_features(mo)), drops
 * the oldest hop frames and returns 1. Returns 0 when all n_frames were taken without
 * completing a window, or a negative TML_MO_E_* status. Call again with the rest. */
int32_t tml_mo_push(tml_mo_t *mo, const int16_t *samples, int32_t n_frames, int32_t *consumed,
                    int32_t *features);

/* A short English description of a status code. */
const char *tml_mo_strerror(int status);

/* ---- Internal: the files' shared functions. ---- */

/* cos_out[m] = C[m], sin_out[m] = S[m] for m in 0 .. n (1 <= n <= TML_MO_MAX_WINDOW). */
void tml_mo_twiddles(int32_t n, int32_t *cos_out, int32_t *sin_out);

/* The band energies of one axis's windowed samples mo->xw[0 .. window) into out[0 .. bands). */
void tml_mo_bands(const tml_mo_t *mo, int32_t *out);

/* Largest r with r * r <= v. */
uint32_t tml_mo_isqrt(uint64_t v);

#endif /* TML_MO_MOTION_H */
