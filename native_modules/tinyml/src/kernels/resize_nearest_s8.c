#include "tml_config.h"
#if TML_HAS_RESIZE_NEAREST
#include <string.h>
#include "tml_kernels.h"

int tml_resize_nearest_s8(const tml_dims_t *in_dims, const tml_dims_t *out_dims,
                          const int32_t *map_h, const int32_t *map_w, const int8_t *in,
                          int8_t *out) {
    const int32_t depth = in_dims->c;
    for (int32_t b = 0; b < out_dims->n; b++) {
        for (int32_t oy = 0; oy < out_dims->h; oy++) {
            const int8_t *row = in + ((int64_t)b * in_dims->h + map_h[oy]) * in_dims->w * depth;
            for (int32_t ox = 0; ox < out_dims->w; ox++) {
                memcpy(out, row + (int64_t)map_w[ox] * depth, (size_t)depth);
                out += depth;
            }
        }
    }
    return 0;
}
#endif
