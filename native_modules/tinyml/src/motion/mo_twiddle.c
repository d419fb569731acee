/* The DFT's tables (mo_motion.h): C[m] = round(32768 cos(2 pi m / n)) and S[m] = round(32768
 * sin(2 pi m / n)), computed in integers at init, for any n up to TML_MO_MAX_WINDOW.
 *
 * Why not libm: the motion front-end must run on cores whose ports link no maths library,
 * and a table must be the same everywhere for the features to be. Why not a constant table:
 * windows of any length need angles 2 pi m / n for every n, not the multiples of one size.
 *
 * So each value is a Taylor series in 62-bit fixed point over an angle reduced to [0, pi/4].
 * The error is a few units of 2^-62, a few 2^-47 once scaled by 32768: a value could only
 * round the wrong way if its exact 32768 cos lay within about 2^-44 of a half. None does. An
 * exact half would need cos(2 pi m / n) = (2j + 1) / 65536, but the only rational values of
 * the cosine at rational multiples of pi are 0, +-1/2 and +-1, which 32768 scales to
 * integers (the reason for 32768 rather than 32767, which makes 16383.5 of cos(pi/3)). And no
 * entry of any size 1..512 lies within 3 * 10^-6 of a half (NumPy's double precision says;
 * tests/host/test_motion.py checks every entry against it).
 */
#include "tml_config.h"
#if TML_HAS_MOTION
#include "mo_motion.h"

#define Q62_ONE ((uint64_t)1 << 62)
/* pi / 2 in Q62, rounded down (1.5707963267948966192313216916... * 2^62). */
#define Q62_HALF_PI UINT64_C(0x6487ED5110B4611A)
/* Terms of the series: the last one kept is x^20 / 20! < 2^-60 at x = pi / 4. */
#define SERIES_TERMS 10

/* floor(a * b / 2^62) for a, b < 2^63: the 126-bit product from 32-bit halves, as C99 has no
 * wider integer. */
static uint64_t mul_q62(uint64_t a, uint64_t b) {
    const uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32;
    const uint64_t b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
    const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    /* Bits 32..95 of the product, which cannot overflow: three terms below 2^32 each. */
    const uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
    const uint64_t hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    const uint64_t lo_top = (mid << 32) >> 62; /* bits 62..63 of the product */
    return (hi << 2) | lo_top;
}

/* cos x and sin x in Q62 for x in [0, pi/4] (Q62): Horner's form of the alternating series,
 * 1 - x^2/(1*2) (1 - x^2/(3*4) (1 - ...)) and x (1 - x^2/(2*3) (1 - ...)), where every partial
 * value stays in (0, 1], so unsigned arithmetic holds it. */
static void cos_sin_q62(uint64_t x, uint64_t *c, uint64_t *s) {
    const uint64_t x2 = mul_q62(x, x);
    uint64_t tc = Q62_ONE, ts = Q62_ONE;
    for (uint32_t j = SERIES_TERMS; j >= 1; j--) {
        tc = Q62_ONE - mul_q62(x2, tc) / ((2 * j - 1) * (2 * j));
        ts = Q62_ONE - mul_q62(x2, ts) / ((2 * j) * (2 * j + 1));
    }
    *c = tc;
    *s = mul_q62(x, ts);
}

/* A Q62 value in [0, 1] as round(32768 v): halves up, which never occur (see above). */
static int32_t to_q15(uint64_t v) {
    return (int32_t)((v + ((uint64_t)1 << 46)) >> 47);
}

void tml_mo_twiddles(int32_t n, int32_t *cos_out, int32_t *sin_out) {
    for (int32_t m = 0; m < n; m++) {
        /* 2 pi m / n = q pi/2 + (pi/2) r / n, with the quadrant q and r in [0, n). */
        const int32_t q = (4 * m) / n;
        const int32_t r = 4 * m - q * n;
        /* (pi/2) r / n exactly rounded down: pi/2 in Q62 split by n, as P r / n overflows. */
        const int32_t fold = 2 * r > n; /* beyond pi/4: the complement's sine and cosine */
        const uint64_t rr = (uint64_t)(fold ? n - r : r);
        const uint64_t x = (Q62_HALF_PI / (uint64_t)n) * rr +
                           ((Q62_HALF_PI % (uint64_t)n) * rr) / (uint64_t)n;
        uint64_t c, s;
        cos_sin_q62(x, &c, &s);
        int32_t cq = to_q15(fold ? s : c), sq = to_q15(fold ? c : s);
        /* Rotate by q quarter turns: (c, s) -> (-s, c). */
        for (int32_t t = 0; t < q; t++) {
            const int32_t tmp = cq;
            cq = -sq;
            sq = tmp;
        }
        cos_out[m] = cq;
        sin_out[m] = sq;
    }
}
#endif /* TML_HAS_MOTION */
