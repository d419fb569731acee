/* tml_dequantize_bits (integer-only, for builds without floats) against the FPU's
 * tml_dequantize_f32: every int8 value and zero point offset times 20,000 scales (normal,
 * subnormal, near overflow), bit for bit. Built and run by tests/host/test_c_core.py. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "tinyml.h"
int main(void) {
    unsigned long bad = 0, n = 0;
    srand(1);
    for (int t = 0; t < 20000; t++) {
        uint32_t bits;
        if (t % 10 == 0) bits = (uint32_t)rand() & 0x7fffff;          /* subnormal */
        else bits = ((uint32_t)(rand() % 254 + 1) << 23) | ((uint32_t)rand() & 0x7fffff);
        if (t % 7 == 0) bits = (bits & 0x7fffff) | (0x7e << 23);      /* near overflow */
        float scale; memcpy(&scale, &bits, 4);
        int8_t q[256]; for (int i = 0; i < 256; i++) q[i] = (int8_t)(i - 128);
        int32_t zp = rand() % 256 - 128;
        float f[256]; uint32_t u[256];
        tml_dequantize_f32(q, 256, scale, zp, f);
        tml_dequantize_bits(q, 256, bits, zp, u);
        for (int i = 0; i < 256; i++) { uint32_t fb; memcpy(&fb, &f[i], 4); n++; if (fb != u[i]) { if (bad < 5) printf("k=%d bits=%08x fpu=%08x int=%08x\n", q[i]-zp, bits, fb, u[i]); bad++; } }
    }
    printf("%lu of %lu differ\n", bad, n);
    return bad != 0;
}
