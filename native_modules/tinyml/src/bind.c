/* What the language bindings share (tml_bind.h): argument rules and the records' fields. */
#include <string.h>
#include "core.h"
#include "tml_bind.h"

#if TML_BIND_MODEL
static uint32_t clamp32(size_t n) {
    return n > 0xffffffffu ? 0xffffffffu : (uint32_t)n;
}

/* Record a length mismatch (TML_E_INPUT_LEN / TML_E_OUTPUT_LEN) for tml_format_error. */
static tml_status_t check_length(tml_model_t *m, tml_status_t kind, uint32_t got,
                                 uint32_t want) {
    if (got == want) {
        return TML_OK;
    }
    m->err_a = got;
    m->err_b = want;
    return kind;
}

tml_status_t tml_bind_input(const tml_model_t *m, long i, tml_tensor_t *t) {
    return i < 0 ? TML_E_INDEX : tml_model_input(m, (uint32_t)i, t);
}

tml_status_t tml_bind_output(const tml_model_t *m, long i, tml_tensor_t *t) {
    return i < 0 ? TML_E_INDEX : tml_model_output(m, (uint32_t)i, t);
}

tml_status_t tml_bind_tensor(const tml_model_t *m, long i, tml_tensor_t *t) {
    return i < 0 ? TML_E_INDEX : tml_model_tensor(m, (uint32_t)i, t);
}

/* An input's length: TML_E_INPUT_LEN, with err_c = 1 + the input's index so that the
 * message can quote its shape. */
static tml_status_t input_length(tml_model_t *m, const tml_tensor_t *t, uint32_t got) {
    const tml_status_t st = check_length(m, TML_E_INPUT_LEN, got, t->size);
    tml_tensor_t u;
    m->err_c = 0;
    for (uint32_t i = 0; st != TML_OK && i < m->n_inputs; i++) {
        if (tml_model_input(m, i, &u) == TML_OK && u.data == t->data) {
            m->err_c = i + 1;
        }
    }
    return st;
}

tml_status_t tml_bind_set_input(tml_model_t *m, const tml_tensor_t *t, tml_buf_t kind,
                                const void *buf, size_t len) {
    tml_status_t st;
    if (kind == TML_BUF_INT8) {
        if ((st = input_length(m, t, clamp32(len))) == TML_OK) {
            memcpy(t->data, buf, t->size);
        }
        return st;
    }
#if TML_HAS_FLOAT
    if ((st = input_length(m, t, clamp32(len / 4))) != TML_OK) {
        return st;
    }
    return tml_quantize_f32((const float *)buf, t->size, tml_scale_f32(t->scale_bits),
                            t->zero_point, (int8_t *)t->data);
#else
    (void)buf;
    return TML_E_VALUE; /* not reached: a binding without floats refuses float input itself */
#endif
}

#if TML_HAS_FLOAT
tml_status_t tml_bind_set_input_count(tml_model_t *m, const tml_tensor_t *t, size_t n) {
    return input_length(m, t, clamp32(n));
}

tml_status_t tml_bind_set_input_item(const tml_tensor_t *t, size_t i, float x) {
    return tml_quantize_f32(&x, 1, tml_scale_f32(t->scale_bits), t->zero_point,
                            (int8_t *)t->data + i);
}
#endif

tml_status_t tml_bind_get_output(tml_model_t *m, const tml_tensor_t *t, tml_buf_t kind,
                                 void *buf, size_t len) {
    tml_status_t st;
    if (kind == TML_BUF_INT8) {
        if ((st = check_length(m, TML_E_OUTPUT_LEN, clamp32(len), t->size)) == TML_OK) {
            memcpy(buf, t->data, t->size);
        }
        return st;
    }
    if ((st = check_length(m, TML_E_OUTPUT_LEN, clamp32(len / 4), t->size)) == TML_OK) {
#if TML_HAS_FLOAT
        tml_dequantize_f32((const int8_t *)t->data, t->size, tml_scale_f32(t->scale_bits),
                           t->zero_point, (float *)buf);
#else
        tml_dequantize_bits((const int8_t *)t->data, t->size, t->scale_bits, t->zero_point,
                            (uint32_t *)buf);
#endif
    }
    return st;
}

tml_status_t tml_bind_read_tensor(tml_model_t *m, const tml_tensor_t *t, void *buf, size_t len,
                                  int has_offset, long offset) {
    if (has_offset && (offset < 0 || (unsigned long)offset > t->size)) {
        return TML_E_OFFSET;
    }
    const uint32_t start = has_offset ? (uint32_t)offset : 0;
    const uint32_t want = t->size - start, got = clamp32(len);
    /* Whole tensor: exactly its size. From an offset: any length up to its end. */
    const tml_status_t st =
        check_length(m, TML_E_OUTPUT_LEN, got, !has_offset || got > want ? want : got);
    if (st == TML_OK) {
        memcpy(buf, (const uint8_t *)t->data + start, got);
    }
    return st;
}

tml_status_t tml_bind_invoke(tml_model_t *m, long first, long end) {
    if (first < 0 || end < 0) {
        return TML_E_INDEX;
    }
    return tml_model_invoke_range(m, (uint32_t)first, (uint32_t)end);
}

/* ---- records ---- */

enum { REC_HEAD = 1, REC_OP_INFO, REC_UPDATE };
enum { FORM_RAW = 0, FORM_INDICES, FORM_U16, FORM_REQUANT };

tml_status_t tml_bind_head(const tml_model_t *m, tml_bind_record_t *r) {
    r->kind = REC_HEAD;
    r->n_fields = TML_HEAD_FIELD_COUNT;
    return tml_model_head(m, &r->u.head);
}

tml_status_t tml_bind_op_info(const tml_model_t *m, long k, tml_bind_record_t *r) {
    r->kind = REC_OP_INFO;
    r->n_fields = TML_OP_INFO_FIELD_COUNT;
    return k < 0 ? TML_E_INDEX : tml_model_op_info(m, (uint32_t)k, &r->u.op_info);
}

tml_status_t tml_bind_update(const tml_model_t *m, uint32_t i, tml_bind_record_t *r) {
    r->kind = REC_UPDATE;
    r->n_fields = TML_UPDATE_FIELD_COUNT;
    return tml_model_update(m, i, &r->u.update);
}

static void set_int(tml_val_t *v, int32_t i) {
    v->type = TML_VAL_INT;
    v->i = i;
}

static int32_t index_of(uint32_t t) {
    return t == TML_NONE ? -1 : (int32_t)t;
}

static void set_list(tml_val_t *v, uint32_t type, uint32_t form, uint32_t n, const void *p,
                     const void *q) {
    v->type = type;
    v->form = form;
    v->n = n;
    v->p = p;
    v->q = q;
}

/* The switches below name every field of each record: a field added to the schema and not
 * here is a -Wswitch warning (an error in the builds that use -Werror). */
static void head_field(const tml_head_t *h, tml_head_field_t f, tml_val_t *v) {
    switch (f) {
    case TML_HEAD_op: set_int(v, (int32_t)h->op); break;
    case TML_HEAD_embedding: set_int(v, (int32_t)h->embedding); break;
    case TML_HEAD_weights: set_int(v, (int32_t)h->weights); break;
    case TML_HEAD_bias: set_int(v, index_of(h->bias)); break;
    case TML_HEAD_output: set_int(v, (int32_t)h->output); break;
    case TML_HEAD_rows: set_int(v, (int32_t)h->rows); break;
    case TML_HEAD_cols: set_int(v, (int32_t)h->cols); break;
    case TML_HEAD_scales:
        set_list(v, TML_VAL_BYTES, FORM_RAW, 4 * h->rows, h->scales, NULL);
        break;
    case TML_HEAD_FIELD_COUNT: break;
    }
}

static void op_info_field(const tml_op_info_t *o, tml_op_info_field_t f, tml_val_t *v) {
    switch (f) {
    case TML_OP_INFO_kind: set_int(v, (int32_t)o->kind); break;
    case TML_OP_INFO_inputs:
        set_list(v, TML_VAL_INTS, FORM_INDICES, o->n_inputs, o->inputs, NULL);
        break;
    case TML_OP_INFO_output: set_int(v, (int32_t)o->output); break;
    case TML_OP_INFO_act_min: set_int(v, o->act_min); break;
    case TML_OP_INFO_act_max: set_int(v, o->act_max); break;
    case TML_OP_INFO_stride_h: set_int(v, o->stride_h); break;
    case TML_OP_INFO_stride_w: set_int(v, o->stride_w); break;
    case TML_OP_INFO_dilation_h: set_int(v, o->dilation_h); break;
    case TML_OP_INFO_dilation_w: set_int(v, o->dilation_w); break;
    case TML_OP_INFO_pad_h: set_int(v, o->pad_h); break;
    case TML_OP_INFO_pad_w: set_int(v, o->pad_w); break;
    case TML_OP_INFO_filter_h: set_int(v, o->filter_h); break;
    case TML_OP_INFO_filter_w: set_int(v, o->filter_w); break;
    case TML_OP_INFO_depth_mult: set_int(v, o->depth_mult); break;
    case TML_OP_INFO_requant:
        /* Per channel the int32 multiplier, then the int32 shift, little-endian. */
        set_list(v, TML_VAL_BYTES, FORM_REQUANT, 8 * o->n_requant, o->mult, o->shift);
        break;
    case TML_OP_INFO_bias_limit: set_int(v, o->bias_limit); break;
    case TML_OP_INFO_FIELD_COUNT: break;
    }
}

static void update_field(const tml_update_t *u, tml_update_field_t f, tml_val_t *v) {
    switch (f) {
    case TML_UPDATE_op: set_int(v, (int32_t)u->op); break;
    case TML_UPDATE_bias:
        v->type = TML_VAL_BOOL;
        v->i = u->bias != 0;
        break;
    case TML_UPDATE_channels:
        set_list(v, TML_VAL_INTS, FORM_U16, u->n_channels, u->channels, NULL);
        break;
    case TML_UPDATE_FIELD_COUNT: break;
    }
}

void tml_bind_field(const tml_bind_record_t *r, uint32_t i, tml_val_t *v) {
    memset(v, 0, sizeof(*v));
    if (r->kind == REC_HEAD) {
        head_field(&r->u.head, (tml_head_field_t)i, v);
    } else if (r->kind == REC_OP_INFO) {
        op_info_field(&r->u.op_info, (tml_op_info_field_t)i, v);
    } else {
        update_field(&r->u.update, (tml_update_field_t)i, v);
    }
}

int32_t tml_val_item(const tml_val_t *v, uint32_t i) {
    if (v->form == FORM_INDICES) {
        return index_of(((const uint32_t *)v->p)[i]);
    }
    return tml_rd16((const uint8_t *)v->p + 2 * i); /* FORM_U16 */
}

const uint8_t *tml_val_direct(const tml_val_t *v) {
    return v->form == FORM_RAW ? (const uint8_t *)v->p : NULL;
}

void tml_val_write(const tml_val_t *v, uint8_t *dst) {
    if (v->form == FORM_RAW) {
        memcpy(dst, v->p, v->n);
        return;
    }
    for (uint32_t c = 0; c < v->n / 8; c++) { /* FORM_REQUANT: interleave the pairs */
        memcpy(dst + 8 * c, (const uint8_t *)v->p + 4 * c, 4);
        memcpy(dst + 8 * c + 4, (const uint8_t *)v->q + 4 * c, 4);
    }
}
#endif /* TML_BIND_MODEL */

#if TML_HAS_FRONTEND || TML_HAS_MOTION
char tml_bind_setting_kind(const tml_bind_settings_t *s, long i) {
    return i >= 0 && i < s->n ? s->fields[i].kind : 0;
}

void tml_bind_set_int(const tml_bind_settings_t *s, void *cfg, long i, long v) {
    int32_t x = (int32_t)v;
    memcpy((uint8_t *)cfg + s->fields[i].offset, &x, sizeof(x));
}

void tml_bind_set_float(const tml_bind_settings_t *s, void *cfg, long i, double v) {
    float x = (float)v;
    memcpy((uint8_t *)cfg + s->fields[i].offset, &x, sizeof(x));
}

#define TML_BIND_SETTINGS_(type, list, name, message)                                        \
    static const tml_bind_field_t name##_fields[] = {list(TML_BIND_FIELD_##type)};            \
    const tml_bind_settings_t name = {name##_fields,                                          \
                                      (int32_t)(sizeof(name##_fields) / sizeof(name##_fields[0])), \
                                      message};
#endif

#if TML_HAS_FRONTEND
#define TML_BIND_FIELD_FE(f, kind) {(uint16_t)offsetof(tml_fe_config_t, f), (#kind)[0]},
#define TML_BIND_FIELD_MFCC(f, kind) {(uint16_t)offsetof(tml_mfcc_config_t, f), (#kind)[0]},
TML_BIND_SETTINGS_(FE, TML_FE_CONFIG_FIELDS, tml_bind_fe_settings, TML_MSG_FE_CONFIG)
TML_BIND_SETTINGS_(MFCC, TML_MFCC_CONFIG_FIELDS, tml_bind_mfcc_settings, TML_MSG_MFCC_CONFIG)
#endif
#if TML_HAS_MOTION
#define TML_BIND_FIELD_MO(f, kind) {(uint16_t)offsetof(tml_mo_config_t, f), (#kind)[0]},
TML_BIND_SETTINGS_(MO, TML_MO_CONFIG_FIELDS, tml_bind_mo_settings, TML_MSG_MO_CONFIG)
#endif

#if TML_HAS_FRONTEND
int32_t tml_bind_fe_feed(tml_fe_t *fe, const uint8_t *s, int32_t n, uint8_t *ring, int32_t rows,
                         int32_t as_int8, int32_t *pos) {
    if (!fe->ready) {
        return TML_FE_E_STATE;
    }
    if (n < 0 || rows < 1 || *pos < 0 || *pos >= rows) {
        return TML_FE_E_ARG;
    }
    const int32_t ch = tml_fe_channels(fe);
    const size_t row_bytes = (size_t)ch * (as_int8 ? 1 : 2);
    /* The samples go through a small aligned buffer: a byte buffer's int16 may be unaligned,
     * which Armv6-M cannot load. Each frame's features go through one too, then into the
     * ring's row, as they are or as int8 inputs. */
    int16_t chunk[64];
    uint16_t feat[TML_FE_MAX_CHANNELS];
    int32_t frames = 0, done = 0;
    while (done < n) {
        const int32_t k = n - done < 64 ? n - done : 64;
        memcpy(chunk, s + 2 * done, (size_t)k * 2);
        int32_t at = 0;
        while (at < k) {
            int32_t used = 0;
            const int32_t made = tml_fe_process(fe, chunk + at, k - at, &used, feat);
            if (made < 0) {
                return made;
            }
            if (made) {
                uint8_t *row = ring + (size_t)*pos * row_bytes;
                if (as_int8) {
                    tml_fe_to_int8(feat, ch, (int8_t *)row);
                } else {
                    memcpy(row, feat, row_bytes);
                }
                frames++;
                *pos = *pos + 1 == rows ? 0 : *pos + 1;
            }
            at += used;
        }
        done += k;
    }
    return frames;
}
#endif

#if TML_HAS_FRONTEND
static int32_t clamp_range(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

/* Block peaks the window can need: frames f .. c read the blocks from f on, and the block
 * being filled is at most (frame_length - 1) / frame_step ahead of the frames made, so rows +
 * (frame_length - 1) / frame_step + 1 entries always hold them. */
static int32_t mfcc_blocks(const tml_mfcc_config_t *cfg, int32_t rows) {
    const int32_t len = clamp_range(cfg->frame_length, 1, TML_MFCC_MAX_FRAME);
    const int32_t step = clamp_range(cfg->frame_step, 1, len);
    return rows + (len - 1) / step + 1;
}

size_t tml_bind_mfcc_size(const tml_mfcc_config_t *cfg, int32_t rows) {
    if (rows < 1 || rows > TML_BIND_MFCC_MAX_ROWS) {
        return 0;
    }
    const int32_t mel = clamp_range(cfg->num_mel_bins, 1, TML_MFCC_MAX_MEL);
    return sizeof(tml_bind_mfcc_t) + (size_t)rows * (size_t)mel * 4 +
           (size_t)mfcc_blocks(cfg, rows) * 2;
}

static int16_t *mfcc_peaks(const tml_bind_mfcc_t *b) {
    return (int16_t *)(uintptr_t)(b->data + (size_t)b->rows * (size_t)b->mel);
}

int tml_bind_mfcc_init(tml_bind_mfcc_t *b, const tml_mfcc_config_t *cfg, int32_t rows) {
    if (rows < 1 || rows > TML_BIND_MFCC_MAX_ROWS) {
        b->mf.ready = 0;
        return TML_MFCC_E_ARG;
    }
    const int st = tml_mfcc_init(&b->mf, cfg);
    if (st != TML_MFCC_OK) {
        return st;
    }
    b->rows = rows;
    b->mel = tml_mfcc_row_length(&b->mf);
    b->blocks = mfcc_blocks(cfg, rows);
    tml_bind_mfcc_reset(b);
    return TML_MFCC_OK;
}

void tml_bind_mfcc_reset(tml_bind_mfcc_t *b) {
    tml_mfcc_reset(&b->mf);
    const size_t values = (size_t)b->rows * (size_t)b->mel;
    for (size_t i = 0; i < values; i++) {
        b->data[i] = TML_MFCC_LOG_ZERO;
    }
    b->pos = b->held = b->blk = b->lead = b->fill = 0;
    b->peak = INT16_MIN;
}

int32_t tml_bind_mfcc_feed(tml_bind_mfcc_t *b, const uint8_t *s, int32_t n) {
    if (!b->mf.ready) {
        return TML_MFCC_E_STATE;
    }
    if (n < 0) {
        return TML_MFCC_E_ARG;
    }
    const int32_t step = b->mf.frame_step;
    int16_t *peaks = mfcc_peaks(b);
    /* Through a small aligned buffer, as tml_bind_fe_feed. */
    int16_t chunk[64];
    int32_t frames = 0, done = 0;
    while (done < n) {
        const int32_t k = n - done < 64 ? n - done : 64;
        memcpy(chunk, s + 2 * done, (size_t)k * 2);
        for (int32_t i = 0; i < k; i++) {
            b->peak = chunk[i] > b->peak ? chunk[i] : b->peak;
            if (++b->fill == step) {
                peaks[b->blk] = (int16_t)b->peak;
                b->blk = b->blk + 1 == b->blocks ? 0 : b->blk + 1;
                b->lead++;
                b->fill = 0;
                b->peak = INT16_MIN;
            }
        }
        int32_t at = 0;
        while (at < k) {
            int32_t used = 0;
            int32_t *row = b->data + (size_t)b->pos * (size_t)b->mel;
            const int32_t made = tml_mfcc_process(&b->mf, chunk + at, k - at, &used, row);
            if (made < 0) {
                return made;
            }
            if (made) {
                frames++;
                b->lead--;
                b->held += b->held < b->rows;
                b->pos = b->pos + 1 == b->rows ? 0 : b->pos + 1;
            }
            at += used;
        }
        done += k;
    }
    return frames;
}

int32_t tml_bind_mfcc_peak(const tml_bind_mfcc_t *b) {
    const int16_t *peaks = mfcc_peaks(b);
    int32_t peak = b->fill ? b->peak : INT32_MIN;
    /* the blocks from the oldest frame's on: lead + held of them, newest last */
    for (int32_t i = 1, at = b->blk; i <= b->lead + b->held; i++) {
        at = at == 0 ? b->blocks - 1 : at - 1;
        peak = peaks[at] > peak ? peaks[at] : peak;
    }
    return peak == INT32_MIN ? 0 : peak;
}

int tml_bind_mfcc_window(const tml_bind_mfcc_t *b, int8_t *out) {
    if (!b->mf.ready) {
        return TML_MFCC_E_STATE;
    }
    return tml_mfcc_finish(&b->mf, b->data, b->rows, b->pos, tml_bind_mfcc_peak(b), out);
}
#endif

#if TML_HAS_MOTION
int tml_bind_mo_edge(tml_mo_config_t *cfg, long j, long v) {
    /* Edges beyond the last bin of the longest window are refused here, so that the value
     * fits the int16 field; tml_mo_init checks them against the window. */
    if (j < 0 || j > TML_MO_MAX_BANDS || v < 0 || v > TML_MO_MAX_WINDOW) {
        return TML_MO_E_EDGES;
    }
    cfg->edges[j] = (int16_t)v;
    return TML_MO_OK;
}

int32_t tml_bind_mo_feed(tml_mo_t *mo, const uint8_t *s, int32_t n, uint8_t *ring, int32_t rows,
                         int32_t *pos) {
    if (!mo->ready) {
        return TML_MO_E_STATE;
    }
    if (n < 0 || rows < 1 || *pos < 0 || *pos >= rows) {
        return TML_MO_E_ARG;
    }
    const int32_t axes = mo->axes;
    if (n % axes != 0) {
        return TML_MO_E_FRAMES;
    }
    const size_t row_bytes = (size_t)tml_mo_features(mo) * 4;
    /* Whole frames go through a small aligned buffer (a byte buffer's int16 may be unaligned,
     * which Armv6-M cannot load), and each window's features through another, then into the
     * ring's row, which may be unaligned too. */
    int16_t chunk[64];
    int32_t feat[TML_MO_MAX_FEATURES];
    const int32_t per_chunk = 64 / axes; /* frames: at least 7 */
    const int32_t frames = n / axes;
    int32_t windows = 0, done = 0;
    while (done < frames) {
        const int32_t k = frames - done < per_chunk ? frames - done : per_chunk;
        memcpy(chunk, s + (size_t)2 * done * axes, (size_t)k * axes * 2);
        int32_t at = 0;
        while (at < k) {
            int32_t used = 0;
            const int32_t made = tml_mo_push(mo, chunk + at * axes, k - at, &used, feat);
            if (made < 0) {
                return made;
            }
            if (made) {
                memcpy(ring + (size_t)*pos * row_bytes, feat, row_bytes);
                windows++;
                *pos = *pos + 1 == rows ? 0 : *pos + 1;
            }
            at += used;
        }
        done += k;
    }
    return windows;
}
#endif
