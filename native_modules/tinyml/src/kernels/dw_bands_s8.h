/* DEPTHWISE_CONV_2D four channels at a time on Armv7E-M (internal): the engine of both
 * depthwise kernels there, out of place and in place, for the layers it suits. */
#ifndef TML_DW_BANDS_S8_H
#define TML_DW_BANDS_S8_H

#include <stdint.h>
#include "arch.h"
#include "tml_kernels.h"

#if TML_ARCH_DSP
/* Runs the layer and returns 1 when it suits (3x3 undilated or a one-column map, depth
 * multiplier 1, channels in fours, an output row's input rows within TML_DW_ROW_BYTES; in
 * place, in == out, batch 1 and every band's input rows still unwritten when it gathers
 * them); else 0, nothing written.
 * buf: TML_DW_ROW_BYTES of word-aligned scratch. */
int tml_dw_bands_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                    const tml_dims_t *in_dims, const int8_t *in, const tml_dims_t *f_dims,
                    const int8_t *filter, const int32_t *bias, const tml_dims_t *out_dims,
                    int8_t *out, int32_t *buf);
#endif

#endif /* TML_DW_BANDS_S8_H */
