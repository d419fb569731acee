/* tests/c/kernel_check.c: the fast kernels against the reference kernels. */
#ifndef TML_KERNEL_CHECK_H
#define TML_KERNEL_CHECK_H

#include <stdint.h>

/* Runs `cases` random cases from `seed`; 0 if every output byte agrees, else 1 with the first
 * difference described in msg (at least 160 bytes). */
int tml_kernel_check(uint32_t seed, int32_t cases, char *msg);

/* Cases of the last run whose shapes fitted the buffers and were compared. */
extern int32_t g_checked;

/* Supplied by the runner (it may or may not have a printf). */
void tml_check_message(char *msg, const char *what, uint32_t seed, int32_t case_no,
                       int32_t index, int32_t want, int32_t got);

/* The loader's bias limit for `terms` products: 2^31 - 1 - terms * 2^15. */
static inline int32_t tml_between_limit(int32_t terms) {
    return (int32_t)(0x7fffffff - (int64_t)terms * 32768);
}

#endif
