#include "arch.h"

/* tml_copy (arch.h): the word loop goes through tml_opaque so that the compiler keeps it a
 * loop instead of calling memcpy. */
void tml_copy(int8_t *dst, const int8_t *src, int32_t n) {
    if (TML_ARCH_V6M) {
        memcpy(dst, src, (size_t)n);
        return;
    }
    for (; n >= 4; n -= 4, dst += 4, src += 4) {
        const int32_t v = tml_opaque(tml_read4(src)); /* one word load and store */
        memcpy(dst, &v, 4);
    }
    for (; n > 0; n--) {
        *dst++ = (int8_t)tml_opaque(*src++);
    }
}
