#include "tml_config.h"
#if TML_HAS_CONV_2D || TML_HAS_FULLY_CONNECTED
#include "arch.h"
#include "dot_s8.h"
#include "fixedpoint.h"

/* Longest input of tml_dot4_s8 (its four widened inputs: 8 bytes per element, on the stack). */
#define TML_DOT4_MAX 320
/* Armv7-M without the DSP extension (Cortex-M3) has its own four-input kernel (SMLAL). */
#if defined(__ARM_ARCH_7M__) && !TML_ARCH_DSP && !defined(TML_ARCH_GENERIC)
#define TML_DOT4_V7M 1
#else
#define TML_DOT4_V7M 0
#endif
/* The four-input output stage that folds the output offset (rq_rows4_hi, fold_blocks): the
 * other cores do not look at fold_rows and fold_blocks. */
#define TML_RQ4_FOLD (TML_ARCH_DSP || TML_DOT4_V7M)
/* RISC-V (rv32) has its own four-input kernel (rv_4x4: 16 sums in registers). */
#if defined(__riscv) && __riscv_xlen == 32 && !defined(TML_ARCH_GENERIC)
#define TML_DOT4_RV32 1
#else
#define TML_DOT4_RV32 0
#endif

static inline int8_t stage(const tml_dot_params_t *p, int32_t o, int32_t acc) {
    const int32_t c = p->per_channel ? o : 0;
    if (p->bias) {
        acc += p->bias[o];
    }
    return tml_output_stage(acc, p->mult[c], p->shift[c], p->rounding, p->output_offset,
                            p->act_min, p->act_max);
}

#if !TML_ARCH_DSP && TML_HAS_DUAL16
int8_t tml_dot_stage(const tml_dot_params_t *p, int32_t o, int32_t acc) {
    return stage(p, o, acc);
}
#endif

/* Row o's output stage for the sums of two inputs (sb and ob unused when ob is NULL), the
 * row's bias and requantization loaded once. */
TML_HOT_INLINE void stage2(const tml_dot_params_t *p, int32_t o, int32_t sa, int32_t sb,
                           int8_t *oa, int8_t *ob) {
    const int32_t c = p->per_channel ? o : 0, b = p->bias ? p->bias[o] : 0;
    tml_rq_t r;
    tml_rq_init(&r, p->mult[c], p->shift[c], p->rounding, p->output_offset, p->act_min,
                p->act_max);
    *oa = tml_rq_apply(&r, sa + b);
    if (ob) {
        *ob = tml_rq_apply(&r, sb + b);
    }
}

#if TML_ARCH_DSP
/* Row o's output stage for two inputs (or one: ob NULL), out of line: the one copy of the
 * general output stage that Armv7E-M's rare cases share (flash: its module's .text budget). */
TML_COLD __attribute__((noinline)) static void stage2_rare(const tml_dot_params_t *p, int32_t o,
                                                  int32_t sa, int32_t sb, int8_t *oa,
                                                  int8_t *ob) {
    stage2(p, o, sa, sb, oa, ob);
}
#endif

#if !TML_ARCH_VEC && !TML_ARCH_V6M
#if !TML_ARCH_DSP /* its kernels there have their own output stages (rq_rows4 and the like) */
/* The common case of a 2x2 block in straight-line code: double rounding, right shifts.
 * s = {a.o, a.o+1, b.o, b.o+1}; outputs to oa[0..1], ob[0..1]. Returns 0 (nothing stored) in
 * other cases. */
static int rq_down2(const tml_dot_params_t *p, int32_t o, const int32_t *s, int8_t *oa,
                    int8_t *ob) {
    if (TML_ARCH_V6M) {
        return 0; /* flash before speed on Armv6-M: stage2 for every case */
    }
    if (p->hi_rows) { /* per-channel, biased, the one-multiply form, the whole int8 range */
        for (int32_t j = 0; j < 2; j++) {
            const int32_t e = -p->shift[o + j], b = p->bias[o + j], m = p->mult[o + j];
            const int32_t h = (int32_t)((uint32_t)1 << (e - 2)), oo = p->output_offset;
            oa[j] = (int8_t)tml_clamp(tml_requantize_hi(s[j] + b, m, h, e - 1) + oo, -128, 127);
            ob[j] = (int8_t)tml_clamp(tml_requantize_hi(s[2 + j] + b, m, h, e - 1) + oo, -128,
                                      127);
        }
        return 1;
    }
    const int32_t c0 = p->per_channel ? o : 0, c1 = p->per_channel ? o + 1 : 0;
    const int32_t e0 = -p->shift[c0], e1 = -p->shift[c1];
    if (p->rounding != TML_ROUND_DOUBLE || e0 < 0 || e1 < 0) {
        return 0;
    }
    const int32_t b0 = p->bias ? p->bias[o] : 0, b1 = p->bias ? p->bias[o + 1] : 0;
    const int32_t m0 = p->mult[c0], m1 = p->mult[c1];
    const int32_t oo = p->output_offset, lo = p->act_min, hi = p->act_max;
    if (e0 >= 2 && e1 >= 2) { /* one SMLAL per output (tml_requantize_hi) */
        const int32_t h0 = (int32_t)((uint32_t)1 << (e0 - 2));
        const int32_t h1 = (int32_t)((uint32_t)1 << (e1 - 2));
        /* |requantized| <= 2^29 for e >= 2: adding the offset cannot wrap */
        oa[0] = (int8_t)tml_clamp(tml_requantize_hi(s[0] + b0, m0, h0, e0 - 1) + oo, lo, hi);
        ob[0] = (int8_t)tml_clamp(tml_requantize_hi(s[2] + b0, m0, h0, e0 - 1) + oo, lo, hi);
        oa[1] = (int8_t)tml_clamp(tml_requantize_hi(s[1] + b1, m1, h1, e1 - 1) + oo, lo, hi);
        ob[1] = (int8_t)tml_clamp(tml_requantize_hi(s[3] + b1, m1, h1, e1 - 1) + oo, lo, hi);
        return 1;
    }
    const int32_t k0 = (int32_t)(((uint32_t)1 << e0) - 1), k1 = (int32_t)(((uint32_t)1 << e1) - 1);
    const int32_t v0 = tml_requantize_down(s[0] + b0, m0, e0, k0, k0 >> 1);
    const int32_t v2 = tml_requantize_down(s[2] + b0, m0, e0, k0, k0 >> 1);
    const int32_t v1 = tml_requantize_down(s[1] + b1, m1, e1, k1, k1 >> 1);
    const int32_t v3 = tml_requantize_down(s[3] + b1, m1, e1, k1, k1 >> 1);
    oa[0] = (int8_t)tml_clamp(tml_wrap_add(v0, oo), lo, hi);
    ob[0] = (int8_t)tml_clamp(tml_wrap_add(v2, oo), lo, hi);
    oa[1] = (int8_t)tml_clamp(tml_wrap_add(v1, oo), lo, hi);
    ob[1] = (int8_t)tml_clamp(tml_wrap_add(v3, oo), lo, hi);
    return 1;
}
#endif

#if TML_ARCH_DSP || TML_DOT4_V7M
/* The one-multiply output stage in the Armv7-M assembly below (tml_requantize_hi, the
 * output offset, SSAT to int8) for a row of four outputs, x the biased sums (r10, r11, then
 * again), r12 a scratch register: r1, r3 the shift and mult pointers, r6 = 2 * offset + 1;
 * r7 = e - 1, r9 = mult and r8 the high word's constant (`scale`): 2^(e-2), or with the
 * output offset folded in (tml_rq_fold, where tml_rq_fold_ok) then `post` adds nothing;
 * outputs at r4 + {0, 1, 2, 3} * r5 (r2 = 3 * r5). */
#define TML_RQ4_OUT(x, post)                                                                 \
    TML_RQ_HI_ASM(x, "r12", "lr", "r8", "r9", "r7")                                          \
    post                                                                                     \
    "ssat lr, #8, lr\n"
#define TML_RQ4_ROWS(scale, post)                                                            \
    "ldr r7, [r1], #4\n"        /* shift = -e */                                             \
    "ldr r9, [r3], #4\n"        /* mult */                                                   \
    "mvn r7, r7\n"              /* e - 1 = -shift - 1 */                                     \
    scale                                                                                    \
    "ldrd r10, r11, [r0], #8\n" /* inputs a and b */                                         \
    TML_RQ4_OUT("r10", post)                                                                 \
    "strb lr, [r4]\n"                                                                        \
    TML_RQ4_OUT("r11", post)                                                                 \
    "strb lr, [r4, r5]\n"                                                                    \
    "ldrd r10, r11, [r0], #8\n" /* inputs c and d */                                         \
    TML_RQ4_OUT("r10", post)                                                                 \
    "strb lr, [r4, r5, lsl #1]\n"                                                            \
    TML_RQ4_OUT("r11", post)                                                                 \
    "strb lr, [r4, r2]\n"                                                                    \
    "add r4, r4, #1\n"                                                                       \
    "ldr r11, [sp, #44]\n"      /* end */                                                    \
    "cmp r4, r11\n"

/* The output stage for four inputs whose sums s = {a.r, b.r, c.r, d.r, ...} hold their
 * biases already (dsp_4xn, m3_4x2's callers), rows of shift <= -2: output r of input i at
 * out + i * stride + r. The arguments: fold (the rows' shifts all in [-22, -2]: the output
 * offset folds into the constant, one instruction less per output; chunk_fold), then out,
 * stride, end (out + rows), output offset. */
__attribute__((naked, noinline)) static void rq_rows4_hi(TML_ARG const int32_t *s,
                                                         TML_ARG const int32_t *shift,
                                                         TML_ARG int32_t fold,
                                                         TML_ARG const int32_t *mult,
                                                         TML_ARG int8_t *out,
                                                         TML_ARG int32_t stride,
                                                         TML_ARG const int8_t *end,
                                                         TML_ARG int32_t oo) {
    __asm__ volatile(
        "push {r4-r11, lr}\n"
        "ldr r4, [sp, #36]\n"       /* out */
        "ldr r5, [sp, #40]\n"       /* stride */
        "ldr r6, [sp, #48]\n"       /* the output offset */
        "lsl r6, r6, #1\n"
        "add r6, r6, #1\n"          /* 2 * offset + 1 */
        "cmp r2, #0\n"
        "add r2, r5, r5, lsl #1\n"  /* 3 * stride */
        "beq 2f\n"
        "1:\n"
        TML_RQ4_ROWS("lsl r8, r6, r7\n"
                     "asr r8, r8, #1\n", "") /* (2 * offset + 1) * 2^(e-2) */
        "bne 1b\n"
        "pop {r4-r11, pc}\n"
        "2:\n"
        TML_RQ4_ROWS("movs r8, #1\n"
                     "lsl r8, r8, r7\n"
                     "asr r8, r8, #1\n", "add lr, lr, r6, asr #1\n") /* 2^(e-2); + offset */
        "bne 2b\n"
        "pop {r4-r11, pc}\n");
}

/* Whether rows o .. o + rows - 1 all qualify: every row of the layer does (all), or every
 * block of 32 rows they touch does (a bit of `blocks`: a layer with a few rows that do not
 * still runs its other blocks there). */
static int chunk_in(int32_t all, uint32_t blocks, int32_t o, int32_t rows) {
    if (all) {
        return 1;
    }
    for (int32_t b = o >> 5; b <= (o + rows - 1) >> 5; b++) {
        if (b >= 32 || !((blocks >> b) & 1)) {
            return 0;
        }
    }
    return 1;
}

/* Whether rows o .. o + rows - 1 all take the assembly output stage (hi_rows, hi_blocks). */
static int chunk_hi(const tml_dot_params_t *p, int32_t o, int32_t rows) {
    return chunk_in(p->hi_rows, p->hi_blocks, o, rows);
}

/* Whether they also fold the output offset (fold_rows, fold_blocks). */
static int chunk_fold(const tml_dot_params_t *p, int32_t o, int32_t rows) {
    return chunk_in(p->fold_rows, p->fold_blocks, o, rows);
}

#endif

#if TML_ARCH_DSP || TML_DOT4_V7M || TML_DOT4_RV32
/* tml_dot4_s8's output stage for rows o .. o + rows - 1 of four inputs, sums s = {a.o, b.o,
 * c.o, d.o, ...}: rq_rows4_hi for a chunk of hi rows on Armv7-M (chunk_hi), whose sums its
 * caller started from the biases (biased), else row by row from unbiased sums. */
TML_HOT_INLINE void rq_rows4(const tml_dot_params_t *p, int32_t o, int32_t rows, const int32_t *s,
                            int8_t *out, int32_t out_stride, int biased) {
#if !TML_DOT4_RV32
    if (biased) { /* chunk_hi: the sums hold their biases */
        rq_rows4_hi(s, p->shift + o, chunk_fold(p, o, rows), p->mult + o, out + o, out_stride,
                    out + o + rows, p->output_offset);
        return;
    }
#else
    (void)biased;
#endif
    /* Otherwise row by row: the same arithmetic in C where the row allows it (a narrower
     * activation range such as ReLU6's, or a layer with some rows of shift > -2). */
    const int hi_ok = p->per_channel && p->bias && p->rounding == TML_ROUND_DOUBLE;
    const int32_t oo = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t r = 0; r < rows; r++, s += 4) {
        const int32_t e = -p->shift[o + r];
        int8_t *po = out + o + r;
        if (hi_ok && e >= 2) {
            const int32_t b = p->bias[o + r], m = p->mult[o + r];
            const int32_t h = (int32_t)((uint32_t)1 << (e - 2));
            for (int32_t i = 0; i < 4; i++, po += out_stride) {
                /* |requantized| <= 2^29 for e >= 2: adding the offset cannot wrap */
                *po = (int8_t)tml_clamp(tml_requantize_hi(s[i] + b, m, h, e - 1) + oo, lo, hi);
            }
            continue;
        }
        for (int32_t i = 0; i < 4; i++, po += out_stride) {
            *po = stage(p, o + r, s[i]);
        }
    }
}

#endif

#endif

#if TML_ARCH_DSP
/* Inputs of up to this many elements are first widened once into 16-bit lanes with the
 * offset added: two words per four elements, (x0, x2) and (x1, x3), the pairs that SXTB16
 * makes of a word of weights. The inner loops then only load, extend the weights and SMLAD,
 * with few enough live values to stay in registers. Longer inputs widen on the fly (above). */

/* The inner loops, in assembly for a fixed register allocation (a compiler spills here).
 * dsp_2x2: q holds k4 groups [a02, a13, b02, b13] of two widened inputs a and b; wa and wb
 * are two rows of int8 weights. s = {a.wa, a.wb, b.wa, b.wb}: 16 multiply-accumulates in
 * 17 instructions. */
__attribute__((naked, noinline)) static void dsp_2x2(TML_ARG const int32_t *q, TML_ARG int32_t k4,
                                                     TML_ARG const int8_t *wa,
                                                     TML_ARG const int8_t *wb, TML_ARG int32_t *s) {
    __asm__ volatile(
        "push {r4-r11, lr}\n"
        "add r1, r0, r1, lsl #4\n"
        "movs r4, #0\n"
        "movs r5, #0\n"
        "movs r6, #0\n"
        "movs r7, #0\n"
        "cmp r0, r1\n"
        "beq 2f\n"
        "1:\n"
        "ldr r8, [r2], #4\n"
        "ldm r0!, {r10, r11, r12, lr}\n"
        "sxtb16 r9, r8\n"
        "smlad r4, r9, r10, r4\n"
        "smlad r6, r9, r12, r6\n"
        "sxtb16 r9, r8, ror #8\n"
        "smlad r4, r9, r11, r4\n"
        "smlad r6, r9, lr, r6\n"
        "ldr r8, [r3], #4\n"
        "sxtb16 r9, r8\n"
        "smlad r5, r9, r10, r5\n"
        "smlad r7, r9, r12, r7\n"
        "sxtb16 r9, r8, ror #8\n"
        "smlad r5, r9, r11, r5\n"
        "smlad r7, r9, lr, r7\n"
        "cmp r0, r1\n"
        "bne 1b\n"
        "2:\n"
        "ldr r8, [sp, #36]\n"
        "stmia r8, {r4-r7}\n"
        "pop {r4-r11, pc}\n");
}

/* dsp_1x2: q holds k4 groups [a02, a13] of one widened input; s = {a.wa, a.wb}. */
__attribute__((naked, noinline)) static void dsp_1x2(TML_ARG const int32_t *q, TML_ARG int32_t k4,
                                                     TML_ARG const int8_t *wa,
                                                     TML_ARG const int8_t *wb, TML_ARG int32_t *s) {
    __asm__ volatile(
        "push {r4-r9, lr}\n"
        "add r1, r0, r1, lsl #3\n"
        "movs r4, #0\n"
        "movs r5, #0\n"
        "cmp r0, r1\n"
        "beq 2f\n"
        "1:\n"
        "ldrd r6, r7, [r0], #8\n"
        "ldr r8, [r2], #4\n"
        "sxtb16 r9, r8\n"
        "smlad r4, r9, r6, r4\n"
        "sxtb16 r9, r8, ror #8\n"
        "smlad r4, r9, r7, r4\n"
        "ldr r8, [r3], #4\n"
        "sxtb16 r9, r8\n"
        "smlad r5, r9, r6, r5\n"
        "sxtb16 r9, r8, ror #8\n"
        "smlad r5, r9, r7, r5\n"
        "cmp r0, r1\n"
        "bne 1b\n"
        "2:\n"
        "ldr r8, [sp, #28]\n"
        "strd r4, r5, [r8]\n"
        "pop {r4-r9, pc}\n");
}

/* One group (four elements) of dsp_2x2: two inputs (r10..lr, widened) against the rows at r2
 * (wa) and r3 (wb), into the sums r4, r5 (wa) and r6, r7 (wb). */
#define TML_DSP_2X2_GROUP                                                                    \
    "ldr r8, [r2], #4\n"                                                                     \
    "ldm r0!, {r10, r11, r12, lr}\n"                                                         \
    "sxtb16 r9, r8\n"                                                                        \
    "smlad r4, r9, r10, r4\n"                                                                \
    "smlad r5, r9, r12, r5\n"                                                                \
    "sxtb16 r9, r8, ror #8\n"                                                                \
    "smlad r4, r9, r11, r4\n"                                                                \
    "smlad r5, r9, lr, r5\n"                                                                 \
    "ldr r8, [r3], #4\n"                                                                     \
    "sxtb16 r9, r8\n"                                                                        \
    "smlad r6, r9, r10, r6\n"                                                                \
    "smlad r7, r9, r12, r7\n"                                                                \
    "sxtb16 r9, r8, ror #8\n"                                                                \
    "smlad r6, r9, r11, r6\n"                                                                \
    "smlad r7, r9, lr, r7\n"

/* dsp_1xn: one widened input (q: k4 > 0 groups [a02, a13]) against 2 * pairs consecutive
 * rows of k = 4 * k4 weights (row 2i at w + 2ik), the sums of row r to s[r]. Eight elements of
 * a row pair per loop step: 16 multiply-accumulates in 21 instructions (LDM for the input,
 * LDRD for each row's two weight words); an odd k4 takes one group first. After a pair's loop wa
 * has reached wb's start, so wa = wb, wb += k. */
#define TML_DSP_1XN_HALF(acc)                                                                \
    "sxtb16 r12, r10\n"                                                                      \
    "smlad " acc ", r12, r6, " acc "\n"                                                      \
    "sxtb16 r10, r10, ror #8\n"                                                              \
    "smlad " acc ", r10, r7, " acc "\n"                                                      \
    "sxtb16 r12, r11\n"                                                                      \
    "smlad " acc ", r12, r8, " acc "\n"                                                      \
    "sxtb16 r11, r11, ror #8\n"                                                              \
    "smlad " acc ", r11, r9, " acc "\n"
#define TML_DSP_1X1_GROUP(acc, w)                                                            \
    "sxtb16 r12, " w "\n"                                                                    \
    "smlad " acc ", r12, r6, " acc "\n"                                                      \
    "sxtb16 " w ", " w ", ror #8\n"                                                          \
    "smlad " acc ", " w ", r7, " acc "\n"

__attribute__((naked, noinline)) static void dsp_1xn(TML_ARG const int32_t *q,
                                                     TML_ARG int32_t k4,
                                                     TML_ARG const int8_t *w,
                                                     TML_ARG int32_t pairs, TML_ARG int32_t *s) {
    __asm__ volatile(
        TML_DSP_FRAME
        "add r1, r0, r1, lsl #3\n"  /* q's end */
        "sub r9, r1, r0\n"          /* 8 * k4 = 2k */
        "add r3, r2, r9, lsr #1\n"  /* wb = wa + k */
        "3:\n"
        "movs r4, #0\n"
        "movs r5, #0\n"
        "ldr r8, [sp, #12]\n"
        "cmp r8, #0\n"
        "beq 1f\n"
        "ldrd r6, r7, [r0], #8\n"   /* an odd k4's first group */
        "ldr r10, [r2], #4\n"
        "ldr r11, [r3], #4\n"
        TML_DSP_1X1_GROUP("r4", "r10")
        TML_DSP_1X1_GROUP("r5", "r11")
        "cmp r0, r1\n"
        "beq 2f\n"
        "1:\n"
        "ldm r0!, {r6, r7, r8, r9}\n"
        "ldrd r10, r11, [r2], #8\n"
        TML_DSP_1XN_HALF("r4")
        "ldrd r10, r11, [r3], #8\n"
        TML_DSP_1XN_HALF("r5")
        "cmp r0, r1\n"
        "bne 1b\n"
        "2:\n"
        TML_DSP_NEXT_ROWS("strd r4, r5, [r8], #8\n", "r9, lsr #1"));
}

void tml_dot_rows1(const tml_dot_params_t *p, int32_t o, int32_t rows, int32_t *s,
                   int8_t *out) {
    if (!p->per_channel) {
        if (p->bias) {
            for (int32_t j = 0; j < rows; j++) {
                s[j] += p->bias[o + j];
            }
        }
        tml_rq_t r;
        tml_rq_init(&r, p->mult[0], p->shift[0], p->rounding, p->output_offset, p->act_min,
                    p->act_max);
        tml_rq_row(&r, s, rows, out + o, 1);
        return;
    }
    for (int32_t j = 0; j < rows; j++) {
        out[o + j] = stage(p, o + j, s[j]);
    }
}

/* dsp_4xn: four widened inputs against `rows` consecutive rows of 4 * k4 > 0 weights each,
 * row r at w + r * (4 * k4 - pad) (0 < pad < 4: the rows of a k that is not a multiple of 4
 * read pad bytes of the next row, which meet zero inputs; pad < 0: rows further apart, each a
 * part of a longer row, as tml_dot4_sums passes them). q holds k4 groups [a02, a13, b02, b13,
 * c02, c13, d02, d13]; the sums of row r go to s[4r..4r+3] = {a.r, b.r, c.r, d.r}. Each weight
 * word is extended once for four inputs, and the inputs come two at a time by LDM: 16
 * multiply-accumulates in 13 instructions. Four groups per loop step; a row whose k4 is not a
 * multiple of 4 enters the loop at its group (-k4) & 3 (TBB, the index kept on the stack).
 * Row r's four sums start from start[r] (its bias, or 0). w16: the weights are stored DUAL16
 * (each group of four as int16 w0 w2 w1 w3, 8 bytes), the pairs SMLAD takes as they are: 16
 * multiply-accumulates in 11 instructions (its own loop, entered through the same table);
 * a row then advances 8 * k4 - pad bytes. Eight groups a loop step there, entered at group
 * (-k4) & 7 (the table's second half: TBH, halfword offsets). */
/* A group's 16 multiply-accumulates once its weight pairs are in r9 = (w0, w2) and r8 = (w1,
 * w3): the four inputs' widened words two inputs an LDM. */
#define TML_DSP_4X1_MACS                                                                     \
    "ldm r0!, {r10, r11, r12, lr}\n"                                                         \
    "smlad r4, r9, r10, r4\n"                                                                \
    "smlad r4, r8, r11, r4\n"                                                                \
    "smlad r5, r9, r12, r5\n"                                                                \
    "smlad r5, r8, lr, r5\n"                                                                 \
    "ldm r0!, {r10, r11, r12, lr}\n"                                                         \
    "smlad r6, r9, r10, r6\n"                                                                \
    "smlad r6, r8, r11, r6\n"                                                                \
    "smlad r7, r9, r12, r7\n"                                                                \
    "smlad r7, r8, lr, r7\n"
/* int8 weights: one word, extended into its two pairs */
#define TML_DSP_4X1_GROUP                                                                    \
    "ldr r8, [r2], #4\n"                                                                     \
    "sxtb16 r9, r8\n"                                                                        \
    "sxtb16 r8, r8, ror #8\n"                                                                \
    TML_DSP_4X1_MACS
/* DUAL16 weights: the two pairs as stored */
#define TML_DSP16_4X1_GROUP                                                                  \
    "ldrd r9, r8, [r2], #8\n"                                                                \
    TML_DSP_4X1_MACS

__attribute__((naked, noinline)) static void dsp_4xn(TML_ARG const int32_t *q,
                                                     TML_ARG int32_t k4,
                                                     TML_ARG const int8_t *w,
                                                     TML_ARG int32_t rows, TML_ARG int32_t *s,
                                                     TML_ARG int32_t pad,
                                                     TML_ARG const int32_t *start,
                                                     TML_ARG int32_t w16) {
    __asm__ volatile(
        TML_DSP_FRAME
        "ldr r9, [sp, #64]\n"       /* w16 (the eighth argument) */
        "lsl r8, r9, #2\n"
        "add r8, r8, #3\n"         /* int8: 3, w16: 7 (the groups of a loop step, less 1) */
        "rsb r10, r1, #0\n"
        "and r8, r8, r10\n"
        "add r8, r8, r9, lsl #2\n"  /* the table's int8 half, then its w16 half */
        "str r8, [sp, #12]\n"       /* the group each row enters at */
        "add r1, r0, r1, lsl #5\n"  /* q's end */
        "ldr r3, [sp, #60]\n"      /* the rows' starts (the seventh argument), in r3 */
        "ldr r8, [sp, #4]\n"
        "add r8, r3, r8, lsl #2\n"
        "str r8, [sp, #4]\n"       /* their end: the loop ends there */
        "3:\n"
        "ldr r4, [r3], #4\n"
        "mov r5, r4\n"
        "mov r6, r4\n"
        "mov r7, r4\n"
        "ldr r8, [sp, #12]\n"
        "tbh [pc, r8, lsl #1]\n"
        "9:\n"
        ".hword (1f - 9b) / 2\n"
        ".hword (5f - 9b) / 2\n"
        ".hword (6f - 9b) / 2\n"
        ".hword (7f - 9b) / 2\n"
        ".hword (10f - 9b) / 2\n"
        ".hword (11f - 9b) / 2\n"
        ".hword (12f - 9b) / 2\n"
        ".hword (13f - 9b) / 2\n"
        ".hword (14f - 9b) / 2\n"
        ".hword (15f - 9b) / 2\n"
        ".hword (16f - 9b) / 2\n"
        ".hword (17f - 9b) / 2\n"
        "1:\n"
        TML_DSP_4X1_GROUP
        "5:\n"
        TML_DSP_4X1_GROUP
        "6:\n"
        TML_DSP_4X1_GROUP
        "7:\n"
        TML_DSP_4X1_GROUP
        "cmp r0, r1\n"
        "bne 1b\n"
        "4:\n"
        "ldr r8, [sp, #8]\n"
        "stmia r8!, {r4-r7}\n"
        "str r8, [sp, #8]\n"
        "ldr r0, [sp, #0]\n"
        "ldr r8, [sp, #56]\n"      /* pad: the sixth argument */
        "sub r2, r2, r8\n"
        "ldr r8, [sp, #4]\n"
        "cmp r3, r8\n"
        "bne 3b\n"
        "add sp, sp, #16\n"
        "pop {r4-r11, pc}\n"
        "10:\n"
        TML_DSP16_4X1_GROUP
        "11:\n"
        TML_DSP16_4X1_GROUP
        "12:\n"
        TML_DSP16_4X1_GROUP
        "13:\n"
        TML_DSP16_4X1_GROUP
        "14:\n"
        TML_DSP16_4X1_GROUP
        "15:\n"
        TML_DSP16_4X1_GROUP
        "16:\n"
        TML_DSP16_4X1_GROUP
        "17:\n"
        TML_DSP16_4X1_GROUP
        "cmp r0, r1\n"
        "bne 10b\n"
        "b 4b\n");
}


/* `groups` words of one input from x, widened with the offset added (off2 in both lanes) to
 * qi[8g], qi[8g + 1]: lanes (x0, x2) and (x1, x3), the pairs SXTB16 makes of weights. */
TML_HOT_INLINE void widen4(int32_t *qi, const int8_t *x, int32_t groups, int32_t off2) {
    int32_t g = 0;
    for (; g + 2 <= groups; g += 2, x += 8, qi += 16) { /* two words a step, STRD each */
        const int32_t v = tml_read4(x), u = tml_read4(x + 4);
        const int32_t a = tml_sxtab16(off2, v), b = tml_sxtab16_ror8(off2, v);
        const int32_t c = tml_sxtab16(off2, u), d = tml_sxtab16_ror8(off2, u);
        __asm__("strd %1, %2, [%0]\n"
                "strd %3, %4, [%0, #32]" : : "r"(qi), "r"(a), "r"(b), "r"(c), "r"(d) : "memory");
    }
    if (g < groups) {
        const int32_t v = tml_read4(x);
        qi[0] = tml_sxtab16(off2, v), qi[1] = tml_sxtab16_ror8(off2, v);
    }
}

/* tml_dot4_s8's inputs in runs (in->seg a multiple of 4 dividing k): group g of input i at
 * q[8g + 2i], q[8g + 2i + 1], the four inputs' words of a group widened together (their
 * loads a stride apart from one pointer, one loop step a group). Out of line: the one-run
 * loop stays as lean as it was. */
__attribute__((noinline)) static void widen_runs(int32_t *q, const tml_dot4_in_t *in, int32_t k,
                                                 int32_t off2) {
    const int32_t s1 = in->x_stride, s2 = 2 * s1, s3 = 3 * s1, seg = in->seg;
    const int8_t *xr = in->x;
    for (int32_t r = k / seg; r > 0; r--, xr += in->seg_stride) {
        /* A group a step (seg > 0 bytes, a multiple of 4): inputs 1, 2, 3, then 0, whose
         * loads and stores step x and q. */
        const int8_t *x = xr, *end = xr + seg;
        int32_t t0, t1, t2, t3;
        __asm__ volatile("1:\n"
                         "ldr %[t0], [%[x], %[s1]]\n"
                         "ldr %[t2], [%[x], %[s2]]\n"
                         "sxtab16 %[t1], %[o], %[t0]\n"
                         "sxtab16 %[t0], %[o], %[t0], ror #8\n"
                         "sxtab16 %[t3], %[o], %[t2]\n"
                         "sxtab16 %[t2], %[o], %[t2], ror #8\n"
                         "strd %[t1], %[t0], [%[q], #8]\n"
                         "strd %[t3], %[t2], [%[q], #16]\n"
                         "ldr %[t0], [%[x], %[s3]]\n"
                         "ldr %[t2], [%[x]], #4\n"
                         "sxtab16 %[t1], %[o], %[t0]\n"
                         "sxtab16 %[t0], %[o], %[t0], ror #8\n"
                         "sxtab16 %[t3], %[o], %[t2]\n"
                         "sxtab16 %[t2], %[o], %[t2], ror #8\n"
                         "strd %[t1], %[t0], [%[q], #24]\n"
                         "strd %[t3], %[t2], [%[q]], #32\n"
                         "cmp %[x], %[end]\n"
                         "bne 1b\n"
                         : [q] "+r"(q), [x] "+r"(x), [t0] "=&r"(t0), [t1] "=&r"(t1),
                           [t2] "=&r"(t2), [t3] "=&r"(t3)
                         : [s1] "r"(s1), [s2] "r"(s2), [s3] "r"(s3), [o] "r"(off2),
                           [end] "r"(end)
                         : "cc", "memory");
    }
}

void tml_dot4_s8(const tml_dot_params_t *p, int32_t k, const tml_dot4_in_t *in, const int8_t *w,
                 int32_t n, int8_t *out, int32_t out_stride) {
    int32_t q[2 * TML_DOT4_MAX + 8], sums[4 * TML_DOT_PAIRS];
    const int32_t full = k >> 2, k4 = (k + 3) >> 2, pad = 4 * k4 - k;
    const int32_t off = p->input_offset, off2 = tml_lanes2(off);
    const int8_t *x = in->x;
    const int32_t x_stride = in->x_stride, one_run = in->seg == k;
    if (!one_run) { /* several runs (of whole groups: pad = 0) */
        widen_runs(q, in, k, off2);
    }
    for (int32_t i = 0; i < 4 && one_run; i++) { /* group g at q[8g + 2i], q[8g + 2i + 1] */
        const int8_t *xi = x + (int64_t)i * x_stride;
        widen4(q + 2 * i, xi, full, off2);
        if (pad) { /* the last group's missing elements are 0, whatever weights meet them */
            int32_t e[4] = {0, 0, 0, 0};
            for (int32_t j = 0; j < 4 - pad; j++) {
                e[j] = xi[4 * full + j] + off;
            }
            q[8 * full + 2 * i] = tml_pack16(e[0], e[2]);
            q[8 * full + 2 * i + 1] = tml_pack16(e[1], e[3]);
        }
    }
    int32_t zeros[TML_DOT_PAIRS];
    int zeroed = 0;
    for (int32_t o = 0, rows; o < n; o += rows) {
        rows = n - o < TML_DOT_PAIRS ? n - o : TML_DOT_PAIRS;
        const int hi = chunk_hi(p, o, rows); /* the sums start from the biases */
        if (!hi && !zeroed) {
            memset(zeros, 0, sizeof zeros), zeroed = 1;
        }
        const int32_t *start = hi ? p->bias + o : zeros;
        const int last = pad && o + rows == n; /* its last row must not read past the weights */
        if (rows - last > 0) { /* DUAL16 rows (k a multiple of 4): 2k bytes apart */
            dsp_4xn(q, k4, w + (int64_t)o * k * (1 + p->w16), rows - last, sums, pad, start,
                    p->w16);
        }
        if (last) { /* from a copy with pad zero bytes after it */
            int8_t row[TML_DOT4_MAX + 4];
            tml_copy(row, w + (int64_t)(n - 1) * k, k);
            memset(row + k, 0, (size_t)pad);
            dsp_4xn(q, k4, row, 1, sums + 4 * (rows - 1), 0, start + rows - 1, 0);
        }
        rq_rows4(p, o, rows, sums, out, out_stride, hi);
    }
}

void tml_dot4_sums(const tml_dot_params_t *p, int32_t k, const tml_dot4_in_t *in,
                   const int8_t *w, int32_t w_stride, int32_t o, int32_t rows, int32_t *acc,
                   int first) {
    int32_t q[2 * TML_DOT4_MAX + 8], sums[4 * TML_DOT_PAIRS], zeros[TML_DOT_PAIRS];
    const int32_t k4 = k >> 2, off2 = tml_lanes2(p->input_offset);
    for (int32_t i = 0; i < 4; i++) { /* group g at q[8g + 2i], q[8g + 2i + 1] */
        widen4(q + 2 * i, in->x + (int64_t)i * in->x_stride, k4, off2);
    }
    memset(zeros, 0, sizeof zeros);
    for (int32_t r = 0, n; r < rows; r += n, w += (int64_t)n * w_stride * (1 + p->w16),
                                 acc += 4 * n) {
        n = rows - r < TML_DOT_PAIRS ? rows - r : TML_DOT_PAIRS;
        const int hi = first && chunk_hi(p, o + r, n); /* the sums start from the biases */
        dsp_4xn(q, k4, w, n, first ? acc : sums, (4 * k4 - w_stride) * (1 + p->w16),
                hi ? p->bias + o + r : zeros, p->w16);
        for (int32_t j = 0; !first && j < 4 * n; j++) {
            acc[j] += sums[j];
        }
    }
}

void tml_dot4_put(const tml_dot_params_t *p, int32_t o, int32_t rows, const int32_t *acc,
                  int8_t *out, int32_t out_stride) {
    for (int32_t r = 0, n; r < rows; r += n, acc += 4 * n) {
        n = rows - r < TML_DOT_PAIRS ? rows - r : TML_DOT_PAIRS;
        if (chunk_hi(p, o + r, n)) { /* the sums hold their biases (tml_dot4_sums) */
            rq_rows4_hi(acc, p->shift + o + r, chunk_fold(p, o + r, n), p->mult + o + r,
                        out + o + r, out_stride, out + o + r + n, p->output_offset);
            continue;
        }
        for (int32_t j = 0; j < 4 * n; j++) { /* rows outside the one-multiply form */
            stage2_rare(p, o + r + j / 4, acc[j], 0, out + (j & 3) * out_stride + o + r + j / 4,
                        NULL);
        }
    }
}

/* The last k & 3 elements (offset already added) against a row's last weights. */
static int32_t dot_tail(int32_t n, const int32_t *x, const int8_t *w) {
    int32_t s = 0;
    for (int32_t i = 0; i < n; i++) {
        s += x[i] * w[i];
    }
    return s;
}

/* tml_dot_s8 with widened inputs. Every input byte is read before the first output is
 * written, so an output may overlap the inputs (the in-place 1x1 convolution). */
TML_COLD static void dot_widened(const tml_dot_params_t *p, int32_t k, const int8_t *x0,
                                 const int8_t *x1, const int8_t *w, int32_t n, int8_t *out0,
                                 int8_t *out1) {
    int32_t q[TML_DOT_WIDE_MAX], s[4], ta[3], tb[3];
    const int32_t k4 = k >> 2, head = k & ~3, tail = k & 3, off = p->input_offset;
    const int32_t off2 = tml_lanes2(off), step = x1 ? 4 : 2;
    for (int32_t g = 0; g < k4; g++) {
        int32_t v = tml_read4(x0 + 4 * g);
        q[step * g] = tml_sxtab16(off2, v);
        q[step * g + 1] = tml_sxtab16_ror8(off2, v);
        if (x1) {
            v = tml_read4(x1 + 4 * g);
            q[step * g + 2] = tml_sxtab16(off2, v);
            q[step * g + 3] = tml_sxtab16_ror8(off2, v);
        }
    }
    for (int32_t i = 0; i < tail; i++) {
        ta[i] = x0[head + i] + off;
        tb[i] = x1 ? x1[head + i] + off : 0;
    }
    int32_t o = 0;
    if (!x1 && k4 > 0 && tail == 0) { /* one input (FULLY_CONNECTED): chunks of row pairs */
        int32_t sums[2 * TML_DOT_PAIRS];
        for (int32_t pairs; o + 2 <= n; o += 2 * pairs) {
            pairs = (n - o) / 2 < TML_DOT_PAIRS ? (n - o) / 2 : TML_DOT_PAIRS;
            dsp_1xn(q, k4, w + (int64_t)o * k, pairs, sums);
            tml_dot_rows1(p, o, 2 * pairs, sums, out0);
        }
    }
    for (; o < n; o += 2) {
        const int8_t *wa = w + (int64_t)o * k, *wb = o + 1 < n ? wa + k : wa;
        if (x1) {
            dsp_2x2(q, k4, wa, wb, s);
        } else {
            dsp_1x2(q, k4, wa, wb, s);
        }
        if (tail) {
            s[0] += dot_tail(tail, ta, wa + head), s[2] += dot_tail(tail, tb, wa + head);
            s[1] += dot_tail(tail, ta, wb + head), s[3] += dot_tail(tail, tb, wb + head);
        }
        stage2_rare(p, o, s[0], s[2], out0 + o, x1 ? out1 + o : NULL);
        if (o + 1 < n) {
            stage2_rare(p, o + 1, s[1], s[3], out0 + o + 1, x1 ? out1 + o + 1 : NULL);
        }
    }
}

/* tml_dot_s8 for inputs longer than TML_DOT_WIDE_MAX (a flattened feature map into a
 * classifier: few rows, so few passes over the inputs): row by row, each word of inputs and of
 * weights extended as it is read, two SMLAD a word. Compact rather than fast (the .mpy's flash
 * budget); the outputs must not overlap the inputs (tml_dot_reads_first). */
TML_COLD static void dot_long(const tml_dot_params_t *p, int32_t k, const int8_t *x0,
                              const int8_t *x1, const int8_t *w, int32_t n, int8_t *out0,
                              int8_t *out1) {
    const int32_t off = p->input_offset, off2 = tml_lanes2(off), head = k & ~3;
    for (int32_t o = 0; o < n; o++, w += k) {
        int32_t s[2] = {0, 0};
        for (int32_t i = 0; i < 2; i++) {
            const int8_t *x = i ? x1 : x0;
            for (int32_t e = 0; x && e < head; e += 4) {
                const int32_t v = tml_read4(x + e), u = tml_read4(w + e);
                s[i] = tml_smlad(tml_sxtab16(off2, v), tml_sxtb16(u), s[i]);
                s[i] = tml_smlad(tml_sxtab16_ror8(off2, v), tml_sxtb16_ror8(u), s[i]);
            }
            for (int32_t e = head; x && e < k; e++) {
                s[i] += (x[e] + off) * w[e];
            }
        }
        stage2_rare(p, o, s[0], s[1], out0 + o, x1 ? out1 + o : NULL);
    }
}
#elif TML_ARCH_VEC
/* Plain loops the compiler turns into vector multiply-adds. */
static int32_t dot_1x1(int32_t k, int32_t off2, int32_t off, const int8_t *a, const int8_t *w) {
    (void)off2;
    int32_t s = 0;
    for (int32_t i = 0; i < k; i++) {
        s += (int16_t)(a[i] + off) * (int16_t)w[i];
    }
    return s;
}
#else
#if defined(__riscv) || defined(TML_DOT_2X4_TEST)
/* RISC-V has registers for two inputs x four rows: eight sums, each input byte loaded (and
 * offset) once per four rows, each weight once per two inputs. */
#define TML_DOT_2X4 1
static void dot_2x4(int32_t k, int32_t off, const int8_t *a, const int8_t *b, const int8_t *w,
                    int32_t s[8]) {
    const int8_t *w1 = w + k, *w2 = w1 + k, *w3 = w2 + k;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 2
#endif
    for (int32_t i = 0; i < k; i++) {
        const int32_t xa = a[i] + off, xb = b[i] + off;
        const int32_t u0 = w[i], u1 = w1[i], u2 = w2[i], u3 = w3[i];
        a0 += xa * u0, a1 += xa * u1, a2 += xa * u2, a3 += xa * u3;
        b0 += xb * u0, b1 += xb * u1, b2 += xb * u2, b3 += xb * u3;
    }
    s[0] = a0, s[1] = a1, s[2] = a2, s[3] = a3, s[4] = b0, s[5] = b1, s[6] = b2, s[7] = b3;
}
#endif
#if !TML_ARCH_V6M
/* Scalar cores: each loaded input byte (offset added once) meets two rows of weights and
 * each weight byte two inputs, four multiply-accumulates per four loads. */
static void dot_2x2(int32_t k, int32_t off2, int32_t off, const int8_t *a, const int8_t *b,
                    const int8_t *wa, const int8_t *wb, int32_t s[4]) {
    (void)off2;
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    for (int32_t i = 0; i < k; i++) {
        const int32_t xa = a[i] + off, xb = b[i] + off, u = wa[i], v = wb[i];
        s00 += xa * u, s01 += xa * v, s10 += xb * u, s11 += xb * v;
    }
    s[0] = s00, s[1] = s01, s[2] = s10, s[3] = s11;
}

static void dot_1x4(int32_t k, int32_t off2, int32_t off, const int8_t *a, const int8_t *w,
                    int32_t s[4]) {
    (void)off2;
    const int8_t *w1 = w + k, *w2 = w1 + k, *w3 = w2 + k;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int32_t i = 0; i < k; i++) {
        const int32_t x = a[i] + off;
        s0 += x * w[i], s1 += x * w1[i], s2 += x * w2[i], s3 += x * w3[i];
    }
    s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
}

#endif
static int32_t dot_1x1(int32_t k, int32_t off2, int32_t off, const int8_t *a, const int8_t *w) {
    (void)off2;
    int32_t s = 0;
    for (int32_t i = 0; i < k; i++) {
        s += (a[i] + off) * w[i];
    }
    return s;
}
#endif

#if TML_GENERIC_WIDE
/* The scalar loops over inputs widened once to 16 bits with the offset added: per element
 * one load per input and per row, and one multiply-accumulate per pair. */
static void dotw_2x2(int32_t k, const int16_t *a, const int16_t *b, const int8_t *wa,
                     const int8_t *wb, int32_t s[4]) {
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    for (int32_t i = 0; i < k; i++) {
        const int32_t xa = a[i], xb = b[i], u = wa[i], v = wb[i];
        s00 += xa * u, s01 += xa * v, s10 += xb * u, s11 += xb * v;
    }
    s[0] = s00, s[1] = s01, s[2] = s10, s[3] = s11;
}

static void dotw_1x2(int32_t k, const int16_t *a, const int8_t *wa, const int8_t *wb,
                     int32_t s[2]) {
    int32_t s0 = 0, s1 = 0;
    for (int32_t i = 0; i < k; i++) {
        const int32_t x = a[i];
        s0 += x * wa[i], s1 += x * wb[i];
    }
    s[0] = s0, s[1] = s1;
}

#if TML_DOT_2X4
static void dotw_2x4(int32_t k, const int16_t *a, const int16_t *b, const int8_t *w,
                     int32_t s[8]) {
    const int8_t *w1 = w + k, *w2 = w1 + k, *w3 = w2 + k;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4 /* RISC-V has no post-increment: the pointers step once per 4 */
#endif
    for (int32_t i = 0; i < k; i++) {
        const int32_t xa = a[i], xb = b[i];
        const int32_t u0 = w[i], u1 = w1[i], u2 = w2[i], u3 = w3[i];
        a0 += xa * u0, a1 += xa * u1, a2 += xa * u2, a3 += xa * u3;
        b0 += xb * u0, b1 += xb * u1, b2 += xb * u2, b3 += xb * u3;
    }
    s[0] = a0, s[1] = a1, s[2] = a2, s[3] = a3, s[4] = b0, s[5] = b1, s[6] = b2, s[7] = b3;
}
#endif

/* tml_dot_s8 with widened inputs. Every input byte is read before the first output is
 * written, so an output may overlap the inputs (the in-place 1x1 convolution). */
static void dot_generic_widened(const tml_dot_params_t *p, int32_t k, const int8_t *x0,
                                const int8_t *x1, const int8_t *w, int32_t n, int8_t *out0,
                                int8_t *out1) {
    int16_t a[TML_DOT_WIDE_MAX], b[TML_DOT_WIDE_MAX];
    int32_t s[8];
    for (int32_t i = 0; i < k; i++) {
        a[i] = (int16_t)(x0[i] + p->input_offset);
    }
    for (int32_t i = 0; x1 && i < k; i++) {
        b[i] = (int16_t)(x1[i] + p->input_offset);
    }
    int32_t o = 0;
#if TML_DOT_2X4
    for (; x1 && o + 4 <= n; o += 4) {
        dotw_2x4(k, a, b, w + (int64_t)o * k, s);
        for (int32_t j = 0; j < 4; j += 2) {
            const int32_t s4[4] = {s[j], s[j + 1], s[4 + j], s[5 + j]};
            if (!rq_down2(p, o + j, s4, out0 + o + j, out1 + o + j)) {
                stage2(p, o + j, s[j], s[4 + j], out0 + o + j, out1 + o + j);
                stage2(p, o + j + 1, s[j + 1], s[5 + j], out0 + o + j + 1, out1 + o + j + 1);
            }
        }
    }
#endif
    for (; o < n; o += 2) {
        const int8_t *wa = w + (int64_t)o * k, *wb = o + 1 < n ? wa + k : wa;
        if (x1) {
            dotw_2x2(k, a, b, wa, wb, s);
        } else {
            dotw_1x2(k, a, wa, wb, s);
        }
        if (o + 1 < n && x1 && rq_down2(p, o, s, out0 + o, out1 + o)) {
            continue;
        }
        stage2(p, o, s[0], s[2], out0 + o, x1 ? out1 + o : NULL);
        if (o + 1 < n) {
            stage2(p, o + 1, s[1], s[3], out0 + o + 1, x1 ? out1 + o + 1 : NULL);
        }
    }
}
#endif

#if TML_ARCH_V6M
/* Armv6-M (Cortex-M0+): one input against four rows of weights in Thumb-1 assembly, because
 * GCC spills the C loops' sums to the stack there (eight low registers). Per element: the
 * input byte loaded and offset once, then for each row one LDRSB, MULS and ADD into a sum kept
 * in a high register: 16 multiply-accumulates in 21 cycles per four (LDRSB 2, MULS 1 on the
 * RP2040, ADD 1, the loop 3 per pair of elements). x and w point past the element k - 1 of
 * the input and of row 0 (rows 1-3 follow at k, 2k, 3k); the index runs from -k up to 0.
 * k > 0. s[4] holds the input offset on entry; s[0..3] the four sums on return. */
/* One element of m0_1x4: the input byte with its offset, times each row's weight byte. */
#define TML_M0_1X4_STEP                                                                      \
    "ldrsb r4, [r0, r5]\n"                                                                  \
    "add r4, r12\n"                                                                         \
    "ldrsb r6, [r1, r5]\n"                                                                  \
    "muls r6, r4, r6\n"                                                                     \
    "add r8, r6\n"                                                                          \
    "ldrsb r6, [r2, r5]\n"                                                                  \
    "muls r6, r4, r6\n"                                                                     \
    "add r9, r6\n"                                                                          \
    "ldrsb r6, [r3, r5]\n"                                                                  \
    "muls r6, r4, r6\n"                                                                     \
    "add r10, r6\n"                                                                         \
    "ldrsb r6, [r7, r5]\n"                                                                  \
    "muls r6, r4, r6\n"                                                                     \
    "add r11, r6\n"
__attribute__((naked, noinline)) static void m0_1x4(TML_ARG const int8_t *x_end,
                                                    TML_ARG const int8_t *w_end,
                                                    TML_ARG int32_t k, TML_ARG int32_t *s) {
    __asm__ volatile(
        TML_M0_ENTER
        "ldr r4, [r3, #16]\n"
        "mov r12, r4\n"             /* the input offset */
        "mov lr, r3\n"              /* s */
        "negs r5, r2\n"             /* i = -k */
        "adds r2, r1, r2\n"         /* row 1's end */
        "subs r3, r2, r5\n"         /* row 2's */
        "subs r7, r3, r5\n"         /* row 3's */
        "movs r4, #0\n"
        "mov r8, r4\n"
        "mov r9, r4\n"
        "mov r10, r4\n"
        "mov r11, r4\n"
        "lsrs r4, r5, #1\n"        /* -k odd: one element first, then pairs */
        "bcs 2f\n"
        "1:\n"
        TML_M0_1X4_STEP
        "adds r5, #1\n"
        "2:\n"
        TML_M0_1X4_STEP
        "adds r5, #1\n"
        "bne 1b\n"
        "mov r3, lr\n"
        "mov r4, r8\n"
        "mov r5, r9\n"
        "mov r6, r10\n"
        "mov r7, r11\n"
        "stmia r3!, {r4-r7}\n"
        TML_M0_LEAVE);
}

#endif

#if TML_DOT_PAIRS16
/* Two inputs a and b packed per element: P[i] = a[i] + 2^16 * b[i] (raw int8 values). For a
 * weight w, w * P[i] = w * a[i] + 2^16 * w * b[i], and over a chunk of two elements the sum
 * S = A + 2^16 * B holds both dot products: |A|, |B| <= 2 * 127 * 128 = 32512 < 2^15 (no
 * weight is -128, tml_dot_fold's rule), so |S| < 2^31, and B = (S + 2^15) >> 16 exactly
 * (0 <= A + 2^15 < 2^16). Each chunk adds S to one sum and B to another; at the end the first
 * holds sum(A) + 2^16 * sum(B) modulo 2^32, so sum(A) is it minus 2^16 * sum(B), exact since
 * |sum(A)| <= k * 2^14 < 2^31. Two multiplies give four multiply-accumulates. */
#define TML_PAIRS16_ROWS 32 /* rows per m0_pairs16 call: row r's sums at s[2r], s[2r + 1] */
#if TML_ARCH_V6M
/* m0_pairs16 (Thumb-1): rows > 0 rows of k weights (row r at w + r * k, word-aligned; 4 | k)
 * against P (k words), row r's sums to s[2r] (a) and s[2r + 1] (b). Per word of four weights:
 * LDM, three shifts or SXTB for the bytes, four MULS, two chunk sums (ADD, ADD 2^15, ASRS,
 * ADD), 26 cycles for 8 multiply-accumulates; four words per loop step, a count of words
 * that is not a multiple of 4 entering at the third (2 over) or after one word (1 or 3 over).
 * r8 = sum(S), r11 = sum(B), r12 = 2^15, r10 = P's end, r9 = the weights' end, lr = P.
 * Stack: [sp] s of the current row, [sp, #4] the count of words mod 4. */
#define TML_M0_PAIRS16_WORD(wr)                                                              \
    "ldm r0!, {r4, r5}\n"                                                                    \
    "sxtb r3, " wr "\n"                                                                      \
    "muls r3, r4, r3\n"                                                                      \
    "lsls r6, " wr ", #16\n"                                                                 \
    "asrs r6, r6, #24\n"                                                                     \
    "muls r6, r5, r6\n"                                                                      \
    "adds r3, r3, r6\n"                                                                      \
    "add r8, r3\n"                                                                           \
    "add r3, r12\n"                                                                          \
    "asrs r3, r3, #16\n"                                                                     \
    "add r11, r3\n"                                                                          \
    "ldm r0!, {r4, r5}\n"                                                                    \
    "lsls r3, " wr ", #8\n"                                                                  \
    "asrs r3, r3, #24\n"                                                                     \
    "muls r3, r4, r3\n"                                                                      \
    "asrs r6, " wr ", #24\n"                                                                 \
    "muls r6, r5, r6\n"                                                                      \
    "adds r3, r3, r6\n"                                                                      \
    "add r8, r3\n"                                                                           \
    "add r3, r12\n"                                                                          \
    "asrs r3, r3, #16\n"                                                                     \
    "add r11, r3\n"
__attribute__((naked, noinline)) static void m0_pairs16(TML_ARG const int32_t *pk,
                                                        TML_ARG int32_t k,
                                                        TML_ARG const int8_t *w,
                                                        TML_ARG int32_t rows,
                                                        TML_ARG int32_t *s) {
    __asm__ volatile(
        TML_M0_ENTER
        "sub sp, #8\n"
        "ldr r4, [sp, #44]\n"       /* s: the fifth argument, above 9 + 2 words */
        "str r4, [sp, #0]\n"
        "lsrs r4, r1, #2\n"
        "movs r5, #3\n"
        "ands r4, r4, r5\n"
        "str r4, [sp, #4]\n"        /* the count of words mod 4 */
        "mov lr, r0\n"              /* P */
        "lsls r4, r1, #2\n"
        "adds r4, r0, r4\n"
        "mov r10, r4\n"             /* P's end */
        "muls r3, r1, r3\n"
        "adds r3, r2, r3\n"
        "mov r9, r3\n"              /* the weights' end */
        "movs r4, #1\n"
        "lsls r4, r4, #15\n"
        "mov r12, r4\n"             /* 2^15 */
        "mov r1, r2\n"              /* the weights */
        "b 3f\n"
        "4:\n"                      /* an odd count: one word, then pairs from 1 or 5 */
        "ldm r1!, {r2}\n"
        TML_M0_PAIRS16_WORD("r2")
        "cmp r0, r10\n"
        "beq 2f\n"
        "ldr r4, [sp, #4]\n"
        "cmp r4, #3\n"
        "beq 5f\n"
        "b 1f\n"
        "3:\n"
        "movs r4, #0\n"
        "mov r8, r4\n"
        "mov r11, r4\n"
        "mov r0, lr\n"
        "ldr r4, [sp, #4]\n"
        "lsrs r4, r4, #1\n"        /* C: an odd count of words; Z: none left over */
        "bcs 4b\n"
        "bne 5f\n"
        "1:\n"
        "ldm r1!, {r2, r7}\n"
        TML_M0_PAIRS16_WORD("r2")
        TML_M0_PAIRS16_WORD("r7")
        "5:\n"
        "ldm r1!, {r2, r7}\n"
        TML_M0_PAIRS16_WORD("r2")
        TML_M0_PAIRS16_WORD("r7")
        "cmp r0, r10\n"
        "bne 1b\n"
        "2:\n"
        "mov r3, r8\n"
        "mov r4, r11\n"
        "lsls r5, r4, #16\n"
        "subs r3, r3, r5\n"         /* sum(A) = sum(S) - 2^16 * sum(B) */
        "ldr r5, [sp, #0]\n"
        "stmia r5!, {r3, r4}\n"
        "str r5, [sp, #0]\n"
        "cmp r1, r9\n"
        "bne 3b\n"
        "add sp, #8\n"
        TML_M0_LEAVE);
}
/* pk[i] = x0[i] + 2^16 * x1[i] for i < k (k even > 0): two elements a step, 10 cycles an
 * element (the C loop, compiled for size with the caller's registers spent, took 20). */
__attribute__((naked, noinline)) static void m0_pack2(TML_ARG int32_t *pk,
                                                      TML_ARG const int8_t *x0,
                                                      TML_ARG const int8_t *x1,
                                                      TML_ARG int32_t k) {
    __asm__ volatile(
        TML_SYNTAX_UNIFIED
        "push {r4-r7, lr}\n"
        "movs r7, #0\n"             /* i */
        "1:\n"
        "ldrsb r4, [r1, r7]\n"
        "ldrsb r6, [r2, r7]\n"
        "lsls r6, r6, #16\n"
        "adds r4, r4, r6\n"
        "adds r7, r7, #1\n"
        "ldrsb r5, [r1, r7]\n"
        "ldrsb r6, [r2, r7]\n"
        "lsls r6, r6, #16\n"
        "adds r5, r5, r6\n"
        "adds r7, r7, #1\n"
        "stmia r0!, {r4, r5}\n"
        "cmp r7, r3\n"
        "bne 1b\n"
        "pop {r4-r7, pc}\n"
        TML_SYNTAX_RESTORE);
}
#else
/* m0_pairs16 in C (-DTML_DOT_PAIRS16_TEST): the same chunks, the same sums. */
static void m0_pairs16(const int32_t *pk, int32_t k, const int8_t *w, int32_t rows,
                       int32_t *s) {
    for (int32_t r = 0; r < rows; r++, w += k) {
        uint32_t sum_s = 0, sum_b = 0;
        for (int32_t i = 0; i < k; i += 2) {
            const uint32_t c = (uint32_t)(w[i] * pk[i] + w[i + 1] * pk[i + 1]);
            sum_s += c;
            sum_b += (uint32_t)((int32_t)(c + 0x8000u) >> 16);
        }
        s[2 * r] = (int32_t)(sum_s - (sum_b << 16));
        s[2 * r + 1] = (int32_t)sum_b;
    }
}
#endif

/* tml_dot_s8 for two inputs on folded biases (tml_dot_fold): the inputs packed once, then
 * blocks of TML_PAIRS16_ROWS rows through m0_pairs16 and their output stages. */
static void dot_pairs16(const tml_dot_params_t *p, int32_t k, const int8_t *x0,
                        const int8_t *x1, const int8_t *w, int32_t n, int8_t *out0,
                        int8_t *out1) {
    int32_t pk[TML_DOT_PAIRS16_MAX], s[2 * TML_PAIRS16_ROWS];
#if TML_ARCH_V6M
    m0_pack2(pk, x0, x1, k);
#else
    for (int32_t i = 0; i < k; i++) {
        pk[i] = (int32_t)(((uint32_t)x1[i] << 16) + (uint32_t)x0[i]);
    }
#endif
    for (int32_t o = 0, rows; o < n; o += rows) {
        rows = n - o < TML_PAIRS16_ROWS ? n - o : TML_PAIRS16_ROWS;
        m0_pairs16(pk, k, w + (int64_t)o * k, rows, s);
#if TML_ARCH_V6M
        if (p->hi_rows) {
            const int32_t a[7] = {(int32_t)(intptr_t)(p->bias + o),
                                  (int32_t)(intptr_t)(p->mult + o),
                                  (int32_t)(intptr_t)(p->shift + o), p->output_offset,
                                  p->act_min, p->act_max, (int32_t)(out1 - out0)};
            tml_m0_rq2(s, rows, out0 + o, a);
            continue;
        }
#endif
        for (int32_t j = 0; j < rows; j++) {
            out0[o + j] = stage(p, o + j, s[2 * j]);
            out1[o + j] = stage(p, o + j, s[2 * j + 1]);
        }
    }
}
#endif

#if TML_DOT_PAIRS16
#if TML_ARCH_V6M
/* The sum of the 4 * words > 0 int8 values at w (word-aligned), or INT32_MIN if one is -128
 * (no sum of at most TML_DOT_PAIRS16_MAX values is). A word at a time, as unsigned bytes
 * u = w + 128 (XOR 0x80808080): their sum in two 16-bit lanes, then one; a zero byte (-128)
 * found by the exact test (u - 0x01010101) & ~u & 0x80808080, ORed over the row. 18 cycles
 * a word, where the byte loop took 40. */
__attribute__((naked, noinline)) static int32_t m0_wsum(TML_ARG const int8_t *w,
                                                        TML_ARG int32_t words) {
    __asm__ volatile(
        TML_SYNTAX_UNIFIED
        "push {r4-r7, lr}\n"
        "lsls r2, r1, #9\n"
        "negs r2, r2\n"             /* the sum, from -128 per value */
        "lsls r1, r1, #2\n"
        "adds r1, r0, r1\n"         /* w's end */
        "movs r7, #1\n"
        "lsls r6, r7, #8\n"
        "orrs r7, r6\n"
        "lsls r6, r7, #16\n"
        "orrs r7, r6\n"             /* 0x01010101 */
        "movs r5, #255\n"
        "lsls r6, r5, #16\n"
        "orrs r5, r6\n"             /* 0x00ff00ff */
        "movs r3, #0\n"             /* the zero-byte test */
        "1:\n"
        "ldm r0!, {r4}\n"
        "lsls r6, r7, #7\n"         /* 0x80808080 */
        "eors r4, r6\n"             /* u */
        "subs r6, r4, r7\n"
        "bics r6, r4\n"
        "orrs r3, r6\n"
        "lsrs r6, r4, #8\n"
        "ands r6, r5\n"
        "ands r4, r5\n"
        "adds r4, r4, r6\n"         /* two lanes of two bytes */
        "uxth r6, r4\n"
        "lsrs r4, r4, #16\n"
        "adds r2, r2, r6\n"
        "adds r2, r2, r4\n"
        "cmp r0, r1\n"
        "bne 1b\n"
        "lsls r6, r7, #7\n"
        "tst r3, r6\n"
        "bne 2f\n"
        "movs r0, r2\n"
        "pop {r4-r7, pc}\n"
        "2:\n"
        "movs r0, #1\n"
        "lsls r0, r0, #31\n"        /* INT32_MIN: a weight of -128 */
        "pop {r4-r7, pc}\n"
        TML_SYNTAX_RESTORE);
}
#endif

void tml_dot_fold(tml_dot_params_t *d, const int8_t *w, int32_t k, int32_t n, int32_t *folded) {
    if (n > TML_DOT_FOLD_MAX || k > TML_DOT_PAIRS16_MAX || (k & 3) || ((uintptr_t)w & 3)) {
        return;
    }
    for (int32_t o = 0; o < n; o++, w += k) {
#if TML_ARCH_V6M
        const int32_t sum = m0_wsum(w, k >> 2);
        if (sum == INT32_MIN) {
            return; /* d untouched: the biases already folded stay unused */
        }
#else
        int32_t sum = 0;
        for (int32_t i = 0; i < k; i++) {
            if (w[i] == -128) {
                return; /* d untouched: the biases already folded stay unused */
            }
            sum += w[i];
        }
#endif
        const int64_t f = (d->bias ? d->bias[o] : 0) + (int64_t)d->input_offset * sum;
        if (f < INT32_MIN || f > INT32_MAX) {
            return; /* past the loader's bias limit: the plain kernel */
        }
        folded[o] = (int32_t)f;
    }
    const tml_requant_t q = {d->mult, d->shift, d->rounding};
    tml_dot_init(d, folded, &q, d->per_channel, n, 0, d->output_offset, d->act_min,
                 d->act_max);
    d->pairs16 = 1;
}
#endif

void tml_dot_init(tml_dot_params_t *d, const int32_t *bias, const tml_requant_t *q,
                  int32_t per_channel, int32_t n, int32_t input_offset, int32_t output_offset,
                  int32_t act_min, int32_t act_max) {
    d->bias = bias, d->mult = q->mult, d->shift = q->shift, d->per_channel = per_channel;
    d->rounding = q->rounding, d->input_offset = input_offset;
    d->output_offset = output_offset, d->act_min = act_min, d->act_max = act_max;
    /* Armv6-M's output stage (tml_m0_rq) clamps to any range, Armv7-M's saturates to int8 */
    d->hi_rows = per_channel && bias && q->rounding == TML_ROUND_DOUBLE &&
                 ((act_min <= -128 && act_max >= 127) || TML_ARCH_V6M);
    d->hi_blocks = 0, d->w16 = 0;
#if TML_DOT_PAIRS16
    d->pairs16 = 0;
#endif
    d->fold_rows = d->hi_rows, d->fold_blocks = 0;
    if (d->hi_rows) {
        uint32_t bad = 0, nofold = 0;
        for (int32_t o = 0; o < n; o++) {
            const uint32_t bit = o < 1024 ? (uint32_t)1 << (o >> 5) : 0;
            if (q->shift[o] > -2) {
                bad |= bit, d->hi_rows = 0, d->fold_rows = 0;
            } else if (TML_RQ4_FOLD && !tml_rq_fold_ok(q->shift[o], output_offset)) {
                nofold |= bit, d->fold_rows = 0;
            }
        }
        d->hi_blocks = ~bad, d->fold_blocks = ~(bad | nofold);
    }
}

#if TML_DOT4_V7M
/* Cortex-M3: two rows of weights packed in one register, W = wa + wb * 2^23, so that one
 * SMLAL adds x * wa + 2^23 * x * wb to a 64-bit sum: A + 2^23 B after a chunk of at most
 * TML_DOT4_V7M_CHUNK elements, with |A| <= 128 * 255 * 128 < 2^22, which the low 23 bits
 * (sign-extended) give exactly, and then B = (sum - A) / 2^23. |wb * 2^23 + wa| < 2^31.
 * m3_4x2: four inputs q (int16, interleaved [a, b, c, d] per element) x rows wa and wa + k
 * over kc > 0 elements, the four 64-bit sums to s64 (low word first): 8 multiply-accumulates
 * in 13 instructions. */
#define TML_DOT4_V7M_CHUNK 128

__attribute__((naked, noinline)) static void m3_4x2(TML_ARG const int16_t *q, TML_ARG int32_t kc,
                                                    TML_ARG const int8_t *wa,
                                                    TML_ARG int32_t k, TML_ARG int32_t *s64) {
    __asm__ volatile(
        "push {r4-r11, lr}\n"
        "add r1, r2, r1\n"          /* wa's end */
        "sub r3, r3, #1\n"          /* wb at wa + k - 1 once wa has stepped */
        "movs r4, #0\n"
        "movs r5, #0\n"
        "movs r6, #0\n"
        "movs r7, #0\n"
        "mov r8, r4\n"
        "mov r9, r4\n"
        "mov r10, r4\n"
        "mov r11, r4\n"
        "1:\n"
        "ldrsb r12, [r2], #1\n"
        "ldrsb lr, [r2, r3]\n"
        "add r12, r12, lr, lsl #23\n"
        "ldrsh lr, [r0], #2\n"
        "smlal r4, r5, lr, r12\n"
        "ldrsh lr, [r0], #2\n"
        "smlal r6, r7, lr, r12\n"
        "ldrsh lr, [r0], #2\n"
        "smlal r8, r9, lr, r12\n"
        "ldrsh lr, [r0], #2\n"
        "smlal r10, r11, lr, r12\n"
        "cmp r2, r1\n"
        "bne 1b\n"
        "ldr r12, [sp, #36]\n"      /* s64: the fifth argument, above 9 words */
        "stmia r12, {r4-r11}\n"
        "pop {r4-r11, pc}\n");
}

void tml_dot4_s8(const tml_dot_params_t *p, int32_t k, const tml_dot4_in_t *in, const int8_t *w,
                 int32_t n, int8_t *out, int32_t out_stride) {
    int16_t q[4 * TML_DOT4_MAX];
    int32_t sums[4 * TML_DOT_PAIRS], s64[8];
    for (int32_t i = 0; i < 4; i++) {
        const int8_t *xi = in->x + (int64_t)i * in->x_stride;
        int16_t *qi = q + i; /* element j at q[4j + i] */
        for (int32_t r = k / in->seg; r > 0; r--, xi += in->seg_stride) {
            for (int32_t e = 0; e < in->seg; e++, qi += 4) {
                *qi = (int16_t)(xi[e] + p->input_offset);
            }
        }
    }
    for (int32_t o = 0, rows; o < n; o += rows) {
        rows = n - o < TML_DOT_PAIRS ? n - o : TML_DOT_PAIRS;
        const int hi = chunk_hi(p, o, rows); /* the sums start from the biases */
        for (int32_t r = 0; r < rows; r += 2) {
            const int8_t *wa = w + (int64_t)(o + r) * k;
            const int32_t k2 = r + 1 < rows ? k : 0; /* an odd last row pairs with itself */
            int32_t *sa = sums + 4 * r, *sb = sums + 4 * (r + 1 < rows ? r + 1 : r);
            const int32_t ba = hi ? p->bias[o + r] : 0;
            const int32_t bb = hi && r + 1 < rows ? p->bias[o + r + 1] : 0;
            int32_t ta[4] = {ba, ba, ba, ba}, tb[4] = {bb, bb, bb, bb};
            for (int32_t k0 = 0, kc; k0 < k; k0 += kc) {
                kc = k - k0 < TML_DOT4_V7M_CHUNK ? k - k0 : TML_DOT4_V7M_CHUNK;
                m3_4x2(q + 4 * k0, kc, wa + k0, k2, s64);
                for (int32_t i = 0; i < 4; i++) {
                    const int64_t sum = (int64_t)(((uint64_t)(uint32_t)s64[2 * i + 1] << 32) |
                                                  (uint32_t)s64[2 * i]);
                    const int32_t a = (int32_t)((uint32_t)s64[2 * i] << 9) >> 9;
                    ta[i] = tml_wrap_add(ta[i], a); /* from the bias: may wrap */
                    tb[i] = tml_wrap_add(tb[i], (int32_t)((sum - a) >> 23));
                }
            }
            for (int32_t i = 0; i < 4; i++) {
                sa[i] = ta[i];
                if (sb != sa) {
                    sb[i] = tb[i];
                }
            }
        }
        rq_rows4(p, o, rows, sums, out, out_stride, hi);
    }
}
#elif TML_DOT4_RV32
/* One element e of rv_4x4: the four inputs' widened values (q, 8 bytes an element) and each
 * row's weight byte, 16 MUL + ADD into s0..s11, t3..t6 (row r's sums for inputs a..d). */
#define TML_RV_ROW(ptr, e, s_a, s_b, s_c, s_d)                                              \
    "lb t0, " e "(" ptr ")\n"                                                               \
    "mul t1, a4, t0\n"                                                                      \
    "add " s_a ", " s_a ", t1\n"                                                            \
    "mul t1, a5, t0\n"                                                                      \
    "add " s_b ", " s_b ", t1\n"                                                            \
    "mul t1, a6, t0\n"                                                                      \
    "add " s_c ", " s_c ", t1\n"                                                            \
    "mul t1, a7, t0\n"                                                                      \
    "add " s_d ", " s_d ", t1\n"
#define TML_RV_ELEMENT(e, qo)                                                                \
    "lh a4, " qo "(a0)\n"                                                                   \
    "lh a5, " qo "+2(a0)\n"                                                                 \
    "lh a6, " qo "+4(a0)\n"                                                                 \
    "lh a7, " qo "+6(a0)\n"                                                                 \
    TML_RV_ROW("a2", e, "s0", "s1", "s2", "s3")                                              \
    TML_RV_ROW("t2", e, "s4", "s5", "s6", "s7")                                              \
    TML_RV_ROW("a3", e, "s8", "s9", "s10", "s11")                                            \
    TML_RV_ROW("ra", e, "t3", "t4", "t5", "t6")

/* rv_4x4: four widened inputs q (int16, interleaved [a, b, c, d] per element) against four
 * rows of k > 0 weights (w, w + k, w + 2k, w + 3k), the sums of row r to s[4r..4r+3] =
 * {a.r, b.r, c.r, d.r}: 16 sums in registers, four elements per loop step (k & 3 taken one
 * at a time first): 64 multiply-accumulates in 166 instructions. */
__attribute__((naked, noinline)) static void rv_4x4(TML_ARG const int16_t *q, TML_ARG int32_t k,
                                                    TML_ARG const int8_t *w,
                                                    TML_ARG int32_t *s) {
    __asm__ volatile(
        "addi sp, sp, -64\n"
        "sw ra, 0(sp)\n"
        "sw s0, 4(sp)\n"
        "sw s1, 8(sp)\n"
        "sw s2, 12(sp)\n"
        "sw s3, 16(sp)\n"
        "sw s4, 20(sp)\n"
        "sw s5, 24(sp)\n"
        "sw s6, 28(sp)\n"
        "sw s7, 32(sp)\n"
        "sw s8, 36(sp)\n"
        "sw s9, 40(sp)\n"
        "sw s10, 44(sp)\n"
        "sw s11, 48(sp)\n"
        "sw a3, 52(sp)\n"          /* s; 56(sp): see below */
        "add t2, a2, a1\n"         /* row 1 */
        "add a3, t2, a1\n"         /* row 2 */
        "add ra, a3, a1\n"         /* row 3 */
        "slli t0, a1, 3\n"
        "andi t1, a1, 3\n"         /* k & 3 elements one at a time first, */
        "slli t1, t1, 3\n"
        "add t1, a0, t1\n"
        "sw t1, 56(sp)\n"          /* up to there in q */
        "add a1, a0, t0\n"         /* q's end */
        "li s0, 0\n" "li s1, 0\n" "li s2, 0\n" "li s3, 0\n"
        "li s4, 0\n" "li s5, 0\n" "li s6, 0\n" "li s7, 0\n"
        "li s8, 0\n" "li s9, 0\n" "li s10, 0\n" "li s11, 0\n"
        "li t3, 0\n" "li t4, 0\n" "li t5, 0\n" "li t6, 0\n"
        "3:\n"
        "lw t0, 56(sp)\n"
        "beq a0, t0, 4f\n"
        TML_RV_ELEMENT("0", "0")
        "addi a0, a0, 8\n"
        "addi a2, a2, 1\n"
        "addi t2, t2, 1\n"
        "addi a3, a3, 1\n"
        "addi ra, ra, 1\n"
        "j 3b\n"
        "4:\n"
        "beq a0, a1, 2f\n"
        "1:\n"
        TML_RV_ELEMENT("0", "0")
        TML_RV_ELEMENT("1", "8")
        TML_RV_ELEMENT("2", "16")
        TML_RV_ELEMENT("3", "24")
        "addi a0, a0, 32\n"
        "addi a2, a2, 4\n"
        "addi t2, t2, 4\n"
        "addi a3, a3, 4\n"
        "addi ra, ra, 4\n"
        "bne a0, a1, 1b\n"
        "2:\n"
        "lw a0, 52(sp)\n"
        "sw s0, 0(a0)\n" "sw s1, 4(a0)\n" "sw s2, 8(a0)\n" "sw s3, 12(a0)\n"
        "sw s4, 16(a0)\n" "sw s5, 20(a0)\n" "sw s6, 24(a0)\n" "sw s7, 28(a0)\n"
        "sw s8, 32(a0)\n" "sw s9, 36(a0)\n" "sw s10, 40(a0)\n" "sw s11, 44(a0)\n"
        "sw t3, 48(a0)\n" "sw t4, 52(a0)\n" "sw t5, 56(a0)\n" "sw t6, 60(a0)\n"
        "lw ra, 0(sp)\n"
        "lw s0, 4(sp)\n"
        "lw s1, 8(sp)\n"
        "lw s2, 12(sp)\n"
        "lw s3, 16(sp)\n"
        "lw s4, 20(sp)\n"
        "lw s5, 24(sp)\n"
        "lw s6, 28(sp)\n"
        "lw s7, 32(sp)\n"
        "lw s8, 36(sp)\n"
        "lw s9, 40(sp)\n"
        "lw s10, 44(sp)\n"
        "lw s11, 48(sp)\n"
        "addi sp, sp, 64\n"
        "ret\n");
}

void tml_dot4_s8(const tml_dot_params_t *p, int32_t k, const tml_dot4_in_t *in, const int8_t *w,
                 int32_t n, int8_t *out, int32_t out_stride) {
    int16_t q[4 * TML_DOT4_MAX];
    int32_t sums[4 * TML_DOT_PAIRS];
    const int32_t off = p->input_offset, xs = in->x_stride, seg = in->seg;
    const int8_t *x = in->x;
    int16_t *qj = q; /* element j of the four inputs side by side at q + 4j */
    for (int32_t r = k / seg; r > 0; r--, x += in->seg_stride) {
        for (int32_t e = 0; e < seg; e++, qj += 4) {
            qj[0] = (int16_t)(x[e] + off), qj[1] = (int16_t)(x[xs + e] + off);
            qj[2] = (int16_t)(x[2 * xs + e] + off), qj[3] = (int16_t)(x[3 * xs + e] + off);
        }
    }
    for (int32_t o = 0, rows; o < n; o += rows) {
        rows = n - o < TML_DOT_PAIRS ? n - o : TML_DOT_PAIRS;
        int32_t r = 0;
        for (; r + 4 <= rows; r += 4) {
            rv_4x4(q, k, w + (int64_t)(o + r) * k, sums + 4 * r);
        }
        for (; r < rows; r++) { /* the last rows of a block, one at a time */
            const int8_t *wr = w + (int64_t)(o + r) * k;
            int32_t *sr = sums + 4 * r;
            sr[0] = sr[1] = sr[2] = sr[3] = 0;
            for (int32_t j = 0; j < k; j++) {
                for (int32_t i = 0; i < 4; i++) {
                    sr[i] += q[4 * j + i] * wr[j];
                }
            }
        }
        rq_rows4(p, o, rows, sums, out, out_stride, 0);
    }
}
#endif

/* Four inputs at a time: the cores with a kernel for it (TML_HAS_DOT4), any depth up to
 * TML_DOT4_MAX (their inputs widened on the stack). */
int tml_dot4_ok(int32_t k) {
    return TML_HAS_DOT4 && k > 0 && k <= TML_DOT4_MAX;
}

int tml_dot_reads_first(int32_t k) {
#if TML_ARCH_DSP || TML_GENERIC_WIDE
    return k <= TML_DOT_WIDE_MAX;
#else
    (void)k;
    return 0;
#endif
}

void tml_dot_s8(const tml_dot_params_t *p, int32_t k, const int8_t *x0, const int8_t *x1,
                const int8_t *w, int32_t n, int8_t *out0, int8_t *out1) {
#if TML_ARCH_DSP
    if (k <= TML_DOT_WIDE_MAX) {
        dot_widened(p, k, x0, x1, w, n, out0, out1);
    } else {
        dot_long(p, k, x0, x1, w, n, out0, out1);
    }
#else
    const int32_t off = p->input_offset, off2 = 0;
    int32_t o = 0;
#if TML_DOT_PAIRS16
    if (p->pairs16 && x1) {
        dot_pairs16(p, k, x0, x1, w, n, out0, out1);
        return;
    }
#endif
#if TML_GENERIC_WIDE
    if (k <= TML_DOT_WIDE_MAX) {
        dot_generic_widened(p, k, x0, x1, w, n, out0, out1);
        return;
    }
#endif
#if TML_DOT_2X4
    if (x1) {
        int32_t s8[8];
        for (; o + 4 <= n; o += 4) {
            dot_2x4(k, off, x0, x1, w + (int64_t)o * k, s8);
            for (int32_t j = 0; j < 4; j += 2) {
                const int32_t s4[4] = {s8[j], s8[j + 1], s8[4 + j], s8[5 + j]};
                if (!rq_down2(p, o + j, s4, out0 + o + j, out1 + o + j)) {
                    stage2(p, o + j, s8[j], s8[4 + j], out0 + o + j, out1 + o + j);
                    stage2(p, o + j + 1, s8[j + 1], s8[5 + j], out0 + o + j + 1,
                           out1 + o + j + 1);
                }
            }
        }
    }
#endif
#if TML_ARCH_V6M
    /* blocks of up to TML_DOT_PAIRS rows, four at a time, then their output stage */
    for (int32_t sa[TML_DOT_PAIRS + 1], sb[TML_DOT_PAIRS + 1], rows; k > 0 && o + 4 <= n;
         o += rows) {
        rows = (n - o < TML_DOT_PAIRS ? n - o : TML_DOT_PAIRS) & ~3;
        for (int32_t r = 0; r < rows; r += 4) {
            const int8_t *wr = w + (int64_t)(o + r) * k;
            sa[r + 4] = off; /* m0_1x4's fifth word: the offset in, overwritten next */
            m0_1x4(x0 + k, wr + k, k, sa + r);
            if (x1) {
                sb[r + 4] = off;
                m0_1x4(x1 + k, wr + k, k, sb + r);
            }
        }
        if (p->hi_rows) {
            const int32_t a[8] = {(int32_t)(intptr_t)(p->bias + o),
                                  (int32_t)(intptr_t)(p->mult + o),
                                  (int32_t)(intptr_t)(p->shift + o), p->output_offset,
                                  p->act_min, p->act_max, 1, 4};
            tml_m0_rq(sa, rows, out0 + o, a);
            if (x1) {
                tml_m0_rq(sb, rows, out1 + o, a);
            }
            continue;
        }
        for (int32_t j = 0; j < rows; j++) {
            out0[o + j] = stage(p, o + j, sa[j]);
            if (x1) {
                out1[o + j] = stage(p, o + j, sb[j]);
            }
        }
    }
#elif !TML_ARCH_VEC
    int32_t s[4];
    if (x1) {
        for (; o + 2 <= n; o += 2) {
            const int8_t *wo = w + (int64_t)o * k;
            dot_2x2(k, off2, off, x0, x1, wo, wo + k, s);
            if (!rq_down2(p, o, s, out0 + o, out1 + o)) {
                stage2(p, o, s[0], s[2], out0 + o, out1 + o);
                stage2(p, o + 1, s[1], s[3], out0 + o + 1, out1 + o + 1);
            }
        }
    } else if (!TML_ARCH_V6M) { /* Armv6-M: flash before speed, the 1x1 loop below */
        for (; o + 4 <= n; o += 4) {
            dot_1x4(k, off2, off, x0, w + (int64_t)o * k, s);
            for (int32_t j = 0; j < 4; j++) {
                out0[o + j] = stage(p, o + j, s[j]);
            }
        }
    }
#endif
    for (; o < n; o++) {
        const int8_t *wo = w + (int64_t)o * k;
        out0[o] = stage(p, o, dot_1x1(k, off2, off, x0, wo));
        if (x1) {
            out1[o] = stage(p, o, dot_1x1(k, off2, off, x1, wo));
        }
    }
#endif
}
#endif
