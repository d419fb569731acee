/* Host runner of kernel_check.c: kernel_check SEED CASES. */
#include <stdio.h>
#include <stdlib.h>
#include "kernel_check.h"

void tml_check_message(char *msg, const char *what, uint32_t seed, int32_t case_no,
                       int32_t index, int32_t want, int32_t got) {
    snprintf(msg, 160, "%s: seed %u case %d index %d: reference %d, fast %d", what,
             (unsigned)seed, (int)case_no, (int)index, (int)want, (int)got);
}

int main(int argc, char **argv) {
    char msg[160];
    const uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1;
    const int32_t cases = argc > 2 ? (int32_t)strtol(argv[2], NULL, 0) : 1000;
    const int bad = tml_kernel_check(seed, cases, msg);
    if (bad) {
        printf("%s\n", msg);
    } else {
        printf("ok: %d cases\n", (int)g_checked);
    }
    return bad;
}
