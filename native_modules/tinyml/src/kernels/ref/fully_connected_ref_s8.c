#include "tml_config.h"
#if TML_HAS_FULLY_CONNECTED
#include "fixedpoint.h"
#include "ref.h"

/* depth is limited to 2^15 by the loader and each term is at most 256 * 256 = 2^16 in magnitude
 * (a nonzero filter zero point is allowed here), so the int32 accumulator cannot overflow. */
int tml_fully_connected_ref_s8(const tml_fc_params_t *p, const tml_requant_t *q,
                           int32_t batches, int32_t depth, const int8_t *in,
                           int32_t units, const int8_t *filter, const int32_t *bias,
                           int32_t per_channel, int8_t *out) {
    for (int32_t b = 0; b < batches; b++) {
        const int8_t *x = in + (int64_t)b * depth;
        for (int32_t u = 0; u < units; u++) {
            const int8_t *w = filter + (int64_t)u * depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < depth; d++) {
                acc += (w[d] + p->filter_offset) * (x[d] + p->input_offset);
            }
            if (bias) {
                acc += bias[u];
            }
            out[(int64_t)b * units + u] = tml_ref_output_stage(acc, q, per_channel ? u : 0,
                                                           p->output_offset, p->act_min,
                                                           p->act_max);
        }
    }
    return 0;
}
#endif
