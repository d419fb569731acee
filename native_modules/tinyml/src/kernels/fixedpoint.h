/* Fixed-point arithmetic shared by the int8 kernels (internal).
 *
 * These reproduce, operation for operation, the integer arithmetic that TFLite's reference
 * kernels use (gemmlowp's fixed-point primitives and TFLite's requantization), because the
 * numerics rule is bit-exactness, not closeness: a "better" rounding would be a bug.
 */
#ifndef TML_FIXEDPOINT_H
#define TML_FIXEDPOINT_H

#include <stdint.h>
#include "arch.h"
#include "tml_kernels.h"

/* The output stage runs once per output of every accumulating kernel: inlined even where the
 * port compiles for size, except on Armv6-M (Cortex-M0+), whose firmware and native module
 * have the least flash to spare (its requantization is one out-of-line function there). */
#if defined(__GNUC__) && !TML_ARCH_V6M
#define TML_HOT_INLINE static inline __attribute__((always_inline))
#else
#define TML_HOT_INLINE static inline
#endif

/* The one-multiply output stage (tml_requantize_hi) in tml_rq_t: not on Armv6-M, where it
 * would be a second copy of the 64-bit arithmetic in a firmware with no flash to spare. */
#define TML_RQ_HI (!TML_ARCH_V6M)

#define TML_INT32_MAX ((int32_t)0x7fffffff)
#define TML_INT32_MIN ((int32_t)(-0x7fffffff - 1))

/* (a * b * 2) >> 32, rounded to nearest, saturating the single overflow case. */
static inline int32_t tml_srdhm(int32_t a, int32_t b) {
    if (a == b && a == TML_INT32_MIN) {
        return TML_INT32_MAX;
    }
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    /* C99 division truncates toward zero, as gemmlowp relies on. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent, rounded to nearest with ties away from zero. exponent in [0, 31]. */
TML_HOT_INLINE int32_t tml_rdbpot(int32_t x, int exponent) {
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^exponent saturated to int32, exponent in [0, 31). */
static inline int32_t tml_sat_shl(int32_t x, int exponent) {
    if (exponent == 0) {
        return x;
    }
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return TML_INT32_MAX;
    }
    if (x < -threshold) {
        return TML_INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* x * mult * 2^(shift - 31), TFLite's MultiplyByQuantizedMultiplier in either rounding. */
static inline int32_t tml_requantize(int32_t x, int32_t mult, int32_t shift, int32_t rounding) {
    if (rounding != TML_ROUND_DOUBLE) {
        /* |x| < 2^31 and mult < 2^31, so the product fits in 62 bits; total_shift >= 1. */
        const int total_shift = 31 - shift;
        const int64_t round = (int64_t)1 << (total_shift - 1);
        const int64_t prod = (int64_t)x * (int64_t)mult;
        int64_t result;
        if (rounding == TML_ROUND_AWAY && prod < 0) {
            result = -((-prod + round) >> total_shift);
        } else {
            result = (prod + round) >> total_shift;
        }
        if (result > TML_INT32_MAX) {
            result = TML_INT32_MAX;
        } else if (result < TML_INT32_MIN) {
            result = TML_INT32_MIN;
        }
        return (int32_t)result;
    }
    const int left_shift = shift > 0 ? shift : 0;
    const int right_shift = shift > 0 ? 0 : -shift;
    /* The reference multiplies in int32 here (x * (1 << left_shift)); wrap like it does. */
    const int32_t shifted = (int32_t)((uint32_t)x << left_shift);
    return tml_rdbpot(tml_srdhm(shifted, mult), right_shift);
}

/* x * mult * 2^left_shift with left_shift >= 0 (softmax input scaling). */
static inline int32_t tml_requantize_gt1(int32_t x, int32_t mult, int32_t left_shift,
                                         int32_t rounding) {
    if (rounding != TML_ROUND_DOUBLE) {
        return tml_requantize(x, mult, left_shift, rounding);
    }
    return tml_srdhm((int32_t)((uint32_t)x << left_shift), mult);
}

/* a + b wrapping modulo 2^32, as the reference kernels' int32 addition of the output offset
 * behaves on every target when a saturated requantization meets a positive offset (signed
 * overflow is undefined in C; found by fuzzing). */
TML_HOT_INLINE int32_t tml_wrap_add(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

TML_HOT_INLINE int32_t tml_clamp(int32_t x, int32_t lo, int32_t hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

/* The reference kernels' output stage (src/kernels/ref/): requantize channel c's accumulator
 * (bias included), add the output zero point, clamp to the fused activation's range. */
static inline int8_t tml_ref_output_stage(int32_t acc, const tml_requant_t *q, int32_t c,
                                          int32_t output_offset, int32_t act_min,
                                          int32_t act_max) {
    acc = tml_requantize(acc, q->mult[c], q->shift[c], q->rounding);
    return (int8_t)tml_clamp(tml_wrap_add(acc, output_offset), act_min, act_max);
}

/* tml_requantize for the multipliers the loader accepts (0 <= mult < 2^31), in fewer
 * instructions and with the same result for every x and shift in [-31, 30].
 *
 * Double rounding. tml_srdhm(a, b) is trunc((a*b + nudge) / 2^31) with nudge = 2^30 when
 * a*b >= 0 and 1 - 2^30 otherwise; its saturating case needs b == INT32_MIN, impossible for
 * b = mult >= 0. For a*b >= 0 the sum is >= 0 and truncation is the floor: (a*b + 2^30) >> 31.
 * For a*b < 0 the sum t is negative, and trunc(t / d) = floor((t + d - 1) / d) for t < 0, so
 * the result is floor((a*b + 1 - 2^30 + 2^31 - 1) / 2^31) = (a*b + 2^30) >> 31 again: one
 * form for both signs (|a*b| < 2^62, no overflow). The rounding shift that follows is
 * tml_rdbpot itself. tests/c/requant_check.c compares the two over the edges of every shift
 * and millions of random inputs. */
/* tml_requantize out of line (requantize_s8.c), for the fast kernels' rarer roundings. */
int32_t tml_requantize_single(int32_t x, int32_t mult, int32_t shift, int32_t rounding);

/* Armv6-M has no 32x32 -> 64-bit multiply: there tml_requantize_fast is one out-of-line
 * function (requantize_s8.c) that builds the 64-bit product from four 32-bit ones instead of
 * calling libgcc's 64x64 multiply. -DTML_RQ_SPLIT_TEST selects it on other cores (tests). */
#if TML_ARCH_V6M || defined(TML_RQ_SPLIT_TEST)
#define TML_RQ_SPLIT 1
#else
#define TML_RQ_SPLIT 0
#endif
int32_t tml_requantize_split(int32_t x, int32_t mult, int32_t shift, int32_t rounding);

/* Armv6-M's assembly (Thumb-1): GCC assembles inline assembly in divided syntax unless
 * -masm-syntax-unified, so each block switches to unified syntax and back. */
#if TML_ARCH_V6M
#ifdef __ARM_ASM_SYNTAX_UNIFIED__
#define TML_SYNTAX_UNIFIED ""
#define TML_SYNTAX_RESTORE ""
#else
#define TML_SYNTAX_UNIFIED ".syntax unified\n"
#define TML_SYNTAX_RESTORE ".syntax divided\n"
#endif
/* Entry and exit of those functions: r4-r7 and lr pushed, then r8-r11 through r4-r7 (Thumb-1
 * pushes low registers only); the function's own stack space comes after TML_M0_ENTER and is
 * released before TML_M0_LEAVE, which returns. */
#define TML_M0_ENTER                                                                         \
    TML_SYNTAX_UNIFIED                                                                       \
    "push {r4-r7, lr}\n"                                                                     \
    "mov r4, r8\n"                                                                           \
    "mov r5, r9\n"                                                                           \
    "mov r6, r10\n"                                                                          \
    "mov r7, r11\n"                                                                          \
    "push {r4-r7}\n"
#define TML_M0_LEAVE                                                                         \
    "pop {r4-r7}\n"                                                                          \
    "mov r8, r4\n"                                                                           \
    "mov r9, r5\n"                                                                           \
    "mov r10, r6\n"                                                                          \
    "mov r11, r7\n"                                                                          \
    "pop {r4-r7, pc}\n"                                                                      \
    TML_SYNTAX_RESTORE
/* The output stage in the one-multiply form (double rounding, every shift <= -2) on
 * Armv6-M, n > 0 outputs: out[j * a[6]] = clamp(tml_requantize_hi(s[j] + bias[c], mult[c],
 * 2^(-shift[c] - 2), -shift[c] - 1) + a[3], a[4], a[5]) with c = j * a[7] / 4 (a[7] = 4:
 * per channel, 0: one channel, whose shift must be >= -15), a = {bias, mult, shift, output
 * offset, lo, hi, output step, a[7], then for one channel: a[8] = 4 * the outputs of a row,
 * a[9] = from a row's last output + step to the next row's first} (the three pointers as
 * int32; one channel's outputs in rows of a[8] / 4). */
void tml_m0_rq(const int32_t *s, int32_t n, int8_t *out, const int32_t *a);
/* The same output stage per channel for two inputs' sums of rows 0 .. n - 1 (n > 0): s[2j]
 * for out[j], s[2j + 1] for out[j + a[6]]; each row's constants loaded once, and a row whose
 * two biased sums fit 16 bits in tml_requantize_hi16's form. a = {bias, mult, shift, output
 * offset, lo, hi, out1 - out0}. */
void tml_m0_rq2(const int32_t *s, int32_t n, int8_t *out, const int32_t *a);
#endif

TML_HOT_INLINE int32_t tml_requantize_fast(int32_t x, int32_t mult, int32_t shift,
                                          int32_t rounding) {
    if (TML_RQ_SPLIT) {
        return tml_requantize_split(x, mult, shift, rounding);
    }
    if (rounding != TML_ROUND_DOUBLE) { /* one rounding: out of line, it is rarer */
        return tml_requantize_single(x, mult, shift, rounding);
    }
    if (shift > 0) {
        x = (int32_t)((uint32_t)x << shift); /* wraps like the reference's int32 multiply */
    }
    const int32_t y = (int32_t)(((int64_t)x * mult + ((int64_t)1 << 30)) >> 31);
    return shift < 0 ? tml_rdbpot(y, -shift) : y;
}

/* tml_requantize_fast for double rounding and shift <= 0, with the row's constants hoisted:
 * e = -shift, mask = 2^e - 1, half = mask >> 1. tml_rdbpot's threshold half + (y < 0) is
 * half - (y >> 31). */
TML_HOT_INLINE int32_t tml_requantize_down(int32_t x, int32_t mult, int32_t e, int32_t mask,
                                           int32_t half) {
    const int32_t y = (int32_t)(((int64_t)x * mult + ((int64_t)1 << 30)) >> 31);
    return (y >> e) + ((y & mask) > half - (y >> 31) ? 1 : 0);
}

/* tml_requantize_fast for double rounding and a right shift e = -shift in [2, 31], in one
 * 64-bit multiply-accumulate and one shift: chi = 2^(e-2), e1 = e - 1.
 *
 * Proof. With K = x*mult + 2^30, srdhm gives y = floor(K / 2^31) (see tml_requantize_fast),
 * and rdbpot, rounding half away from zero, gives r = floor((y + 2^(e-1) - [y < 0]) / 2^e).
 * Nested floors of integer divisions compose: floor((floor(K / 2^31) + c) / 2^e) =
 * floor((K + c * 2^31) / 2^(31+e)) for any integer c. y < 0 exactly when K < 0, which needs
 * x < 0 (mult >= 0). When x < 0 but K >= 0, then 0 <= K <= 2^30, y = 0 and r = 0, and taking
 * [x < 0] for [y < 0] still gives 0, since 0 <= K + 2^(e+30) - 2^31 < 2^(31+e) for e >= 1.
 * So r = floor((x*mult + C) / 2^(31+e)) with C = 2^30 + 2^(e+30) - [x < 0] * 2^31, exact in
 * 64 bits (|x*mult| < 2^62, 0 < C < 2^62). For e >= 2, C's high word is 2^(e-2) - [x < 0]
 * and its low word 2^30 + [x < 0] * 2^31, and dividing by 2^(31+e) is taking the high word
 * of the sum and shifting it right by e - 1: on Armv7-M one SMLAL and one ASR. */
TML_HOT_INLINE int32_t tml_requantize_hi(int32_t x, int32_t mult, int32_t chi, int32_t e1) {
    const uint32_t c_lo = 0x40000000u | ((uint32_t)x & 0x80000000u);
    const int32_t c_hi = chi + (x >> 31);
    const int64_t c = (int64_t)c_hi * 4294967296 + (int64_t)c_lo;
    return (int32_t)(((int64_t)x * mult + c) >> 32) >> e1;
}

/* tml_requantize_hi for an x that fits 16 bits (x == (int16_t)x), from two 32-bit products:
 * Armv6-M's fast path (tml_m0_rq), e = -shift in [2, 31].
 *
 * Proof. With mult = mh * 2^16 + ml (0 <= mh < 2^15, 0 <= ml < 2^16), tml_requantize_hi's
 * r = floor((x*mult + C) / 2^(31+e)) is floor(floor((x*mh*2^16 + x*ml + C) / 2^16) / 2^(15+e))
 * (nested floors), and C = 2^30 + 2^(e+30) - [x < 0] 2^31 is a multiple of 2^16, so the inner
 * floor is x*mh + floor(x*ml / 2^16) + 2^14 + 2^(e+14) - [x < 0] 2^15 = Y + 2^(e+14), with
 * Y = x*mh + (x*ml >> 16) + (x < 0 ? -2^14 : 2^14). So r = floor((Y + 2^(e+14)) / 2^(e+15)) =
 * ((Y >> (e+14)) + 1) >> 1. Everything fits int32: |x*mh| < 2^30, x*ml lies in [-2^15 (2^16 - 1),
 * (2^15 - 1)(2^16 - 1)], |Y| < 2^30 + 2^15. For e >= 17, 0 <= Y + 2^(e+14) < 2^(e+15), so
 * r = 0, which ((Y >> 31) + 1) >> 1 also gives (the shift capped at 31; Armv6-M's ASRS by 32
 * or more gives Y >> 31 too). */
TML_HOT_INLINE int32_t tml_requantize_hi16(int32_t x, int32_t mult, int32_t e) {
    const int32_t y = x * (mult >> 16) + ((x * (mult & 0xffff)) >> 16) + (x < 0 ? -16384 : 16384);
    const int32_t s = e + 14 < 31 ? e + 14 : 31;
    return ((y >> s) + 1) >> 1;
}

/* tml_requantize's single roundings (TML_ROUND_SINGLE, TML_ROUND_AWAY) for shift <= -1, in
 * one 64-bit multiply-accumulate: e = -shift - 1 >= 0, c = 2^(31+e) (the reference's rounding
 * constant, half of 2^(32+e)), away = -1 for TML_ROUND_AWAY, else 0.
 *
 * Proof. TML_ROUND_SINGLE is floor((p + c) / 2^(32+e)) with p = x*mult. TML_ROUND_AWAY
 * takes that for p >= 0 and -floor((c - p) / 2^(32+e)) = ceil((p - c) / 2^(32+e)) =
 * floor((p + c - 1) / 2^(32+e)) for p < 0 (2c = 2^(32+e)). p < 0 needs x < 0 (0 <= mult);
 * when x < 0 and mult = 0, p + c - 1 = c - 1 is in [0, 2^(32+e)) and gives 0 as the
 * reference does. So the sum is p + c + (away & -[x < 0]), exact in 64 bits (|p| < 2^62,
 * c <= 2^61), and dividing it by 2^(32+e) is taking its high word and shifting that right
 * by e. |result| <= 2^30: the reference's int32 saturation never applies. */
TML_HOT_INLINE int32_t tml_requantize_1r(int32_t x, int32_t mult, int64_t c, int32_t away,
                                         int32_t e) {
    const int64_t s = (int64_t)x * mult + c + (away & (x >> 31));
    return (int32_t)(s >> 32) >> e;
}

/* tml_requantize_hi in Armv7-M assembly, for the output stages written in it (dot_s8.c,
 * requantize_s8.c): x the sum, c the register holding chi (or a constant with more added to
 * the high word, see tml_rq_fold_ok), m mult, e e1; lo a scratch register; the shifted high
 * word (before the output offset and the clamp) in hi. */
#define TML_RQ_HI_ASM(x, lo, hi, c, m, e)                                                    \
    "and " lo ", " x ", #0x80000000\n"    /* C's low word: 2^30 + [x < 0] 2^31 */           \
    "orr " lo ", " lo ", #0x40000000\n"                                                      \
    "add " hi ", " c ", " x ", asr #31\n" /* C's high word: chi - [x < 0] */                 \
    "smlal " lo ", " hi ", " x ", " m "\n"                                                    \
    "asr " hi ", " hi ", " e "\n"

/* tml_rq_row's Armv7-M output stage adds the output offset oo inside the high word: with
 * e = -shift <= 22 and |oo| <= 128, tml_requantize_hi(x) + oo = (hi + oo * 2^(e-1)) >> (e - 1)
 * exactly (hi the high word of x*mult + C; adding a multiple of 2^(e-1) before an arithmetic
 * right shift by e - 1 adds its quotient), and no sum wraps: |hi| <= 2^30 + 2^(e-2) + 1
 * (|x*mult| < 2^62) and |oo| * 2^(e-1) <= 2^28, below 2^31 together. The constant it adds is
 * then chi + oo * 2^(e-1) = (2 * oo + 1) * 2^(e-2). */
TML_HOT_INLINE int tml_rq_fold_ok(int32_t shift, int32_t oo) {
    return shift >= -22 && oo >= -128 && oo <= 127;
}

/* That constant, for e1 = e - 1 >= 1 (tml_rq_fold_ok). */
TML_HOT_INLINE int32_t tml_rq_fold(int32_t e1, int32_t oo) {
    return (int32_t)((uint32_t)(2 * oo + 1) << (e1 - 1));
}

/* One channel's output stage with its constants computed once: requantization (the common
 * case, double rounding with a right shift of 2 or more, through tml_requantize_hi; 0 or 1
 * through tml_requantize_down), output zero point, fused activation clamp. */
typedef struct {
    int32_t mult, shift, rounding;
    int32_t hi, chi, e1;           /* hi: double rounding and shift <= -2 */
    int32_t down, e, mask, half;   /* down: double rounding and shift in {-1, 0} */
    int32_t output_offset, act_min, act_max;
} tml_rq_t;

TML_HOT_INLINE void tml_rq_init(tml_rq_t *r, int32_t mult, int32_t shift, int32_t rounding,
                                int32_t output_offset, int32_t act_min, int32_t act_max) {
    r->mult = mult, r->shift = shift, r->rounding = rounding;
    r->hi = TML_RQ_HI && rounding == TML_ROUND_DOUBLE && shift <= -2;
    r->chi = r->hi ? (int32_t)((uint32_t)1 << (-shift - 2)) : 0;
    r->e1 = r->hi ? -shift - 1 : 0;
    r->down = !TML_RQ_SPLIT && rounding == TML_ROUND_DOUBLE && shift <= 0 && !r->hi;
    r->e = shift <= 0 ? -shift : 0;
    r->mask = (int32_t)(((uint32_t)1 << r->e) - 1);
    r->half = r->mask >> 1;
    r->output_offset = output_offset, r->act_min = act_min, r->act_max = act_max;
}

TML_HOT_INLINE int8_t tml_rq_apply(const tml_rq_t *r, int32_t acc) {
    const int32_t v = TML_RQ_HI && r->hi ? tml_requantize_hi(acc, r->mult, r->chi, r->e1)
                      : r->down ? tml_requantize_down(acc, r->mult, r->e, r->mask, r->half)
                                : tml_requantize_fast(acc, r->mult, r->shift, r->rounding);
    return (int8_t)tml_clamp(tml_wrap_add(v, r->output_offset), r->act_min, r->act_max);
}

/* tml_rq_apply over n accumulators, out[i * step] = stage(acc[i]) (requantize_s8.c: one
 * copy, its loop keeping every constant in a register). */
void tml_rq_row(const tml_rq_t *r, const int32_t *acc, int32_t n, int8_t *out, int32_t step);
#if TML_ARCH_V6M
/* tml_rq_row over rows of n accumulators each (acc + i * n to out + i * row_step), in one
 * call where Armv6-M's assembly takes them. */
void tml_rq_rows(const tml_rq_t *r, const int32_t *acc, int32_t rows, int32_t n, int8_t *out,
                 int32_t step, int32_t row_step);
#endif

/* The fast kernels' output stage: the reference's, with tml_requantize_fast. */
TML_HOT_INLINE int8_t tml_output_stage(int32_t acc, int32_t mult, int32_t shift, int32_t rounding,
                                      int32_t output_offset, int32_t act_min, int32_t act_max) {
    acc = tml_requantize_fast(acc, mult, shift, rounding);
    return (int8_t)tml_clamp(tml_wrap_add(acc, output_offset), act_min, act_max);
}

#endif /* TML_FIXEDPOINT_H */
