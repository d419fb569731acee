#include "tml_config.h"
#if TML_HAS_ADD
#include "bcast.h"
#include "fixedpoint.h"

/* Both inputs are brought to a common scale with 20 bits of headroom before the sum, as
 * TFLite's reference does: |offset + x| <= 256, so the shifted value stays below 2^29 and the
 * sum of two rescaled values below 2^30. SUB subtracts the second rescaled value. */
int tml_add_s8(const tml_add_params_t *p, const tml_bcast_t *b, const int8_t *x, const int8_t *y,
               int8_t *out) {
    TML_BCAST_FOR_EACH(b, {
        const int32_t sa = (p->input1_offset + x[ia]) * (1 << p->left_shift);
        const int32_t sb = (p->input2_offset + y[ib]) * (1 << p->left_shift);
        const int32_t ra = tml_requantize_fast(sa, p->input1_mult, p->input1_shift, p->rounding);
        const int32_t rb = tml_requantize_fast(sb, p->input2_mult, p->input2_shift, p->rounding);
        const int32_t sum = p->subtract ? ra - rb : ra + rb;
        int32_t v = tml_requantize_fast(sum, p->output_mult, p->output_shift, p->rounding);
        v = tml_wrap_add(v, p->output_offset);
        out[o] = (int8_t)tml_clamp(v, p->act_min, p->act_max);
    });
    return 0;
}
#endif
