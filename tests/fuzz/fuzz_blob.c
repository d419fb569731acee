/* libFuzzer target for the C core: blob reader and validator, then load -> invoke on whatever
 * the validator accepts, under ASan and UBSan.
 *
 * - The blob is copied into an allocation of exactly its size: any read past it is an ASan
 *   report. The arena sits between 64-byte canaries in one allocation: a write outside the
 *   arena that stays inside the allocation is caught by the canary check, anything further by
 *   ASan.
 * - The custom mutator is structure-aware: it mutates like libFuzzer does, then (7 times in 8)
 *   recomputes the CRC, so the mutations reach the validator's checks of offsets, sizes,
 *   counts, shapes, operator parameters, quantization and the plan instead of stopping at the
 *   CRC; the 8th keeps the CRC path exercised.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I<core>/include tests/fuzz/fuzz_blob.c \
 *       <core>/src/ *.c <core>/src/kernels/ *.c <core>/src/ops/ *.c -o fuzz_blob
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tinyml.h"

#define CANARY 64
#define CANARY_BYTE 0xA5
#define MAX_ARENA (1u << 22)

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void fix_crc(uint8_t *b, size_t size) {
    if (size < 64) {
        return;
    }
    const uint32_t total = rd32(b + 8);
    if (total < 16 || total > size) {
        return;
    }
    const uint32_t crc = tml_crc32(0, b + 16, total - 16);
    b[12] = (uint8_t)crc;
    b[13] = (uint8_t)(crc >> 8);
    b[14] = (uint8_t)(crc >> 16);
    b[15] = (uint8_t)(crc >> 24);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    size = LLVMFuzzerMutate(data, size, max_size);
    if (seed % 8 != 0) {
        fix_crc(data, size);
    }
    return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *blob = (uint8_t *)malloc(size ? size : 1);
    char msg[160];
    tml_model_t m;
    memcpy(blob, data, size);
    tml_status_t st = tml_model_init(&m, blob, size);
    tml_format_error(msg, sizeof(msg), st, &m);
    if (st == TML_OK && tml_model_arena_size(&m) <= MAX_ARENA) {
        const uint32_t need = tml_model_arena_size(&m);
        uint8_t *mem = (uint8_t *)malloc(need + 2 * CANARY);
        memset(mem, CANARY_BYTE, need + 2 * CANARY);
        uint8_t *arena = mem + CANARY;
        if (tml_model_set_arena(&m, arena, need) == TML_OK) {
            for (uint32_t i = 0; i < m.n_inputs; i++) {
                tml_tensor_t t;
                if (tml_model_input(&m, i, &t) == TML_OK) {
                    for (uint32_t k = 0; k < t.size; k++) {
                        ((uint8_t *)t.data)[k] = size ? data[k % size] : 0;
                    }
                }
            }
            st = tml_model_invoke(&m);
            tml_format_error(msg, sizeof(msg), st, &m);
            for (uint32_t k = 0; k < CANARY; k++) {
                if (mem[k] != CANARY_BYTE || mem[CANARY + need + k] != CANARY_BYTE) {
                    abort(); /* a write outside the arena */
                }
            }
        }
        free(mem);
    }
    free(blob);
    return 0;
}
