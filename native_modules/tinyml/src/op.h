/* Operators (internal): each operator file (src/ops/op_*.c) supplies one tml_op_def_t with a
 * check function, run once by the loader over the blob's bytes, and an eval function that
 * decodes its parameter words and calls a pure kernel. The shared context below is filled from
 * the op record in the same way for both (ops.c), so they read the blob identically. */
#ifndef TML_OP_H
#define TML_OP_H

#include "core.h"
#include "tml_kernels.h"

typedef struct {
    const tml_model_t *m;
    uint32_t kind;
    uint32_t n_in;
    int32_t rounding;                   /* TML_ROUND_* from the op flags */
    uint16_t idx[TML_OP_MAX_INPUTS];    /* input tensor indices, TML_NONE if omitted */
    tml_tensor_t in[TML_OP_MAX_INPUTS]; /* omitted inputs: data NULL, size 0 */
    tml_tensor_t out;
    uint32_t n_words;
    int32_t w[TML_MAX_WORDS];           /* parameter words */
    uint32_t in_place;                  /* TML_OP_FLAG_IN_PLACE set */
    uint32_t scratch_off, scratch_size; /* arena bytes for the in-place variant */
    int8_t *scratch;                    /* at eval: arena + scratch_off */
} tml_op_ctx_t;

typedef struct {
    uint8_t kind;
    uint8_t min_in, max_in;     /* inputs; input 2 may be TML_NONE only if min_in <= 2 */
    uint8_t words;              /* parameter words: TML_OP_WORDS_<KIND>, from the schema */
    uint8_t in_place;           /* output may coincide exactly with input 0 */
    uint8_t const_inputs;       /* TML_IN(i): input i may (or must, per check) be constant */
    uint8_t packed_inputs;      /* TML_IN(i): input i may be stored packed (per check) */
    tml_status_t (*check)(const tml_op_ctx_t *c);
    int (*eval)(const tml_op_ctx_t *c);
    /* In-place variant: scratch bytes it needs, or 0 if this op cannot run in place (shapes,
     * parameters). NULL: the kind has no in-place variant. Host and device share the rule. */
    uint32_t (*in_place_scratch)(const tml_op_ctx_t *c);
    /* tml_model_op_info's fields beyond the record (fused clamp, geometry, requantization,
     * bias limit), over a context the loader checked. NULL: none (clamp -128..127, zeros). */
    void (*info)(const tml_op_ctx_t *c, tml_op_info_t *info);
} tml_op_def_t;

/* Bit of tml_op_def_t.const_inputs for input i. */
#define TML_IN(i) (1u << (i))

/* Each operator file's definition; the table in ops.c selects the built-in ones. */
#define TML_DECLARE_OP(name) extern const tml_op_def_t tml_op_##name
TML_DECLARE_OP(conv_2d);
TML_DECLARE_OP(depthwise_conv_2d);
TML_DECLARE_OP(fully_connected);
TML_DECLARE_OP(average_pool_2d);
TML_DECLARE_OP(max_pool_2d);
TML_DECLARE_OP(reshape);
TML_DECLARE_OP(softmax);
TML_DECLARE_OP(add);
TML_DECLARE_OP(mul);
TML_DECLARE_OP(minimum);
TML_DECLARE_OP(maximum);
TML_DECLARE_OP(lut);
TML_DECLARE_OP(concat);
TML_DECLARE_OP(pad);
TML_DECLARE_OP(strided_copy);
TML_DECLARE_OP(resize_nearest);
TML_DECLARE_OP(prelu);
TML_DECLARE_OP(mean);

/* ---- helpers for check functions ---- */

static inline int tml_is_act(const tml_tensor_t *t) {
    return t->dtype == TML_DTYPE_INT8 && t->location == TML_LOC_ARENA;
}
static inline int tml_is_const(const tml_tensor_t *t, int32_t dtype) {
    return t->dtype == dtype && t->location == TML_LOC_CONST;
}
/* An int8 tensor: activation or constant. */
static inline int tml_is_i8(const tml_tensor_t *t) {
    return t->dtype == TML_DTYPE_INT8 && t->size > 0;
}
static inline int tml_overlaps(const tml_tensor_t *a, const tml_tensor_t *b) {
    return a->location == TML_LOC_ARENA && b->location == TML_LOC_ARENA &&
           a->offset < b->offset + b->size && b->offset < a->offset + a->size;
}
static inline int tml_between(int32_t v, int32_t lo, int32_t hi) {
    return v >= lo && v <= hi;
}
/* Activation clamp words: -128 <= lo <= hi <= 127. */
static inline int tml_check_act(int32_t lo, int32_t hi) {
    return tml_between(lo, -128, 127) && tml_between(hi, -128, 127) && lo <= hi;
}
static inline const int32_t *tml_data_i32(const tml_model_t *m, int32_t off) {
    return (const int32_t *)(const void *)(m->data + off);
}
/* A data-section array of n elements of elem bytes at a word-given offset, aligned to elem. */
int tml_check_array(const tml_model_t *m, int32_t off, uint32_t n, uint32_t elem);
/* n requantization pairs (mult >= 0, shift in [-31, 30]) at data offsets. */
int tml_check_requant(const tml_model_t *m, int32_t mult_off, int32_t shift_off, uint32_t n);
/* The largest |bias| that keeps accumulator + bias inside int32 when the accumulator sums
 * `terms` products of magnitude <= max_term (terms * max_term < 2^31): the one rule each
 * operator with a bias checks its bias against and reports as tml_op_info_t.bias_limit. */
int32_t tml_bias_limit(int64_t terms, int64_t max_term);
/* A constant int32 [n] bias whose values lie in [-limit, limit]. Reads b->data: the blob's
 * values, or a constant override's. */
int tml_check_bias(const tml_tensor_t *b, int32_t n, int32_t limit);

/* Weights stored DUAL16 (the tensor record's size already checked): every stored value an
 * int8, so that the accumulator bounds hold; the padding (written 0) meets zero inputs or is
 * never read, so its value cannot reach an output. */
int tml_dual16_values_ok(const tml_tensor_t *f);
/* tml_op_info_t's requantization: n pairs at data offsets the check accepted. */
void tml_info_requant(const tml_op_ctx_t *c, tml_op_info_t *info, int32_t mult_off,
                      int32_t shift_off, uint32_t n);
/* Broadcast words (4 output dims, then 4 strides per input, in elements) against the output
 * size and each input's size: every index reached lies inside the input. */
int tml_check_bcast(const int32_t *w, uint32_t n_inputs, const tml_tensor_t *const *ins,
                    const tml_tensor_t *out);
void tml_bcast_of(const int32_t *w, tml_bcast_t *b);
/* An element-wise output written over input 0 (an exact alias): safe only when input 0 is
 * read at the very index being written, i.e. its strides are the output's row-major ones. */
int tml_bcast_in_place_ok(const int32_t *w, const tml_tensor_t *in0, const tml_tensor_t *out);

#endif /* TML_OP_H */
