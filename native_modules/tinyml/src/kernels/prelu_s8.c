#include "tml_config.h"
#if TML_HAS_PRELU
#include "bcast.h"
#include "fixedpoint.h"

/* Non-negative inputs are rescaled to the output scale; negative ones are multiplied by alpha
 * first. Both products fit in 17 bits. */
int tml_prelu_s8(const tml_prelu_params_t *p, const tml_bcast_t *b, const int8_t *x,
                 const int8_t *alpha, int8_t *out) {
    TML_BCAST_FOR_EACH(b, {
        const int32_t v = p->input_offset + x[ia];
        int32_t r;
        if (v >= 0) {
            r = tml_requantize_fast(v, p->mult_pos, p->shift_pos, p->rounding);
        } else {
            const int32_t a = p->alpha_offset + alpha[ib];
            r = tml_requantize_fast(v * a, p->mult_neg, p->shift_neg, p->rounding);
        }
        out[o] = (int8_t)tml_clamp(tml_wrap_add(r, p->output_offset), -128, 127);
    });
    return 0;
}
#endif
