/* What the language bindings of the core share (MicroPython's `_tinyml` module and native
 * module, CPython's `_tinyml`): every rule about arguments and results that is not about
 * objects, so that each binding only converts objects and raises. Knows nothing of either
 * runtime; src/bind.c. A status other than TML_OK is raised as ValueError with the text of
 * tml_format_error, except where a function says IndexError. */
#ifndef TML_BIND_H
#define TML_BIND_H

#include "tinyml.h"
#include "tml_train.h"

/* TML_BIND_MODEL 0: the bindings of the front-ends alone (no Model), for the native module
 * that carries them apart from the core's (native_modules/micropython/Makefile, PART=fe). */
#ifndef TML_BIND_MODEL
#define TML_BIND_MODEL (1)
#endif

/* Messages for type and index errors, shared by every binding so they read the same
 * everywhere. */
#define TML_MSG_INPUT_TYPE "input must be a bytes-like int8 buffer or a sequence of numbers"
/* Unsigned bytes other than bytes, bytearray and memoryview (array('B'), NumPy uint8): never
 * read as int8 (200 would be -56); tinyml.from_u8 is the one way in. */
#define TML_MSG_INPUT_U8 "input is uint8: use tinyml.from_u8(x)"
#define TML_MSG_OUTPUT_TYPE "output must be a writable bytearray/array('b') or array('f')"
#define TML_MSG_BLOB_TYPE "blob must be bytes, bytearray or memoryview"
#define TML_MSG_ARENA_TYPE "arena must be a bytearray or writable buffer"
#define TML_MSG_CONST_TYPE "constant must be a buffer (bytearray, array, memoryview) or None"
#define TML_MSG_INPUT_INDEX "input index out of range"
#define TML_MSG_OUTPUT_INDEX "output index out of range"
#define TML_MSG_TENSOR_INDEX "tensor index out of range"
#define TML_MSG_OP_INDEX "operator index out of range"

/* ---- the schema's names, as every binding exports them (tml_schema.def) ---- */

/* OP_NAMES: the operator kind names separated by spaces, indexed by code ("-" at 0); the one
 * export of the kinds (no per-kind constant: each would cost a qstr and a table entry). */
#define TML_BIND_OP_NAME_(NAME, code, LAYOUT) " " #NAME
#define TML_BIND_OP_NAMES ("-" TML_SCHEMA_OPS(TML_BIND_OP_NAME_))

/* HEAD_FIELDS, OP_INFO_FIELDS, UPDATE_FIELDS: the field names of the records below, in their
 * tuples' order, separated by spaces. Each literal ends with one space more, which the
 * exported value leaves out: its length is TML_BIND_FIELDS_LEN(literal). */
#define TML_BIND_FIELD_NAME_(f) #f " "
#define TML_BIND_HEAD_FIELDS TML_SCHEMA_HEAD_FIELDS(TML_BIND_FIELD_NAME_)
#define TML_BIND_OP_INFO_FIELDS TML_SCHEMA_OP_INFO_FIELDS(TML_BIND_FIELD_NAME_)
#define TML_BIND_UPDATE_FIELDS TML_SCHEMA_UPDATE_FIELDS(TML_BIND_FIELD_NAME_)
#define TML_BIND_FIELDS_LEN(literal) (sizeof(literal) - 2)

/* Header byte offsets: TML_BIND_H_<FIELD> (exported: H_TOTAL_SIZE, H_ARENA_SIZE). */
#define TML_BIND_HOFF_(F, off, T, n) TML_BIND_H_##F = (off),
enum { TML_SCHEMA_HEADER(TML_BIND_HOFF_) };
#undef TML_BIND_HOFF_

/* ---- tensors, inputs, outputs, invoke ---- */

/* Tensor i of the three index spaces; TML_E_INDEX (an IndexError with TML_MSG_INPUT_INDEX,
 * TML_MSG_OUTPUT_INDEX or TML_MSG_TENSOR_INDEX) when i is negative or too large. */
tml_status_t tml_bind_input(const tml_model_t *m, long i, tml_tensor_t *t);
tml_status_t tml_bind_output(const tml_model_t *m, long i, tml_tensor_t *t);
tml_status_t tml_bind_tensor(const tml_model_t *m, long i, tml_tensor_t *t);

/* What a binding found in a buffer object. */
typedef enum {
    TML_BUF_OTHER = 0, /* neither: a TypeError */
    TML_BUF_INT8,      /* items of one byte (int8, uint8, bytes, bytearray) */
    TML_BUF_F32,       /* float32 items */
} tml_buf_t;

/* set_input from a buffer of len bytes into input tensor t: TML_BUF_INT8 copied as is (len
 * is the tensor's size), TML_BUF_F32 quantized with t's scale and zero point (len / 4 is its
 * element count; builds with TML_HAS_FLOAT only). TML_E_INPUT_LEN, TML_E_VALUE. */
tml_status_t tml_bind_set_input(tml_model_t *m, const tml_tensor_t *t, tml_buf_t kind,
                                const void *buf, size_t len);
#if TML_HAS_FLOAT
/* set_input from a sequence of n numbers: the length first, then each number. */
tml_status_t tml_bind_set_input_count(tml_model_t *m, const tml_tensor_t *t, size_t n);
tml_status_t tml_bind_set_input_item(const tml_tensor_t *t, size_t i, float x);
#endif

/* get_output into a writable buffer of len bytes: TML_BUF_INT8 the raw bytes, TML_BUF_F32 the
 * dequantized values (float32; their IEEE bits in builds without floats). TML_E_OUTPUT_LEN. */
tml_status_t tml_bind_get_output(tml_model_t *m, const tml_tensor_t *t, tml_buf_t kind,
                                 void *buf, size_t len);

/* read_tensor(i, buf[, offset]) into a TML_BUF_INT8 buffer of len bytes: without an offset,
 * buf holds exactly the tensor's bytes; from an offset in [0, size], len bytes up to the
 * tensor's end. TML_E_OFFSET, TML_E_OUTPUT_LEN. */
tml_status_t tml_bind_read_tensor(tml_model_t *m, const tml_tensor_t *t, void *buf, size_t len,
                                  int has_offset, long offset);

/* invoke(first=0, end=tml_model_op_count(m)); negative bounds are TML_E_INDEX. */
tml_status_t tml_bind_invoke(tml_model_t *m, long first, long end);

/* ---- the records of tml_train.h, as tuples in the schema's field order ---- */

/* Field indices, generated from the schema's lists: TML_HEAD_<field>, TML_OP_INFO_<field>,
 * TML_UPDATE_<field>, and each record's field count. */
#define TML_BIND_HEAD_IX_(f) TML_HEAD_##f,
#define TML_BIND_OP_INFO_IX_(f) TML_OP_INFO_##f,
#define TML_BIND_UPDATE_IX_(f) TML_UPDATE_##f,
typedef enum { TML_SCHEMA_HEAD_FIELDS(TML_BIND_HEAD_IX_) TML_HEAD_FIELD_COUNT } tml_head_field_t;
typedef enum {
    TML_SCHEMA_OP_INFO_FIELDS(TML_BIND_OP_INFO_IX_) TML_OP_INFO_FIELD_COUNT
} tml_op_info_field_t;
typedef enum {
    TML_SCHEMA_UPDATE_FIELDS(TML_BIND_UPDATE_IX_) TML_UPDATE_FIELD_COUNT
} tml_update_field_t;
#undef TML_BIND_HEAD_IX_
#undef TML_BIND_OP_INFO_IX_
#undef TML_BIND_UPDATE_IX_

/* One record: Model.head(), Model.op_info(k) or an entry of Model.update_scheme(). */
typedef struct {
    uint32_t n_fields;
    uint32_t kind; /* private */
    union {
        tml_head_t head;
        tml_op_info_t op_info;
        tml_update_t update;
    } u;
} tml_bind_record_t;

/* TML_E_INDEX when the blob has no head (the binding returns None). */
tml_status_t tml_bind_head(const tml_model_t *m, tml_bind_record_t *r);
/* TML_E_INDEX (an IndexError, TML_MSG_OP_INDEX) when k is negative or too large. */
tml_status_t tml_bind_op_info(const tml_model_t *m, long k, tml_bind_record_t *r);
/* Entry i < tml_model_update_count(m) of the sparse-update scheme. */
tml_status_t tml_bind_update(const tml_model_t *m, uint32_t i, tml_bind_record_t *r);

/* A field's value, as the binding converts it. */
typedef enum {
    TML_VAL_INT = 1, /* i */
    TML_VAL_BOOL,    /* i: 0 or 1 */
    TML_VAL_INTS,    /* a tuple of n ints: tml_val_item */
    TML_VAL_BYTES,   /* n bytes: tml_val_direct, else tml_val_write */
} tml_val_type_t;

typedef struct {
    uint32_t type; /* tml_val_type_t */
    uint32_t form; /* private: how the items or bytes are stored */
    int32_t i;
    uint32_t n;
    const void *p, *q; /* private */
} tml_val_t;

/* Field i (< r->n_fields) of a record, in the schema's order. The value points into r and the
 * blob: convert it while both are alive. */
void tml_bind_field(const tml_bind_record_t *r, uint32_t i, tml_val_t *v);
/* TML_VAL_INTS: item i (< n); an absent tensor index is -1. */
int32_t tml_val_item(const tml_val_t *v, uint32_t i);
/* TML_VAL_BYTES: the bytes in place, or NULL when they must be composed by tml_val_write
 * (n bytes into dst). */
const uint8_t *tml_val_direct(const tml_val_t *v);
void tml_val_write(const tml_val_t *v, uint8_t *dst);

/* ---- the front-ends' settings (Frontend, Mfcc, Motion) ---- */

#if TML_HAS_FRONTEND || TML_HAS_MOTION
#include <stddef.h>

/* A configuration field a binding sets: where it lies in its struct and its kind, 'I'
 * (int32_t), 'F' (float) or 'E' (the motion front-end's edges, a sequence the binding reads
 * with tml_bind_mo_edge). */
typedef struct {
    uint16_t offset;
    char kind;
} tml_bind_field_t;

/* A configuration's fields in the order of its *_FIELDS export (the bindings take settings as
 * a tuple of (index, value) pairs), and the TypeError message for a malformed one. */
typedef struct {
    const tml_bind_field_t *fields;
    int32_t n;
    const char *message;
} tml_bind_settings_t;

/* The kind of field i, or 0 when i is out of range. */
char tml_bind_setting_kind(const tml_bind_settings_t *s, long i);
/* Set field i (its kind 'I' or 'F') of the configuration at cfg. */
void tml_bind_set_int(const tml_bind_settings_t *s, void *cfg, long i, long v);
void tml_bind_set_float(const tml_bind_settings_t *s, void *cfg, long i, double v);

/* *_FIELDS: a configuration's field names in the order a binding takes them, separated by
 * spaces (as the other *_FIELDS, the literal's last space left out). */
#define TML_BIND_SETTING_NAME_(f, kind) #f " "

/* Every front-end takes its samples so. */
#define TML_MSG_SAMPLES "samples must be array('h') (int16) or bytes of int16 little-endian"
#endif

/* ---- the audio front-end (TML_HAS_FRONTEND; src/frontend, docs/audio.md) ---- */

#if TML_HAS_FRONTEND
#include "fe_frontend.h"

#define TML_MSG_FE_CONFIG "settings must be a tuple of (index in FE_FIELDS, number) pairs"
#define TML_MSG_FE_RING \
    "features must be array('H') or array('b') of whole rows of the channels"

#define TML_BIND_FE_FIELDS TML_FE_CONFIG_FIELDS(TML_BIND_SETTING_NAME_)
extern const tml_bind_settings_t tml_bind_fe_settings;

/* Feed a front-end n samples, int16 little-endian at any alignment (2n bytes at s). Each frame
 * completed goes to row *pos of `rows` rows of the front-end's channels at ring: uint16
 * features in native byte order, or with as_int8 the model inputs tml_fe_to_int8 makes of
 * them; *pos moves on to the next row, wrapping to 0. Returns the number of frames made, or a
 * negative TML_FE_E_* code (tml_fe_strerror). Allocates nothing. */
int32_t tml_bind_fe_feed(tml_fe_t *fe, const uint8_t *s, int32_t n, uint8_t *ring, int32_t rows,
                         int32_t as_int8, int32_t *pos);

/* ---- the MFCC front-end of the MLPerf Tiny KWS model (src/frontend/fe_mfcc.h) ---- */

#include "fe_mfcc.h"

#define TML_MSG_MFCC_CONFIG "settings must be a tuple of (index in MFCC_FIELDS, number) pairs"
#define TML_MSG_MFCC_OUT "features must be a writable bytearray or array('b') of frames x " \
    "coefficients"
#define TML_BIND_MFCC_FIELDS TML_MFCC_CONFIG_FIELDS(TML_BIND_SETTING_NAME_)
extern const tml_bind_settings_t tml_bind_mfcc_settings;

/* Frames an Mfcc window may hold. */
#define TML_BIND_MFCC_MAX_ROWS 1024

/* An MFCC front-end with its window of `rows` frames: the frames' log-mel rows in a ring, and
 * the peak of the samples they come from, which tml_mfcc_finish divides by (the float
 * pipeline's clip / max(clip)). The peak is kept per frame step of samples (block j: samples
 * [j step, (j + 1) step) since the reset, which frame j starts with): the window of frames
 * f .. c then reads the blocks from f on, the one being filled included, so its peak is the
 * maximum of every sample from the start of its oldest frame to the latest one fed. A whole
 * clip fed at once has its own maximum, as the float pipeline takes it. Rows not made yet
 * are digital silence (TML_MFCC_LOG_ZERO). Allocated by the binding: tml_bind_mfcc_size
 * bytes. */
typedef struct {
    tml_mfcc_t mf;
    int32_t rows;   /* frames in the window */
    int32_t mel;    /* int32 values per row */
    int32_t blocks; /* entries of the ring of block peaks */
    int32_t pos;    /* the row the next frame goes to: the oldest row */
    int32_t held;   /* frames in the window so far (up to rows) */
    int32_t blk;    /* the block peak entry written next */
    int32_t lead;   /* whole blocks fed minus frames made (>= 0 between calls) */
    int32_t fill;   /* samples of the block being filled */
    int32_t peak;   /* and their maximum */
    int32_t data[]; /* rows x mel log-mel values, then blocks int16 block peaks */
} tml_bind_mfcc_t;

/* Bytes of a tml_bind_mfcc_t for cfg and rows (fields out of range are clamped: init then
 * refuses them), or 0 when rows is outside 1..TML_BIND_MFCC_MAX_ROWS. */
size_t tml_bind_mfcc_size(const tml_mfcc_config_t *cfg, int32_t rows);
/* Initialize b (tml_bind_mfcc_size(cfg, rows) bytes): TML_MFCC_OK or a TML_MFCC_E_* code. */
int tml_bind_mfcc_init(tml_bind_mfcc_t *b, const tml_mfcc_config_t *cfg, int32_t rows);
/* Forget every sample: the window back to silence. */
void tml_bind_mfcc_reset(tml_bind_mfcc_t *b);
/* Feed n samples, int16 little-endian at any alignment (2n bytes at s): the number of frames
 * made, or a negative TML_MFCC_E_* code. Allocates nothing. */
int32_t tml_bind_mfcc_feed(tml_bind_mfcc_t *b, const uint8_t *s, int32_t n);
/* The peak tml_bind_mfcc_window divides by (0: no sample yet). */
int32_t tml_bind_mfcc_peak(const tml_bind_mfcc_t *b);
/* The window's int8 features, rows x num_coefficients, oldest frame first. */
int tml_bind_mfcc_window(const tml_bind_mfcc_t *b, int8_t *out);
#endif

/* ---- the motion front-end (TML_HAS_MOTION; src/motion, docs/motion.md) ---- */

#if TML_HAS_MOTION
#include "mo_motion.h"

#define TML_MSG_MO_CONFIG "settings must be a tuple of (index in MO_FIELDS, value) pairs"
#define TML_MSG_MO_EDGES "edges must be a sequence of at most 17 ints"
#define TML_MSG_MO_RING "features must be array('i') of whole rows of the features per window"

#define TML_BIND_MO_FIELDS TML_MO_CONFIG_FIELDS(TML_BIND_SETTING_NAME_)
extern const tml_bind_settings_t tml_bind_mo_settings;

/* Edge j (0 <= j <= TML_MO_MAX_BANDS) of a configuration's edges, from a sequence the binding
 * reads; 0 or TML_MO_E_EDGES for an index or value out of range. */
int tml_bind_mo_edge(tml_mo_config_t *cfg, long j, long v);

/* Feed a motion front-end n int16 values, little-endian at any alignment (2n bytes at s):
 * whole frames of its axes (else TML_MO_E_FRAMES, before anything is taken). Each window
 * completed goes to row *pos of `rows` rows of tml_mo_features(mo) int32 values (native byte
 * order) at ring; *pos moves on to the next row, wrapping to 0. Returns the number of windows
 * made, or a negative TML_MO_E_* code (tml_mo_strerror). Allocates nothing. */
int32_t tml_bind_mo_feed(tml_mo_t *mo, const uint8_t *s, int32_t n, uint8_t *ring, int32_t rows,
                         int32_t *pos);
#endif

#endif /* TML_BIND_H */
