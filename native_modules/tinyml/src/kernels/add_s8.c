#include "tml_config.h"
#if TML_HAS_ADD
#include "fixedpoint.h"

/* Both inputs are brought to a common scale with 20 bits of headroom before the sum, as
 * TFLite's reference does: |offset + x| <= 256, so the shifted value stays below 2^29 and the
 * sum of two rescaled values below 2^30. */
int tml_add_s8(const tml_add_params_t *p, int32_t size, const int8_t *a, const int8_t *b,
               int8_t *out) {
    for (int32_t i = 0; i < size; i++) {
        const int32_t sa = (p->input1_offset + a[i]) * (1 << p->left_shift);
        const int32_t sb = (p->input2_offset + b[i]) * (1 << p->left_shift);
        const int32_t ra = tml_requantize(sa, p->input1_mult, p->input1_shift, p->rounding);
        const int32_t rb = tml_requantize(sb, p->input2_mult, p->input2_shift, p->rounding);
        int32_t y = tml_requantize(ra + rb, p->output_mult, p->output_shift, p->rounding);
        y += p->output_offset;
        out[i] = (int8_t)tml_clamp(y, p->act_min, p->act_max);
    }
    return 0;
}
#endif
