#include "tml_config.h"
#if TML_HAS_PAD
#include <string.h>
#include "tml_kernels.h"

/* Walks the output row by row (the last dimension): each row is padding, or leading padding,
 * a copied input row and trailing padding. */
int tml_pad_s8(const tml_pad_params_t *p, const int8_t *in, int8_t *out) {
    const int32_t *id = p->in_dims, *od = p->out_dims, *bf = p->before;
    const int8_t v = (int8_t)p->value;
    for (int32_t o0 = 0; o0 < od[0]; o0++) {
        const int32_t i0 = o0 - bf[0];
        for (int32_t o1 = 0; o1 < od[1]; o1++) {
            const int32_t i1 = o1 - bf[1];
            for (int32_t o2 = 0; o2 < od[2]; o2++) {
                const int32_t i2 = o2 - bf[2];
                if (i0 < 0 || i0 >= id[0] || i1 < 0 || i1 >= id[1] || i2 < 0 || i2 >= id[2]) {
                    memset(out, v, (size_t)od[3]);
                } else {
                    const int8_t *row = in + (((int64_t)i0 * id[1] + i1) * id[2] + i2) * id[3];
                    memset(out, v, (size_t)bf[3]);
                    memcpy(out + bf[3], row, (size_t)id[3]);
                    memset(out + bf[3] + id[3], v, (size_t)(od[3] - bf[3] - id[3]));
                }
                out += od[3];
            }
        }
    }
    return 0;
}
#endif
