/* FULLY_CONNECTED: inputs (x, weights [units, depth], bias or none); words P_FC_*. */
#include "op.h"

#if TML_HAS_FULLY_CONNECTED
/* Each output sums `depth` products of an offset input and an offset weight, magnitudes
 * <= 256. */
static int32_t bias_limit(const tml_op_ctx_t *c) {
    return tml_bias_limit(c->in[1].dims[1], 256 * 256);
}

static tml_status_t check(const tml_op_ctx_t *c) {
    const tml_tensor_t *in = &c->in[0], *f = &c->in[1], *out = &c->out;
    const int32_t *w = c->w;
    if (!tml_is_act(in) || f->dtype != TML_DTYPE_INT8 || f->location != TML_LOC_CONST ||
        f->rank != 2) {
        return TML_E_PARAMS;
    }
#if TML_HAS_DUAL16
    if (tml_tensor_packing(c->m, c->idx[1]) == TML_PACKING_DUAL16 &&
        (w[P_FC_FILTER_OFFSET] != 0 || !tml_dual16_values_ok(f))) {
        return TML_E_PARAMS;
    }
#endif
    const int32_t units = f->dims[0], depth = f->dims[1];
    const int32_t per_channel = w[P_FC_PER_CHANNEL];
    if (depth > 16384 || in->size % (uint32_t)depth != 0 ||
        (uint64_t)(in->size / (uint32_t)depth) * (uint32_t)units != out->size ||
        out->dims[out->rank - 1] != units || (per_channel != 0 && per_channel != 1) ||
        !tml_between(w[P_FC_IN_OFFSET], -127, 128) ||
        !tml_between(w[P_FC_FILTER_OFFSET], -127, 128) ||
        !tml_between(w[P_FC_OUT_OFFSET], -128, 127) ||
        !tml_check_act(w[P_FC_ACT_MIN], w[P_FC_ACT_MAX])) {
        return TML_E_PARAMS;
    }
    if ((c->idx[2] != TML_NONE && !tml_check_bias(&c->in[2], units, bias_limit(c))) ||
        !tml_check_requant(c->m, w[P_FC_MULT_OFF], w[P_FC_SHIFT_OFF],
                           per_channel ? (uint32_t)units : 1)) {
        return TML_E_PARAMS;
    }
    return TML_OK;
}

static void info(const tml_op_ctx_t *c, tml_op_info_t *info) {
    const int32_t *w = c->w;
    info->act_min = w[P_FC_ACT_MIN];
    info->act_max = w[P_FC_ACT_MAX];
    tml_info_requant(c, info, w[P_FC_MULT_OFF], w[P_FC_SHIFT_OFF],
                     w[P_FC_PER_CHANNEL] ? (uint32_t)c->in[1].dims[0] : 1u);
    info->bias_limit = bias_limit(c);
}

static int eval(const tml_op_ctx_t *c) {
    const int32_t *w = c->w;
    tml_fc_params_t p;
    tml_requant_t q;
    p.input_offset = w[P_FC_IN_OFFSET];
    p.filter_offset = w[P_FC_FILTER_OFFSET];
    p.output_offset = w[P_FC_OUT_OFFSET];
    p.act_min = w[P_FC_ACT_MIN];
    p.act_max = w[P_FC_ACT_MAX];
    q.mult = tml_data_i32(c->m, w[P_FC_MULT_OFF]);
    q.shift = tml_data_i32(c->m, w[P_FC_SHIFT_OFF]);
    q.rounding = c->rounding;
    const int32_t units = c->in[1].dims[0], depth = c->in[1].dims[1];
    const int32_t batches = (int32_t)c->in[0].size / depth;
    const int8_t *x = (const int8_t *)c->in[0].data;
#if TML_HAS_DUAL16
    if (tml_tensor_packing(c->m, c->idx[1]) == TML_PACKING_DUAL16) {
        return tml_fully_connected_d16_s8(&p, &q, batches, depth, x, units,
                                          (const int16_t *)c->in[1].data,
                                          (const int32_t *)c->in[2].data, w[P_FC_PER_CHANNEL],
                                          (int8_t *)c->out.data);
    }
#endif
    return tml_fully_connected_s8(&p, &q, batches, depth, x, units,
                                  (const int8_t *)c->in[1].data, (const int32_t *)c->in[2].data,
                                  w[P_FC_PER_CHANNEL], (int8_t *)c->out.data);
}

const tml_op_def_t tml_op_fully_connected = {
    .kind = TML_OP_FULLY_CONNECTED,
    .min_in = 2,
    .max_in = 3,
    .words = TML_OP_WORDS_FULLY_CONNECTED,
    .const_inputs = TML_IN(1) | TML_IN(2),
    .packed_inputs = TML_HAS_DUAL16 ? TML_IN(1) : 0,
    .check = check,
    .eval = eval,
    .info = info,
};
#endif
