#include "fixedpoint.h"

/* One copy for every kernel: the fast kernels inline only the double-rounding path. */
int32_t tml_requantize_single(int32_t x, int32_t mult, int32_t shift, int32_t rounding) {
    return tml_requantize(x, mult, shift, rounding);
}

void tml_rq_row(const tml_rq_t *r, const int32_t *acc, int32_t n, int8_t *out, int32_t step) {
    if (r->hi) {
        const int32_t mult = r->mult, chi = r->chi, e1 = r->e1, oo = r->output_offset;
        const int32_t lo = r->act_min, hi = r->act_max;
        for (; n > 0; n--, out += step) {
            /* |requantized| <= 2^29 (e >= 2): adding the offset cannot wrap */
            *out = (int8_t)tml_clamp(tml_requantize_hi(*acc++, mult, chi, e1) + oo, lo, hi);
        }
        return;
    }
    for (; n > 0; n--, out += step) {
        *out = tml_rq_apply(r, *acc++);
    }
}
