/* Checks native_modules/micropython/lx106_runtime.c (built with TML_LX106_PREFIX=tml_) against
 * the host compiler's own division, 64-bit multiply and 64-bit shifts: the edges, then pseudo-random operands
 * of every magnitude. Prints "<differences> of <cases> differ". */
#include <stdint.h>
#include <stdio.h>

uint32_t tml___udivsi3(uint32_t n, uint32_t d);
uint32_t tml___umodsi3(uint32_t n, uint32_t d);
int32_t tml___divsi3(int32_t n, int32_t d);
int32_t tml___modsi3(int32_t n, int32_t d);
uint64_t tml___muldi3(uint64_t a, uint64_t b);
int64_t tml___ashldi3(int64_t a, int shift);
int64_t tml___ashrdi3(int64_t a, int shift);
uint64_t tml___lshrdi3(uint64_t a, int shift);

static uint64_t state = 0x9e3779b97f4a7c15u;

static uint64_t next(void) {  /* xorshift64*, then a random magnitude */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    uint64_t v = state * 2685821657736338717u;
    return v >> (v % 64);
}

static long cases = 0, bad = 0;

static void check(uint32_t a, uint32_t b, uint64_t wa, uint64_t wb) {
    cases++;
    if (tml___muldi3(wa, wb) != wa * wb) bad++;
    int shift = (int)(wb % 64);
    int64_t swa = (int64_t)wa;  /* GCC: modulo 2^64; >> of a negative value is arithmetic */
    if (tml___lshrdi3(wa, shift) != wa >> shift) bad++;
    if ((uint64_t)tml___ashldi3(swa, shift) != wa << shift) bad++;
    if (tml___ashrdi3(swa, shift) != swa >> shift) bad++;
    if (b == 0) return;
    if (tml___udivsi3(a, b) != a / b || tml___umodsi3(a, b) != a % b) bad++;
    int32_t sa = (int32_t)a, sb = (int32_t)b;
    if (sa == INT32_MIN && sb == -1) return;  /* undefined in C */
    if (tml___divsi3(sa, sb) != sa / sb || tml___modsi3(sa, sb) != sa % sb) bad++;
}

int main(void) {
    static const uint32_t edge[] = {0, 1, 2, 3, 7, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
                                    0x80000001, 0xfffffffe, 0xffffffff};
    for (unsigned i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        for (unsigned j = 0; j < sizeof edge / sizeof edge[0]; j++) {
            uint64_t wa = ((uint64_t)edge[j] << 32) | edge[i];
            check(edge[i], edge[j], wa, ~wa);
        }
    }
    for (long k = 0; k < 2000000; k++) {
        uint64_t wa = next(), wb = next();
        check((uint32_t)wa, (uint32_t)(wb >> (wb % 32)), wa, wb);
    }
    printf("%ld of %ld differ\n", bad, cases);
    return bad != 0;
}
