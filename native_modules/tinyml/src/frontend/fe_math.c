/* Front end: cos, log1p, powf and floor for the stages' inits, without libm (fe_math.h).
 *
 * TensorFlow's op builds the window, the mel weights and the PCAN gains with glibc's cos,
 * log1p and powf. log1p here is glibc's algorithm, operation for operation: the same
 * doubles. cos and powf are correctly rounded, which glibc's are not always (cos is off by
 * an ulp for about 0.1 % of arguments, powf for about 0.06 %); tests/c/fe_math_check.c
 * compares the tables the front end builds with those glibc's functions give.
 *
 * Determinism. Only IEEE-754 double and float operations (+, -, *, / and conversions, each
 * correctly rounded, in hardware or software) and integer operations on the numbers' bits.
 * A compiler may fuse a product into the sum that uses it (an FMA, rounded once): GCC does so
 * across statements unless -ffp-contract=off (its default with -std=c99), clang within an
 * expression by default, and a fused product changes the last bit of some results. So every
 * product that is then added or subtracted goes through fe_mul, which stores it in a volatile
 * and so is rounded on its own; a product left plain is exact (by a power of two, or of two
 * short enough numbers), where fusing changes nothing. No long double, and no excess precision
 * (FLT_EVAL_METHOD 0: Arm, RISC-V, x86-64).
 *
 * Subnormals. The RP2040's ROM routines flush subnormal doubles to zero. No intermediate here
 * is subnormal on the front end's inputs: the smallest are the low parts of double-doubles
 * and the high powers in polynomials of small arguments, all above 2^-400 (log1p's inputs are
 * at least 2^-159, cos's reduced arguments at least 2^-55 away from 0 unless 0, powf's x at
 * least 2^-149 with |log x| under 104); powf's subnormal float results are made from bits. */
#include "tml_config.h"
#if TML_HAS_FRONTEND
#include <stdint.h>
#include <string.h>
#include "fe_math.h"

#define FE_SIGN64 ((uint64_t)1 << 63)
#define FE_FRAC52 (((uint64_t)1 << 52) - 1)

static uint64_t fe_dbits(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof(u));
    return u;
}

static double fe_dfrom(uint64_t u) {
    double x;
    memcpy(&x, &u, sizeof(x));
    return x;
}

static uint32_t fe_fbits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof(u));
    return u;
}

static float fe_ffrom(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof(x));
    return x;
}

/* a * b rounded to double before any later add (a compiler may not fuse it into an FMA). */
static double fe_mul(double a, double b) {
    volatile double p = a * b;
    return p;
}

int tml_fe_isfinitef(float x) {
    return (fe_fbits(x) & 0x7F800000u) != 0x7F800000u;
}

/* floor: x's bits worth less than 1 cleared; a negative non-integer first grows by 1 in
 * magnitude, the carry out of the significand moving into the exponent as it should (-1.5:
 * significand full, exponent + 1, -2). Exact, and no floating-point operation at all. */
double tml_fe_floor(double x) {
    uint64_t b = fe_dbits(x);
    const int32_t e = (int32_t)((b >> 52) & 0x7FF) - 1023;
    if (e >= 52) {
        return x; /* no fraction bits: an integer, an infinity or NaN */
    }
    if (e < 0) { /* |x| < 1 */
        if (!(b >> 63)) {
            return 0.0;
        }
        return (b << 1) == 0 ? x : -1.0; /* -0 stays -0 */
    }
    const uint64_t frac = FE_FRAC52 >> e;
    if ((b & frac) == 0) {
        return x;
    }
    if (b >> 63) {
        b += frac + 1;
    }
    return fe_dfrom(b & ~frac);
}

/* ---- Double-double arithmetic: hi + lo, |lo| at most half an ulp of hi (106 bits). The
 * error-free sum (Knuth) and product (Dekker), and the sum and product of Joldes, Muller and
 * Popescu (ACM TOMS 44, 2017: AccurateDWPlusDW, DWTimesDW1), relative errors near 2^-104. */
typedef struct {
    double hi;
    double lo;
} fe_dd;

/* a + b exactly, for any a and b. */
static fe_dd fe_two_sum(double a, double b) {
    const double s = a + b;
    const double bb = s - a;
    const fe_dd r = {s, (a - (s - bb)) + (b - bb)};
    return r;
}

/* a + b exactly when a is 0 or |a| >= |b| (a's exponent at least b's). */
static fe_dd fe_fast_two_sum(double a, double b) {
    const double s = a + b;
    const fe_dd r = {s, b - (s - a)};
    return r;
}

/* a rounded to its top 26 significant bits, on its bits: half of the dropped 27 bits' unit
 * added to the magnitude, a carry running into the exponent. The rest, a minus this, fits
 * in 26 bits too, so the four products of two halves in fe_two_prod are exact. */
static double fe_split_hi(double a) {
    const uint64_t low = ((uint64_t)1 << 27) - 1;
    return fe_dfrom((fe_dbits(a) + ((uint64_t)1 << 26)) & ~low);
}

/* a * b exactly (Dekker): the error of the rounded product from exact partial products. The
 * partial products may be fused with the sums: exact, they round to themselves. */
static fe_dd fe_two_prod(double a, double b) {
    const double p = fe_mul(a, b);
    const double ah = fe_split_hi(a);
    const double al = a - ah;
    const double bh = fe_split_hi(b);
    const double bl = b - bh;
    const fe_dd r = {p, (((ah * bh - p) + ah * bl) + al * bh) + al * bl};
    return r;
}

static fe_dd fe_dd_add(fe_dd a, fe_dd b) {
    const fe_dd s = fe_two_sum(a.hi, b.hi);
    const fe_dd t = fe_two_sum(a.lo, b.lo);
    const fe_dd v = fe_fast_two_sum(s.hi, s.lo + t.hi);
    return fe_fast_two_sum(v.hi, t.lo + v.lo);
}

static fe_dd fe_dd_mul(fe_dd a, fe_dd b) {
    const fe_dd p = fe_two_prod(a.hi, b.hi);
    const double cross = fe_mul(a.hi, b.lo) + fe_mul(a.lo, b.hi);
    return fe_fast_two_sum(p.hi, p.lo + cross);
}

static fe_dd fe_dd_mul_d(fe_dd a, double b) {
    const fe_dd p = fe_two_prod(a.hi, b);
    return fe_fast_two_sum(p.hi, p.lo + fe_mul(a.lo, b));
}

/* c[0] + x (c[1] + x (... + x c[n - 1])), in double: the tails of the series below, whose
 * terms are small enough that double's rounding errors stay under 2^-80 of the sum. */
static double fe_poly(const double *c, int32_t n, double x) {
    double acc = c[n - 1];
    for (int32_t i = n - 2; i >= 0; i--) {
        acc = c[i] + fe_mul(x, acc);
    }
    return acc;
}

/* c[0] + x (c[1] + ... + x (c[n - 1] + x top)), in double-double: the series' leading terms,
 * top being the tail's sum. */
static fe_dd fe_dd_poly(const fe_dd *c, int32_t n, fe_dd x, double top) {
    fe_dd acc = {top, 0.0};
    for (int32_t i = n - 1; i >= 0; i--) {
        acc = fe_dd_add(c[i], fe_dd_mul(x, acc));
    }
    return acc;
}

/* ---- cos. x = k pi/2 + r with |r| <= pi/4, then +-cos r or +-sin r by Taylor series in
 * double-double. The relative error before the final rounding is below about 2^-92 (2^-93
 * at worst in a test against 250-bit values, next to pi/2): the series' arithmetic near
 * 2^-100, the terms dropped under 2^-100, the double tails under 2^-93, and the reduction's
 * error (2^-144 at most) against |r|, which is at least 2^-55 for the doubles of [0, 2 pi]
 * (the nearest ones to pi/2, pi, 3 pi/2 and 2 pi). The returned double, hi + lo rounded, is
 * then cos x correctly rounded unless cos x lies within 2^-92 (relatively) of a midpoint
 * between doubles, a chance of about 2^-38 for a given x. glibc's cos misses correct
 * rounding by up to a few hundredths of an ulp, for about 0.1 % of arguments: there the two
 * differ (fe_math_check counts them over the window's arguments; none changes a
 * coefficient). */

/* pi/2 as a sum of four doubles, the first three of 30 bits (k times them is exact for
 * k < 2^23); the sum is within 2^-147 of pi/2. */
static const double fe_pio2[4] = {0x1.921fb548p+0, -0x1.de973dc8p-31, -0x1.9d9cceb8p-62,
                                  -0x1.1fc8f8cbb5bf7p-93};
#define FE_2_OVER_PI 0x1.45f306dc9c883p-1

/* (-1)^n / (2n)!: n = 0..6 in double-double, 7..13 in double; with z = r^2 <= 0.62, term 14
 * is below 2^-107 and the double tail below 2^-40. */
static const fe_dd fe_cos_c[7] = {
    {0x1p+0, 0.0},
    {-0x1p-1, 0.0},
    {0x1.5555555555555p-5, 0x1.5555555555555p-59},
    {-0x1.6c16c16c16c17p-10, 0x1.f49f49f49f49fp-65},
    {0x1.a01a01a01a01ap-16, 0x1.a01a01a01a01ap-76},
    {-0x1.27e4fb7789f5cp-22, -0x1.cbbc05b4fa99ap-76},
    {0x1.1eed8eff8d898p-29, -0x1.2aec959e14c06p-83},
};
static const double fe_cos_tail[7] = {
    -0x1.93974a8c07c9dp-37, 0x1.ae7f3e733b81fp-45, -0x1.6827863b97d97p-53,
    0x1.e542ba4020225p-62,  -0x1.0ce396db7f853p-70, 0x1.f2cf01972f578p-80,
    -0x1.88e85fc6a4e5ap-89,
};

/* (-1)^n / (2n + 1)!: n = 0..6 in double-double, 7..12 in double (the tail below 2^-45,
 * term 13 below 2^-102). */
static const fe_dd fe_sin_c[7] = {
    {0x1p+0, 0.0},
    {-0x1.5555555555555p-3, -0x1.5555555555555p-57},
    {0x1.1111111111111p-7, 0x1.1111111111111p-63},
    {-0x1.a01a01a01a01ap-13, -0x1.a01a01a01a01ap-73},
    {0x1.71de3a556c734p-19, -0x1.c154f8ddc6cp-73},
    {-0x1.ae64567f544e4p-26, 0x1.c062e06d1f209p-80},
    {0x1.6124613a86d09p-33, 0x1.f28e0cc748ebep-87},
};
static const double fe_sin_tail[6] = {
    -0x1.ae7f3e733b81fp-41, 0x1.952c77030ad4ap-49,  -0x1.2f49b46814157p-57,
    0x1.71b8ef6dcf572p-66,  -0x1.761b41316381ap-75, 0x1.3f3ccdd165fa9p-84,
};

static fe_dd fe_cos_dd(fe_dd r) {
    const fe_dd z = fe_dd_mul(r, r);
    return fe_dd_poly(fe_cos_c, 7, z, fe_poly(fe_cos_tail, 7, z.hi));
}

static fe_dd fe_sin_dd(fe_dd r) {
    const fe_dd z = fe_dd_mul(r, r);
    return fe_dd_mul(r, fe_dd_poly(fe_sin_c, 7, z, fe_poly(fe_sin_tail, 6, z.hi)));
}

double tml_fe_cos(double x) {
    const double ax = fe_dfrom(fe_dbits(x) & ~FE_SIGN64); /* cos is even */
    if (!(ax <= 0x1p20)) {
        return fe_dfrom(0x7FF8000000000000u); /* NaN: infinities, NaNs, and beyond 2^20 */
    }
    const int32_t k = (int32_t)(fe_mul(ax, FE_2_OVER_PI) + 0.5);
    const double dk = (double)k;
    /* r = ax - k pi/2 in double-double. ax - k p0 is exact: k p0 is a double, a multiple of
     * 2^-29 and so of ax's last bit (ax < 2^24), and the difference is at most about ax, so
     * it fits ax's precision; k p1 and k p2 are exact too, and only k p3 is rounded (by
     * 2^-146 k): near a multiple of pi/2, r is as small as 2^-55 and its error counts
     * relative to it. */
    const fe_dd r1 = fe_two_sum(ax - dk * fe_pio2[0], -(dk * fe_pio2[1]));
    const fe_dd r = fe_dd_add(r1, fe_two_sum(-(dk * fe_pio2[2]), -fe_mul(dk, fe_pio2[3])));
    fe_dd v = (k & 1) ? fe_sin_dd(r) : fe_cos_dd(r);
    if ((k + 1) & 2) { /* quadrants 1 and 2: cos(r + pi/2) = -sin r, cos(r + pi) = -cos r */
        v.hi = -v.hi;
        v.lo = -v.lo;
    }
    return v.hi + v.lo;
}

/* ---- log1p: fdlibm's algorithm (Sun Microsystems, 1993), whose arithmetic glibc's generic
 * log1p (sysdeps/ieee754/dbl-64) performs: the same operations in the same order give the
 * same doubles, bit for bit (x86-64's glibc also has a variant built with FMA for CPUs that
 * have it, which rounds some products differently: a last-bit difference in a few results
 * in 10^5, which reaches the float mel value (float)(1127 log1p(x)) in about 2^-29 of those).
 *
 * 1 + x = 2^k u, u in [sqrt(1/2), sqrt(2)), f = u - 1, c the rounding error of 1 + x relative
 * to it; log1p(x) = k ln 2 + log(1 + f) + c. With s = f / (2 + f), log(1 + f) =
 * log((1 + s) / (1 - s)) = 2s + 2s^3/3 + 2s^5/5 + ... = 2s + s R(s^2), and since 2s =
 * f - f^2/2 + s f^2/2, log(1 + f) = f - (f^2/2 - s (f^2/2 + R)): f exact, a small correction.
 * R is fdlibm's minimax polynomial in s^2, for |s| <= 0.1716. */

/* ln 2: 32 bits (k times it is exact for |k| < 2^21) and the rest. */
#define FE_LN2_HI 0x1.62e42feep-1
#define FE_LN2_LO 0x1.a39ef35793c76p-33
#define FE_TWO_THIRDS 0x1.5555555555555p-1

/* R(z) = z (lp[0] + z lp[1] + ...): fdlibm's coefficients Lp1..Lp7, near 2/3, 2/5, 2/7 ... */
static const double fe_lp[7] = {
    0x1.5555555555593p-1, 0x1.999999997fa04p-2, 0x1.2492494229359p-2, 0x1.c71c51d8e78afp-3,
    0x1.7466496cb03dep-3, 0x1.39a09d078c69fp-3, 0x1.2f112df3e5244p-3,
};

/* The high 32 bits of x's representation, sign cleared. */
static uint32_t fe_top(double x) {
    return (uint32_t)(fe_dbits(x) >> 32) & 0x7FFFFFFFu;
}

/* R(z) summed as fdlibm's glibc version does: z lp0 + z^2 (lp1 + z lp2) + z^4 (lp3 + z lp4)
 * + z^6 (lp5 + z lp6), left to right. */
static double fe_log1p_r(double z) {
    const double z2 = z * z;
    const double z4 = z2 * z2;
    const double z6 = z4 * z2;
    const double r2 = fe_lp[1] + fe_mul(z, fe_lp[2]);
    const double r3 = fe_lp[3] + fe_mul(z, fe_lp[4]);
    const double r4 = fe_lp[5] + fe_mul(z, fe_lp[6]);
    return fe_mul(z, fe_lp[0]) + fe_mul(z2, r2) + fe_mul(z4, r3) + fe_mul(z6, r4);
}

double tml_fe_log1p(double x) {
    const int neg = (int)(fe_dbits(x) >> 63);
    const uint32_t top = fe_top(x);
    if (!(x == x)) {
        return x + x; /* NaN */
    }
    if (neg && top >= 0x3FF00000u) { /* x <= -1: -inf at -1, NaN below */
        return fe_dfrom(x == -1.0 ? 0xFFF0000000000000u : 0x7FF8000000000000u);
    }
    if (top >= 0x7FF00000u) {
        return x; /* +inf */
    }
    if (top < 0x3E200000u) { /* |x| < 2^-29: x - x^2/2, or x itself below 2^-54 */
        return top < 0x3C900000u ? x : x - fe_mul(x, x) * 0.5;
    }
    int32_t k = 0;
    double f = x;
    double c = 0.0;
    uint32_t tiny_f = 0; /* 1 when |f| < 2^-20 (then a 3-term series does) */
    /* For -0.2929 < x < 0.41422, 1 + x is in [sqrt(1/2), sqrt(2)) already: k = 0, f = x
     * exactly. Elsewhere 1 + x is scaled by a power of 2. */
    if (neg ? top > 0x3FD2BEC4u : top >= 0x3FDA827Au) {
        double u = x;
        if (top < 0x43400000u) { /* x < 2^53: u = 1 + x, rounded; c its error over u */
            u = 1.0 + x;
            k = (int32_t)(fe_top(u) >> 20) - 1023;
            c = (k > 0 ? 1.0 - (u - x) : x - (u - 1.0)) / u;
        } else { /* 1 + x rounds to x or near it: no correction */
            k = (int32_t)(top >> 20) - 1023;
        }
        /* u's exponent set to 0 (or -1 past sqrt(2), k one more): u's top 20 fraction bits
         * against sqrt(2)'s, as fdlibm does. */
        const uint32_t hu = fe_top(u) & 0xFFFFFu;
        const uint64_t low = fe_dbits(u) & 0xFFFFFFFFu;
        if (hu < 0x6A09Eu) {
            u = fe_dfrom(((uint64_t)(hu | 0x3FF00000u) << 32) | low);
            tiny_f = hu == 0;
        } else {
            k += 1;
            u = fe_dfrom(((uint64_t)(hu | 0x3FE00000u) << 32) | low);
            tiny_f = ((0x100000u - hu) >> 2) == 0;
        }
        f = u - 1.0;
    }
    const double dk = (double)k;
    const double hfsq = fe_mul(0.5 * f, f);
    if (tiny_f) {
        if (f == 0.0) {
            return k == 0 ? 0.0 : dk * FE_LN2_HI + (c + fe_mul(dk, FE_LN2_LO));
        }
        const double r = fe_mul(hfsq, 1.0 - fe_mul(FE_TWO_THIRDS, f));
        if (k == 0) {
            return f - r;
        }
        return dk * FE_LN2_HI - ((r - (fe_mul(dk, FE_LN2_LO) + c)) - f);
    }
    const double s = f / (2.0 + f);
    const double r = fe_log1p_r(s * s);
    const double sr = fe_mul(s, hfsq + r);
    if (k == 0) {
        return f - (hfsq - sr);
    }
    return dk * FE_LN2_HI - ((hfsq - (sr + (fe_mul(dk, FE_LN2_LO) + c))) - f);
}

/* ---- powf: x^y = e^(y ln x), both in double-double, rounded once to float. ln x to about
 * 2^-80 (relative), y ln x to within 2^-72 (absolute, |y ln x| < 105 where the result is
 * neither 0 nor infinite), e^t to 2^-75: the float is the correctly rounded one unless x^y
 * lies within 2^-70 (relatively) of a midpoint between floats without being one, a chance
 * of about 2^-45 for given x and y. Exact results are found exactly: a power of 2 as x gives
 * 2^(e y); otherwise a result within 2^-70 of a float or a midpoint (25 significant bits)
 * is tested in integers (fe_pow_is_exact), so a midpoint rounds to even (x = 66049,
 * y = 1.5: 16974593, to 16974592). Only y > 0 has such midpoints.
 *
 * glibc's powf (since 2.28 ARM's table-driven algorithm, evaluated in double) is not
 * correctly rounded: it differs from this one in about 0.06 % of fe_math_check's pairs, each
 * time by its own misrounding. Very rarely that moves a PCAN gain across the int16's
 * rounding boundary, and a table differs from TensorFlow's (about 1 in 100,000 random
 * settings: 5 in two runs of 54,000 and 600,000; none of the default or usual ones; see
 * fe_math_check's known case). */

/* ln 2 as three doubles, the first two of 40 bits (k times them is exact for |k| < 2^13);
 * the sum is within 2^-140 of ln 2. */
static const double fe_ln2[3] = {0x1.62e42fefa4p-1, -0x1.8432a1b0e2p-43,
                                 -0x1.8cff81a12a17ep-85};
#define FE_INV_LN2 0x1.71547652b82fep+0

/* 1 / (2n + 1): n = 0..4 in double-double, 5..14 in double. atanh s / s with z = s^2 <= 2^-5:
 * the term n = 5 is below 2^-28, n = 15 below 2^-81. */
static const fe_dd fe_atanh_c[5] = {
    {0x1p+0, 0.0},
    {0x1.5555555555555p-2, 0x1.5555555555555p-56},
    {0x1.999999999999ap-3, -0x1.999999999999ap-57},
    {0x1.2492492492492p-3, 0x1.2492492492492p-57},
    {0x1.c71c71c71c71cp-4, 0x1.c71c71c71c71cp-58},
};
static const double fe_atanh_tail[10] = {
    0x1.745d1745d1746p-4, 0x1.3b13b13b13b14p-4, 0x1.1111111111111p-4, 0x1.e1e1e1e1e1e1ep-5,
    0x1.af286bca1af28p-5, 0x1.8618618618618p-5, 0x1.642c8590b2164p-5, 0x1.47ae147ae147bp-5,
    0x1.2f684bda12f68p-5, 0x1.1a7b9611a7b96p-5,
};

/* 1 / n!: n = 0..7 in double-double, 8..17 in double. With |r| <= ln(2)/2 the term n = 8 is
 * below 2^-27, n = 18 below 2^-79. */
static const fe_dd fe_exp_c[8] = {
    {0x1p+0, 0.0},
    {0x1p+0, 0.0},
    {0x1p-1, 0.0},
    {0x1.5555555555555p-3, 0x1.5555555555555p-57},
    {0x1.5555555555555p-5, 0x1.5555555555555p-59},
    {0x1.1111111111111p-7, 0x1.1111111111111p-63},
    {0x1.6c16c16c16c17p-10, -0x1.f49f49f49f49fp-65},
    {0x1.a01a01a01a01ap-13, 0x1.a01a01a01a01ap-73},
};
static const double fe_exp_tail[10] = {
    0x1.a01a01a01a01ap-16, 0x1.71de3a556c734p-19, 0x1.27e4fb7789f5cp-22, 0x1.ae64567f544e4p-26,
    0x1.1eed8eff8d898p-29, 0x1.6124613a86d09p-33, 0x1.93974a8c07c9dp-37, 0x1.ae7f3e733b81fp-41,
    0x1.ae7f3e733b81fp-45, 0x1.952c77030ad4ap-49,
};

#define FE_FINF 0x7F800000u

/* ln(2^e m), m = 1 + frac 2^-23, in double-double: m halved past sqrt(2) (e one more), then
 * ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716. m - 1 and m + 1 are exact; s's low
 * part is the division's remainder (exact product, Sterbenz subtraction) over m + 1. */
static fe_dd fe_log_float(int32_t e, uint32_t frac) {
    const int32_t half = frac > 0x3504F3u; /* m > sqrt(2) */
    e += half;
    const double m = fe_dfrom(((uint64_t)(1023 - half) << 52) | ((uint64_t)frac << 29));
    const double num = m - 1.0;
    const double den = m + 1.0;
    const double s_hi = num / den;
    const fe_dd p = fe_two_prod(s_hi, den);
    const fe_dd s = {s_hi, ((num - p.hi) - p.lo) / den};
    const fe_dd z = fe_dd_mul(s, s);
    fe_dd ln_m = fe_dd_mul(s, fe_dd_poly(fe_atanh_c, 5, z, fe_poly(fe_atanh_tail, 10, z.hi)));
    ln_m.hi *= 2.0;
    ln_m.lo *= 2.0;
    const double de = (double)e;
    const fe_dd a = fe_two_sum(de * fe_ln2[0], de * fe_ln2[1]);
    return fe_dd_add(fe_fast_two_sum(a.hi, a.lo + fe_mul(de, fe_ln2[2])), ln_m);
}

/* 2^k (hi + lo) rounded to the nearest float, ties to even, where hi > 0, |lo| is at most
 * half an ulp of hi and 2^k hi is a normal double. Worked on hi's bits: a float or a midpoint
 * between floats is a double, so hi + lo lies on the same side of it as hi unless hi is that
 * midpoint, where lo's sign decides (lo = 0: a true tie). Subnormal and infinite results are
 * made from bits, independent of the FPU's handling of them. */
static float fe_round_float(double hi, double lo, int32_t k) {
    const uint64_t b = fe_dbits(hi);
    int32_t e = (int32_t)(b >> 52) - 1023 + k; /* 2^e <= 2^k hi < 2^(e + 1) */
    if (e >= 128) {
        return fe_ffrom(FE_FINF);
    }
    if (e < -150) {
        return 0.0f; /* below 2^-150, half the smallest subnormal */
    }
    /* The float's last bit is worth 2^(e - 23), a subnormal's 2^-149: drop that many of the
     * significand's 53 bits (29 to 53). */
    const uint64_t m = (b & FE_FRAC52) | ((uint64_t)1 << 52);
    const int32_t shift = e >= -126 ? 29 : 29 + (-126 - e);
    uint64_t q = m >> shift;
    const uint64_t rest = m & (((uint64_t)1 << shift) - 1);
    const uint64_t half = (uint64_t)1 << (shift - 1);
    if (rest > half || (rest == half && (lo > 0.0 || (lo == 0.0 && (q & 1))))) {
        q++;
    }
    if (e < -126) {
        return fe_ffrom((uint32_t)q); /* subnormal; q = 2^23 is the smallest normal's bits */
    }
    if (q >> 24) { /* rounded up to the next power of 2 */
        q >>= 1;
        e++;
        if (e >= 128) {
            return fe_ffrom(FE_FINF);
        }
    }
    return fe_ffrom(((uint32_t)(e + 127) << 23) | ((uint32_t)q & 0x7FFFFFu));
}

/* e^t for -104.5 <= t.hi <= 89, as 2^k v: t = k ln 2 + r, |r| <= ln(2)/2, v = e^r by its
 * Taylor series. t.hi - k l0 is exact (Sterbenz: the two are within a factor of 2 for
 * k != 0), as are k l0 and k l1. */
static fe_dd fe_exp_dd(fe_dd t, int32_t *k_out) {
    const double q = fe_mul(t.hi, FE_INV_LN2);
    const int32_t k = (int32_t)(q < 0.0 ? q - 0.5 : q + 0.5);
    const double dk = (double)k;
    fe_dd r = fe_two_sum(t.hi - dk * fe_ln2[0], -(dk * fe_ln2[1]));
    const fe_dd rest = {t.lo - fe_mul(dk, fe_ln2[2]), 0.0};
    r = fe_dd_add(r, rest);
    *k_out = k;
    return fe_dd_poly(fe_exp_c, 8, r, fe_poly(fe_exp_tail, 10, r.hi));
}

/* floor(sqrt(v)), bit by bit. */
static uint32_t fe_isqrt32(uint32_t v) {
    uint32_t root = 0;
    for (uint32_t bit = (uint32_t)1 << 30; bit != 0; bit >>= 2) {
        if (v >= root + bit) {
            v -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
    }
    return root;
}

/* b^p, or 2^25 if that is more (b < 2^24). */
static uint32_t fe_ipow_capped(uint32_t b, uint32_t p) {
    uint64_t r = 1;
    while (p-- > 0) {
        r *= b;
        if (r >> 25) {
            return (uint32_t)1 << 25;
        }
    }
    return (uint32_t)r;
}

/* Whether x^y (x = 2^e (1 + frac 2^-23), not a power of 2; y > 0) is exactly 2^k hi, hi of at
 * most 25 significant bits: a float or a midpoint between floats, which the rounding must
 * then see as exact. In integers: x = m 2^a, y = n 2^w, hi 2^k = h 2^j with m, n, h odd. For
 * w >= 0, x^y = m^(n 2^w) 2^(a n 2^w); for w = -s < 0, m^n = h^(2^s) needs m = u^(2^s) and
 * h = u^n (n is odd), and a n = j 2^s. */
static int fe_pow_is_exact(int32_t e, uint32_t frac, float y, double hi, int32_t k) {
    const uint64_t hb = fe_dbits(hi);
    uint64_t h = (hb & FE_FRAC52) | ((uint64_t)1 << 52);
    int32_t j = (int32_t)(hb >> 52) - 1075 + k;
    while (!(h & 1)) {
        h >>= 1;
        j++;
    }
    if (h >> 25) {
        return 0;
    }
    uint32_t m = frac | 0x800000u;
    int32_t a = e - 23;
    while (!(m & 1)) {
        m >>= 1;
        a++;
    }
    const uint32_t iy = fe_fbits(y);
    uint32_t n = iy & 0x7FFFFFu;
    int32_t w = -149;
    if (iy >> 23) {
        n |= 0x800000u;
        w = (int32_t)(iy >> 23) - 150;
    }
    while (!(n & 1)) {
        n >>= 1;
        w++;
    }
    if (m == 1) {
        return 0; /* 2^(a y) with a y not an integer: irrational */
    }
    if (w >= 0) { /* m >= 3 and m^p < 2^25 bound p = n 2^w below 16 */
        if (w > 3 || n > 15 || (n << w) > 15) {
            return 0;
        }
        const uint32_t p = n << w;
        return fe_ipow_capped(m, p) == h && (int64_t)a * p == j;
    }
    uint32_t u = m; /* u = m^(2^w); with u >= 3 and m < 2^24, w >= -3 */
    for (int32_t i = w; i < 0; i++) {
        const uint32_t r = fe_isqrt32(u);
        if (r * r != u || r == 1) {
            return 0;
        }
        u = r;
    }
    if (n > 15 || fe_ipow_capped(u, n) != h) {
        return 0;
    }
    return (int64_t)a * n == (int64_t)j * ((int64_t)1 << -w);
}

/* 2^n for an integer n, exactly (2^-150 is a tie between 0 and 2^-149: even, 0). */
static float fe_exp2_int(double n) {
    if (n >= 128.0) {
        return fe_ffrom(FE_FINF);
    }
    if (n >= -126.0) {
        return fe_ffrom((uint32_t)((int32_t)n + 127) << 23);
    }
    if (n >= -149.0) {
        return fe_ffrom((uint32_t)1 << ((int32_t)n + 149));
    }
    return 0.0f;
}

/* |x|^y for x's bits ax (sign cleared), y not NaN and not 0, x not NaN and not 1. */
static float fe_powf_abs(uint32_t ax, float y) {
    const uint32_t iy = fe_fbits(y);
    const int y_neg = (int)(iy >> 31);
    if ((iy & 0x7FFFFFFFu) == FE_FINF) { /* y = +-inf: 1, 0 or inf as |x| is 1, below, above */
        if (ax == 0x3F800000u) {
            return 1.0f;
        }
        return (ax < 0x3F800000u) == y_neg ? fe_ffrom(FE_FINF) : 0.0f;
    }
    if (ax == 0 || ax == FE_FINF) { /* 0^y and inf^y: 0 or inf as y and x's size agree */
        return (ax == 0) == y_neg ? fe_ffrom(FE_FINF) : 0.0f;
    }
    int32_t e = (int32_t)(ax >> 23) - 127;
    uint32_t frac = ax & 0x7FFFFFu;
    if (e == -127) { /* subnormal x: normalized in integers */
        e = -126;
        while (!(frac & 0x800000u)) {
            frac <<= 1;
            e--;
        }
        frac &= 0x7FFFFFu;
    }
    if (frac == 0) { /* x = 2^e: x^y = 2^(e y), e y exact (at most 8 + 24 bits) */
        const double n = (double)e * (double)y;
        if (tml_fe_floor(n) == n) {
            return fe_exp2_int(n);
        }
    }
    const fe_dd t = fe_dd_mul_d(fe_log_float(e, frac), (double)y);
    if (t.hi > 89.0) {
        return fe_ffrom(FE_FINF); /* above e^89 > 2^128 */
    }
    if (t.hi < -104.5) {
        return 0.0f; /* below e^-104.5 < 2^-150 */
    }
    int32_t k;
    const fe_dd v = fe_exp_dd(t, &k);
    /* A result of 25 bits or fewer (2^-28 of them by chance) may be exact; then lo, the
     * approximation's error, must not break a tie. Only y > 0 can make it a midpoint. */
    const int maybe_exact = (fe_dbits(v.hi) & 0xFFFFFFFu) == 0 && !y_neg;
    if (maybe_exact && fe_pow_is_exact(e, frac, y, v.hi, k)) {
        return fe_round_float(v.hi, 0.0, k);
    }
    return fe_round_float(v.hi, v.lo, k);
}

/* 0 for a non-integer, 1 for an odd integer, 2 for an even one; ay: |y|'s bits, finite, not 0. */
static int fe_int_kind(uint32_t ay) {
    const int32_t e = (int32_t)(ay >> 23) - 127;
    if (e < 0) {
        return 0;
    }
    if (e > 23) {
        return 2;
    }
    const uint32_t sig = (ay & 0x7FFFFFu) | 0x800000u;
    const uint32_t unit = (uint32_t)1 << (23 - e);
    if (sig & (unit - 1)) {
        return 0;
    }
    return (sig & unit) ? 1 : 2;
}

float tml_fe_powf(float x, float y) {
    const uint32_t ix = fe_fbits(x);
    const uint32_t ax = ix & 0x7FFFFFFFu;
    const uint32_t ay = fe_fbits(y) & 0x7FFFFFFFu;
    if (ay == 0 || ix == 0x3F800000u) {
        return 1.0f; /* x^0 and 1^y are 1, even for NaN */
    }
    if (ax > FE_FINF || ay > FE_FINF) {
        return x + y; /* NaN */
    }
    uint32_t sign = 0;
    if ((ix >> 31) && ay != FE_FINF) { /* x < 0 (or -0): the sign of an odd power */
        const int kind = fe_int_kind(ay);
        if (kind == 0 && ax != 0 && ax != FE_FINF) {
            return fe_ffrom(0x7FC00000u); /* a negative number to a non-integer power: NaN */
        }
        sign = kind == 1 ? 0x80000000u : 0;
    }
    return fe_ffrom(fe_fbits(fe_powf_abs(ax, y)) | sign);
}
#endif /* TML_HAS_FRONTEND */
