#include "fixedpoint.h"

/* One copy for every kernel: the fast kernels inline only the double-rounding path. */
int32_t tml_requantize_single(int32_t x, int32_t mult, int32_t shift, int32_t rounding) {
    return tml_requantize(x, mult, shift, rounding);
}

#if TML_RQ_SPLIT
/* tml_requantize_fast with 32-bit multiplies only (Armv6-M). Double rounding, with the proof
 * of tml_requantize_hi extended to e = -shift >= 1: the result is
 * floor((x * mult + C) / 2^(31 + e)), C = 2^30 + 2^(e + 30) - [x < 0] * 2^31; for e = 0 it is
 * floor((x * mult + 2^30) / 2^31) (tml_requantize_fast), with x shifted left first when
 * shift > 0. x * mult + C is summed modulo 2^64 from x = xh * 2^16 + xl and
 * mult = mh * 2^16 + ml (xl, ml < 2^16 unsigned; |xh| <= 2^15, 0 <= mh < 2^15 since
 * 0 <= mult < 2^31): xh * mh, xh * ml, xl * mh and xl * ml each fit in 32 bits, and the true
 * sum fits in 64 bits (|x * mult| < 2^62, 0 <= C < 2^62), so its high word is exact. */
int32_t tml_requantize_split(int32_t x, int32_t mult, int32_t shift, int32_t rounding) {
    if (rounding != TML_ROUND_DOUBLE) {
        return tml_requantize(x, mult, shift, rounding);
    }
    if (shift > 0) {
        x = (int32_t)((uint32_t)x << shift); /* wraps like the reference's int32 multiply */
    }
    const int32_t e = shift < 0 ? -shift : 0, neg = x < 0;
    const uint32_t xl = (uint32_t)x & 0xffffu, ml = (uint32_t)mult & 0xffffu;
    const int32_t xh = x >> 16, mh = mult >> 16;
    uint64_t c = (uint64_t)1 << 30; /* C: 2^30, + 2^(e+30) - [x < 0] 2^31 for e >= 1 */
    if (e >= 1) {
        c += e >= 2 ? (uint64_t)((uint32_t)1 << (e - 2)) << 32 : (uint64_t)1 << 31;
        c -= neg ? (uint64_t)1 << 31 : 0;
    }
    uint64_t t = ((uint64_t)(uint32_t)(xh * mh) << 32) + (uint64_t)(xl * ml) + c;
    t += (uint64_t)(int64_t)(xh * (int32_t)ml) << 16;
    t += (uint64_t)(xl * (uint32_t)mh) << 16;
    const int32_t hi = (int32_t)(uint32_t)(t >> 32);
    if (e == 0) {
        return (int32_t)(((uint32_t)hi << 1) | ((uint32_t)t >> 31));
    }
    return hi >> (e - 1);
}
#endif

#if (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)) && !defined(TML_ARCH_GENERIC)
/* tml_rq_row's common case on Armv7-M: the one-multiply form (tml_requantize_hi) and the
 * whole int8 range, out[i * step] for i < n (n > 0), 11 instructions an output: SMLAL, ASR,
 * the offset, SSAT. Arguments past the fourth: chi, e1, the output offset. */
__attribute__((naked, noinline)) static void rq_row_hi_ssat(
    __attribute__((unused)) const int32_t *acc, __attribute__((unused)) const int32_t *end,
    __attribute__((unused)) int8_t *out, __attribute__((unused)) int32_t step,
    __attribute__((unused)) int32_t mult, __attribute__((unused)) int32_t chi,
    __attribute__((unused)) int32_t e1, __attribute__((unused)) int32_t oo) {
    __asm__ volatile(
        "push {r4-r10, lr}\n"
        "ldrd r4, r5, [sp, #32]\n"  /* mult, chi */
        "ldrd r6, r7, [sp, #40]\n"  /* e1, the output offset */
        "1:\n"
        "ldr r8, [r0], #4\n"
        "and r9, r8, #0x80000000\n"
        "orr r9, r9, #0x40000000\n"
        "add r10, r5, r8, asr #31\n"
        "smlal r9, r10, r8, r4\n"
        "asr r10, r10, r6\n"
        "add r10, r10, r7\n"
        "ssat r10, #8, r10\n"
        "strb r10, [r2]\n"
        "add r2, r2, r3\n"
        "cmp r0, r1\n"
        "bne 1b\n"
        "pop {r4-r10, pc}\n");
}
#define TML_RQ_ROW_ASM 1
#endif

void tml_rq_row(const tml_rq_t *r, const int32_t *acc, int32_t n, int8_t *out, int32_t step) {
#ifdef TML_RQ_ROW_ASM
    if (r->hi && r->act_min <= -128 && r->act_max >= 127 && n > 0) {
        rq_row_hi_ssat(acc, acc + n, out, step, r->mult, r->chi, r->e1, r->output_offset);
        return;
    }
#endif
    if (TML_RQ_HI && r->hi) {
        const int32_t mult = r->mult, chi = r->chi, e1 = r->e1, oo = r->output_offset;
        const int32_t lo = r->act_min, hi = r->act_max;
        for (; n > 0; n--, out += step) {
            /* |requantized| <= 2^29 (e >= 2): adding the offset cannot wrap */
            *out = (int8_t)tml_clamp(tml_requantize_hi(*acc++, mult, chi, e1) + oo, lo, hi);
        }
        return;
    }
    for (; n > 0; n--, out += step) {
        *out = tml_rq_apply(r, *acc++);
    }
}
