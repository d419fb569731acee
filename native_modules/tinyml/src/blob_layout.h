/* Byte layout of a tinyml blob (internal): every name below is generated from the schema's
 * lists (include/tml_schema.def), which docs/blob-format.md explains. All fields are
 * little-endian and read with the helpers at the end, never by casting a struct over the
 * bytes. The compile-time checks below fail the build when the lists do not add up. */
#ifndef TML_BLOB_LAYOUT_H
#define TML_BLOB_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include "tinyml.h"

#define TML_MAGIC TML_SCHEMA_MAGIC

/* A C99 compile-time assertion: a negative array size when cond is false. */
#define TML_STATIC_ASSERT(name, cond) typedef char tml_static_assert_##name[(cond) ? 1 : -1]

/* Bytes of one element of each field type of the record lists. */
enum { TML_SIZE_U8 = 1, TML_SIZE_U16 = 2, TML_SIZE_U32 = 4, TML_SIZE_I32 = 4, TML_SIZE_F32 = 4,
       TML_SIZE_CHAR = 1 };

/* Record field offsets: H_<FIELD> (header), T_<FIELD> (tensor record), O_<FIELD> (operator
 * record), e.g. H_TOTAL_SIZE, T_DIMS, O_PARAMS_OFF. */
#define TML_H_(F, off, T, n) H_##F = (off),
#define TML_T_(F, off, T, n) T_##F = (off),
#define TML_O_(F, off, T, n) O_##F = (off),
enum { TML_SCHEMA_HEADER(TML_H_) };
enum { TML_SCHEMA_TENSOR(TML_T_) };
enum { TML_SCHEMA_OP_RECORD(TML_O_) };
#undef TML_H_
#undef TML_T_
#undef TML_O_

/* Where a tensor lives: TML_LOC_ARENA, TML_LOC_CONST. */
#define TML_LOC_(NAME, code) TML_LOC_##NAME = (code),
enum { TML_SCHEMA_LOCATIONS(TML_LOC_) };
#undef TML_LOC_

/* Operator record flags: TML_OP_FLAG_DOUBLE_ROUNDING, TML_OP_FLAG_ROUND_AWAY,
 * TML_OP_FLAG_IN_PLACE; TML_OP_KNOWN_FLAGS is all of them. */
#define TML_FLAG_(NAME, bit) TML_OP_FLAG_##NAME = (bit),
#define TML_FLAG_OR_(NAME, bit) | (bit)
enum { TML_SCHEMA_OP_FLAGS(TML_FLAG_) TML_OP_KNOWN_FLAGS = 0 TML_SCHEMA_OP_FLAGS(TML_FLAG_OR_) };
#undef TML_FLAG_
#undef TML_FLAG_OR_
enum { TML_OP_ROUNDING_FLAGS = TML_OP_FLAG_DOUBLE_ROUNDING | TML_OP_FLAG_ROUND_AWAY };

/* Metadata record tags: TML_META_HEAD, TML_META_SPARSE. */
#define TML_META_(NAME, tag) TML_META_##NAME = (tag),
enum { TML_SCHEMA_META_TAGS(TML_META_) };
#undef TML_META_

/* Parameter words (int32) of each layout: P_<LAYOUT>_<FIELD> is a field's first word, and
 * P_<LAYOUT>_WORDS the layout's word count. A layout with a base (DW on CONV; ADD, MUL, PRELU
 * on BCAST) starts its own words where the base's end; a field of count n takes n words.
 * First the count of each layout's own words, then the indices. */
#define TML_P_COUNT_(L, F, n, TYPE) + (n)
#define TML_P_OWN_(L, B) TML_P_OWN_##L = 0 TML_SCHEMA_WORDS_##L(TML_P_COUNT_),
enum { TML_SCHEMA_LAYOUTS(TML_P_OWN_) };
#define TML_P_WORD_(L, F, n, TYPE) P_##L##_##F, P_##L##_##F##_LAST_ = P_##L##_##F + (n) - 1,
#define TML_P_LAYOUT_(L, B) \
    enum { P_##L##_BASE_ = TML_P_OWN_##B - 1, TML_SCHEMA_WORDS_##L(TML_P_WORD_) P_##L##_WORDS };
TML_SCHEMA_LAYOUTS(TML_P_LAYOUT_)
#undef TML_P_COUNT_
#undef TML_P_OWN_
#undef TML_P_WORD_
#undef TML_P_LAYOUT_

/* Parameter words of each operator kind, from its layout: TML_OP_WORDS_<KIND>. */
#define TML_OP_WORDS_(NAME, code, LAYOUT) TML_OP_WORDS_##NAME = P_##LAYOUT##_WORDS,
enum { TML_SCHEMA_OPS(TML_OP_WORDS_) };
#undef TML_OP_WORDS_

/* The words an operator context holds: the largest layout. */
#define TML_MAX_WORDS 32

/* ---- compile-time checks of the schema's lists ---- */

/* Each record's fields tile it: in order, without gaps, naturally aligned, ending at the
 * record's size. A struct of byte arrays has no padding, so offsetof gives the running sum. */
#define TML_FIELD_(F, off, T, n) uint8_t F[TML_SIZE_##T * (n)];
struct tml_header_tiling_ { TML_SCHEMA_HEADER(TML_FIELD_) };
struct tml_tensor_tiling_ { TML_SCHEMA_TENSOR(TML_FIELD_) };
struct tml_op_tiling_ { TML_SCHEMA_OP_RECORD(TML_FIELD_) };
#undef TML_FIELD_
#define TML_CHECK_H_(F, off, T, n)                                                      \
    TML_STATIC_ASSERT(header_##F, offsetof(struct tml_header_tiling_, F) == (off) &&     \
                                  (off) % TML_SIZE_##T == 0);
#define TML_CHECK_T_(F, off, T, n)                                                      \
    TML_STATIC_ASSERT(tensor_##F, offsetof(struct tml_tensor_tiling_, F) == (off) &&     \
                                  (off) % TML_SIZE_##T == 0);
#define TML_CHECK_O_(F, off, T, n)                                                      \
    TML_STATIC_ASSERT(op_##F, offsetof(struct tml_op_tiling_, F) == (off) &&             \
                              (off) % TML_SIZE_##T == 0);
TML_SCHEMA_HEADER(TML_CHECK_H_)
TML_SCHEMA_TENSOR(TML_CHECK_T_)
TML_SCHEMA_OP_RECORD(TML_CHECK_O_)
#undef TML_CHECK_H_
#undef TML_CHECK_T_
#undef TML_CHECK_O_
TML_STATIC_ASSERT(header_size, sizeof(struct tml_header_tiling_) == TML_HEADER_SIZE);
TML_STATIC_ASSERT(tensor_size, sizeof(struct tml_tensor_tiling_) == TML_TENSOR_RECORD);
TML_STATIC_ASSERT(op_size, sizeof(struct tml_op_tiling_) == TML_OP_RECORD);
/* The record's arrays hold what the core indexes. */
TML_STATIC_ASSERT(tensor_dims, sizeof(((struct tml_tensor_tiling_ *)0)->DIMS) == 4 * 2);
TML_STATIC_ASSERT(op_inputs,
                  sizeof(((struct tml_op_tiling_ *)0)->INPUTS) == 2 * TML_OP_MAX_INPUTS);
TML_STATIC_ASSERT(op_outputs,
                  sizeof(((struct tml_op_tiling_ *)0)->OUTPUTS) == 2 * TML_OP_MAX_OUTPUTS);

/* Operator codes are dense from 1, in the list's order. */
#define TML_OP_SEQ_(NAME, code, LAYOUT) TML_OP_SEQ_##NAME,
enum { TML_OP_SEQ_START_ = 0, TML_SCHEMA_OPS(TML_OP_SEQ_) TML_OP_SEQ_END_ };
#undef TML_OP_SEQ_
#define TML_CHECK_OP_(NAME, code, LAYOUT) \
    TML_STATIC_ASSERT(op_code_##NAME, (int)TML_OP_##NAME == (int)TML_OP_SEQ_##NAME);
TML_SCHEMA_OPS(TML_CHECK_OP_)
#undef TML_CHECK_OP_
TML_STATIC_ASSERT(op_count, (int)TML_OP_KIND_COUNT == (int)TML_OP_SEQ_END_);

/* A base is itself a layout without a base (its words start at 0), and every layout fits an
 * operator context. */
#define TML_CHECK_LAYOUT_(L, B)                                              \
    TML_STATIC_ASSERT(layout_base_##L, (int)P_##B##_WORDS == (int)TML_P_OWN_##B);       \
    TML_STATIC_ASSERT(layout_size_##L, P_##L##_WORDS <= TML_MAX_WORDS);
TML_SCHEMA_LAYOUTS(TML_CHECK_LAYOUT_)
#undef TML_CHECK_LAYOUT_

/* The u8 location and flag bytes hold their values. */
TML_STATIC_ASSERT(flags_fit, TML_OP_KNOWN_FLAGS <= 0xff);

static inline uint16_t tml_rd16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t tml_rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static inline int32_t tml_rdi32(const uint8_t *p) {
    return (int32_t)tml_rd32(p);
}

#endif /* TML_BLOB_LAYOUT_H */
