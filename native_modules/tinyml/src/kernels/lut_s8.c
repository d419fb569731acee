#include "tml_config.h"
#if TML_HAS_LUT
#include "tml_kernels.h"

int tml_lut_s8(const int8_t *table, int32_t size, const int8_t *in, int8_t *out) {
    for (int32_t i = 0; i < size; i++) {
        out[i] = table[(uint8_t)in[i]];
    }
    return 0;
}
#endif
