/*
 * Integer helpers the compiler calls on the ESP8266's Xtensa lx106 core, for the xtensa .mpy.
 *
 * lx106 multiplies 32x32 -> 32 in hardware but has no divider and no widening multiply, so GCC
 * emits calls to __divsi3 & co. and to __muldi3 for int64 products (the requantization in every
 * kernel), and to __ashldi3 & co. for 64-bit shifts. The ESP8266 firmware keeps these in its
 * ROM, which a native module cannot link to, and Debian's libgcc for this core leaves the
 * division and multiply out. Its shifts exist, but mpy_ld lays library objects out in the order
 * of a Python set, so taking them from libgcc made the module's size vary by a byte between
 * builds: the module links no library now. All are written here using only 32-bit
 * arithmetic, so they never call themselves. The host checks them against C's own operators
 * (tests/c/lx106_runtime_check.c, run by tests/host/test_c_core.py).
 */
#include <stdint.h>

#ifdef TML_LX106_PREFIX
/* Host test build: same code under other names, so the host's own helpers stay in use. */
#define LX106_PASTE(prefix, name) prefix##name
#define LX106_CAT(prefix, name) LX106_PASTE(prefix, name)
#define LX106_FN(name) LX106_CAT(TML_LX106_PREFIX, name)
#else
#define LX106_FN(name) name
#endif

uint32_t LX106_FN(__udivsi3)(uint32_t n, uint32_t d);
uint32_t LX106_FN(__umodsi3)(uint32_t n, uint32_t d);
int32_t LX106_FN(__divsi3)(int32_t n, int32_t d);
int32_t LX106_FN(__modsi3)(int32_t n, int32_t d);
uint64_t LX106_FN(__muldi3)(uint64_t a, uint64_t b);
int64_t LX106_FN(__ashldi3)(int64_t a, int shift);
int64_t LX106_FN(__ashrdi3)(int64_t a, int shift);
uint64_t LX106_FN(__lshrdi3)(uint64_t a, int shift);

/* Restoring division, one quotient bit per step, starting at the dividend's top set bit.
 * Division by zero is undefined in C and never reached: the core validates divisors at load. */
static uint32_t udivmod32(uint32_t n, uint32_t d, uint32_t *rem) {
    uint32_t q = 0;
    uint32_t r = 0;
    int bit = 31;
    while (bit >= 0 && ((n >> bit) & 1u) == 0) {
        bit--;
    }
    for (; bit >= 0; bit--) {
        /* r < d always holds here; r's top bit set means (r << 1) exceeds any 32-bit d. */
        uint32_t top = r >> 31;
        r = (r << 1) | ((n >> bit) & 1u);
        if (top || r >= d) {
            r -= d;
            q |= 1u << bit;
        }
    }
    *rem = r;
    return q;
}

uint32_t LX106_FN(__udivsi3)(uint32_t n, uint32_t d) {
    uint32_t r;
    return udivmod32(n, d, &r);
}

uint32_t LX106_FN(__umodsi3)(uint32_t n, uint32_t d) {
    uint32_t r;
    (void)udivmod32(n, d, &r);
    return r;
}

static uint32_t magnitude(int32_t v) {
    return v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
}

/* C rounds the quotient toward zero; the remainder takes the dividend's sign. */
int32_t LX106_FN(__divsi3)(int32_t n, int32_t d) {
    uint32_t r;
    uint32_t q = udivmod32(magnitude(n), magnitude(d), &r);
    return (int32_t)(((n < 0) != (d < 0)) ? 0u - q : q);
}

int32_t LX106_FN(__modsi3)(int32_t n, int32_t d) {
    uint32_t r;
    (void)udivmod32(magnitude(n), magnitude(d), &r);
    return (int32_t)(n < 0 ? 0u - r : r);
}

/* The low 64 bits of a product, the same for signed and unsigned operands. The 32x32 -> 64
 * partial product is built from four 16x16 -> 32 ones. */
uint64_t LX106_FN(__muldi3)(uint64_t a, uint64_t b) {
    uint32_t al = (uint32_t)a, ah = (uint32_t)(a >> 32);
    uint32_t bl = (uint32_t)b, bh = (uint32_t)(b >> 32);
    uint32_t a0 = al & 0xffffu, a1 = al >> 16;
    uint32_t b0 = bl & 0xffffu, b1 = bl >> 16;
    uint32_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint32_t mid = p01 + p10;
    uint32_t mid_carry = mid < p01 ? 0x10000u : 0u;
    uint32_t lo = p00 + (mid << 16);
    uint32_t lo_carry = lo < p00 ? 1u : 0u;
    uint32_t hi = p11 + (mid >> 16) + mid_carry + lo_carry;
    hi += ah * bl + al * bh;
    return ((uint64_t)hi << 32) | lo;
}

/* 64-bit shifts by 0..63 (other counts are undefined in C) over the two 32-bit halves. */
int64_t LX106_FN(__ashldi3)(int64_t a, int shift) {
    uint64_t u = (uint64_t)a;
    uint32_t lo = (uint32_t)u, hi = (uint32_t)(u >> 32);
    if (shift >= 32) {
        hi = lo << (shift - 32);
        lo = 0;
    } else if (shift > 0) {
        hi = (hi << shift) | (lo >> (32 - shift));
        lo <<= shift;
    }
    return (int64_t)(((uint64_t)hi << 32) | lo);
}

/* Logical: zeros come in at the top. */
uint64_t LX106_FN(__lshrdi3)(uint64_t a, int shift) {
    uint32_t lo = (uint32_t)a, hi = (uint32_t)(a >> 32);
    if (shift >= 32) {
        lo = hi >> (shift - 32);
        hi = 0;
    } else if (shift > 0) {
        lo = (lo >> shift) | (hi << (32 - shift));
        hi >>= shift;
    }
    return ((uint64_t)hi << 32) | lo;
}

/* Arithmetic: copies of the sign bit come in at the top (a logical shift of the complement for
 * negative values, so no signed shift is left to the compiler's choice). */
int64_t LX106_FN(__ashrdi3)(int64_t a, int shift) {
    uint64_t u = (uint64_t)a;
    if (a < 0) {
        return (int64_t)~LX106_FN(__lshrdi3)(~u, shift);
    }
    return (int64_t)LX106_FN(__lshrdi3)(u, shift);
}
