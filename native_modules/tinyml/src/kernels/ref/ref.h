/* The reference kernels (internal): the plain loops of TFLite's reference kernels, kept as the
 * oracle the fast kernels are tested against (tests/c/kernel_check.c, on the host and inside
 * every emulated core). They are not part of a firmware build. */
#ifndef TML_REF_H
#define TML_REF_H

#include "tml_kernels.h"

int tml_conv2d_ref_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                      const tml_dims_t *in_dims, const int8_t *in,
                      const tml_dims_t *f_dims, const int8_t *filter, const int32_t *bias,
                      const tml_dims_t *out_dims, int8_t *out);
int tml_depthwise_conv2d_ref_s8(const tml_conv_params_t *p, const tml_requant_t *q,
                                const tml_dims_t *in_dims, const int8_t *in,
                                const tml_dims_t *f_dims, const int8_t *filter,
                                const int32_t *bias, const tml_dims_t *out_dims, int8_t *out);
int tml_fully_connected_ref_s8(const tml_fc_params_t *p, const tml_requant_t *q,
                               int32_t batches, int32_t depth, const int8_t *in,
                               int32_t units, const int8_t *filter, const int32_t *bias,
                               int32_t per_channel, int8_t *out);

#endif /* TML_REF_H */
