#include "tml_config.h"
#if TML_HAS_MINIMUM || TML_HAS_MAXIMUM
#include "bcast.h"

/* MINIMUM and MAXIMUM compare the stored int8 values, as TFLite does: both inputs and the
 * output share one quantization in converted models. */
#if TML_HAS_MINIMUM
int tml_minimum_s8(const tml_bcast_t *b, const int8_t *x, const int8_t *y, int8_t *out) {
    TML_BCAST_FOR_EACH(b, { out[o] = x[ia] < y[ib] ? x[ia] : y[ib]; });
    return 0;
}
#endif

#if TML_HAS_MAXIMUM
int tml_maximum_s8(const tml_bcast_t *b, const int8_t *x, const int8_t *y, int8_t *out) {
    TML_BCAST_FOR_EACH(b, { out[o] = x[ia] > y[ib] ? x[ia] : y[ib]; });
    return 0;
}
#endif
#endif
