#include "arch.h"

/* tml_copy (arch.h). */
void tml_copy(int8_t *dst, const int8_t *src, int32_t n) {
    if (TML_ARCH_V6M) {
        memcpy(dst, src, (size_t)n);
        return;
    }
    tml_copy_words(dst, src, n);
}
