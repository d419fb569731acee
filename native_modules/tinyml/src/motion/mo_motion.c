/* Motion features: configuration, init, reset, the streaming call and the statistics
 * (mo_motion.h). */
#include "tml_config.h"
#if TML_HAS_MOTION
#include <string.h>
#include "mo_motion.h"

void tml_mo_config_default(tml_mo_config_t *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->axes = 3;
    cfg->window = 64;
    cfg->hop = 32;
    cfg->stats = TML_MO_ALL_STATS;
    cfg->bands = 4;
    cfg->band_lo = 1;
    cfg->band_hi = 0;
    cfg->hann = 1;
}

/* The band edges from cfg into mo->edges: the caller's, or equal-width bands. */
static int set_edges(tml_mo_t *mo, const tml_mo_config_t *cfg) {
    const int32_t bands = cfg->bands, top = cfg->window / 2;
    int32_t given = 0;
    for (int32_t j = 0; j <= TML_MO_MAX_BANDS; j++) {
        given |= cfg->edges[j] != 0;
    }
    memset(mo->edges, 0, sizeof(mo->edges));
    if (given) {
        /* Edges beyond the bands' are refused rather than ignored: they mean the caller's
         * count and list disagree. */
        if (bands < 1 || cfg->edges[0] < 0 || cfg->edges[bands] > top + 1) {
            return TML_MO_E_EDGES;
        }
        for (int32_t j = 0; j <= TML_MO_MAX_BANDS; j++) {
            if ((j < bands && cfg->edges[j] >= cfg->edges[j + 1]) ||
                (j > bands && cfg->edges[j] != 0)) {
                return TML_MO_E_EDGES;
            }
            mo->edges[j] = cfg->edges[j];
        }
        return TML_MO_OK;
    }
    if (bands == 0) {
        return TML_MO_OK;
    }
    const int32_t lo = cfg->band_lo, hi = cfg->band_hi == 0 ? top : cfg->band_hi;
    if (lo < 0 || hi > top || hi - lo + 1 < bands) {
        return TML_MO_E_BANDS;
    }
    for (int32_t b = 0; b <= bands; b++) {
        mo->edges[b] = (int16_t)(lo + (b * (hi - lo + 1)) / bands);
    }
    return TML_MO_OK;
}

int tml_mo_init(tml_mo_t *mo, const tml_mo_config_t *cfg) {
    if (mo == NULL || cfg == NULL) {
        return TML_MO_E_ARG;
    }
    mo->ready = 0;
    if (cfg->axes < 1 || cfg->axes > TML_MO_MAX_AXES) {
        return TML_MO_E_AXES;
    }
    if (cfg->window < 1 || cfg->window > TML_MO_MAX_WINDOW) {
        return TML_MO_E_WINDOW;
    }
    if (cfg->hop < 1 || cfg->hop > cfg->window) {
        return TML_MO_E_HOP;
    }
    if (cfg->stats < 0 || cfg->stats > TML_MO_ALL_STATS) {
        return TML_MO_E_STATS;
    }
    if (cfg->bands < 0 || cfg->bands > TML_MO_MAX_BANDS) {
        return TML_MO_E_BANDS;
    }
    if (cfg->stats == 0 && cfg->bands == 0) {
        return TML_MO_E_STATS;
    }
    if (cfg->hann != 0 && cfg->hann != 1) {
        return TML_MO_E_HANN;
    }
    const int status = set_edges(mo, cfg);
    if (status != TML_MO_OK) {
        return status;
    }
    mo->axes = cfg->axes;
    mo->window = cfg->window;
    mo->hop = cfg->hop;
    mo->stats = cfg->stats;
    mo->bands = cfg->bands;
    mo->hann = cfg->hann;
    int32_t stats = 0;
    for (int32_t s = cfg->stats; s; s >>= 1) {
        stats += s & 1;
    }
    mo->per_axis = stats + cfg->bands;
    tml_mo_twiddles(cfg->window, mo->cos, mo->sin);
    mo->ready = 1;
    tml_mo_reset(mo);
    return TML_MO_OK;
}

void tml_mo_reset(tml_mo_t *mo) {
    if (mo == NULL || !mo->ready) {
        return;
    }
    mo->held = 0;
    mo->head = 0;
    memset(mo->ring, 0, sizeof(mo->ring));
    memset(mo->xw, 0, sizeof(mo->xw));
}

uint32_t tml_mo_isqrt(uint64_t v) {
    /* Digit by digit, two bits of v per bit of the root: exact, no division, no float. */
    uint64_t r = 0, bit = (uint64_t)1 << 62;
    while (bit > v) {
        bit >>= 2;
    }
    while (bit != 0) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)r;
}

/* The features of the full window: per axis, the statistics in one pass over its samples
 * (oldest first), which also writes the windowed samples the band energies take. */
static void window_features(tml_mo_t *mo, int32_t *out) {
    const int32_t n = mo->window, axes = mo->axes, stats = mo->stats;
    for (int32_t a = 0; a < axes; a++) {
        /* |sum| <= 512 * 2^15 = 2^24; the squares' sum <= 2^39, so it needs 64 bits. */
        int32_t sum = 0, lo = 32767, hi = -32768;
        uint64_t sq = 0;
        int32_t at = mo->head;
        for (int32_t i = 0; i < n; i++) {
            const int32_t x = mo->ring[at * axes + a];
            sum += x;
            sq += (uint64_t)(x * x);
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
            /* x * w fits: -32768 * 65536 is -2^31 exactly, 32767 * 65536 < 2^31. */
            mo->xw[i] = x * (mo->hann ? 32768 - mo->cos[i] : 65536);
            at = at + 1 == n ? 0 : at + 1;
        }
        const uint64_t mag = (uint64_t)(sum < 0 ? -sum : sum);
        if (stats & TML_MO_MEAN) {
            const int32_t m = (int32_t)((2 * mag + (uint64_t)n) / (2 * (uint64_t)n));
            *out++ = sum < 0 ? -m : m;
        }
        if (stats & TML_MO_STD) {
            /* n Q - S^2 >= 0 (Cauchy-Schwarz) and <= 2^48: 4 times it fits. */
            const uint64_t nn = (uint64_t)n * (uint64_t)n;
            const uint64_t var4 = 4 * ((uint64_t)n * sq - mag * mag) / nn;
            *out++ = (int32_t)((tml_mo_isqrt(var4) + 1) / 2);
        }
        if (stats & TML_MO_MIN) {
            *out++ = lo;
        }
        if (stats & TML_MO_MAX) {
            *out++ = hi;
        }
        if (stats & TML_MO_RMS) {
            *out++ = (int32_t)((tml_mo_isqrt(4 * sq / (uint64_t)n) + 1) / 2);
        }
        if (mo->bands) {
            tml_mo_bands(mo, out);
            out += mo->bands;
        }
    }
}

int32_t tml_mo_push(tml_mo_t *mo, const int16_t *samples, int32_t n_frames, int32_t *consumed,
                    int32_t *features) {
    if (mo == NULL || consumed == NULL || features == NULL || n_frames < 0 ||
        (samples == NULL && n_frames > 0)) {
        return TML_MO_E_ARG;
    }
    *consumed = 0;
    if (!mo->ready) {
        return TML_MO_E_STATE;
    }
    const int32_t axes = mo->axes, n = mo->window;
    int32_t used = 0;
    while (used < n_frames && mo->held < n) {
        int32_t at = mo->head + mo->held;
        at = at >= n ? at - n : at;
        for (int32_t a = 0; a < axes; a++) {
            mo->ring[at * axes + a] = samples[used * axes + a];
        }
        mo->held++;
        used++;
    }
    *consumed = used;
    if (mo->held < n) {
        return 0;
    }
    window_features(mo, features);
    /* The oldest hop frames leave the ring; the next window starts hop frames later. */
    mo->head = (mo->head + mo->hop) % n;
    mo->held -= mo->hop;
    return 1;
}

const char *tml_mo_strerror(int status) {
    switch (status) {
    case TML_MO_OK:
        return "ok";
    case TML_MO_E_ARG:
        return "NULL pointer or negative frame count";
    case TML_MO_E_STATE:
        return "motion front-end not initialized";
    case TML_MO_E_AXES:
        return "axes out of range (1..9)";
    case TML_MO_E_WINDOW:
        return "window out of range (1..512 frames)";
    case TML_MO_E_HOP:
        return "hop out of range (1..window)";
    case TML_MO_E_STATS:
        return "stats must be a mask of mean 1, std 2, min 4, max 8, rms 16, "
               "and a window needs at least one feature";
    case TML_MO_E_BANDS:
        return "bands out of range (0..16), or band_lo..band_hi not within bins 0..window/2 "
               "with a bin per band";
    case TML_MO_E_EDGES:
        return "band edges must be bands + 1 increasing bins from 0 up to window/2 + 1";
    case TML_MO_E_HANN:
        return "hann must be 0 or 1";
    case TML_MO_E_FRAMES:
        return "samples must be whole frames (a multiple of axes values)";
    default:
        return "unknown motion front-end status";
    }
}
#endif /* TML_HAS_MOTION */
