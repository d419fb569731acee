#include "tml_config.h"
#if TML_HAS_STRIDED_COPY
#include "tml_kernels.h"

int tml_strided_copy_s8(const tml_strided_t *p, const int8_t *in, int8_t *out) {
    const int32_t *d = p->dims, *s = p->stride;
    for (int32_t i0 = 0; i0 < d[0]; i0++) {
        for (int32_t i1 = 0; i1 < d[1]; i1++) {
            for (int32_t i2 = 0; i2 < d[2]; i2++) {
                const int8_t *src = in + p->base + i0 * s[0] + i1 * s[1] + i2 * s[2];
                if (s[3] == 1) {
                    for (int32_t i3 = 0; i3 < d[3]; i3++) {
                        *out++ = src[i3];
                    }
                } else {
                    for (int32_t i3 = 0; i3 < d[3]; i3++) {
                        *out++ = src[(int64_t)i3 * s[3]];
                    }
                }
            }
        }
    }
    return 0;
}
#endif
