/* tinyml's on-device training API: what a trainer reads from a loaded model (its operators'
 * records and parameters, the trainable head, the sparse-update scheme) and how it replaces
 * constant tensors with its own RAM (constant overrides). Everything here works on a model
 * tml_model_init accepted, and reads the blob in place. */
#ifndef TML_TRAIN_H
#define TML_TRAIN_H

#include "tinyml.h"

/* Constant overrides: use `data` (the caller's RAM, exactly the tensor's size, 4-byte aligned,
 * laid out as the blob's bytes: int32 little-endian) instead of constant tensor `tensor`'s
 * bytes in the blob, in every operator that reads it and in tml_model_tensor. The blob itself
 * is never written. data must stay alive while the override is in place; it may change
 * between invokes (tml_model_invoke_range checks it again). Setting a tensor again replaces
 * its override; data == NULL removes it (len ignored). Before it takes effect, the checks of
 * every operator reading the tensor run over the new values (e.g. a bias must keep the
 * accumulator inside int32); if one fails the previous state is kept. Statuses: TML_E_INDEX,
 * TML_E_NOT_CONST, TML_E_CONST_SIZE, TML_E_CONST_ALIGN, TML_E_CONST_FULL (TML_MAX_OVERRIDES
 * tensors at most), TML_E_CONST_CHECK. */
tml_status_t tml_model_set_const(tml_model_t *m, uint32_t tensor, const void *data, size_t len);

/* One operator's record and parameters, decoded for on-device training (backward passes). */
typedef struct {
    uint32_t kind;                         /* tml_op_kind_t */
    uint32_t n_inputs;
    uint32_t inputs[TML_OP_MAX_INPUTS];    /* tensor indices; TML_NONE: none (omitted bias) */
    uint32_t output;
    int32_t act_min, act_max;  /* fused activation clamp; -128, 127 for kinds without one */
    /* Geometry of CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D and MAX_POOL_2D; 0 for other
     * kinds. pad_h and pad_w are the top and left padding: output (y, x) reads input rows from
     * y * stride_h - pad_h and columns from x * stride_w - pad_w (the bottom/right padding is
     * whatever the output size implies). */
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;  /* 1 for pools */
    int32_t pad_h, pad_w;
    int32_t filter_h, filter_w;      /* kernel size: the filter tensor's, or the pool's */
    int32_t depth_mult;              /* DEPTHWISE_CONV_2D's multiplier; 1 for CONV_2D */
    /* CONV_2D, DEPTHWISE_CONV_2D: one requantization per output channel; FULLY_CONNECTED: one
     * per unit, or 1 when per tensor; other kinds 0. Rescale = mult * 2^(shift - 31). */
    uint32_t n_requant;
    const uint8_t *mult, *shift; /* n_requant little-endian int32 each, in the blob */
    /* CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED: the largest |int32 bias| the operator's load
     * check accepts (so that accumulator + bias stays inside int32), with or without a bias
     * input; 0 for other kinds. */
    int32_t bias_limit;
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
    uint32_t bias;         /* int32 constant [rows], or TML_NONE when the layer has none */
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

#endif /* TML_TRAIN_H */
