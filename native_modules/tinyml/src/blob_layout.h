/* Byte layout of a tinyml blob, version 1 (internal). docs/blob-format.md is normative; this
 * header mirrors it. All fields are little-endian and read with the helpers below, never by
 * casting a struct over the bytes. */
#ifndef TML_BLOB_LAYOUT_H
#define TML_BLOB_LAYOUT_H

#include <stdint.h>

#define TML_MAGIC "TMLB"
#define TML_HEADER_SIZE 64u
#define TML_TENSOR_RECORD 32u
#define TML_OP_RECORD 32u
#define TML_NONE 0xFFFFu
/* TML_OP_MAX_INPUTS (4 input slots) is in tinyml.h: tml_op_info_t has them. */
#define TML_OP_MAX_OUTPUTS 2
/* Operator flags (op record byte 3). */
#define TML_OP_FLAG_DOUBLE_ROUNDING 1u
#define TML_OP_FLAG_ROUND_AWAY 2u /* single rounding, ties away from zero */
#define TML_OP_FLAG_IN_PLACE 4u  /* output over input 0, with the op's scratch */
#define TML_OP_ROUNDING_FLAGS (TML_OP_FLAG_DOUBLE_ROUNDING | TML_OP_FLAG_ROUND_AWAY)
#define TML_OP_KNOWN_FLAGS (TML_OP_ROUNDING_FLAGS | TML_OP_FLAG_IN_PLACE)

/* Header field offsets. */
enum {
    H_MAGIC = 0, H_MAJOR = 4, H_MINOR = 6, H_TOTAL_SIZE = 8, H_CRC = 12, H_FLAGS = 16,
    H_ARENA_SIZE = 20, H_N_TENSORS = 24, H_N_OPS = 26, H_N_INPUTS = 28, H_N_OUTPUTS = 30,
    H_TENSORS_OFF = 32, H_OPS_OFF = 36, H_IO_OFF = 40, H_META_OFF = 44, H_META_SIZE = 48,
    H_DATA_OFF = 52, H_DATA_SIZE = 56, H_RESERVED = 60,
};

/* Tensor record field offsets. */
enum {
    T_DTYPE = 0, T_RANK = 1, T_LOCATION = 2, T_DIMS = 4, T_OFFSET = 12, T_SIZE = 16,
    T_SCALE = 20, T_ZERO_POINT = 24,
};
enum { TML_LOC_ARENA = 0, TML_LOC_CONST = 1 };

/* Operator record field offsets. */
enum {
    O_KIND = 0, O_N_IN = 1, O_N_OUT = 2, O_FLAGS = 3, O_INPUTS = 4, O_OUTPUTS = 12, O_PARAMS_OFF = 16,
    O_PARAMS_SIZE = 20, O_SCRATCH_OFF = 24, O_SCRATCH_SIZE = 28,
};

/* Parameter words (int32) per operator kind. */
enum {
    P_CONV_STRIDE_H = 0, P_CONV_STRIDE_W, P_CONV_DIL_H, P_CONV_DIL_W, P_CONV_PAD_H, P_CONV_PAD_W,
    P_CONV_IN_OFFSET, P_CONV_OUT_OFFSET, P_CONV_ACT_MIN, P_CONV_ACT_MAX, P_CONV_MULT_OFF,
    P_CONV_SHIFT_OFF, P_CONV_WORDS, /* depthwise appends: */
    P_DW_DEPTH_MULT = P_CONV_WORDS, P_DW_WORDS,
};
enum {
    P_FC_IN_OFFSET = 0, P_FC_FILTER_OFFSET, P_FC_OUT_OFFSET, P_FC_ACT_MIN, P_FC_ACT_MAX,
    P_FC_MULT_OFF, P_FC_SHIFT_OFF, P_FC_PER_CHANNEL, P_FC_WORDS,
};
enum {
    P_POOL_STRIDE_H = 0, P_POOL_STRIDE_W, P_POOL_FILTER_H, P_POOL_FILTER_W, P_POOL_PAD_H,
    P_POOL_PAD_W, P_POOL_ACT_MIN, P_POOL_ACT_MAX, P_POOL_WORDS,
};
enum { P_SM_MULT = 0, P_SM_LEFT_SHIFT, P_SM_DIFF_MIN, P_SM_WORDS };
/* Element-wise binary operators start with 12 broadcast words: 4 output dims, then 4 strides
 * (in elements, 0 where broadcast) for input 1 and 4 for input 2. */
enum { P_BCAST_DIMS = 0, P_BCAST_STRIDE1 = 4, P_BCAST_STRIDE2 = 8, P_BCAST_WORDS = 12 };
enum {
    P_ADD_IN1_OFFSET = P_BCAST_WORDS, P_ADD_IN2_OFFSET, P_ADD_OUT_OFFSET, P_ADD_LEFT_SHIFT,
    P_ADD_IN1_MULT, P_ADD_IN1_SHIFT, P_ADD_IN2_MULT, P_ADD_IN2_SHIFT, P_ADD_OUT_MULT,
    P_ADD_OUT_SHIFT, P_ADD_ACT_MIN, P_ADD_ACT_MAX, P_ADD_SUBTRACT, P_ADD_WORDS,
};
enum {
    P_MUL_IN1_OFFSET = P_BCAST_WORDS, P_MUL_IN2_OFFSET, P_MUL_OUT_OFFSET, P_MUL_MULT,
    P_MUL_SHIFT, P_MUL_ACT_MIN, P_MUL_ACT_MAX, P_MUL_WORDS,
};
enum {
    P_PRELU_IN_OFFSET = P_BCAST_WORDS, P_PRELU_ALPHA_OFFSET, P_PRELU_OUT_OFFSET,
    P_PRELU_MULT_POS, P_PRELU_SHIFT_POS, P_PRELU_MULT_NEG, P_PRELU_SHIFT_NEG, P_PRELU_WORDS,
};
/* MEAN: input viewed as 4-D, a bit mask of reduced dims, zero points, and the multiplier of
 * s_in / (s_out * n) as TFLite derives it (n: elements reduced per output). */
enum {
    P_MEAN_DIMS = 0, P_MEAN_AXES = 4, P_MEAN_IN_ZP, P_MEAN_OUT_ZP, P_MEAN_MULT, P_MEAN_SHIFT,
    P_MEAN_WORDS,
};
/* LUT: the data-section offset of a 256-byte table indexed by the input byte. */
enum { P_LUT_TABLE_OFF = 0, P_LUT_WORDS };
/* CONCAT: `outer` rounds; each input contributes size / outer bytes per round. */
enum { P_CONCAT_OUTER = 0, P_CONCAT_WORDS };
/* PAD: input and output viewed as 4-D; leading pad per dim; the pad value. */
enum { P_PAD_IN_DIMS = 0, P_PAD_OUT_DIMS = 4, P_PAD_BEFORE = 8, P_PAD_VALUE = 12, P_PAD_WORDS };
/* STRIDED_COPY: 4 output dims, base input offset, 4 signed input strides. */
enum { P_SC_DIMS = 0, P_SC_BASE = 4, P_SC_STRIDE = 5, P_SC_WORDS = 9 };
/* RESIZE_NEAREST: data offsets of int32 row and column maps (output size entries each). */
enum { P_RN_MAP_H_OFF = 0, P_RN_MAP_W_OFF, P_RN_WORDS };

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
