/* tinyml: the portable C99 core. Loads a tinyml blob (docs/blob-format.md), validates it once,
 * and runs it over a caller-provided arena. No heap, no globals with state, no MicroPython.
 *
 *   tml_model_t m;
 *   if (tml_model_init(&m, blob, blob_len) != TML_OK) ... tml_status_str(status)
 *   tml_model_set_arena(&m, arena, arena_len);   // at least tml_model_arena_size(&m) bytes
 *   tml_tensor_t t; tml_model_input(&m, 0, &t);  // write int8 input into t.data
 *   tml_model_invoke(&m);
 *   tml_model_output(&m, 0, &t);                 // read int8 output from t.data
 *
 * The blob is used in place (weights are never copied) and must stay alive and unchanged, and
 * 4-byte aligned, for the model's lifetime. Targets are little-endian.
 */
#ifndef TINYML_H
#define TINYML_H

#include <stddef.h>
#include <stdint.h>
#include "tml_config.h"
#include "tml_kernels.h"

#define TML_VERSION_MAJOR 1
#define TML_VERSION_MINOR 1

typedef enum {
    TML_OK = 0,
    TML_E_TOO_SMALL,       /* shorter than a header */
    TML_E_MAGIC,           /* not a tinyml blob */
    TML_E_VERSION,         /* major version not supported */
    TML_E_TRUNCATED,       /* header's total size exceeds the bytes given */
    TML_E_CRC,             /* CRC32 mismatch */
    TML_E_ALIGN,           /* blob or arena not 4-byte aligned */
    TML_E_HEADER,          /* inconsistent header field */
    TML_E_SECTION,         /* a section lies outside the blob or is misaligned */
    TML_E_TENSOR,          /* a tensor record is invalid */
    TML_E_OP,              /* an operator record is invalid */
    TML_E_OP_UNSUPPORTED,  /* operator kind unknown or compiled out */
    TML_E_PARAMS,          /* operator parameters invalid or inconsistent with shapes */
    TML_E_PLAN,            /* memory plan invalid (buffers outside the arena or overlapping) */
    TML_E_META,            /* metadata section malformed */
    TML_E_ARENA,           /* arena too small */
    TML_E_NO_ARENA,        /* invoke before an arena was set */
    TML_E_INDEX,           /* input/output/label index out of range */
    TML_E_KERNEL,          /* a kernel reported failure */
    TML_E_VALUE,           /* NaN or infinite float input */
    TML_E_INPUT_LEN,       /* input of the wrong length */
    TML_E_OUTPUT_LEN,      /* output buffer of the wrong length */
    TML_STATUS_COUNT
} tml_status_t;

/* Operator kinds stored in the blob (stable numbers: part of the format). */
typedef enum {
    TML_OP_CONV_2D = 1,
    TML_OP_DEPTHWISE_CONV_2D = 2,
    TML_OP_FULLY_CONNECTED = 3,
    TML_OP_AVERAGE_POOL_2D = 4,
    TML_OP_RESHAPE = 5,
    TML_OP_SOFTMAX = 6,
    TML_OP_ADD = 7,          /* also SUB: input 2's multiplier negated */
    TML_OP_MUL = 8,
    TML_OP_MINIMUM = 9,
    TML_OP_MAXIMUM = 10,
    TML_OP_MAX_POOL_2D = 11,
    TML_OP_LUT = 12,         /* any int8 -> int8 element-wise function: a 256-entry table */
    TML_OP_CONCAT = 13,      /* also PACK */
    TML_OP_PAD = 14,
    TML_OP_STRIDED_COPY = 15, /* STRIDED_SLICE, SLICE, TRANSPOSE, SPLIT, UNPACK */
    TML_OP_RESIZE_NEAREST = 16,
    TML_OP_PRELU = 17,
    TML_OP_MEAN = 18,
    TML_OP_KIND_COUNT
} tml_op_kind_t;

typedef enum {
    TML_DTYPE_INT8 = 1,
    TML_DTYPE_INT32 = 2,
} tml_dtype_t;

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

/* A loaded model: pointers into the blob and arena. Fill with tml_model_init. */
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
    /* Details of the last error, for tml_format_error. */
    int32_t err_item;        /* index of the tensor or op at fault, else -1 */
    uint8_t err_kind;        /* TML_ITEM_TENSOR or TML_ITEM_OP when err_item >= 0 */
    uint32_t err_a, err_b;   /* numbers the message quotes (sizes, versions) */
} tml_model_t;

enum { TML_ITEM_NONE = 0, TML_ITEM_TENSOR = 1, TML_ITEM_OP = 2 };

/* Messages for type errors, shared by every binding so they read the same everywhere. */
#define TML_MSG_INPUT_TYPE "input must be a bytes-like int8 buffer or a sequence of numbers"
#define TML_MSG_OUTPUT_TYPE "output must be a writable bytearray/array('b') or array('f')"
#define TML_MSG_BLOB_TYPE "blob must be bytes, bytearray or memoryview"
#define TML_MSG_ARENA_TYPE "arena must be a bytearray or writable buffer"

/* Validate everything in the blob. On error the model is unusable and m->err_item tells which
 * tensor or operator was at fault (-1 if none). */
tml_status_t tml_model_init(tml_model_t *m, const void *blob, size_t blob_len);

/* Bytes of arena the model's memory plan needs. */
uint32_t tml_model_arena_size(const tml_model_t *m);

/* Attach the arena: at least arena_size bytes, 4-byte aligned. */
tml_status_t tml_model_set_arena(tml_model_t *m, void *arena, size_t arena_len);

/* Run every operator in order. Inputs must have been written into the input tensors. */
tml_status_t tml_model_invoke(tml_model_t *m);

/* Run operators [first, end) only (first <= end <= operator count): a prefix computes an
 * intermediate tensor, e.g. the embedding the trainable head reads. */
tml_status_t tml_model_invoke_range(tml_model_t *m, uint32_t first, uint32_t end);

/* The trainable head (blob 1.1, optional): the model's last FULLY_CONNECTED, which the
 * converter records so that on-device learning can find the embedding and the real-valued
 * weights. real weight[r][c] = scale[r] * int8 weight[r][c]; real bias[r] = scale[r] *
 * embedding scale * int32 bias[r]. Validated at load. */
typedef struct {
    uint32_t op;           /* operator index */
    uint32_t embedding;    /* its input: int8 arena tensor of cols elements */
    uint32_t weights;      /* int8 constant [rows, cols] */
    uint32_t bias;         /* int32 constant [rows], or 0xFFFF when the layer has none */
    uint32_t output;       /* its output: int8 arena tensor of rows elements */
    uint32_t rows, cols;
    const uint8_t *scales; /* rows little-endian IEEE float32 bits, each finite and > 0 */
} tml_head_t;

/* TML_E_INDEX when the blob records no head. */
tml_status_t tml_model_head(const tml_model_t *m, tml_head_t *h);

tml_status_t tml_model_input(const tml_model_t *m, uint32_t index, tml_tensor_t *t);
tml_status_t tml_model_output(const tml_model_t *m, uint32_t index, tml_tensor_t *t);
tml_status_t tml_model_tensor(const tml_model_t *m, uint32_t index, tml_tensor_t *t);

/* Metadata strings (UTF-8, not NUL-terminated). */
void tml_model_name(const tml_model_t *m, const char **s, uint32_t *len);
tml_status_t tml_model_label(const tml_model_t *m, uint32_t index, const char **s, uint32_t *len);

const char *tml_status_str(tml_status_t status);

/* Record a length mismatch (TML_E_INPUT_LEN / TML_E_OUTPUT_LEN) for tml_format_error. */
tml_status_t tml_check_length(tml_model_t *m, tml_status_t kind, uint32_t got, uint32_t want);

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
