#include "tml_config.h"
#if TML_HAS_ADD
#include "arch.h"
#include "bcast.h"
#include "fixedpoint.h"

/* One requantization with its constants worked out once: the one-multiply form where it
 * applies (tml_requantize_hi), else tml_requantize_fast. */
typedef struct {
    int32_t hi, mult, chi, e1, shift, rounding;
} rescale_t;

static void rescale_init(rescale_t *r, int32_t mult, int32_t shift, int32_t rounding) {
    r->hi = rounding == TML_ROUND_DOUBLE && shift <= -2;
    r->mult = mult, r->shift = shift, r->rounding = rounding;
    r->chi = r->hi ? (int32_t)((uint32_t)1 << (-shift - 2)) : 0;
    r->e1 = -shift - 1;
}

TML_HOT_INLINE int32_t rescale(const rescale_t *r, int32_t x) {
    return TML_RQ_HI && r->hi ? tml_requantize_hi(x, r->mult, r->chi, r->e1)
                 : tml_requantize_fast(x, r->mult, r->shift, r->rounding);
}

/* Elements from which the rescaled inputs come from tables: 256 values per input, each
 * rescaled once (the same arithmetic, so the same results), instead of twice per element. */
#define TML_ADD_TABLE_MIN 1024

/* Whether input i's elements are the output's, in the same order (no broadcast). */
static int contiguous(const tml_bcast_t *b, int32_t i) {
    int32_t step = 1;
    for (int32_t d = 3; d >= 0; d--) {
        if (b->dims[d] != 1 && b->stride[i][d] != step) {
            return 0;
        }
        step *= b->dims[d];
    }
    return 1;
}

/* The flat loop of a full-range ADD whose inputs are the output's elements in order: the
 * rescaled inputs from the tables u1 and u2 (indexed by the signed byte), the output
 * offset folded into the high word (cho, see tml_rq_fold_ok), the int8 range by saturation. */
TML_HOT_LOOP __attribute__((noinline)) static void add_flat(const int32_t *u1, const int32_t *u2,
                                                            const int8_t *x, const int8_t *y,
                                                            int8_t *out, const int8_t *end,
                                                            int32_t mult, int32_t cho,
                                                            int32_t e1) {
    while (x < end) {
        const int32_t v = tml_requantize_hi(u1[*x++] + u2[*y++], mult, cho, e1);
        *out++ = (int8_t)tml_sat8(v);
    }
}

/* Both inputs are brought to a common scale with 20 bits of headroom before the sum, as
 * TFLite's reference does: |offset + x| <= 256, so the shifted value stays below 2^29 and the
 * sum of two rescaled values below 2^30. SUB subtracts the second rescaled value. */
int tml_add_s8(const tml_add_params_t *p, const tml_bcast_t *b, const int8_t *x, const int8_t *y,
               int8_t *out) {
    rescale_t r1, r2, ro;
    rescale_init(&r1, p->input1_mult, p->input1_shift, p->rounding);
    rescale_init(&r2, p->input2_mult, p->input2_shift, p->rounding);
    rescale_init(&ro, p->output_mult, p->output_shift, p->rounding);
    const int32_t o1 = p->input1_offset, o2 = p->input2_offset, ls = p->left_shift;
    const int32_t sub = p->subtract, oo = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int64_t count = (int64_t)b->dims[0] * b->dims[1] * b->dims[2] * b->dims[3];
    if (!TML_ARCH_V6M && count >= TML_ADD_TABLE_MIN) { /* Armv6-M: flash first */
        int32_t t1[256], t2[256]; /* the rescaled input for input byte v at [v + 128] */
        for (int32_t v = -128; v < 128; v++) {
            t1[v + 128] = rescale(&r1, (o1 + v) * (1 << ls));
            const int32_t rb = rescale(&r2, (o2 + v) * (1 << ls));
            t2[v + 128] = sub ? -rb : rb; /* |rb| < 2^29: negating is exact */
        }
        if (contiguous(b, 0) && contiguous(b, 1) && ro.hi && lo <= -128 && hi >= 127 &&
            tml_rq_fold_ok(p->output_shift, oo)) { /* one flat loop */
            add_flat(t1 + 128, t2 + 128, x, y, out, x + count, ro.mult, tml_rq_fold(ro.e1, oo),
                     ro.e1);
            return 0;
        }
        TML_BCAST_FOR_EACH(b, {
            const int32_t v = rescale(&ro, t1[x[ia] + 128] + t2[y[ib] + 128]);
            out[o] = (int8_t)tml_clamp(tml_wrap_add(v, oo), lo, hi);
        });
        return 0;
    }
    if (TML_ARCH_V6M) { /* flash first: the plain form only */
        TML_BCAST_FOR_EACH(b, {
            const int32_t ra = tml_requantize_fast((o1 + x[ia]) * (1 << ls), p->input1_mult,
                                                   p->input1_shift, p->rounding);
            const int32_t rb = tml_requantize_fast((o2 + y[ib]) * (1 << ls), p->input2_mult,
                                                   p->input2_shift, p->rounding);
            const int32_t v = tml_requantize_fast(sub ? ra - rb : ra + rb, p->output_mult,
                                                  p->output_shift, p->rounding);
            out[o] = (int8_t)tml_clamp(tml_wrap_add(v, oo), lo, hi);
        });
        return 0;
    }
    TML_BCAST_FOR_EACH(b, {
        const int32_t ra = rescale(&r1, (o1 + x[ia]) * (1 << ls));
        const int32_t rb = rescale(&r2, (o2 + y[ib]) * (1 << ls));
        const int32_t v = rescale(&ro, sub ? ra - rb : ra + rb);
        out[o] = (int8_t)tml_clamp(tml_wrap_add(v, oo), lo, hi);
    });
    return 0;
}
#endif
