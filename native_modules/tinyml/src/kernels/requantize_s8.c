#include "fixedpoint.h"

/* One copy for every kernel: the fast kernels inline only the double-rounding path. */
int32_t tml_requantize_single(int32_t x, int32_t mult, int32_t shift, int32_t rounding) {
    return tml_requantize(x, mult, shift, rounding);
}
