#include "tml_config.h"
#if TML_HAS_FULLY_CONNECTED
#include <stddef.h>
#include "dot_s8.h"
#include "fixedpoint.h"

/* FULLY_CONNECTED through the GEMM engine, two batch rows at a time (tml_dot_s8). A nonzero
 * filter zero point (allowed by TFLite, never emitted by its int8 converter) takes the plain
 * loop. depth is limited to 2^15 by the loader and each term is at most 256 * 256 = 2^16 in
 * magnitude, so the int32 accumulator cannot overflow. src/kernels/ref/ holds the reference.
 * Weights stored DUAL16 (tml_fully_connected_d16_s8) take the same path through tml_dot16_s8. */

/* Two batch rows at a time through the GEMM engine: weights stored plain (w8) or DUAL16. */
#if TML_HAS_DUAL16
__attribute__((noinline)) /* called twice */
#endif
static void fc_gemm(const tml_fc_params_t *p, const tml_requant_t *q, int32_t batches,
                    int32_t depth, const int8_t *in, int32_t units, const int8_t *w8,
                    const int16_t *w16, const int32_t *bias, int32_t per_channel, int8_t *out) {
    tml_dot_params_t d;
    tml_dot_init(&d, bias, q, per_channel, units, p->input_offset, p->output_offset,
                 p->act_min, p->act_max);
    for (int32_t b = 0; b < batches; b += 2) {
        const int8_t *x0 = in + (int64_t)b * depth;
        const int8_t *x1 = b + 1 < batches ? x0 + depth : NULL;
        int8_t *o0 = out + (int64_t)b * units;
#if TML_HAS_DUAL16
        if (w16) {
            tml_dot16_s8(&d, depth, x0, x1, w16, units, o0, o0 + units);
            continue;
        }
#else
        (void)w16;
#endif
        tml_dot_s8(&d, depth, x0, x1, w8, units, o0, o0 + units);
    }
}

int tml_fully_connected_s8(const tml_fc_params_t *p, const tml_requant_t *q,
                           int32_t batches, int32_t depth, const int8_t *in,
                           int32_t units, const int8_t *filter, const int32_t *bias,
                           int32_t per_channel, int8_t *out) {
    if (p->filter_offset == 0) {
        fc_gemm(p, q, batches, depth, in, units, filter, NULL, bias, per_channel, out);
        return 0;
    }
    for (int32_t b = 0; b < batches; b++) {
        const int8_t *x = in + (int64_t)b * depth;
        for (int32_t u = 0; u < units; u++) {
            const int8_t *w = filter + (int64_t)u * depth;
            int32_t acc = 0;
            for (int32_t i = 0; i < depth; i++) {
                acc += (w[i] + p->filter_offset) * (x[i] + p->input_offset);
            }
            if (bias) {
                acc += bias[u];
            }
            const int32_t c = per_channel ? u : 0;
            out[(int64_t)b * units + u] = tml_output_stage(acc, q->mult[c], q->shift[c],
                                                           q->rounding, p->output_offset,
                                                           p->act_min, p->act_max);
        }
    }
    return 0;
}

#if TML_HAS_DUAL16
int tml_fully_connected_d16_s8(const tml_fc_params_t *p, const tml_requant_t *q,
                               int32_t batches, int32_t depth, const int8_t *in,
                               int32_t units, const int16_t *filter16, const int32_t *bias,
                               int32_t per_channel, int8_t *out) {
    fc_gemm(p, q, batches, depth, in, units, NULL, filter16, bias, per_channel, out);
    return 0;
}
#endif
#endif
