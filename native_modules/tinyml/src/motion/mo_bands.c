/* Band energies of one axis's window (mo_motion.h gives the exact definition): a direct DFT
 * over the bins the bands cover. A direct DFT, not an FFT, because windows have any length
 * (an FFT would want a power of two, and its stage-by-stage rounding would make the
 * definition depend on the factorisation); the bands rarely cover many bins, and only those
 * are computed. */
#include "tml_config.h"
#if TML_HAS_MOTION
#include "mo_motion.h"

/* Fractional bits kept of each DFT value (re is the DFT in units of 2^-5 sample): enough that
 * rounding re costs less than the tables' own rounding, few enough that a band's sum of
 * squares stays below 2^59. */
#define MO_DFT_FRAC_BITS 5
#define MO_DFT_SHIFT (31 - MO_DFT_FRAC_BITS)

/* floor((v + 2^(s-1)) / 2^s), for negative v too (C99 leaves >> of a negative value to the
 * implementation). */
static int64_t round_shift(int64_t v, int32_t s) {
    const int64_t half = (int64_t)1 << (s - 1);
    return v >= -half ? (v + half) >> s : -1 - ((-1 - (v + half)) >> s);
}

void tml_mo_bands(const tml_mo_t *mo, int32_t *out) {
    const int32_t n = mo->window;
    const int32_t *xw = mo->xw;
    /* Parseval bounds the whole spectrum's sum of squares by n^2 * 2^30 sample units (2^48
     * at n = 512), 2^58 with the 10 fractional bits of re^2: D below is at most 2^28. */
    const uint64_t d = ((uint64_t)n * (uint64_t)n) << (2 * MO_DFT_FRAC_BITS);
    for (int32_t b = 0; b < mo->bands; b++) {
        uint64_t p = 0;
        for (int32_t k = mo->edges[b]; k < mo->edges[b + 1]; k++) {
            /* |xw| <= 2^31 and |C|, |S| <= 2^15: each product fits 46 bits, n of them 55. */
            int64_t re = 0, im = 0;
            int32_t m = 0; /* (i k) mod n, stepped rather than multiplied */
            for (int32_t i = 0; i < n; i++) {
                re += (int64_t)xw[i] * mo->cos[m];
                im += (int64_t)xw[i] * mo->sin[m];
                m += k;
                if (m >= n) {
                    m -= n;
                }
            }
            re = round_shift(re, MO_DFT_SHIFT);
            im = round_shift(im, MO_DFT_SHIFT);
            p += (uint64_t)(re * re) + (uint64_t)(im * im);
        }
        const uint64_t e = (p + d / 2) / d;
        out[b] = e > INT32_MAX ? INT32_MAX : (int32_t)e; /* never reached: e <= 2^30 */
    }
}
#endif /* TML_HAS_MOTION */
