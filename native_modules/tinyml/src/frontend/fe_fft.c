/* Fixed-point real FFT of the audio front end: see fe_fft.h for what it computes.
 *
 * How the result is reached (the order of operations is what makes it bit-exact):
 *
 * 1. The N real samples are read as n = N/2 complex values z[t] = x[2t] + i x[2t+1] and a
 *    complex FFT of length n is taken. n is factored as KISS FFT factors it: radix 4 as often
 *    as it divides, then one radix 2 if a factor of 2 is left (32 = 4*4*2, 64 = 4*4*4, ...).
 *    The first factor is the outermost stage; the last is done first, on the inputs in
 *    mixed-radix digit-reversed order. Each stage is a decimation-in-time butterfly: it first
 *    divides its p inputs by p (so the stage's sum of p terms cannot grow past int16), then
 *    rotates inputs 1..p-1 by twiddles and combines.
 * 2. The split: from Z = FFT(z), bin k of the real FFT is (Z[k] + conj Z[n-k])/2 plus
 *    (Z[k] - conj Z[n-k])/2 rotated by exp(-i pi (k/n + 1/2)); Z values are first halved
 *    so that these sums fit, and each result is halved once more.
 *
 * Arithmetic, as in KISS FFT with FIXED_POINT=16:
 *  - A Q15 product a*b (int16 by int16, exact in int32) is rounded by adding 2^14 and shifting
 *    right by 15 (an arithmetic shift: rounds half up, also for negative values). A complex
 *    product rounds its real part a.r*b.r - a.i*b.i and its imaginary part a.r*b.i + a.i*b.r
 *    once each, after the int32 sum (at most 2^31 - 2^16 + 2^14 in magnitude: no overflow).
 *  - Division by p is a Q15 product by floor(32767/p): 16383 for 2, 8191 for 4. This is not
 *    exactly 1/p, and the bias is part of the reference's results.
 *  - Every value is kept in an int16 between operations. Where KISS FFT stores a sum or
 *    difference into an int16 it wraps modulo 2^16; wrap16 does the same, explicitly (this
 *    happens for extreme inputs, e.g. the conjugate of -32768).
 *  - The split's final halving shifts the int32 sum right by one (no rounding), with no wrap
 *    before the shift: the result always fits.
 *
 * Twiddles: KISS FFT computes them at allocation time as floor(0.5 + 32767 cos(phase)) and
 * floor(0.5 + 32767 sin(phase)) in double precision. Every phase used here, for n up to 512,
 * is a multiple of 2 pi / 1024 (the split's phases are pi/2 plus multiples of pi/n), so all
 * the values are entries, up to sign, of one quarter wave: cos_q[j] below. The table holds the
 * exact values: the scaled cosines nearest to a half-integer (j = 127, 23311.4988) are 1.2e-3
 * away from it, far more than a double evaluation's error (about 1e-11 here), so any correct
 * double computation gives these integers; single precision would not (it gives 23312 at
 * j = 127). Rounding is odd-symmetric (floor(0.5 - a) = -floor(0.5 + a) unless a is a
 * half-integer, which no entry is), so negated entries are the negative phases' values. */
#include "tml_config.h"
#if TML_HAS_FRONTEND
#include "fe_fft.h"

/* floor(0.5 + 32767 cos(2 pi j / 1024)) for j = 0 .. 256. */
static const int16_t cos_q[257] = {
    32767, 32766, 32765, 32761, 32757, 32752, 32745, 32737, 32728, 32717, 32705, 32692,
    32678, 32663, 32646, 32628, 32609, 32589, 32567, 32545, 32521, 32495, 32469, 32441,
    32412, 32382, 32351, 32318, 32285, 32250, 32213, 32176, 32137, 32098, 32057, 32014,
    31971, 31926, 31880, 31833, 31785, 31736, 31685, 31633, 31580, 31526, 31470, 31414,
    31356, 31297, 31237, 31176, 31113, 31050, 30985, 30919, 30852, 30783, 30714, 30643,
    30571, 30498, 30424, 30349, 30273, 30195, 30117, 30037, 29956, 29874, 29791, 29706,
    29621, 29534, 29447, 29358, 29268, 29177, 29085, 28992, 28898, 28803, 28706, 28609,
    28510, 28411, 28310, 28208, 28105, 28001, 27896, 27790, 27683, 27575, 27466, 27356,
    27245, 27133, 27019, 26905, 26790, 26674, 26556, 26438, 26319, 26198, 26077, 25955,
    25832, 25708, 25582, 25456, 25329, 25201, 25072, 24942, 24811, 24680, 24547, 24413,
    24279, 24143, 24007, 23870, 23731, 23592, 23452, 23311, 23170, 23027, 22884, 22739,
    22594, 22448, 22301, 22154, 22005, 21856, 21705, 21554, 21403, 21250, 21096, 20942,
    20787, 20631, 20475, 20317, 20159, 20000, 19841, 19680, 19519, 19357, 19195, 19032,
    18868, 18703, 18537, 18371, 18204, 18037, 17869, 17700, 17530, 17360, 17189, 17018,
    16846, 16673, 16499, 16325, 16151, 15976, 15800, 15623, 15446, 15269, 15090, 14912,
    14732, 14553, 14372, 14191, 14010, 13828, 13645, 13462, 13279, 13094, 12910, 12725,
    12539, 12353, 12167, 11980, 11793, 11605, 11417, 11228, 11039, 10849, 10659, 10469,
    10278, 10087, 9896,  9704,  9512,  9319,  9126,  8933,  8739,  8545,  8351,  8157,
    7962,  7767,  7571,  7375,  7179,  6983,  6786,  6590,  6393,  6195,  5998,  5800,
    5602,  5404,  5205,  5007,  4808,  4609,  4410,  4210,  4011,  3811,  3612,  3412,
    3212,  3012,  2811,  2611,  2410,  2210,  2009,  1809,  1608,  1407,  1206,  1005,
    804,   603,   402,   201,   0,
};

/* floor(0.5 + 32767 cos(2 pi j / 1024)) for any j, from the quarter wave by symmetry. */
static int16_t cos1024(int32_t j) {
    j &= 1023;
    if (j <= 256) {
        return cos_q[j];
    }
    if (j <= 512) {
        return (int16_t)-cos_q[512 - j];
    }
    if (j <= 768) {
        return (int16_t)-cos_q[j - 512];
    }
    return cos_q[1024 - j];
}

/* The same for sin: sin(a) = cos(a - pi/2). */
static int16_t sin1024(int32_t j) {
    return cos1024(j - 256);
}

int tml_fe_fft_init(tml_fe_fft_t *st, int32_t fft_size) {
    if (st == 0) {
        return TML_FE_FFT_E_NULL;
    }
    if (fft_size < TML_FE_FFT_MIN_SIZE || fft_size > TML_FE_FFT_MAX_SIZE ||
        (fft_size & (fft_size - 1)) != 0) {
        return TML_FE_FFT_E_SIZE;
    }
    /* Shifts rather than divisions throughout: no division helper on cores without one. */
    const int32_t n = fft_size >> 1;
    int32_t log2n = 0;
    while (((int32_t)1 << log2n) < n) {
        log2n++;
    }
    st->fft_size = fft_size;
    st->n = n;
    st->stages4 = log2n >> 1;
    st->radix2 = log2n & 1;

    /* exp(-2 pi i k / n) = exp(-2 pi i j / 1024) with j = k * (1024 / n). */
    const int32_t step = (int32_t)1 << (10 - log2n);
    for (int32_t k = 0; k < (3 * n) >> 2; k++) {
        st->tw[2 * k] = cos1024(k * step);
        st->tw[2 * k + 1] = (int16_t)-sin1024(k * step);
    }
    /* exp(-i pi ((k + 1)/n + 1/2)) = exp(-2 pi i j / 1024) with j = 256 + (k + 1) * 512 / n. */
    for (int32_t k = 0; k < n >> 1; k++) {
        const int32_t j = 256 + (k + 1) * (step >> 1);
        st->super_tw[2 * k] = cos1024(j);
        st->super_tw[2 * k + 1] = (int16_t)-sin1024(j);
    }
    return TML_FE_FFT_OK;
}

/* v modulo 2^16 as an int16, what storing an int into an int16 does on the reference's
 * compilers, written out so that it does not depend on an implementation-defined conversion. */
static inline int16_t wrap16(int32_t v) {
    return (int16_t)((v & 0xFFFF) - ((v & 0x8000) << 1));
}

/* A Q15 product (or sum of products) rounded half up to int16: (x + 2^14) >> 15. */
static inline int16_t q15(int32_t x) {
    return wrap16((x + 16384) >> 15);
}

/* Division by 2 and by 4 as the reference does it: a Q15 product by 32767/2 and 32767/4. */
static inline int16_t half(int32_t x) {
    return q15(x * 16383);
}

static inline int16_t quarter(int32_t x) {
    return q15(x * 8191);
}

/* One radix-2 stage over a block: for k < m, with a = F[k]/2, b = F[k+m]/2 and
 * t = b * tw[k fstride], F[k] = a + t and F[k+m] = a - t. */
static void bfly2(int16_t *f, const int16_t *tw, int32_t fstride, int32_t m) {
    int16_t *g = f + 2 * m;
    for (int32_t k = 0; k < m; k++) {
        const int32_t ar = half(f[2 * k]), ai = half(f[2 * k + 1]);
        const int32_t br = half(g[2 * k]), bi = half(g[2 * k + 1]);
        const int32_t wr = tw[2 * k * fstride], wi = tw[2 * k * fstride + 1];
        const int32_t tr = q15(br * wr - bi * wi), ti = q15(br * wi + bi * wr);
        g[2 * k] = wrap16(ar - tr);
        g[2 * k + 1] = wrap16(ai - ti);
        f[2 * k] = wrap16(ar + tr);
        f[2 * k + 1] = wrap16(ai + ti);
    }
}

/* One forward radix-4 stage over a block: for k < m, the four inputs F[k + q m] (q = 0..3)
 * are quartered, inputs 1..3 rotated by tw[q k fstride] (giving b1, b2, b3), and
 *   F[k]      = (a0 + b2) + (b1 + b3)
 *   F[k + 2m] = (a0 + b2) - (b1 + b3)
 *   F[k + m]  = (a0 - b2) - i (b1 - b3)
 *   F[k + 3m] = (a0 - b2) + i (b1 - b3)
 * with every parenthesised partial result held in an int16, as the reference holds it. */
static void bfly4(int16_t *f, const int16_t *tw, int32_t fstride, int32_t m) {
    int16_t *f1 = f + 2 * m, *f2 = f + 4 * m, *f3 = f + 6 * m;
    for (int32_t k = 0; k < m; k++) {
        const int32_t a0r = quarter(f[2 * k]), a0i = quarter(f[2 * k + 1]);
        const int32_t a1r = quarter(f1[2 * k]), a1i = quarter(f1[2 * k + 1]);
        const int32_t a2r = quarter(f2[2 * k]), a2i = quarter(f2[2 * k + 1]);
        const int32_t a3r = quarter(f3[2 * k]), a3i = quarter(f3[2 * k + 1]);
        const int16_t *w1 = tw + 2 * k * fstride, *w2 = tw + 4 * k * fstride;
        const int16_t *w3 = tw + 6 * k * fstride;
        const int32_t b1r = q15(a1r * w1[0] - a1i * w1[1]), b1i = q15(a1r * w1[1] + a1i * w1[0]);
        const int32_t b2r = q15(a2r * w2[0] - a2i * w2[1]), b2i = q15(a2r * w2[1] + a2i * w2[0]);
        const int32_t b3r = q15(a3r * w3[0] - a3i * w3[1]), b3i = q15(a3r * w3[1] + a3i * w3[0]);
        const int32_t dr = wrap16(a0r - b2r), di = wrap16(a0i - b2i); /* a0 - b2 */
        const int32_t sr = wrap16(a0r + b2r), si = wrap16(a0i + b2i); /* a0 + b2 */
        const int32_t pr = wrap16(b1r + b3r), pi = wrap16(b1i + b3i); /* b1 + b3 */
        const int32_t qr = wrap16(b1r - b3r), qi = wrap16(b1i - b3i); /* b1 - b3 */
        f2[2 * k] = wrap16(sr - pr);
        f2[2 * k + 1] = wrap16(si - pi);
        f[2 * k] = wrap16(sr + pr);
        f[2 * k + 1] = wrap16(si + pi);
        f1[2 * k] = wrap16(dr + qi);
        f1[2 * k + 1] = wrap16(di - qr);
        f3[2 * k] = wrap16(dr - qi);
        f3[2 * k + 1] = wrap16(di + qr);
    }
}

/* The complex FFT of the n values in[2t] + i in[2t+1] into out (n pairs). */
static void complex_fft(const tml_fe_fft_t *st, const int16_t *in, int16_t *out) {
    const int32_t n = st->n;
    /* Digit reversal: the first (innermost) stage must see, in its block of p neighbours,
     * inputs n/p apart. Output position i has digits (outermost stage first) k_0 .. k_{S-1}
     * in the radices 4, .., 4 (, 2); its input is sum_s k_s * (product of the radices before
     * stage s). The radix-2 digit, when there is one, is the lowest of i and weighs n/2. */
    for (int32_t i = 0; i < n; i++) {
        int32_t r = i, t = 0;
        if (st->radix2) {
            t = (r & 1) * (n >> 1);
            r >>= 1;
        }
        for (int32_t s = st->stages4 - 1; s >= 0; s--) {
            t += (r & 3) << (2 * s);
            r >>= 2;
        }
        out[2 * i] = in[2 * t];
        out[2 * i + 1] = in[2 * t + 1];
    }
    /* Stages from the innermost (m = 1) out: a stage of radix p on sub-transforms of length m
     * works on n / (p m) blocks of p m values, with twiddle stride fstride = n / (p m). */
    int32_t m = 1, fstride = n;
    if (st->radix2) {
        fstride >>= 1;
        for (int32_t b = 0; b < fstride; b++) {
            bfly2(out + 2 * b * 2, st->tw, fstride, 1);
        }
        m = 2;
    }
    for (int32_t s = 0; s < st->stages4; s++) {
        fstride >>= 2;
        for (int32_t b = 0; b < fstride; b++) {
            bfly4(out + 2 * b * 4 * m, st->tw, fstride, m);
        }
        m <<= 2;
    }
}

void tml_fe_fft_run(const tml_fe_fft_t *st, const int16_t *in, int16_t *out) {
    const int32_t n = st->n;
    complex_fft(st, in, out);

    /* Bins 0 and n: Z[0] holds the sum of the even samples (re) and of the odd ones (im);
     * their sum is the DC bin, their difference the Nyquist bin. Halved first, as every Z. */
    const int32_t dr = half(out[0]), di = half(out[1]);
    out[0] = wrap16(dr + di);
    out[1] = 0;
    out[2 * n] = wrap16(dr - di);
    out[2 * n + 1] = 0;

    /* Bins k and n - k together, in place: both Z values are read before either is written.
     * With p = Z[k]/2 and q = conj(Z[n-k])/2 (the conjugate's imaginary part is negated in
     * int16 first, so -(-32768) wraps to -32768 as in the reference), s = p + q, d = p - q and
     * r = d * super_tw[k-1]: bin k = (s + r)/2 and bin n-k = conj(s - r)/2. At k = n/2 both
     * are the same bin and the second write, bin n-k's, is the one kept. */
    for (int32_t k = 1; k <= n >> 1; k++) {
        int16_t *bk = out + 2 * k, *bnk = out + 2 * (n - k);
        const int32_t pr = half(bk[0]), pi = half(bk[1]);
        const int32_t qr = half(bnk[0]), qi = half(wrap16(-bnk[1]));
        const int32_t sr = wrap16(pr + qr), si = wrap16(pi + qi);
        const int32_t er = wrap16(pr - qr), ei = wrap16(pi - qi);
        const int16_t *w = st->super_tw + 2 * (k - 1);
        const int32_t rr = q15(er * w[0] - ei * w[1]), ri = q15(er * w[1] + ei * w[0]);
        bk[0] = (int16_t)((sr + rr) >> 1);
        bk[1] = (int16_t)((si + ri) >> 1);
        bnk[0] = (int16_t)((sr - rr) >> 1);
        bnk[1] = (int16_t)((ri - si) >> 1);
    }
}
#endif /* TML_HAS_FRONTEND */
