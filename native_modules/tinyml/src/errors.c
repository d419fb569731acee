/* Status strings and the error formatter every binding raises the text of. */
#include "core.h"

static const char *const status_text[TML_STATUS_COUNT] = {
    [TML_OK] = "ok",
    [TML_E_TOO_SMALL] = "truncated: shorter than a blob header",
    [TML_E_MAGIC] = "bad magic: not a tinyml blob",
    [TML_E_VERSION] = "unsupported blob version",
    [TML_E_TRUNCATED] = "truncated: fewer bytes than the header's total size",
    [TML_E_CRC] = "CRC mismatch: blob corrupted",
    [TML_E_ALIGN] = "buffer not 4-byte aligned",
    [TML_E_HEADER] = "invalid header field",
    [TML_E_SECTION] = "section outside the blob or misaligned",
    [TML_E_TENSOR] = "invalid tensor record",
    [TML_E_OP] = "invalid operator record",
    [TML_E_OP_UNSUPPORTED] = "unsupported operator",
    [TML_E_PARAMS] = "invalid operator parameters",
    [TML_E_PLAN] = "invalid memory plan",
    [TML_E_META] = "invalid metadata",
    [TML_E_ARENA] = "arena too small",
    [TML_E_NO_ARENA] = "no arena set",
    [TML_E_INDEX] = "index out of range",
    [TML_E_KERNEL] = "kernel failed",
    [TML_E_VALUE] = "input is NaN or infinite",
    [TML_E_INPUT_LEN] = "input of the wrong length",
    [TML_E_OUTPUT_LEN] = "output buffer of the wrong length",
    [TML_E_NOT_CONST] = "constant override: not a constant tensor",
    [TML_E_CONST_SIZE] = "constant override: wrong size",
    [TML_E_CONST_ALIGN] = "constant override: buffer not 4-byte aligned",
    [TML_E_CONST_FULL] = "constant override: too many tensors",
    [TML_E_CONST_CHECK] = "constant override: refused by an operator's checks",
    [TML_E_OFFSET] = "offset outside the tensor",
};

const char *tml_status_str(tml_status_t status) {
    if ((unsigned)status >= TML_STATUS_COUNT) {
        return "unknown error";
    }
    return status_text[status];
}

/* A tiny formatter: natmods have no snprintf. */
typedef struct {
    char *buf;
    size_t cap, len;
} out_t;

static void put_str(out_t *o, const char *s) {
    while (*s) {
        if (o->len + 1 < o->cap) {
            o->buf[o->len] = *s;
        }
        o->len++;
        s++;
    }
}

static void put_u32(out_t *o, uint32_t v) {
    char digits[11];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char s[2] = {0, 0};
    while (n) {
        s[0] = digits[--n];
        put_str(o, s);
    }
}

size_t tml_format_error(char *buf, size_t cap, tml_status_t status, const tml_model_t *m) {
    out_t o = {buf, cap, 0};
    if (m && status == TML_E_VERSION) {
        put_str(&o, "unsupported blob version ");
        put_u32(&o, m->err_a);
        put_str(&o, ".");
        put_u32(&o, m->err_b);
        put_str(&o, " (this reader supports ");
        put_u32(&o, TML_VERSION_MAJOR);
        put_str(&o, ".x)");
    } else if (m && status == TML_E_TRUNCATED) {
        put_str(&o, "truncated: blob header says ");
        put_u32(&o, m->err_a);
        put_str(&o, " bytes, got ");
        put_u32(&o, m->err_b);
    } else if (m && status == TML_E_ARENA) {
        put_str(&o, "arena too small: needs ");
        put_u32(&o, m->err_a);
        put_str(&o, " bytes, got ");
        put_u32(&o, m->err_b);
    } else if (m && status == TML_E_NOT_CONST) {
        put_str(&o, "constant override: tensor ");
        put_u32(&o, m->err_a);
        put_str(&o, " is not a constant");
    } else if (m && status == TML_E_CONST_SIZE) {
        put_str(&o, "constant override: tensor ");
        put_u32(&o, m->err_a);
        put_str(&o, " has ");
        put_u32(&o, m->err_b);
        put_str(&o, " bytes, got ");
        put_u32(&o, m->err_c);
    } else if (status == TML_E_CONST_FULL) {
        put_str(&o, "constant override: at most ");
        put_u32(&o, TML_MAX_OVERRIDES);
        put_str(&o, " tensors");
    } else if (m && status == TML_E_CONST_CHECK) {
        put_str(&o, "constant override: ");
        put_str(&o, tml_status_str((tml_status_t)m->err_b));
        put_str(&o, " (operator ");
        put_u32(&o, m->err_a);
        put_str(&o, ")");
    } else if (m && (status == TML_E_INPUT_LEN || status == TML_E_OUTPUT_LEN)) {
        put_str(&o, status == TML_E_INPUT_LEN ? "wrong input length: got " :
                                                "wrong output length: got ");
        put_u32(&o, m->err_a);
        put_str(&o, " values, expected ");
        put_u32(&o, m->err_b);
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
