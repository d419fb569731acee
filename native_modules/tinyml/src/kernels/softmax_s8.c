#include "tml_config.h"
#if TML_HAS_SOFTMAX
#include "fixedpoint.h"

/* Integer softmax in the fixed-point formats TFLite's reference kernel uses: input differences
 * in Q5.26, exponentials in Q0.31, their sum in Q12.19. Each helper names the format it works
 * in; raw int32 addition of same-format values is plain (wrapping) addition, as in gemmlowp. */

#define Q0_ONE TML_INT32_MAX /* 1.0 in Q0.31 saturates to the largest raw value */

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: Taylor series around -1/8. */
static int32_t exp_quarter_interval(int32_t a) {
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0.31 */
    const int32_t one_third = 715827883;              /* 1/3 in Q0.31 */
    const int32_t x = a + (1 << 28);                  /* a + 1/8 */
    const int32_t x2 = tml_srdhm(x, x);
    const int32_t x3 = tml_srdhm(x2, x);
    const int32_t x4 = tml_srdhm(x2, x2);
    const int32_t x4_over_4 = tml_rdbpot(x4, 2);
    const int32_t poly = tml_rdbpot(tml_srdhm(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + tml_srdhm(exp_minus_one_eighth, x + poly);
}

/* exp(a) for a <= 0 given in Q5.26; result in Q0.31. */
static int32_t exp_on_negative_values_q5(int32_t a) {
    const int fractional_bits = 26;
    const int32_t one_quarter = 1 << (fractional_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
    /* Rescale Q5.26 -> Q0.31: a saturating shift left by 5. */
    int32_t result = exp_quarter_interval(tml_sat_shl(a_mod_quarter_minus_quarter, 5));
    const int32_t remainder = a_mod_quarter_minus_quarter - a;
    /* exp(-2^k) for k = -2 .. 4, in Q0.31: multiply in for each bit set in the remainder. */
    static const int32_t factors[7] = {1672461947, 1302514674, 790015084, 290630308,
                                       39332535,   720401,     242};
    for (int k = 0; k < 7; k++) {
        if (remainder & ((int32_t)1 << (fractional_bits - 2 + k))) {
            result = tml_srdhm(result, factors[k]);
        }
    }
    return a == 0 ? Q0_ONE : result;
}

/* 1 / (1 + x) for x in [0, 1), Q0.31 in and out: Newton-Raphson in Q2.29. */
static int32_t one_over_one_plus_x(int32_t a) {
    /* RoundingHalfSum(a, 1.0) */
    const int64_t sum = (int64_t)a + Q0_ONE;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t c48_over_17 = 1515870810;      /* Q2.29 */
    const int32_t c_neg32_over_17 = -1010580540; /* Q2.29 */
    int32_t x = c48_over_17 + tml_srdhm(half_denominator, c_neg32_over_17);
    const int32_t one_q2 = 1 << 29;
    for (int i = 0; i < 3; i++) {
        const int32_t hd_times_x = tml_srdhm(half_denominator, x);
        const int32_t one_minus = one_q2 - hd_times_x;
        x = x + tml_sat_shl(tml_srdhm(x, one_minus), 2);
    }
    /* Halve exactly, then Rescale Q2.29 -> Q0.31 (saturating shift left by 2). */
    return tml_sat_shl(x >> 1, 2);
}

static int count_leading_zeros(uint32_t x) {
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

int tml_softmax_s8(const tml_softmax_params_t *p, int32_t rows, int32_t depth, const int8_t *in,
                   int8_t *out) {
    const int accumulation_bits = 12;
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *x = in + (int64_t)r * depth;
        int8_t *y = out + (int64_t)r * depth;
        int32_t max_in_row = -128;
        for (int32_t c = 0; c < depth; c++) {
            max_in_row = x[c] > max_in_row ? x[c] : max_in_row;
        }
        int32_t sum_of_exps = 0; /* Q12.19 */
        for (int32_t c = 0; c < depth; c++) {
            const int32_t diff = x[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t scaled = tml_requantize_gt1(diff, p->input_multiplier,
                                                          p->input_left_shift, p->rounding);
                sum_of_exps += tml_rdbpot(exp_on_negative_values_q5(scaled), accumulation_bits);
            }
        }
        /* Reciprocal of the sum: normalise it to [1, 2), invert, remember the shift. */
        const int headroom_plus_one = count_leading_zeros((uint32_t)sum_of_exps);
        const int num_bits_over_unit = accumulation_bits - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        const int32_t shifted_scale = one_over_one_plus_x(shifted_sum_minus_one);
        const int exponent = num_bits_over_unit + 31 - 8;
        for (int32_t c = 0; c < depth; c++) {
            const int32_t diff = x[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t scaled = tml_requantize_gt1(diff, p->input_multiplier,
                                                          p->input_left_shift, p->rounding);
                const int32_t e = exp_on_negative_values_q5(scaled);
                const int32_t unsat = tml_rdbpot(tml_srdhm(shifted_scale, e), exponent);
                y[c] = (int8_t)tml_clamp(unsat - 128, -128, 127);
            } else {
                y[c] = -128;
            }
        }
    }
    return 0;
}
#endif
