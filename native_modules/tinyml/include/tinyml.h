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
    TML_E_NOT_CONST,       /* constant override of a tensor that is not a constant */
    TML_E_CONST_SIZE,      /* constant override of the wrong size */
    TML_E_CONST_ALIGN,     /* constant override not 4-byte aligned */
    TML_E_CONST_FULL,      /* more than TML_MAX_OVERRIDES constant overrides */
    TML_E_CONST_CHECK,     /* an operator's checks refuse the overridden constants */
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

/* Input slots of an operator record (blob format). */
#define TML_OP_MAX_INPUTS 4

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
    const uint8_t *sparse;   /* the sparse-update scheme record (1.1), or NULL */
    /* Constant overrides (tml_model_set_const): RAM read instead of these constant tensors. */
    uint32_t n_overrides;
    uint16_t override_tensor[TML_MAX_OVERRIDES];
    const void *override_data[TML_MAX_OVERRIDES];
    /* Details of the last error, for tml_format_error. */
    int32_t err_item;        /* index of the tensor or op at fault, else -1 */
    uint8_t err_kind;        /* TML_ITEM_TENSOR or TML_ITEM_OP when err_item >= 0 */
    uint32_t err_a, err_b, err_c; /* numbers the message quotes (sizes, versions, indices) */
} tml_model_t;

enum { TML_ITEM_NONE = 0, TML_ITEM_TENSOR = 1, TML_ITEM_OP = 2 };

/* Messages for type errors, shared by every binding so they read the same everywhere. */
#define TML_MSG_INPUT_TYPE "input must be a bytes-like int8 buffer or a sequence of numbers"
#define TML_MSG_OUTPUT_TYPE "output must be a writable bytearray/array('b') or array('f')"
#define TML_MSG_BLOB_TYPE "blob must be bytes, bytearray or memoryview"
#define TML_MSG_ARENA_TYPE "arena must be a bytearray or writable buffer"
#define TML_MSG_CONST_TYPE "constant must be a buffer (bytearray, array, memoryview) or None"

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
 * intermediate tensor, e.g. the embedding the trainable head reads. With constant overrides,
 * the operators in the range that read one are checked again first (the caller's RAM may have
 * changed since tml_model_set_const); if one fails, nothing runs and the status is
 * TML_E_CONST_CHECK. */
tml_status_t tml_model_invoke_range(tml_model_t *m, uint32_t first, uint32_t end);

/* Constant overrides, for on-device training: use `data` (the caller's RAM, exactly the
 * tensor's size, 4-byte aligned, laid out as the blob's bytes: int32 little-endian) instead of
 * constant tensor `tensor`'s bytes in the blob, in every operator that reads it and in
 * tml_model_tensor. The blob itself is never written. data must stay alive while the override
 * is in place; it may change between invokes (tml_model_invoke_range checks it again).
 * Setting a tensor again replaces its override; data == NULL removes it (len ignored).
 * Before it takes effect, the checks of every operator reading the tensor run over the new
 * values (e.g. a bias must keep the accumulator inside int32); if one fails the previous state
 * is kept. Statuses: TML_E_INDEX, TML_E_NOT_CONST, TML_E_CONST_SIZE, TML_E_CONST_ALIGN,
 * TML_E_CONST_FULL (TML_MAX_OVERRIDES tensors at most), TML_E_CONST_CHECK. */
tml_status_t tml_model_set_const(tml_model_t *m, uint32_t tensor, const void *data, size_t len);

/* One operator's record and parameters, decoded for on-device training (backward passes). */
typedef struct {
    uint32_t kind;                         /* tml_op_kind_t */
    uint32_t n_inputs;
    uint32_t inputs[TML_OP_MAX_INPUTS];    /* tensor indices; 0xFFFF: none (omitted bias) */
    uint32_t output;
    int32_t act_min, act_max;  /* fused activation clamp; -128, 127 for kinds without one */
    /* CONV_2D, DEPTHWISE_CONV_2D: stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w,
     * depth multiplier (1 for CONV_2D). AVERAGE_POOL_2D, MAX_POOL_2D: stride_h, stride_w,
     * filter_h, filter_w, pad_h, pad_w, 0. Other kinds: zeros. pad_h and pad_w are the top and
     * left padding: output (y, x) reads input rows from y * stride_h - pad_h and columns from
     * x * stride_w - pad_w (the bottom/right padding is whatever the output size implies). */
    int32_t geometry[7];
    /* CONV_2D, DEPTHWISE_CONV_2D: one requantization per output channel; FULLY_CONNECTED: one
     * per unit, or 1 when per tensor; other kinds 0. Rescale = mult * 2^(shift - 31). */
    uint32_t n_requant;
    const uint8_t *mult, *shift; /* n_requant little-endian int32 each, in the blob */
} tml_op_info_t;

/* TML_E_INDEX when index >= the operator count. */
tml_status_t tml_model_op_info(const tml_model_t *m, uint32_t index, tml_op_info_t *info);

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

/* The sparse-update scheme (blob 1.1, optional): which parameters on-device training may
 * update, chosen by the host converter. Entry i names a CONV_2D, DEPTHWISE_CONV_2D or
 * FULLY_CONNECTED operator (strictly increasing over the entries), whether its bias is
 * updated, and the channels updated: indices into the LAST dimension of its int8 weights
 * (input channels of CONV_2D [out, kh, kw, in] and FULLY_CONNECTED [out, in]; output channels
 * of DEPTHWISE_CONV_2D [1, kh, kw, out]), strictly increasing. Validated at load. */
typedef struct {
    uint32_t op;               /* operator index */
    uint32_t bias;             /* 1: the bias is updated (the operator has one) */
    uint32_t n_channels;       /* bias or n_channels >= 1 */
    const uint8_t *channels;   /* n_channels little-endian u16 */
} tml_update_t;

/* Number of entries in the scheme; 0 without one. */
uint32_t tml_model_update_count(const tml_model_t *m);
/* TML_E_INDEX when i >= tml_model_update_count(m). */
tml_status_t tml_model_update(const tml_model_t *m, uint32_t i, tml_update_t *u);

tml_status_t tml_model_input(const tml_model_t *m, uint32_t index, tml_tensor_t *t);
tml_status_t tml_model_output(const tml_model_t *m, uint32_t index, tml_tensor_t *t);
/* Any tensor; t->data of an overridden constant is the override's RAM. */
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
