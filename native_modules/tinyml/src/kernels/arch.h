/* Per-core building blocks of the fast kernels (internal), chosen at compile time from the
 * compiler's own target macros, so one source serves every port:
 *
 *   TML_ARCH_DSP   Armv7E-M / Armv8-M with the DSP extension (Cortex-M4, M7, M33, M55):
 *                  SXTB16 / SXTAB16 sign-extend two bytes into two 16-bit lanes (adding an
 *                  offset to each for free) and SMLAD multiplies both lanes and accumulates.
 *   TML_ARCH_V6M   Armv6-M (Cortex-M0+, RP2040): eight low registers, two-cycle loads, no
 *                  64-bit multiply; the generic loops, shaped to keep the registers few.
 *   TML_ARCH_VEC   64-bit hosts (x86-64, AArch64): simple dot-product loops that the
 *                  compiler vectorizes (the unix port, the host simulator).
 *   otherwise      the generic loops (Cortex-M3, RISC-V rv32imc, Xtensa).
 * -DTML_ARCH_GENERIC forces the generic loops (the host tests build them that way too), and
 * -DTML_DOT_2X4_TEST adds the RISC-V blocking to them.
 *
 * Nothing here changes a result: every path computes the same int32 sums (the order of an
 * int32 sum without overflow does not matter) and the same requantization.
 */
#ifndef TML_ARCH_H
#define TML_ARCH_H

#include <stdint.h>
#include <string.h>

#if defined(TML_ARCH_GENERIC)
#elif defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define TML_ARCH_DSP (1)
#include <arm_acle.h>
#elif defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__)
#define TML_ARCH_V6M (1)
#elif defined(__x86_64__) || defined(__aarch64__)
#define TML_ARCH_VEC (1)
#endif
#ifndef TML_ARCH_V6M
#define TML_ARCH_V6M (0)
#endif
#ifndef TML_ARCH_DSP
#define TML_ARCH_DSP (0)
#endif

/* Setup and border code inside the hot kernels' files (which the ports compile for speed):
 * compiled for size, as the rest of a port is (GCC; the Armv7E-M native module's .text
 * budget is 40 KB). */
#if defined(__GNUC__) && !defined(__clang__)
#define TML_COLD __attribute__((optimize("Os")))
#else
#define TML_COLD
#endif

/* Code in a hot kernel's file that Armv7E-M seldom runs (its fast path lies elsewhere):
 * compiled for size there only. */
#if TML_ARCH_DSP
#define TML_DSP_COLD TML_COLD
#else
#define TML_DSP_COLD
#endif

/* One hot loop in a file that the ports compile for size (GCC). */
#if defined(__GNUC__) && !defined(__clang__)
#define TML_HOT_LOOP __attribute__((optimize("O2")))
#else
#define TML_HOT_LOOP
#endif

/* v saturated to int8 (one SSAT where the core has it). */
static inline int32_t tml_sat8(int32_t v) {
#if defined(__ARM_FEATURE_SAT) && !defined(TML_ARCH_GENERIC)
    __asm__("ssat %0, #8, %1" : "=r"(v) : "r"(v));
    return v;
#else
    return v < -128 ? -128 : v > 127 ? 127 : v;
#endif
}

/* Four bytes as one word, at any alignment (one LDR where the core allows unaligned loads). */
static inline int32_t tml_read4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* v, hidden from the optimizer: a loop of word copies through it stays a loop (GCC turns a
 * plain one into a call to memcpy, which the bare-metal ports run byte by byte). */
static inline int32_t tml_opaque(int32_t v) {
    __asm__("" : "+r"(v));
    return v;
}

/* n bytes as words, then the last bytes, at any alignment (not Armv6-M: no unaligned words).
 * Through tml_opaque, so that the compiler keeps the loop a loop instead of calling memcpy
 * (the bare-metal ports' memcpy copies bytes unless both pointers are aligned, which patches
 * and rows seldom are). Inline for the callers whose copies are too short for a call. */
static inline void tml_copy_words(int8_t *dst, const int8_t *src, int32_t n) {
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const int32_t v = tml_opaque(tml_read4(src + i)); /* one word load and store */
        memcpy(dst + i, &v, 4);
    }
    for (; i < n; i++) {
        dst[i] = (int8_t)tml_opaque(src[i]);
    }
}

/* n bytes: tml_copy_words, memcpy on Armv6-M (flash first). copy_s8.c: one copy for every
 * kernel. */
void tml_copy(int8_t *dst, const int8_t *src, int32_t n);

#if TML_ARCH_DSP
/* Bytes 0 and 2 of w (odd = 0), or 1 and 3 (odd = 1), as two sign-extended 16-bit lanes. */
static inline int32_t tml_sxtb16(int32_t w) {
    return (int32_t)__sxtb16((uint32_t)w);
}
static inline int32_t tml_sxtb16_ror8(int32_t w) {
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
    return r;
}
/* The same with `lanes` (two 16-bit values) added lane by lane. */
static inline int32_t tml_sxtab16(int32_t lanes, int32_t w) {
    return (int32_t)__sxtab16((uint32_t)lanes, (uint32_t)w);
}
static inline int32_t tml_sxtab16_ror8(int32_t lanes, int32_t w) {
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(lanes), "r"(w));
    return r;
}
/* acc + lo(a) * lo(b) + hi(a) * hi(b). */
static inline int32_t tml_smlad(int32_t a, int32_t b, int32_t acc) {
    return __smlad(a, b, acc);
}
/* acc + lo(a) * lo(b), acc + hi(a) * hi(b). */
static inline int32_t tml_smlabb(int32_t a, int32_t b, int32_t acc) {
    return __smlabb(a, b, acc);
}
static inline int32_t tml_smlatt(int32_t a, int32_t b, int32_t acc) {
    return __smlatt(a, b, acc);
}
static inline int32_t tml_smlatb(int32_t a, int32_t b, int32_t acc) {
    return __smlatb(a, b, acc);
}
/* An offset in both 16-bit lanes. */
static inline int32_t tml_lanes2(int32_t v) {
    return (int32_t)(((uint32_t)v & 0xffffu) | ((uint32_t)v << 16));
}
/* lo and hi as the low and high 16-bit lanes. */
static inline int32_t tml_pack16(int32_t lo, int32_t hi) {
    return (int32_t)(((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16));
}
#endif

#endif /* TML_ARCH_H */
