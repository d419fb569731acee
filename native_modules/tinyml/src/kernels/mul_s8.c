#include "tml_config.h"
#if TML_HAS_MUL
#include "bcast.h"
#include "fixedpoint.h"

/* (x - zx) * (y - zy) fits in 17 bits; one requantization to the output scale. */
int tml_mul_s8(const tml_mul_params_t *p, const tml_bcast_t *b, const int8_t *x, const int8_t *y,
               int8_t *out) {
    TML_BCAST_FOR_EACH(b, {
        const int32_t prod = (p->input1_offset + x[ia]) * (p->input2_offset + y[ib]);
        int32_t v = tml_requantize_fast(prod, p->output_mult, p->output_shift, p->rounding);
        v = tml_wrap_add(v, p->output_offset);
        out[o] = (int8_t)tml_clamp(v, p->act_min, p->act_max);
    });
    return 0;
}
#endif
