/* Status strings and the error formatter every binding raises the text of. */
#include "core.h"

/* Texts one after another, each ended by its NUL: smaller than a table of pointers. */
static const char *nth_text(const char *s, unsigned n) {
    for (; n; n--) {
        while (*s++) {
        }
    }
    return s;
}

/* Every status text in code order. */
#define TML_TEXT_(name, text) text "\0"
static const char status_texts[] = TML_STATUSES(TML_TEXT_);
#undef TML_TEXT_

const char *tml_status_str(tml_status_t status) {
    return (unsigned)status < TML_STATUS_COUNT ? nth_text(status_texts, (unsigned)status)
                                               : "unknown error";
}

/* Messages that quote numbers, used when the model is known (and for TML_E_CONST_FULL, which
 * quotes a constant): the template of detail_status[i] is detail_texts' i-th. Bytes 1..7 stand
 * for err_a, err_b, err_c; the status text of err_b; " for shape (...)", the shape of input
 * err_c - 1 as Python prints net.input_shape (nothing when err_c is 0); TML_VERSION_MAJOR;
 * TML_MAX_OVERRIDES. */
static const uint8_t detail_status[] = {
    TML_E_VERSION,    TML_E_TRUNCATED,   TML_E_ARENA,     TML_E_NOT_CONST,  TML_E_CONST_SIZE,
    TML_E_CONST_FULL, TML_E_CONST_CHECK, TML_E_INPUT_LEN, TML_E_OUTPUT_LEN,
};
static const char detail_texts[] =
    "unsupported blob version \1.\2 (this reader supports \6.x)\0"
    "truncated: blob header says \1 bytes, got \2\0"
    "arena too small: needs \1 bytes, got \2\0"
    "constant override: tensor \1 is not a constant\0"
    "constant override: tensor \1 has \2 bytes, got \3\0"
    "constant override: at most \7 tensors\0"
    "constant override: \4 (operator \1)\0"
    "wrong input length: got \1 values, expected \2\5\0"
    "wrong output length: got \1 values, expected \2";

static const char *detail_text(tml_status_t status) {
    for (unsigned i = 0; i < sizeof detail_status; i++) {
        if (detail_status[i] == status) {
            return nth_text(detail_texts, i);
        }
    }
    return NULL;
}

/* A tiny formatter: natmods have no snprintf. */
typedef struct {
    char *buf;
    size_t cap, len;
} out_t;

static void put_char(out_t *o, char c) {
    if (o->len + 1 < o->cap) {
        o->buf[o->len] = c;
    }
    o->len++;
}

static void put_str(out_t *o, const char *s) {
    while (*s) {
        put_char(o, *s++);
    }
}

static void put_u32(out_t *o, uint32_t v) {
    char digits[11];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        put_char(o, digits[--n]);
    }
}

static void put_template(out_t *o, const char *s, const tml_model_t *m) {
    tml_tensor_t t;
    for (; *s; s++) {
        const unsigned c = (unsigned char)*s;
        if (c == 4) {
            put_str(o, tml_status_str((tml_status_t)m->err_b));
        } else if (c == 5) {
            if (m->err_c && tml_model_input(m, m->err_c - 1, &t) == TML_OK) {
                put_str(o, " for shape (");
                for (int32_t d = 0; d < t.rank; d++) {
                    put_str(o, d ? ", " : "");
                    put_u32(o, (uint32_t)t.dims[d]);
                }
                put_str(o, t.rank == 1 ? ",)" : ")");
            }
        } else if (c < 4) {
            put_u32(o, c == 1 ? m->err_a : c == 2 ? m->err_b : m->err_c);
        } else if (c < 8) {
            put_u32(o, c == 6 ? (uint32_t)TML_VERSION_MAJOR : (uint32_t)TML_MAX_OVERRIDES);
        } else {
            put_char(o, (char)c);
        }
    }
}

size_t tml_format_error(char *buf, size_t cap, tml_status_t status, const tml_model_t *m) {
    out_t o = {buf, cap, 0};
    const char *detail = detail_text(status);
    if (detail && (m || status == TML_E_CONST_FULL)) {
        put_template(&o, detail, m);
    } else {
        put_str(&o, tml_status_str(status));
        if (m && m->err_item >= 0 && m->err_kind != TML_ITEM_NONE) {
            put_str(&o, m->err_kind == TML_ITEM_OP ? " (operator " : " (tensor ");
            put_u32(&o, (uint32_t)m->err_item);
            put_str(&o, ")");
        }
    }
    if (cap) {
        buf[o.len < cap ? o.len : cap - 1] = 0;
    }
    return o.len < cap ? o.len : (cap ? cap - 1 : 0);
}
