/* tinyml: the portable C99 core. Loads a tinyml blob (docs/blob-format.md), validates it once,
 * and runs it over a caller-provided arena. No heap, no globals with state, no MicroPython.
 *
 *   tml_model_t m;
 *   if (tml_model_init(&m, blob, blob_len) != TML_OK) ... tml_format_error(...)
 *   tml_model_set_arena(&m, arena, arena_len);   // at least tml_model_arena_size(&m) bytes
 *   tml_tensor_t t; tml_model_input(&m, 0, &t);  // write int8 input into t.data
 *   tml_model_invoke(&m);
 *   tml_model_output(&m, 0, &t);                 // read int8 output from t.data
 *
 * The blob is used in place (weights are never copied) and must stay alive and unchanged, and
 * 4-byte aligned, for the model's lifetime. Targets are little-endian.
 *
 * Other public headers: tml_train.h (on-device training: operator records, the trainable head,
 * the sparse-update scheme, constant overrides), tml_bind.h (what the language bindings share),
 * tml_kernels.h (the int8 kernels alone), tml_schema.def (the blob format's lists).
 */
#ifndef TINYML_H
#define TINYML_H

#include <stddef.h>
#include <stdint.h>
#include "tml_config.h"
#include "tml_schema.def"

/* The format's constants, from the schema: TML_VERSION_MAJOR, TML_VERSION_MINOR (what this
 * reader writes and reads), TML_HEADER_SIZE, TML_TENSOR_RECORD, TML_OP_RECORD, TML_NONE (an
 * absent tensor index), TML_OP_MAX_INPUTS, TML_OP_MAX_OUTPUTS, TML_DATA_ALIGN,
 * TML_DUAL16_MAX_ROW. */
#define TML_CONST_(NAME, value) TML_##NAME = (value),
enum { TML_SCHEMA_CONSTS(TML_CONST_) };
#undef TML_CONST_

/* Status codes in code order, each with its text (tml_status_str; tml_format_error adds the
 * numbers where the model is known). */
#define TML_STATUSES(X) \
    X(TML_OK, "ok") \
    X(TML_E_TOO_SMALL, "truncated: shorter than a blob header") \
    X(TML_E_MAGIC, "bad magic: not a tinyml blob") \
    X(TML_E_VERSION, "unsupported blob version") \
    X(TML_E_TRUNCATED, "truncated: fewer bytes than the header's total size") \
    X(TML_E_CRC, "CRC mismatch: blob corrupted") \
    X(TML_E_ALIGN, "buffer not 4-byte aligned") \
    X(TML_E_HEADER, "invalid header field") \
    X(TML_E_SECTION, "section outside the blob or misaligned") \
    X(TML_E_TENSOR, "invalid tensor record") \
    X(TML_E_OP, "invalid operator record") \
    X(TML_E_OP_UNSUPPORTED, "unsupported operator") \
    X(TML_E_PARAMS, "invalid operator parameters") \
    X(TML_E_PLAN, "invalid memory plan") \
    X(TML_E_META, "invalid metadata") \
    X(TML_E_ARENA, "arena too small") \
    X(TML_E_NO_ARENA, "no arena set") \
    X(TML_E_INDEX, "index out of range") \
    X(TML_E_KERNEL, "kernel failed") \
    X(TML_E_VALUE, "input is NaN or infinite") \
    X(TML_E_INPUT_LEN, "input of the wrong length") \
    X(TML_E_OUTPUT_LEN, "output buffer of the wrong length") \
    X(TML_E_NOT_CONST, "constant override: not a constant tensor") \
    X(TML_E_CONST_SIZE, "constant override: wrong size") \
    X(TML_E_CONST_ALIGN, "constant override: buffer not 4-byte aligned") \
    X(TML_E_CONST_FULL, "constant override: too many tensors") \
    X(TML_E_CONST_CHECK, "constant override: refused by an operator's checks") \
    X(TML_E_OFFSET, "offset outside the tensor")
#define TML_STATUS_(name, text) name,
typedef enum { TML_STATUSES(TML_STATUS_) TML_STATUS_COUNT } tml_status_t;
#undef TML_STATUS_

/* Operator kinds stored in the blob, from the schema: TML_OP_CONV_2D = 1, ... (stable numbers,
 * dense from 1: part of the format). */
#define TML_OP_KIND_(NAME, code, LAYOUT) TML_OP_##NAME = (code),
typedef enum { TML_SCHEMA_OPS(TML_OP_KIND_) TML_OP_KIND_COUNT } tml_op_kind_t;
#undef TML_OP_KIND_

/* Tensor data types, from the schema: TML_DTYPE_INT8, TML_DTYPE_INT32. */
#define TML_DTYPE_(NAME, code, bytes) TML_DTYPE_##NAME = (code),
typedef enum { TML_SCHEMA_DTYPES(TML_DTYPE_) } tml_dtype_t;
#undef TML_DTYPE_

/* How a constant tensor's values are stored, from the schema: TML_PACKING_PLAIN,
 * TML_PACKING_DUAL16 (docs/blob-format.md). */
#define TML_PACKING_(NAME, code) TML_PACKING_##NAME = (code),
typedef enum { TML_SCHEMA_PACKINGS(TML_PACKING_) } tml_packing_t;
#undef TML_PACKING_

typedef struct {
    void *data;          /* arena or blob memory; NULL for arena tensors before set_arena */
    uint32_t size;       /* bytes */
    int32_t rank;
    int32_t dims[4];
    int32_t dtype;       /* tml_dtype_t */
    uint32_t scale_bits; /* IEEE-754 float32 bits of the scale (0: not quantized per tensor) */
    int32_t zero_point;
    int32_t location;    /* 0: arena, 1: constant in the blob */
    uint32_t offset;     /* arena offset, or offset in the blob's data section */
} tml_tensor_t;

/* A loaded model. Public only so that callers can allocate it (on the stack, in an object);
 * every field is private to the core: use the functions below. Fill with tml_model_init. */
typedef struct {
    const uint8_t *blob;
    uint32_t blob_size;
    uint8_t *arena;
    uint32_t arena_size;     /* bytes the plan needs */
    uint32_t flags;
    uint16_t version_minor;
    uint16_t n_tensors, n_ops, n_inputs, n_outputs, n_labels;
    const uint8_t *tensors;  /* n_tensors records */
    const uint8_t *ops;      /* n_ops records */
    const uint8_t *io;       /* n_inputs + n_outputs u16 tensor indices */
    const uint8_t *data;     /* constant pool */
    uint32_t data_size;
    const uint8_t *meta;
    uint32_t meta_size;
    const uint8_t *head;     /* the trainable-head record in the metadata (1.1), or NULL */
    const uint8_t *sparse;   /* the sparse-update scheme record (1.1), or NULL */
    /* Constant overrides (tml_model_set_const): RAM read instead of these constant tensors. */
    uint32_t n_overrides;
    uint16_t override_tensor[TML_MAX_OVERRIDES];
    const void *override_data[TML_MAX_OVERRIDES];
    /* Details of the last error, for tml_format_error. */
    int32_t err_item;        /* index of the tensor or op at fault, else -1 */
    uint8_t err_kind;        /* 1: tensor, 2: operator, when err_item >= 0 */
    uint32_t err_a, err_b, err_c; /* numbers the message quotes (sizes, versions, indices) */
} tml_model_t;

/* Validate everything in the blob. On error the model is unusable; tml_format_error tells
 * which tensor or operator was at fault. */
tml_status_t tml_model_init(tml_model_t *m, const void *blob, size_t blob_len);

/* Bytes of arena the model's memory plan needs. */
uint32_t tml_model_arena_size(const tml_model_t *m);

/* Attach the arena: at least arena_size bytes, 4-byte aligned. */
tml_status_t tml_model_set_arena(tml_model_t *m, void *arena, size_t arena_len);

/* Run every operator in order. Inputs must have been written into the input tensors. */
tml_status_t tml_model_invoke(tml_model_t *m);

/* Run operators [first, end) only (first <= end <= operator count): a prefix computes an
 * intermediate tensor, e.g. the embedding the trainable head reads. With constant overrides
 * (tml_train.h), the operators in the range that read one are checked again first (the
 * caller's RAM may have changed since tml_model_set_const); if one fails, nothing runs and the
 * status is TML_E_CONST_CHECK. */
tml_status_t tml_model_invoke_range(tml_model_t *m, uint32_t first, uint32_t end);

/* Counts from the header and metadata. */
uint32_t tml_model_op_count(const tml_model_t *m);
uint32_t tml_model_tensor_count(const tml_model_t *m);
uint32_t tml_model_input_count(const tml_model_t *m);
uint32_t tml_model_output_count(const tml_model_t *m);
uint32_t tml_model_label_count(const tml_model_t *m);

tml_status_t tml_model_input(const tml_model_t *m, uint32_t index, tml_tensor_t *t);
tml_status_t tml_model_output(const tml_model_t *m, uint32_t index, tml_tensor_t *t);
/* Any tensor; t->data of an overridden constant is the override's RAM. */
tml_status_t tml_model_tensor(const tml_model_t *m, uint32_t index, tml_tensor_t *t);

/* Metadata strings (UTF-8, not NUL-terminated). */
void tml_model_name(const tml_model_t *m, const char **s, uint32_t *len);
tml_status_t tml_model_label(const tml_model_t *m, uint32_t index, const char **s, uint32_t *len);

const char *tml_status_str(tml_status_t status);

/* Write a NUL-terminated message for status into buf, with the details recorded in m (which
 * may be NULL). Returns the message length. Every binding raises exactly this text. */
size_t tml_format_error(char *buf, size_t cap, tml_status_t status, const tml_model_t *m);

/* CRC-32 (IEEE 802.3, as zlib.crc32) of len bytes, continuing from crc (start with 0). */
uint32_t tml_crc32(uint32_t crc, const uint8_t *p, size_t len);

#if TML_HAS_FLOAT
/* Float edges of the API: int8 = clamp(round_half_away(x / scale) + zp); x = (q - zp) * scale.
 * tml_quantize returns TML_E_VALUE for NaN or infinite input. */
tml_status_t tml_quantize_f32(const float *x, uint32_t n, float scale, int32_t zero_point,
                              int8_t *out);
void tml_dequantize_f32(const int8_t *q, uint32_t n, float scale, int32_t zero_point,
                        float *out);
float tml_scale_f32(uint32_t scale_bits);
#endif

/* Dequantization without floating point: writes the IEEE-754 float32 bits of
 * (q - zero_point) * scale, bit-identical to tml_dequantize_f32 (for builds without floats). */
void tml_dequantize_bits(const int8_t *q, uint32_t n, uint32_t scale_bits, int32_t zero_point,
                         uint32_t *out);

#endif /* TINYML_H */
