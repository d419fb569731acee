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
 * - Then the on-device training API: tml_model_op_info of every operator (its requant arrays
 *   read through), the sparse-update scheme (every entry read and held to the loader's
 *   promises), and constant overrides: the constant inputs of the operators replaced by
 *   fuzz-flipped copies in exact-size allocations (at most TML_MAX_OVERRIDES, one more must be
 *   refused), invoked, flipped again behind the core's back and invoked again (whatever the
 *   core accepts must run clean: the invoke-time checks are the only guard).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I<core>/include -I<core>/src \
 *       -I<core>/src/kernels tests/fuzz/fuzz_blob.c \
 *       <core>/src/ *.c <core>/src/kernels/ *.c <core>/src/ops/ *.c -o fuzz_blob
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tml_train.h"

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

static void check_canaries(const uint8_t *mem, uint32_t need) {
    for (uint32_t k = 0; k < CANARY; k++) {
        if (mem[k] != CANARY_BYTE || mem[CANARY + need + k] != CANARY_BYTE) {
            abort(); /* a write outside the arena */
        }
    }
}

/* Flip some bytes of p (about one in sixteen) with bytes of the input. */
static void flip(uint8_t *p, uint32_t n, const uint8_t *data, size_t size, uint32_t salt) {
    for (uint32_t j = 0; j < n && size > 0; j++) {
        if (data[(j * 7u + salt) % size] < 16) {
            p[j] ^= data[(j + salt) % size];
        }
    }
}

static void training_api(tml_model_t *m, const uint8_t *mem, const uint8_t *data, size_t size) {
    char msg[160];
    volatile uint32_t sink = 0;
    uint8_t *bufs[TML_MAX_OVERRIDES];
    uint32_t held[TML_MAX_OVERRIDES], n_held = 0;
    const uint32_t need = tml_model_arena_size(m);
    for (uint32_t k = 0; k < tml_model_op_count(m); k++) {
        tml_op_info_t info;
        if (tml_model_op_info(m, k, &info) != TML_OK) {
            abort();
        }
        for (uint32_t c = 0; c < 4 * info.n_requant; c++) {
            sink += info.mult[c] + info.shift[c];
        }
        /* The bias limit the loader checked the bias against, and only for kinds with one. */
        const int with_bias = info.kind == TML_OP_CONV_2D ||
                              info.kind == TML_OP_DEPTHWISE_CONV_2D ||
                              info.kind == TML_OP_FULLY_CONNECTED;
        tml_tensor_t b;
        if (with_bias != (info.bias_limit > 0)) {
            abort();
        }
        if (with_bias && info.n_inputs > 2 && info.inputs[2] != TML_NONE &&
            tml_model_tensor(m, info.inputs[2], &b) == TML_OK) {
            for (uint32_t c = 0; c < b.size / 4; c++) {
                const int32_t v = (int32_t)rd32((const uint8_t *)b.data + 4 * c);
                if (v > info.bias_limit || v < -info.bias_limit) {
                    abort();
                }
            }
        }
    }
    for (uint32_t i = 0; i < tml_model_update_count(m); i++) {
        tml_update_t u;
        tml_op_info_t info;
        tml_tensor_t w;
        if (tml_model_update(m, i, &u) != TML_OK || tml_model_op_info(m, u.op, &info) != TML_OK ||
            (info.kind != TML_OP_CONV_2D && info.kind != TML_OP_DEPTHWISE_CONV_2D &&
             info.kind != TML_OP_FULLY_CONNECTED) ||
            tml_model_tensor(m, info.inputs[1], &w) != TML_OK || w.location != 1 ||
            (u.bias && (info.n_inputs < 3 || info.inputs[2] == 0xFFFFu)) ||
            (!u.bias && u.n_channels == 0)) {
            abort(); /* the loader let through a scheme it promises to refuse */
        }
        for (uint32_t c = 0; c < u.n_channels; c++) {
            const uint32_t ch = u.channels[2 * c] | (u.channels[2 * c + 1] << 8);
            if (ch >= (uint32_t)w.dims[w.rank - 1]) {
                abort();
            }
        }
    }
    tml_update_t none;
    if (tml_model_update(m, tml_model_update_count(m), &none) != TML_E_INDEX) {
        abort();
    }
    /* Override the constant inputs of the operators, in order, with flipped copies. */
    for (uint32_t k = 0; k < tml_model_op_count(m); k++) {
        tml_op_info_t info;
        tml_model_op_info(m, k, &info);
        for (uint32_t i = 0; i < info.n_inputs; i++) {
            const uint32_t ti = info.inputs[i];
            tml_tensor_t t;
            uint32_t j = 0;
            while (j < n_held && held[j] != ti) {
                j++;
            }
            if (ti == 0xFFFFu || j < n_held || tml_model_tensor(m, ti, &t) != TML_OK ||
                t.location != 1) {
                continue; /* none, already overridden (a shared constant), or an activation */
            }
            uint8_t *b = (uint8_t *)malloc(t.size);
            memcpy(b, t.data, t.size);
            flip(b, t.size, data, size, k * 4u + i);
            if (tml_model_set_const(m, ti, b + 1, t.size) != TML_E_CONST_ALIGN ||
                tml_model_set_const(m, ti, b, t.size + 1) != TML_E_CONST_SIZE) {
                abort();
            }
            const tml_status_t st = tml_model_set_const(m, ti, b, t.size);
            tml_format_error(msg, sizeof(msg), st, m);
            if (n_held == TML_MAX_OVERRIDES ? st != TML_E_CONST_FULL :
                                              st != TML_OK && st != TML_E_CONST_CHECK) {
                abort();
            }
            if (st == TML_OK) {
                bufs[n_held] = b;
                held[n_held++] = ti;
            } else {
                free(b);
            }
        }
    }
    if (tml_model_invoke(m) == TML_OK) {
        check_canaries(mem, need);
    }
    for (uint32_t i = 0; i < n_held; i++) {
        tml_tensor_t t;
        tml_model_tensor(m, held[i], &t);
        if (t.data != bufs[i]) {
            abort();
        }
        flip(bufs[i], t.size, data, size, 1000u + i);
    }
    const tml_status_t st = tml_model_invoke(m);
    tml_format_error(msg, sizeof(msg), st, m);
    check_canaries(mem, need);
    for (uint32_t i = 0; i < n_held; i++) {
        if (tml_model_set_const(m, held[i], NULL, 0) != TML_OK) {
            abort();
        }
        free(bufs[i]);
    }
    (void)sink;
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
            for (uint32_t i = 0; i < tml_model_input_count(&m); i++) {
                tml_tensor_t t;
                if (tml_model_input(&m, i, &t) == TML_OK) {
                    for (uint32_t k = 0; k < t.size; k++) {
                        ((uint8_t *)t.data)[k] = size ? data[k % size] : 0;
                    }
                }
            }
            st = tml_model_invoke(&m);
            tml_format_error(msg, sizeof(msg), st, &m);
            check_canaries(mem, need);
            training_api(&m, mem, data, size);
        }
        free(mem);
    }
    free(blob);
    return 0;
}
