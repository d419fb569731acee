/* Broadcast iteration shared by the element-wise kernels (internal). BODY sees `ia` and `ib`,
 * the element offsets in the two inputs, and `o`, the output offset (row-major order). */
#ifndef TML_BCAST_H
#define TML_BCAST_H

#include "tml_kernels.h"

#define TML_BCAST_FOR_EACH(b, BODY)                                                          \
    do {                                                                                     \
        const int32_t *sa_ = (b)->stride[0], *sb_ = (b)->stride[1];                          \
        int32_t o = 0;                                                                       \
        for (int32_t i0 = 0; i0 < (b)->dims[0]; i0++) {                                      \
            for (int32_t i1 = 0; i1 < (b)->dims[1]; i1++) {                                  \
                for (int32_t i2 = 0; i2 < (b)->dims[2]; i2++) {                              \
                    int32_t ia = i0 * sa_[0] + i1 * sa_[1] + i2 * sa_[2];                    \
                    int32_t ib = i0 * sb_[0] + i1 * sb_[1] + i2 * sb_[2];                    \
                    for (int32_t i3 = 0; i3 < (b)->dims[3]; i3++, o++) {                     \
                        BODY;                                                                \
                        ia += sa_[3];                                                        \
                        ib += sb_[3];                                                        \
                    }                                                                        \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    } while (0)

#endif /* TML_BCAST_H */
