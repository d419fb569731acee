#include "tml_config.h"
#if TML_HAS_CONCAT
#include <string.h>
#include "tml_kernels.h"

int tml_concat_s8(int32_t outer, int32_t n, const int32_t *block, const int8_t *const *in,
                  int8_t *out) {
    for (int32_t r = 0; r < outer; r++) {
        for (int32_t k = 0; k < n; k++) {
            memcpy(out, in[k] + (int64_t)r * block[k], (size_t)block[k]);
            out += block[k];
        }
    }
    return 0;
}
#endif
