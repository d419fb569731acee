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
/* tml_rq_row's common case on Armv7-M: the one-multiply form (tml_requantize_hi) with the
 * output offset folded in (tml_rq_fold_ok: cho = chi + oo * 2^e1) and the whole int8 range,
 * out[i * step] for i < n (n > 0): SMLAL, ASR and SSAT, two outputs a loop step, 9
 * instructions an output. Arguments past the fourth: cho, e1. */
#define TML_RQ_SSAT_OUT(x, hi)                                                               \
    TML_RQ_HI_ASM(x, "r9", hi, "r5", "r4", "r6")                                             \
    "ssat " hi ", #8, " hi "\n"
__attribute__((naked, noinline)) static void rq_row_hi_ssat(
    __attribute__((unused)) const int32_t *acc, __attribute__((unused)) const int32_t *end,
    __attribute__((unused)) int8_t *out, __attribute__((unused)) int32_t step,
    __attribute__((unused)) int32_t mult, __attribute__((unused)) int32_t cho,
    __attribute__((unused)) int32_t e1) {
    __asm__ volatile(
        "push {r4-r10, lr}\n"
        "ldrd r4, r5, [sp, #32]\n"  /* mult, cho */
        "ldr r6, [sp, #40]\n"       /* e1 */
        "sub r7, r1, r0\n"
        "tst r7, #4\n"              /* an odd n: one output first */
        "beq 2f\n"
        "ldr r8, [r0], #4\n"
        TML_RQ_SSAT_OUT("r8", "r10")
        "strb r10, [r2]\n"
        "add r2, r2, r3\n"
        "2:\n"
        "cmp r0, r1\n"
        "beq 3f\n"
        "1:\n"
        "ldrd r8, r7, [r0], #8\n"
        TML_RQ_SSAT_OUT("r8", "r10")
        TML_RQ_SSAT_OUT("r7", "lr")
        "strb r10, [r2]\n"
        "strb lr, [r2, r3]\n"
        "add r2, r2, r3, lsl #1\n"
        "cmp r0, r1\n"
        "bne 1b\n"
        "3:\n"
        "pop {r4-r10, pc}\n");
}
#define TML_RQ_ROW_ASM 1
#endif

#if defined(__riscv) && __riscv_xlen == 32 && !defined(TML_ARCH_GENERIC)
/* tml_rq_row's common case on RISC-V (rv32): the one-multiply form (tml_requantize_hi), the
 * high word of x * mult + C from MUL and MULH with the carry of the low words (SLTU), then the
 * shift, the offset and the clamp to k = {mult, chi, e1, output offset, lo, hi}: 19
 * instructions an output. n > 0 (end = acc + n). */
__attribute__((naked, noinline)) static void rv_rq_row_hi(
    __attribute__((unused)) const int32_t *acc, __attribute__((unused)) const int32_t *end,
    __attribute__((unused)) int8_t *out, __attribute__((unused)) int32_t step,
    __attribute__((unused)) const int32_t *k) {
    __asm__ volatile(
        "lw t0, 0(a4)\n"           /* mult */
        "lw t1, 4(a4)\n"           /* chi = 2^(e-2) */
        "lw t2, 8(a4)\n"           /* e1 = e - 1 */
        "lw t3, 12(a4)\n"          /* the output offset */
        "lw t4, 16(a4)\n"          /* lo */
        "lw t5, 20(a4)\n"          /* hi */
        "lui t6, 0x40000\n"        /* 2^30 */
        "1:\n"
        "lw a5, 0(a0)\n"           /* x */
        "mul a6, a5, t0\n"         /* x * mult: low word */
        "mulh a7, a5, t0\n"        /* and high word */
        "srai a5, a5, 31\n"        /* -[x < 0] */
        "add a7, a7, a5\n"
        "slli a5, a5, 31\n"
        "or a5, a5, t6\n"          /* C's low word: 2^30 + [x < 0] 2^31 */
        "add a6, a6, a5\n"
        "sltu a6, a6, a5\n"        /* its carry */
        "add a7, a7, a6\n"
        "add a7, a7, t1\n"         /* C's high word: chi - [x < 0] */
        "sra a7, a7, t2\n"
        "add a7, a7, t3\n"         /* |requantized| <= 2^29: cannot wrap */
        "bge a7, t4, 2f\n"
        "mv a7, t4\n"
        "2:\n"
        "bge t5, a7, 3f\n"
        "mv a7, t5\n"
        "3:\n"
        "sb a7, 0(a2)\n"
        "add a2, a2, a3\n"
        "addi a0, a0, 4\n"
        "bne a0, a1, 1b\n"
        "ret\n");
}
#define TML_RQ_ROW_RV32 1
#endif

#if TML_ARCH_V6M
/* Armv6-M's output stages: tml_requantize_hi from four 32-bit products (tml_m0_hi4: xh, xl
 * x's signed high and unsigned low halfword, mh, ml mult's, both nonnegative, summed with
 * carries as in tml_requantize_split), or for an x that fits 16 bits from two
 * (tml_requantize_hi16). tml_m0_rq has two loops: per channel (r7 = 4j indexes s and the
 * constants; r8 = s, r9 = bias, r10 = mult, r11 = 4n, r12 = shift; the stack: out, the output
 * offset, lo, hi, the output step), about 70 cycles an output (57 for 16 bits); one channel
 * (every constant in a register: r1 = s, r2 = out, r5 = ml, r6 = mh, r7 = e + 15, r8 = bias,
 * r9 = the output step, r10 = the output offset, r11 = lo, r12 = hi, lr = K; s's end on the
 * stack), about 41 (28 for 16 bits). There tml_requantize_hi16's last steps, Y >> (e + 14),
 * + 1, >> 1 (Y = x * mh + ((x * ml) >> 16) + 2^14 - [x < 0] 2^15), are one: (Y + 2^(e + 14))
 * >> (e + 15) is the same floor (nested floors), with K = 2^14 + 2^(e + 14) added at once;
 * |Y| <= 2^30 + 2^14, so Y + K stays below 2^31 for e <= 15, which tml_rq_row asks. */

/* tml_requantize_hi16's rounding term into reg: 2^14, or -2^14 for x < 0 (x in r0). */
#define TML_M0_RQ_HALF(reg)                                                                  \
    "asrs " reg ", r0, #31\n"                                                                \
    "lsls " reg ", " reg ", #1\n"                                                             \
    "adds " reg ", " reg ", #1\n"                                                             \
    "lsls " reg ", " reg ", #14\n"

/* tml_requantize_hi of any x (r0) in Armv6-M's four-product form: ml in r5, mh in r6, e - 1
 * in r3; the result in r4, r0, r1, r5, r6 and r7 clobbered. tml_m0_rq2 runs it inline,
 * tml_m0_rq through the subroutine tml_m0_hi4 below. */
#define TML_M0_HI4_BODY                                                                      \
    "asrs r1, r0, #31\n"        /* -[x < 0] */                                               \
    "asrs r7, r0, #16\n"        /* xh */                                                     \
    "uxth r4, r0\n"             /* xl */                                                     \
    "movs r0, r4\n"                                                                          \
    "muls r0, r5, r0\n"         /* low word: xl * ml */                                      \
    "muls r4, r6, r4\n"         /* xl * mh */                                                \
    "muls r5, r7, r5\n"         /* xh * ml */                                                \
    "muls r6, r7, r6\n"         /* high word: xh * mh */                                     \
    "lsls r7, r4, #16\n"                                                                     \
    "lsrs r4, r4, #16\n"                                                                     \
    "adds r0, r0, r7\n"                                                                      \
    "adcs r6, r4\n"                                                                          \
    "lsls r7, r5, #16\n"                                                                     \
    "asrs r5, r5, #16\n"                                                                     \
    "adds r0, r0, r7\n"                                                                      \
    "adcs r6, r5\n"                                                                          \
    "lsls r7, r1, #31\n"                                                                     \
    "movs r4, #1\n"                                                                          \
    "lsls r4, r4, #30\n"                                                                     \
    "adds r7, r7, r4\n"         /* C's low word: 2^30 + [x < 0] 2^31 */                      \
    "movs r4, #1\n"                                                                          \
    "lsls r4, r3\n"                                                                          \
    "asrs r4, r4, #1\n"                                                                      \
    "adds r4, r4, r1\n"         /* its high word: 2^(e-2) - [x < 0] */                       \
    "adds r0, r0, r7\n"                                                                      \
    "adcs r6, r4\n"                                                                          \
    "asrs r6, r3\n"                                                                          \
    "movs r4, r6\n"

/* The subroutine, for loops without registers to spare: r0 clobbered, every other register
 * kept. */
__attribute__((naked, noinline, used)) void tml_m0_hi4(void) {
    __asm__ volatile(
        TML_SYNTAX_UNIFIED
        "push {r1, r5, r6, r7, lr}\n"  /* what the form clobbers (r2 and r3 it reads) */
        TML_M0_HI4_BODY
        "pop {r1, r5, r6, r7, pc}\n"
        TML_SYNTAX_RESTORE);
}

__attribute__((naked, noinline)) void tml_m0_rq(__attribute__((unused)) const int32_t *s,
                                                __attribute__((unused)) int32_t n,
                                                __attribute__((unused)) int8_t *out,
                                                __attribute__((unused)) const int32_t *a) {
    __asm__ volatile(
        TML_M0_ENTER
        "sub sp, #20\n"
        "str r2, [sp, #0]\n"        /* out */
        "ldr r4, [r3, #12]\n"
        "str r4, [sp, #4]\n"        /* the output offset */
        "ldr r4, [r3, #16]\n"
        "str r4, [sp, #8]\n"        /* lo */
        "ldr r4, [r3, #20]\n"
        "str r4, [sp, #12]\n"       /* hi */
        "ldr r4, [r3, #24]\n"
        "str r4, [sp, #16]\n"       /* the output step */
        "mov r8, r0\n"              /* s */
        "lsls r1, r1, #2\n"
        "ldr r4, [r3, #28]\n"
        "cmp r4, #0\n"
        "beq 5f\n"
        /* per channel */
        "ldr r4, [r3, #0]\n"
        "mov r9, r4\n"              /* bias */
        "ldr r4, [r3, #4]\n"
        "mov r10, r4\n"             /* mult */
        "ldr r4, [r3, #8]\n"
        "mov r12, r4\n"             /* shift */
        "mov r11, r1\n"             /* 4n */
        "movs r7, #0\n"             /* 4j */
        "1:\n"
        "mov r0, r8\n"
        "ldr r0, [r0, r7]\n"
        "mov r1, r9\n"
        "ldr r1, [r1, r7]\n"
        "adds r0, r0, r1\n"         /* x = s[j] + bias[j] */
        "mov r1, r10\n"
        "ldr r1, [r1, r7]\n"        /* mult */
        "mov r2, r12\n"
        "ldr r2, [r2, r7]\n"
        "mvns r2, r2\n"             /* e - 1 = -shift - 1 */
        "sxth r3, r0\n"
        "cmp r3, r0\n"
        "bne 11f\n"
        /* x fits 16 bits: tml_requantize_hi16 */
        "uxth r5, r1\n"             /* ml */
        "lsrs r6, r1, #16\n"        /* mh */
        "muls r6, r0, r6\n"
        "muls r5, r0, r5\n"
        "asrs r5, r5, #16\n"
        "adds r6, r6, r5\n"
        TML_M0_RQ_HALF("r5")
        "adds r6, r6, r5\n"         /* Y */
        "adds r2, #15\n"            /* e + 14 */
        "asrs r6, r2\n"
        "adds r6, r6, #1\n"
        "asrs r6, r6, #1\n"
        "b 4f\n"
        "11:\n"                     /* past 16 bits: the four-product form */
        "uxth r5, r1\n"             /* ml */
        "lsrs r6, r1, #16\n"        /* mh */
        "movs r3, r2\n"
        "bl tml_m0_hi4\n"
        "movs r6, r4\n"
        "4:\n"
        "ldr r3, [sp, #4]\n"
        "adds r6, r6, r3\n"         /* |requantized| <= 2^29: no wrap */
        "ldr r3, [sp, #8]\n"
        "cmp r6, r3\n"
        "bge 2f\n"
        "movs r6, r3\n"
        "2:\n"
        "ldr r3, [sp, #12]\n"
        "cmp r6, r3\n"
        "ble 3f\n"
        "movs r6, r3\n"
        "3:\n"
        "ldr r3, [sp, #0]\n"
        "strb r6, [r3]\n"
        "ldr r4, [sp, #16]\n"
        "adds r3, r3, r4\n"
        "str r3, [sp, #0]\n"
        "adds r7, r7, #4\n"
        "cmp r7, r11\n"
        "bne 1b\n"
        "b 9f\n"
        /* one channel: every constant in a register; e <= 15 (tml_rq_row's rule) */
        "5:\n"
        "adds r1, r0, r1\n"
        "str r1, [sp, #0]\n"        /* s's end (out is in r2 now) */
        "mov r1, r0\n"              /* s */
        "ldr r4, [r3, #0]\n"
        "ldr r4, [r4]\n"
        "mov r8, r4\n"              /* the bias */
        "ldr r4, [r3, #8]\n"
        "ldr r4, [r4]\n"
        "mvns r4, r4\n"
        "adds r4, #16\n"
        "movs r7, r4\n"             /* e + 15 */
        "subs r4, #1\n"
        "movs r0, #1\n"
        "lsls r0, r4\n"
        "movs r4, #1\n"
        "lsls r4, r4, #14\n"
        "adds r0, r0, r4\n"
        "mov lr, r0\n"              /* K = 2^14 + 2^(e + 14) */
        "ldr r4, [r3, #4]\n"
        "ldr r4, [r4]\n"
        "uxth r5, r4\n"             /* ml */
        "lsrs r6, r4, #16\n"        /* mh */
        "ldr r4, [sp, #4]\n"
        "mov r10, r4\n"             /* the output offset */
        "ldr r4, [sp, #8]\n"
        "mov r11, r4\n"             /* lo */
        "ldr r4, [sp, #12]\n"
        "mov r12, r4\n"             /* hi */
        "ldr r4, [sp, #16]\n"
        "mov r9, r4\n"              /* the output step */
        "ldr r4, [sp, #0]\n"
        "str r4, [sp, #12]\n"       /* s's end */
        "ldr r4, [r3, #32]\n"
        "str r4, [sp, #16]\n"       /* a row's sums, in bytes */
        "adds r4, r1, r4\n"
        "str r4, [sp, #0]\n"        /* the first row's end */
        "ldr r4, [r3, #36]\n"
        "str r4, [sp, #8]\n"        /* from a row's end to the next row's first output */
        "6:\n"
        "ldmia r1!, {r0}\n"
        "add r0, r8\n"              /* x = s[j] + bias */
        "sxth r3, r0\n"
        "cmp r3, r0\n"
        "bne 12f\n"
        /* x fits 16 bits: tml_requantize_hi16 with its two roundings as one (see above) */
        "movs r3, r6\n"
        "muls r3, r0, r3\n"
        "movs r4, r5\n"
        "muls r4, r0, r4\n"
        "asrs r4, r4, #16\n"
        "adds r3, r3, r4\n"
        "asrs r4, r0, #31\n"
        "lsls r4, r4, #15\n"
        "adds r3, r3, r4\n"         /* - [x < 0] 2^15 */
        "add r3, lr\n"
        "asrs r3, r7\n"
        "13:\n"
        "add r3, r10\n"             /* the output offset: no wrap */
        "cmp r3, r11\n"
        "bge 7f\n"
        "mov r3, r11\n"
        "7:\n"
        "cmp r3, r12\n"
        "ble 8f\n"
        "mov r3, r12\n"
        "8:\n"
        "strb r3, [r2]\n"
        "add r2, r9\n"
        "ldr r4, [sp, #0]\n"
        "cmp r1, r4\n"
        "bne 6b\n"
        "ldr r3, [sp, #12]\n"       /* a row done: the last? */
        "cmp r1, r3\n"
        "beq 9f\n"
        "ldr r3, [sp, #8]\n"
        "add r2, r3\n"
        "ldr r3, [sp, #16]\n"
        "adds r4, r4, r3\n"
        "str r4, [sp, #0]\n"        /* the next row's end */
        "b 6b\n"
        "12:\n"                     /* the four-product form: lr kept across the call */
        "mov r4, lr\n"
        "str r4, [sp, #4]\n"
        "movs r3, r7\n"
        "subs r3, #16\n"            /* e - 1 */
        "bl tml_m0_hi4\n"
        "movs r3, r4\n"
        "ldr r4, [sp, #4]\n"
        "mov lr, r4\n"
        "b 13b\n"
        "9:\n"
        "add sp, #20\n"
        TML_M0_LEAVE);
}

/* tml_m0_rq2's output x (r0 or r1) of a row whose two sums fit 16 bits: tml_requantize_hi16
 * with mult in r2 and e + 14 in r3, the result in dst (r5 scratch), the output offset added
 * by its last rounding step: (t + 1 + 2 * offset) >> 1 = ((t + 1) >> 1) + offset, with
 * 1 + 2 * offset in r12. */
#define TML_M0_RQ2_HI16(x, dst)                                                              \
    "uxth r5, r2\n"                                                                          \
    "muls r5, " x ", r5\n"                                                                   \
    "asrs r5, r5, #16\n"                                                                     \
    "lsrs " dst ", r2, #16\n"                                                                \
    "muls " dst ", " x ", " dst "\n"                                                         \
    "adds " dst ", " dst ", r5\n"                                                            \
    "asrs r5, " x ", #31\n"                                                                  \
    "lsls r5, r5, #1\n"                                                                      \
    "adds r5, r5, #1\n"                                                                      \
    "lsls r5, r5, #14\n"                                                                     \
    "adds " dst ", " dst ", r5\n"                                                            \
    "asrs " dst ", r3\n"                                                                     \
    "add " dst ", r12\n"                                                                     \
    "asrs " dst ", " dst ", #1\n"
/* The clamp of r4 and r6 to [lo, hi] in r5's turn. */
#define TML_M0_RQ2_CLAMP(bound, cond, lbl)                                                   \
    "ldr r5, [sp, #" bound "]\n"                                                             \
    "cmp r4, r5\n"                                                                           \
    cond " " lbl "1f\n"                                                                     \
    "movs r4, r5\n"                                                                          \
    lbl "1:\n"                                                                              \
    "cmp r6, r5\n"                                                                           \
    cond " " lbl "2f\n"                                                                     \
    "movs r6, r5\n"                                                                          \
    lbl "2:\n"

/* Registers: r8 = s (the sums of row j at s[2j], s[2j + 1]), r7 = 4j indexes the row
 * constants (r9 = bias, r10 = mult, r11 = shift), r12 = 1 + 2 * the output offset, lr = out0 + j. The stack: lo,
 * hi, out1 - out0, 4n, and three words for the rows past 16 bits. About 84 cycles a row. */
__attribute__((naked, noinline)) void tml_m0_rq2(__attribute__((unused)) const int32_t *s,
                                                 __attribute__((unused)) int32_t n,
                                                 __attribute__((unused)) int8_t *out,
                                                 __attribute__((unused)) const int32_t *a) {
    __asm__ volatile(
        TML_M0_ENTER
        "sub sp, #28\n"
        "mov lr, r2\n"              /* out0, row by row */
        "ldr r4, [r3, #16]\n"
        "str r4, [sp, #0]\n"        /* lo */
        "ldr r4, [r3, #20]\n"
        "str r4, [sp, #4]\n"        /* hi */
        "ldr r4, [r3, #24]\n"
        "str r4, [sp, #8]\n"        /* out1 - out0 */
        "lsls r1, r1, #2\n"
        "str r1, [sp, #12]\n"       /* 4n */
        "mov r8, r0\n"              /* s */
        "ldr r4, [r3, #0]\n"
        "mov r9, r4\n"              /* bias */
        "ldr r4, [r3, #4]\n"
        "mov r10, r4\n"             /* mult */
        "ldr r4, [r3, #8]\n"
        "mov r11, r4\n"             /* shift */
        "ldr r4, [r3, #12]\n"
        "lsls r4, r4, #1\n"
        "adds r4, r4, #1\n"
        "mov r12, r4\n"             /* 1 + 2 * the output offset */
        "movs r7, #0\n"             /* 4j */
        "1:\n"
        "mov r4, r8\n"
        "ldmia r4!, {r0, r1}\n"     /* a's sum, b's */
        "mov r8, r4\n"
        "mov r4, r9\n"
        "ldr r5, [r4, r7]\n"
        "adds r0, r0, r5\n"         /* x = sum + bias, for a and b */
        "adds r1, r1, r5\n"
        "mov r4, r10\n"
        "ldr r2, [r4, r7]\n"        /* mult */
        "mov r4, r11\n"
        "ldr r3, [r4, r7]\n"
        "mvns r3, r3\n"             /* e - 1 = -shift - 1 */
        "sxth r4, r0\n"
        "cmp r4, r0\n"
        "bne 5f\n"
        "sxth r4, r1\n"
        "cmp r4, r1\n"
        "bne 5f\n"
        "adds r3, #15\n"            /* e + 14 */
        TML_M0_RQ2_HI16("r0", "r4")
        TML_M0_RQ2_HI16("r1", "r6")
        "2:\n"                      /* |requantized + offset| <= 2^29 + 128: no wrap */
        TML_M0_RQ2_CLAMP("0", "bge", "3")
        TML_M0_RQ2_CLAMP("4", "ble", "4")
        "mov r5, lr\n"
        "strb r4, [r5]\n"
        "ldr r4, [sp, #8]\n"
        "strb r6, [r5, r4]\n"
        "adds r5, r5, #1\n"
        "mov lr, r5\n"
        "adds r7, r7, #4\n"
        "ldr r4, [sp, #12]\n"
        "cmp r7, r4\n"
        "bne 1b\n"
        "b 8f\n"
        /* a row with a sum past 16 bits: the four-product form for each, inline (b's sum on
         * the stack meanwhile), then the output offset */
        "5:\n"
        "str r1, [sp, #16]\n"
        "str r7, [sp, #24]\n"      /* 4j: the form takes r7 */
        "uxth r5, r2\n"             /* ml */
        "lsrs r6, r2, #16\n"        /* mh */
        TML_M0_HI4_BODY
        "str r4, [sp, #20]\n"
        "ldr r0, [sp, #16]\n"
        "uxth r5, r2\n"
        "lsrs r6, r2, #16\n"
        TML_M0_HI4_BODY
        "movs r6, r4\n"
        "ldr r4, [sp, #20]\n"
        "mov r5, r12\n"
        "asrs r5, r5, #1\n"         /* the output offset: (1 + 2 * offset) >> 1 */
        "add r4, r5\n"
        "add r6, r5\n"
        "ldr r7, [sp, #24]\n"
        "b 2b\n"
        "8:\n"
        "add sp, #28\n"
        TML_M0_LEAVE);
}
#endif

#if TML_RQ_HI
/* tml_rq_row for a single rounding and shift <= -1 (tml_requantize_1r): small rather than
 * fastest, where flash is short (the loop is the same). */
TML_COLD __attribute__((noinline)) static void rq_row_1r(const tml_rq_t *r, const int32_t *acc,
                                                         int32_t n, int8_t *out, int32_t step) {
    const int32_t mult = r->mult, e = -r->shift - 1, oo = r->output_offset;
    const int32_t away = r->rounding == TML_ROUND_AWAY ? -1 : 0;
    const int32_t lo = r->act_min, hi = r->act_max;
    const int64_t c = (int64_t)1 << (31 + e);
    for (; n > 0; n--, out += step) {
        /* |requantized| <= 2^30: adding the offset wraps only where the reference's does */
        const int32_t v = tml_requantize_1r(*acc++, mult, c, away, e);
        *out = (int8_t)tml_clamp(tml_wrap_add(v, oo), lo, hi);
    }
}
#endif

#if TML_ARCH_V6M
/* Armv6-M's one-channel output stage takes the one-multiply form for shifts in [-15, -2]. */
static int tml_m0_rq_ok(const tml_rq_t *r) {
    return r->rounding == TML_ROUND_DOUBLE && r->shift <= -2 && r->shift >= -15;
}

/* rows > 0 rows of n > 0 sums through tml_m0_rq's one-channel loop, in one call. */
static void tml_m0_rq_rows(const tml_rq_t *r, const int32_t *acc, int32_t rows, int32_t n,
                           int8_t *out, int32_t step, int32_t row_step) {
    static const int32_t zero = 0;
    const int32_t a[10] = {(int32_t)(intptr_t)&zero, (int32_t)(intptr_t)&r->mult,
                           (int32_t)(intptr_t)&r->shift, r->output_offset, r->act_min,
                           r->act_max, step, 0, 4 * n, row_step - n * step};
    tml_m0_rq(acc, rows * n, out, a);
}

void tml_rq_rows(const tml_rq_t *r, const int32_t *acc, int32_t rows, int32_t n, int8_t *out,
                 int32_t step, int32_t row_step) {
    if (tml_m0_rq_ok(r) && rows > 0 && n > 0) {
        tml_m0_rq_rows(r, acc, rows, n, out, step, row_step);
        return;
    }
    for (; rows > 0; rows--, acc += n, out += row_step) {
        tml_rq_row(r, acc, n, out, step);
    }
}
#endif

void tml_rq_row(const tml_rq_t *r, const int32_t *acc, int32_t n, int8_t *out, int32_t step) {
#ifdef TML_RQ_ROW_ASM
    if (r->hi && r->act_min <= -128 && r->act_max >= 127 && n > 0 &&
        tml_rq_fold_ok(r->shift, r->output_offset)) {
        const int32_t cho = tml_rq_fold(r->e1, r->output_offset);
        rq_row_hi_ssat(acc, acc + n, out, step, r->mult, cho, r->e1);
        return;
    }
#endif
#ifdef TML_RQ_ROW_RV32
    if (r->hi && n > 0) {
        const int32_t k[6] = {r->mult, r->chi, r->e1, r->output_offset, r->act_min, r->act_max};
        rv_rq_row_hi(acc, acc + n, out, step, k);
        return;
    }
#endif
#if TML_ARCH_V6M
    if (tml_m0_rq_ok(r) && n > 0) {
        tml_m0_rq_rows(r, acc, 1, n, out, step, 0);
        return;
    }
#endif
#if TML_RQ_HI
    if (r->rounding != TML_ROUND_DOUBLE && r->shift <= -1) {
        rq_row_1r(r, acc, n, out, step); /* FULLY_CONNECTED's single roundings */
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
