/* MicroPython binding of the tinyml C core: the `_tinyml` module.
 *
 * One source for both builds: compiled into firmware as a user C module (micropython.mk,
 * micropython.cmake), or built as a dynamic native module (Makefile, py/dynruntime.mk), where
 * it is merged with device/tinyml.py into a single tinyml.mpy. Only the registration section
 * at the bottom differs; both method tables come from the one X-macro list below, and both
 * export the schema's names (OP_NAMES, H_TOTAL_SIZE, H_ARENA_SIZE, *_FIELDS).
 *
 * The binding converts objects to C and back, nothing more: validation, numerics, argument
 * rules and error texts belong to the core (tml_bind.h).
 */
#if MICROPY_ENABLE_DYNRUNTIME
#include "py/dynruntime.h"
#if defined(__xtensa__)
/* On Xtensa a constant index into the qstr table is folded into a literal "table+offset",
 * which mpy_ld cannot relocate. Hiding the base from the optimiser keeps base + index. */
static inline const uint16_t *tml_qstr_table(void) {
    const uint16_t *t = mp_native_qstr_table;
    __asm__("" : "+r"(t));
    return t;
}
#define mp_native_qstr_table (tml_qstr_table())
#endif
#else
#include "py/runtime.h"
#include "py/objarray.h"
#include "py/objstr.h"
#endif
#include <string.h>
#include "tml_bind.h"

#ifndef BYTEARRAY_TYPECODE
#define BYTEARRAY_TYPECODE 1
#endif

#if TML_BIND_MODEL
typedef struct _tml_mp_model_t {
    mp_obj_base_t base;
    mp_obj_t blob;   /* referenced so the GC keeps the weights the core reads in place */
    mp_obj_t arena;  /* likewise for the activations */
    /* Likewise for constant overrides: MP_OBJ_NULL until the first set_const (a model only
     * run pays one word), then a list of TML_MAX_OVERRIDES (tensor, buffer) pairs, None in
     * free slots. */
    mp_obj_t consts;
    tml_model_t m;
} tml_mp_model_t;

#if MICROPY_ENABLE_DYNRUNTIME
mp_obj_full_type_t tml_mp_model_type;
#define MODEL_TYPE ((const mp_obj_type_t *)&tml_mp_model_type)
#else
extern const mp_obj_type_t tml_mp_model_type;
#define MODEL_TYPE (&tml_mp_model_type)
#endif

static NORETURN void raise_status(tml_status_t st, const tml_model_t *m) {
    char msg[160];
    size_t len = tml_format_error(msg, sizeof(msg), st, m);
    mp_raise_type_arg(&mp_type_ValueError, mp_obj_new_str(msg, len));
}

static void check(tml_status_t st, const tml_model_t *m) {
    if (st != TML_OK) {
        raise_status(st, m);
    }
}

/* The buffer's items as the core's rules name them. */
static tml_buf_t buf_kind(const mp_buffer_info_t *b) {
    return b->typecode == 'b' || b->typecode == 'B' || b->typecode == BYTEARRAY_TYPECODE
               ? TML_BUF_INT8
           : b->typecode == 'f' ? TML_BUF_F32
                                : TML_BUF_OTHER;
}

/* Model(blob, arena=None) */
static mp_obj_t model_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
                               const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 2, false);
    mp_buffer_info_t blob;
    if (!mp_get_buffer(args[0], &blob, MP_BUFFER_READ)) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_BLOB_TYPE));
    }
    /* Validate before allocating anything: a raise here leaves nothing half-built. */
    tml_model_t m;
    check(tml_model_init(&m, blob.buf, blob.len), &m);
    mp_obj_t arena;
    mp_buffer_info_t ab;
    if (n_args < 2 || args[1] == mp_const_none) {
        size_t n = tml_model_arena_size(&m);
        void *p = m_malloc(n ? n : 1);
        arena = mp_obj_new_bytearray_by_ref(n, p);
    } else {
        arena = args[1];
        if (!mp_get_buffer(arena, &ab, MP_BUFFER_WRITE)) {
            mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_ARENA_TYPE));
        }
    }
    mp_get_buffer_raise(arena, &ab, MP_BUFFER_WRITE);
    check(tml_model_set_arena(&m, ab.buf, ab.len), &m);
    tml_mp_model_t *self = mp_obj_malloc(tml_mp_model_t, type);
    self->blob = args[0];
    self->arena = arena;
    self->consts = MP_OBJ_NULL;
    self->m = m;
    return MP_OBJ_FROM_PTR(self);
}

static mp_obj_t new_str(const char *s, uint32_t len) {
    return mp_obj_new_str(s, len);
}

/* info() -> (name, labels, arena_size, n_ops, n_inputs, n_outputs) */
static mp_obj_t model_info(mp_obj_t self_in) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(self_in);
    const tml_model_t *m = &self->m;
    const char *s;
    uint32_t len;
    mp_obj_t labels = mp_obj_new_tuple(tml_model_label_count(m), NULL);
    mp_obj_tuple_t *lt = MP_OBJ_TO_PTR(labels);
    for (uint32_t i = 0; i < tml_model_label_count(m); i++) {
        tml_model_label(m, i, &s, &len);
        lt->items[i] = new_str(s, len);
    }
    tml_model_name(m, &s, &len);
    mp_obj_t items[6] = {
        new_str(s, len),
        labels,
        mp_obj_new_int_from_uint(tml_model_arena_size(m)),
        MP_OBJ_NEW_SMALL_INT(tml_model_op_count(m)),
        MP_OBJ_NEW_SMALL_INT(tml_model_input_count(m)),
        MP_OBJ_NEW_SMALL_INT(tml_model_output_count(m)),
    };
    return mp_obj_new_tuple(6, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_info_obj, model_info);

static mp_obj_t tensor_info(const tml_tensor_t *t) {
    mp_obj_t dims[4];
    for (int d = 0; d < t->rank; d++) {
        dims[d] = MP_OBJ_NEW_SMALL_INT(t->dims[d]);
    }
    mp_obj_t items[3] = {
        mp_obj_new_tuple(t->rank, dims),
#if TML_HAS_FLOAT
        mp_obj_new_float(tml_scale_f32(t->scale_bits)),
#else
        /* A build without floats (armv6m .mpy): the IEEE bits; tinyml.py converts them. */
        mp_obj_new_int_from_uint(t->scale_bits),
#endif
        MP_OBJ_NEW_SMALL_INT(t->zero_point),
    };
    return mp_obj_new_tuple(3, items);
}

static void io_tensor(tml_mp_model_t *self, mp_obj_t index, int output, tml_tensor_t *t) {
    mp_int_t i = mp_obj_get_int(index);
    if ((output ? tml_bind_output : tml_bind_input)(&self->m, i, t) != TML_OK) {
        mp_raise_msg(&mp_type_IndexError, output ? MP_ERROR_TEXT(TML_MSG_OUTPUT_INDEX) :
                                                   MP_ERROR_TEXT(TML_MSG_INPUT_INDEX));
    }
}

/* input_info(i) -> (shape, scale, zero_point) */
static mp_obj_t model_input_info(mp_obj_t self_in, mp_obj_t index) {
    tml_tensor_t t;
    io_tensor(MP_OBJ_TO_PTR(self_in), index, 0, &t);
    return tensor_info(&t);
}
static MP_DEFINE_CONST_FUN_OBJ_2(model_input_info_obj, model_input_info);

static mp_obj_t model_output_info(mp_obj_t self_in, mp_obj_t index) {
    tml_tensor_t t;
    io_tensor(MP_OBJ_TO_PTR(self_in), index, 1, &t);
    return tensor_info(&t);
}
static MP_DEFINE_CONST_FUN_OBJ_2(model_output_info_obj, model_output_info);

/* set_input(x, i=0): an int8 buffer is copied raw; array('f') or a list/tuple of numbers is
 * quantized with the input's parameters. */
static mp_obj_t model_set_input(size_t n_args, const mp_obj_t *args) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_obj_t x = args[1];
    tml_tensor_t t;
    io_tensor(self, n_args > 2 ? args[2] : MP_OBJ_NEW_SMALL_INT(0), 0, &t);
    mp_buffer_info_t b;
    const int is_buf = mp_get_buffer(x, &b, MP_BUFFER_READ);
    const tml_buf_t kind = is_buf ? buf_kind(&b) : TML_BUF_OTHER;
    /* bytes (and a memoryview of them) say 'B' as array('B') does, but are read-only; a
     * bytearray says BYTEARRAY_TYPECODE */
    mp_buffer_info_t w;
    if (is_buf && b.typecode == 'B' && mp_get_buffer(x, &w, MP_BUFFER_WRITE)) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_INPUT_U8));
    }
    if (kind == TML_BUF_INT8) {
        check(tml_bind_set_input(&self->m, &t, kind, b.buf, b.len), &self->m);
        return mp_const_none;
    }
#if TML_HAS_FLOAT
    if (kind == TML_BUF_F32) {
        check(tml_bind_set_input(&self->m, &t, kind, b.buf, b.len), &self->m);
        return mp_const_none;
    }
    if (is_buf || (!mp_obj_is_type(x, &mp_type_list) && !mp_obj_is_type(x, &mp_type_tuple))) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_INPUT_TYPE));
    }
    size_t n;
    mp_obj_t *items;
    mp_obj_get_array(x, &n, &items);
    check(tml_bind_set_input_count(&self->m, &t, n), &self->m);
    for (size_t i = 0; i < n; i++) {
        check(tml_bind_set_input_item(&t, i, (float)mp_obj_get_float(items[i])), &self->m);
    }
    return mp_const_none;
#else
    /* A build without floats: tinyml.py quantizes float arrays and number sequences. */
    if (kind == TML_BUF_F32 || mp_obj_is_type(x, &mp_type_list) ||
        mp_obj_is_type(x, &mp_type_tuple)) {
        mp_raise_NotImplementedError(MP_ERROR_TEXT("float input"));
    }
    mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_INPUT_TYPE));
#endif
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_set_input_obj, 2, 3, model_set_input);

/* The constant overrides' (tensor, buffer) pairs: 2 * TML_MAX_OVERRIDES items, or NULL if
 * set_const was never called and create is 0. */
static mp_obj_t *const_slots(tml_mp_model_t *self, int create) {
    size_t n;
    mp_obj_t *items;
    if (self->consts == MP_OBJ_NULL) {
        if (!create) {
            return NULL;
        }
        mp_obj_t none[2 * TML_MAX_OVERRIDES];
        for (int i = 0; i < 2 * TML_MAX_OVERRIDES; i++) {
            none[i] = mp_const_none;
        }
        self->consts = mp_obj_new_list(2 * TML_MAX_OVERRIDES, none);
    }
    mp_obj_get_array(self->consts, &n, &items);
    return items;
}

/* A bytearray can be resized (its bytes move) and nothing here stops it: before the core reads
 * the constant overrides, point it at each buffer's current bytes, checked again; a buffer that
 * no longer fits loses its override and raises. */
static void refresh_consts(tml_mp_model_t *self) {
    mp_obj_t *slots = const_slots(self, 0);
    for (int i = 0; slots != NULL && i < TML_MAX_OVERRIDES; i++) {
        mp_buffer_info_t b;
        tml_tensor_t t;
        if (slots[2 * i + 1] == mp_const_none) {
            continue;
        }
        const uint32_t tensor = (uint32_t)MP_OBJ_SMALL_INT_VALUE(slots[2 * i]);
        mp_get_buffer_raise(slots[2 * i + 1], &b, MP_BUFFER_READ);
        tml_model_tensor(&self->m, tensor, &t);
        if (b.buf != t.data || b.len != t.size) {
            tml_status_t st = tml_model_set_const(&self->m, tensor, b.buf, b.len);
            if (st != TML_OK) {
                tml_model_set_const(&self->m, tensor, NULL, 0);
                slots[2 * i] = slots[2 * i + 1] = mp_const_none;
                raise_status(st, &self->m);
            }
        }
    }
}

/* invoke(first=0, end=operator count): run operators [first, end). */
static mp_obj_t model_invoke(size_t n_args, const mp_obj_t *args) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(args[0]);
    refresh_consts(self);
    mp_int_t first = n_args > 1 ? mp_obj_get_int(args[1]) : 0;
    mp_int_t end = n_args > 2 ? mp_obj_get_int(args[2]) : (mp_int_t)tml_model_op_count(&self->m);
    check(tml_bind_invoke(&self->m, first, end), &self->m);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_invoke_obj, 1, 3, model_invoke);

static void any_tensor(tml_mp_model_t *self, mp_obj_t index, tml_tensor_t *t) {
    if (tml_bind_tensor(&self->m, mp_obj_get_int(index), t) != TML_OK) {
        mp_raise_msg(&mp_type_IndexError, MP_ERROR_TEXT(TML_MSG_TENSOR_INDEX));
    }
}

/* tensor_info(i) -> (shape, scale, zero_point) of any tensor */
static mp_obj_t model_tensor_info(mp_obj_t self_in, mp_obj_t index) {
    tml_tensor_t t;
    any_tensor(MP_OBJ_TO_PTR(self_in), index, &t);
    return tensor_info(&t);
}
static MP_DEFINE_CONST_FUN_OBJ_2(model_tensor_info_obj, model_tensor_info);

/* read_tensor(i, buf[, offset]): copy tensor i's bytes (int32 tensors: little-endian words)
 * into a writable byte buffer (tml_bind_read_tensor's length rules). */
static mp_obj_t model_read_tensor(size_t n_args, const mp_obj_t *args) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(args[0]);
    tml_tensor_t t;
    refresh_consts(self);
    any_tensor(self, args[1], &t);
    mp_buffer_info_t b;
    if (!mp_get_buffer(args[2], &b, MP_BUFFER_WRITE) || buf_kind(&b) != TML_BUF_INT8) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_OUTPUT_TYPE));
    }
    const mp_int_t offset = n_args > 3 ? mp_obj_get_int(args[3]) : 0;
    check(tml_bind_read_tensor(&self->m, &t, b.buf, b.len, n_args > 3, offset), &self->m);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_read_tensor_obj, 3, 4, model_read_tensor);

/* A record of the core (tml_bind.h) as a tuple in the schema's field order. */
static mp_obj_t record(const tml_bind_record_t *r) {
    mp_obj_t tuple = mp_obj_new_tuple(r->n_fields, NULL);
    mp_obj_tuple_t *items = MP_OBJ_TO_PTR(tuple);
    for (uint32_t i = 0; i < r->n_fields; i++) {
        tml_val_t v;
        mp_obj_t o;
        tml_bind_field(r, i, &v);
        if (v.type == TML_VAL_INT) {
            o = mp_obj_new_int(v.i);
        } else if (v.type == TML_VAL_BOOL) {
            o = mp_obj_new_bool(v.i);
        } else if (v.type == TML_VAL_INTS) {
            o = mp_obj_new_tuple(v.n, NULL);
            mp_obj_tuple_t *t = MP_OBJ_TO_PTR(o);
            for (uint32_t k = 0; k < v.n; k++) {
                t->items[k] = mp_obj_new_int(tml_val_item(&v, k));
            }
        } else if (tml_val_direct(&v) != NULL) {
            o = mp_obj_new_bytes(tml_val_direct(&v), v.n);
        } else {
            /* Composed in a heap buffer, then copied into the bytes object. */
            const size_t cap = v.n ? v.n : 1;
            uint8_t *q = m_new(uint8_t, cap);
            tml_val_write(&v, q);
            o = mp_obj_new_bytes(q, v.n);
            m_del(uint8_t, q, cap);
        }
        items->items[i] = o;
    }
    return tuple;
}

/* head() -> None, or a tuple of HEAD_FIELDS */
static mp_obj_t model_head(mp_obj_t self_in) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(self_in);
    tml_bind_record_t r;
    if (tml_bind_head(&self->m, &r) != TML_OK) {
        return mp_const_none;
    }
    return record(&r);
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_head_obj, model_head);

/* op_info(k) -> a tuple of OP_INFO_FIELDS */
static mp_obj_t model_op_info(mp_obj_t self_in, mp_obj_t index) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(self_in);
    tml_bind_record_t r;
    if (tml_bind_op_info(&self->m, mp_obj_get_int(index), &r) != TML_OK) {
        mp_raise_msg(&mp_type_IndexError, MP_ERROR_TEXT(TML_MSG_OP_INDEX));
    }
    return record(&r);
}
static MP_DEFINE_CONST_FUN_OBJ_2(model_op_info_obj, model_op_info);

/* set_const(tensor, buf or None): read buf instead of the constant tensor's bytes in the blob
 * (None: the blob's again). buf is kept referenced while the override is in place. */
static mp_obj_t model_set_const(mp_obj_t self_in, mp_obj_t index, mp_obj_t data) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(self_in);
    tml_tensor_t t;
    any_tensor(self, index, &t);
    const uint32_t tensor = (uint32_t)mp_obj_get_int(index);
    /* Allocated before the core takes the buffer: a raise after that would leave the core
     * reading a buffer nothing here keeps alive. */
    mp_obj_t *slots = const_slots(self, data != mp_const_none);
    int slot = -1, free_slot = -1;
    for (int i = 0; slots != NULL && i < TML_MAX_OVERRIDES; i++) {
        if (slots[2 * i + 1] == mp_const_none) {
            free_slot = free_slot < 0 ? i : free_slot;
        } else if ((uint32_t)MP_OBJ_SMALL_INT_VALUE(slots[2 * i]) == tensor) {
            slot = i;
        }
    }
    if (data == mp_const_none) {
        check(tml_model_set_const(&self->m, tensor, NULL, 0), &self->m);
        if (slot >= 0) {
            slots[2 * slot] = slots[2 * slot + 1] = mp_const_none;
        }
        return mp_const_none;
    }
    mp_buffer_info_t b;
    if (!mp_get_buffer(data, &b, MP_BUFFER_READ)) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_CONST_TYPE));
    }
    check(tml_model_set_const(&self->m, tensor, b.buf, b.len), &self->m);
    /* The core has a free entry whenever it accepted a new tensor, and so has this table. */
    slot = slot >= 0 ? slot : free_slot;
    slots[2 * slot] = MP_OBJ_NEW_SMALL_INT(tensor);
    slots[2 * slot + 1] = data;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(model_set_const_obj, model_set_const);

/* update_scheme() -> a tuple of UPDATE_FIELDS tuples: the blob's sparse-update scheme, or (). */
static mp_obj_t model_update_scheme(mp_obj_t self_in) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(self_in);
    const uint32_t n = tml_model_update_count(&self->m);
    mp_obj_t scheme = mp_obj_new_tuple(n, NULL);
    mp_obj_tuple_t *st = MP_OBJ_TO_PTR(scheme);
    for (uint32_t i = 0; i < n; i++) {
        tml_bind_record_t r;
        tml_bind_update(&self->m, i, &r);
        st->items[i] = record(&r);
    }
    return scheme;
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_update_scheme_obj, model_update_scheme);

/* get_output(out, i=0): a bytearray/array('b') receives the raw int8 bytes, array('f') the
 * dequantized values. No allocation. */
static mp_obj_t model_get_output(size_t n_args, const mp_obj_t *args) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(args[0]);
    tml_tensor_t t;
    io_tensor(self, n_args > 2 ? args[2] : MP_OBJ_NEW_SMALL_INT(0), 1, &t);
    mp_buffer_info_t b;
    if (!mp_get_buffer(args[1], &b, MP_BUFFER_WRITE) || buf_kind(&b) == TML_BUF_OTHER) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_OUTPUT_TYPE));
    }
    check(tml_bind_get_output(&self->m, &t, buf_kind(&b), b.buf, b.len), &self->m);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_get_output_obj, 2, 3, model_get_output);

/* The one list of Model methods; both registrations below expand it. The qstrs are spelled
 * out (not pasted) because the native-module build finds qstrs by scanning the source text. */
#define TML_MP_MODEL_METHODS(X)                    \
    X(MP_QSTR_info, model_info_obj)               \
    X(MP_QSTR_input_info, model_input_info_obj)   \
    X(MP_QSTR_output_info, model_output_info_obj) \
    X(MP_QSTR_set_input, model_set_input_obj)     \
    X(MP_QSTR_invoke, model_invoke_obj)           \
    X(MP_QSTR_get_output, model_get_output_obj)   \
    X(MP_QSTR_tensor_info, model_tensor_info_obj) \
    X(MP_QSTR_read_tensor, model_read_tensor_obj) \
    X(MP_QSTR_head, model_head_obj)               \
    X(MP_QSTR_op_info, model_op_info_obj)         \
    X(MP_QSTR_set_const, model_set_const_obj)     \
    X(MP_QSTR_update_scheme, model_update_scheme_obj)

/* The schema's names. OP_NAMES carries every operator kind (OP_NAMES.split()[code]), so no
 * per-kind constant costs flash. The field names leave out their literal's last space. */
#define TML_MP_SCHEMA_STRS(X)                                                                \
    X(MP_QSTR_OP_NAMES, TML_BIND_OP_NAMES, sizeof(TML_BIND_OP_NAMES) - 1)                    \
    X(MP_QSTR_HEAD_FIELDS, TML_BIND_HEAD_FIELDS, TML_BIND_FIELDS_LEN(TML_BIND_HEAD_FIELDS))  \
    X(MP_QSTR_OP_INFO_FIELDS, TML_BIND_OP_INFO_FIELDS,                                        \
      TML_BIND_FIELDS_LEN(TML_BIND_OP_INFO_FIELDS))                                           \
    X(MP_QSTR_UPDATE_FIELDS, TML_BIND_UPDATE_FIELDS,                                          \
      TML_BIND_FIELDS_LEN(TML_BIND_UPDATE_FIELDS))
#define TML_MP_SCHEMA_INTS(X)                           \
    X(MP_QSTR_H_TOTAL_SIZE, TML_BIND_H_TOTAL_SIZE)     \
    X(MP_QSTR_H_ARENA_SIZE, TML_BIND_H_ARENA_SIZE)
#endif /* TML_BIND_MODEL */

#if TML_HAS_FRONTEND || TML_HAS_MOTION
/* ---- what the front-ends share: their settings and their samples ---- */

static NORETURN void raise_text(const mp_obj_type_t *type, const char *msg) {
    mp_raise_type_arg(type, mp_obj_new_str(msg, strlen(msg)));
}

#if TML_HAS_MOTION
static void mo_get_edges(tml_mo_config_t *cfg, mp_obj_t o);
#endif

/* A configuration's settings, a tuple of (index in its *_FIELDS, value) pairs, applied over
 * cfg (tml_bind_settings_t: where each field lies and its kind). */
static void apply_settings(mp_obj_t set_in, const tml_bind_settings_t *s, void *cfg) {
    if (!mp_obj_is_type(set_in, &mp_type_tuple)) {
        raise_text(&mp_type_TypeError, s->message);
    }
    size_t n;
    mp_obj_t *set;
    mp_obj_get_array(set_in, &n, &set);
    for (size_t j = 0; j < n; j++) {
        size_t two;
        mp_obj_t *pair;
        if (!mp_obj_is_type(set[j], &mp_type_tuple)) {
            raise_text(&mp_type_TypeError, s->message);
        }
        mp_obj_get_array(set[j], &two, &pair);
        const long i = two == 2 ? (long)mp_obj_get_int(pair[0]) : -1;
        const char kind = tml_bind_setting_kind(s, i);
        if (kind == 'I') {
            tml_bind_set_int(s, cfg, i, (long)mp_obj_get_int(pair[1]));
        } else if (kind == 'F') {
            tml_bind_set_float(s, cfg, i, (double)mp_obj_get_float(pair[1]));
#if TML_HAS_MOTION
        } else if (kind == 'E') {
            mo_get_edges(cfg, pair[1]);
#endif
        } else {
            raise_text(&mp_type_TypeError, s->message);
        }
    }
}

/* A front-end's samples: array('h') or bytes of int16 little-endian (an even length). */
static void get_samples(mp_obj_t o, mp_buffer_info_t *sb) {
    if (!mp_get_buffer(o, sb, MP_BUFFER_READ) ||
        !(sb->typecode == 'h' || sb->typecode == 'B' || sb->typecode == 'b' ||
          sb->typecode == BYTEARRAY_TYPECODE) || sb->len % 2) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_SAMPLES));
    }
}
#endif

#if TML_HAS_FRONTEND
/* ---- Frontend: the audio front-end (docs/audio.md); firmware only (tml_config.h) ---- */

typedef struct _tml_mp_frontend_t {
    mp_obj_base_t base;
    tml_fe_t fe;
} tml_mp_frontend_t;

static NORETURN void fe_raise(int status) {
    raise_text(&mp_type_ValueError, tml_fe_strerror(status));
}

/* Frontend(settings): micro_speech's configuration (tml_fe_config_micro_speech) with settings,
 * a tuple of (index in FE_FIELDS, number) pairs, applied over it. */
static mp_obj_t frontend_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
                                  const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 1, false);
    tml_fe_config_t cfg;
    tml_fe_config_micro_speech(&cfg);
    apply_settings(args[0], &tml_bind_fe_settings, &cfg);
    tml_mp_frontend_t *self = mp_obj_malloc(tml_mp_frontend_t, type);
    const int st = tml_fe_init(&self->fe, &cfg);
    if (st != TML_FE_OK) {
        fe_raise(st);
    }
    return MP_OBJ_FROM_PTR(self);
}

/* feed(samples, features, pos) -> (frames, pos) */
static mp_obj_t frontend_feed(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    tml_mp_frontend_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_buffer_info_t sb, rb;
    get_samples(args[1], &sb);
    const int32_t ch = tml_fe_channels(&self->fe);
    if (!mp_get_buffer(args[2], &rb, MP_BUFFER_WRITE)) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_FE_RING));
    }
    const int as_int8 = rb.typecode == 'b';
    const size_t row = (size_t)ch * (as_int8 ? 1 : 2);
    if (!(as_int8 || rb.typecode == 'H') || rb.len < row || rb.len % row) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_FE_RING));
    }
    const mp_int_t pos_in = mp_obj_get_int(args[3]);
    const int32_t rows = (int32_t)(rb.len / row);
    int32_t pos = (int32_t)pos_in;
    const int32_t made = pos_in < 0 || pos_in >= rows
                             ? TML_FE_E_ARG
                             : tml_bind_fe_feed(&self->fe, sb.buf, (int32_t)(sb.len / 2),
                                                rb.buf, rows, as_int8, &pos);
    if (made < 0) {
        fe_raise(made);
    }
    mp_obj_t out[2] = {MP_OBJ_NEW_SMALL_INT(made), MP_OBJ_NEW_SMALL_INT(pos)};
    return mp_obj_new_tuple(2, out);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(frontend_feed_obj, 4, 4, frontend_feed);

static mp_obj_t frontend_reset(mp_obj_t self_in) {
    tml_mp_frontend_t *self = MP_OBJ_TO_PTR(self_in);
    tml_fe_reset(&self->fe);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(frontend_reset_obj, frontend_reset);

static mp_obj_t frontend_channels(mp_obj_t self_in) {
    tml_mp_frontend_t *self = MP_OBJ_TO_PTR(self_in);
    return MP_OBJ_NEW_SMALL_INT(tml_fe_channels(&self->fe));
}
static MP_DEFINE_CONST_FUN_OBJ_1(frontend_channels_obj, frontend_channels);

/* ---- Mfcc: the MFCC front-end of the MLPerf Tiny KWS model (docs/audio.md) ---- */

typedef struct _tml_mp_mfcc_t {
    mp_obj_base_t base;
    tml_bind_mfcc_t *m; /* tml_bind_mfcc_size bytes on the heap */
} tml_mp_mfcc_t;

static NORETURN void mfcc_raise(int status) {
    raise_text(&mp_type_ValueError, tml_mfcc_strerror(status));
}

/* Mfcc(frames, settings): the KWS configuration (tml_mfcc_config_kws) with settings, a tuple
 * of (index in MFCC_FIELDS, number) pairs, applied over it; a window of `frames` frames. */
static mp_obj_t mfcc_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
                              const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 2, 2, false);
    const mp_int_t rows = mp_obj_get_int(args[0]);
    tml_mfcc_config_t cfg;
    tml_mfcc_config_kws(&cfg);
    apply_settings(args[1], &tml_bind_mfcc_settings, &cfg);
    const size_t size = rows < 1 || rows > TML_BIND_MFCC_MAX_ROWS
                            ? 0 : tml_bind_mfcc_size(&cfg, (int32_t)rows);
    if (!size) {
        mp_raise_ValueError(MP_ERROR_TEXT("frames must be 1..1024"));
    }
    tml_mp_mfcc_t *self = mp_obj_malloc(tml_mp_mfcc_t, type);
    self->m = m_malloc(size);
    const int st = tml_bind_mfcc_init(self->m, &cfg, (int32_t)rows);
    if (st != TML_MFCC_OK) {
        mfcc_raise(st);
    }
    return MP_OBJ_FROM_PTR(self);
}

/* feed(samples) -> frames made */
static mp_obj_t mfcc_feed(mp_obj_t self_in, mp_obj_t samples) {
    tml_mp_mfcc_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t sb;
    get_samples(samples, &sb);
    const int32_t made = tml_bind_mfcc_feed(self->m, sb.buf, (int32_t)(sb.len / 2));
    if (made < 0) {
        mfcc_raise(made);
    }
    return MP_OBJ_NEW_SMALL_INT(made);
}
static MP_DEFINE_CONST_FUN_OBJ_2(mfcc_feed_obj, mfcc_feed);

/* window(out): the window's int8 features into out, oldest frame first */
static mp_obj_t mfcc_window(mp_obj_t self_in, mp_obj_t out) {
    tml_mp_mfcc_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t ob;
    const size_t n = (size_t)self->m->rows * (size_t)tml_mfcc_coefficients(&self->m->mf);
    if (!mp_get_buffer(out, &ob, MP_BUFFER_WRITE) ||
        !(ob.typecode == 'b' || ob.typecode == BYTEARRAY_TYPECODE) || ob.len != n) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_MFCC_OUT));
    }
    const int st = tml_bind_mfcc_window(self->m, ob.buf);
    if (st != TML_MFCC_OK) {
        mfcc_raise(st);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(mfcc_window_obj, mfcc_window);

static mp_obj_t mfcc_reset(mp_obj_t self_in) {
    tml_mp_mfcc_t *self = MP_OBJ_TO_PTR(self_in);
    tml_bind_mfcc_reset(self->m);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(mfcc_reset_obj, mfcc_reset);

static mp_obj_t mfcc_coefficients(mp_obj_t self_in) {
    tml_mp_mfcc_t *self = MP_OBJ_TO_PTR(self_in);
    return MP_OBJ_NEW_SMALL_INT(tml_mfcc_coefficients(&self->m->mf));
}
static MP_DEFINE_CONST_FUN_OBJ_1(mfcc_coefficients_obj, mfcc_coefficients);

static mp_obj_t mfcc_peak(mp_obj_t self_in) {
    tml_mp_mfcc_t *self = MP_OBJ_TO_PTR(self_in);
    return MP_OBJ_NEW_SMALL_INT(tml_bind_mfcc_peak(self->m));
}
static MP_DEFINE_CONST_FUN_OBJ_1(mfcc_peak_obj, mfcc_peak);
#endif

#if TML_HAS_MOTION
/* ---- Motion: the motion front-end (docs/motion.md); firmware only (tml_config.h) ---- */

typedef struct _tml_mp_motion_t {
    mp_obj_base_t base;
    tml_mo_t mo;
} tml_mp_motion_t;

static NORETURN void mo_raise(int status) {
    raise_text(&mp_type_ValueError, tml_mo_strerror(status));
}

/* The edges field's value: a tuple or list of ints, edge j at j. */
static void mo_get_edges(tml_mo_config_t *cfg, mp_obj_t o) {
    size_t n;
    mp_obj_t *items;
    if (!mp_obj_is_type(o, &mp_type_tuple) && !mp_obj_is_type(o, &mp_type_list)) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_MO_EDGES));
    }
    mp_obj_get_array(o, &n, &items);
    if (n > TML_MO_MAX_BANDS + 1) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_MO_EDGES));
    }
    memset(cfg->edges, 0, sizeof(cfg->edges));
    for (size_t j = 0; j < n; j++) {
        if (!mp_obj_is_int(items[j])) {
            mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_MO_EDGES));
        }
        const int st = tml_bind_mo_edge(cfg, (long)j, (long)mp_obj_get_int(items[j]));
        if (st != TML_MO_OK) {
            mo_raise(st);
        }
    }
}

/* Motion(settings): tml_mo_config_default with settings, a tuple of (index in MO_FIELDS,
 * value) pairs, applied over it. */
static mp_obj_t motion_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
                                const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 1, false);
    tml_mo_config_t cfg;
    tml_mo_config_default(&cfg);
    apply_settings(args[0], &tml_bind_mo_settings, &cfg);
    tml_mp_motion_t *self = mp_obj_malloc(tml_mp_motion_t, type);
    const int st = tml_mo_init(&self->mo, &cfg);
    if (st != TML_MO_OK) {
        mo_raise(st);
    }
    return MP_OBJ_FROM_PTR(self);
}

/* feed(samples, features, pos) -> (windows, pos) */
static mp_obj_t motion_feed(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    tml_mp_motion_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_buffer_info_t sb, rb;
    get_samples(args[1], &sb);
    const size_t row = (size_t)tml_mo_features(&self->mo) * 4;
    if (!mp_get_buffer(args[2], &rb, MP_BUFFER_WRITE) || rb.typecode != 'i' || rb.len < row ||
        rb.len % row) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_MO_RING));
    }
    const mp_int_t pos_in = mp_obj_get_int(args[3]);
    const int32_t rows = (int32_t)(rb.len / row);
    int32_t pos = (int32_t)pos_in;
    const int32_t made = pos_in < 0 || pos_in >= rows
                             ? TML_MO_E_ARG
                             : tml_bind_mo_feed(&self->mo, sb.buf, (int32_t)(sb.len / 2),
                                                rb.buf, rows, &pos);
    if (made < 0) {
        mo_raise(made);
    }
    mp_obj_t out[2] = {MP_OBJ_NEW_SMALL_INT(made), MP_OBJ_NEW_SMALL_INT(pos)};
    return mp_obj_new_tuple(2, out);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(motion_feed_obj, 4, 4, motion_feed);

static mp_obj_t motion_reset(mp_obj_t self_in) {
    tml_mp_motion_t *self = MP_OBJ_TO_PTR(self_in);
    tml_mo_reset(&self->mo);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(motion_reset_obj, motion_reset);

static mp_obj_t motion_features(mp_obj_t self_in) {
    tml_mp_motion_t *self = MP_OBJ_TO_PTR(self_in);
    return MP_OBJ_NEW_SMALL_INT(tml_mo_features(&self->mo));
}
static MP_DEFINE_CONST_FUN_OBJ_1(motion_features_obj, motion_features);
#endif

/* The front-ends' methods and field names, one list each, as TML_MP_MODEL_METHODS and
 * TML_MP_SCHEMA_STRS are for Model: both registrations below expand them. */
#define TML_MP_FRONTEND_METHODS(X)              \
    X(MP_QSTR_feed, frontend_feed_obj)          \
    X(MP_QSTR_reset, frontend_reset_obj)        \
    X(MP_QSTR_channels, frontend_channels_obj)
#define TML_MP_MFCC_METHODS(X)                  \
    X(MP_QSTR_feed, mfcc_feed_obj)              \
    X(MP_QSTR_window, mfcc_window_obj)          \
    X(MP_QSTR_reset, mfcc_reset_obj)            \
    X(MP_QSTR_coefficients, mfcc_coefficients_obj) \
    X(MP_QSTR_peak, mfcc_peak_obj)
#define TML_MP_MOTION_METHODS(X)                \
    X(MP_QSTR_feed, motion_feed_obj)            \
    X(MP_QSTR_reset, motion_reset_obj)          \
    X(MP_QSTR_features, motion_features_obj)
#define TML_MP_FE_STRS(X)                                                                    \
    X(MP_QSTR_FE_FIELDS, TML_BIND_FE_FIELDS, TML_BIND_FIELDS_LEN(TML_BIND_FE_FIELDS))        \
    X(MP_QSTR_MFCC_FIELDS, TML_BIND_MFCC_FIELDS, TML_BIND_FIELDS_LEN(TML_BIND_MFCC_FIELDS))
#define TML_MP_MO_STRS(X) \
    X(MP_QSTR_MO_FIELDS, TML_BIND_MO_FIELDS, TML_BIND_FIELDS_LEN(TML_BIND_MO_FIELDS))

#if MICROPY_ENABLE_DYNRUNTIME
/* ---- native .mpy registration ---- */
/* Natmods link no libc: memset, memcpy and memmove (called by the core, and by the compiler
 * for loops it recognizes in the kernels built with -O2/-O3) go to MicroPython's own. */
#if TML_MP_LINKS_LIBC
/* rv32imc links picolibc's libc.a (LINK_RUNTIME): it has them all. */
#else
void *memset(void *s, int c, size_t n) {
    return mp_fun_table.memset_(s, c, n);
}
void *memcpy(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}
void *memmove(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}
#if TML_HAS_FRONTEND || TML_HAS_MOTION
/* The front-ends' error texts (raise_text); the loop is not turned back into a call to
 * strlen. */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}
#endif
#endif

/* A type made at load time (a native module's types live in RAM): name, constructor and
 * methods (a table its caller filled), and the module's global of that name. */
static void dyn_type(mp_obj_full_type_t *t, qstr name, mp_make_new_fun_t make_new,
                     mp_obj_dict_t *locals) {
    t->base.type = (void *)&mp_type_type;
    t->flags = MP_TYPE_FLAG_NONE;
    t->name = name;
    MP_OBJ_TYPE_SET_SLOT(t, make_new, make_new, 0);
    MP_OBJ_TYPE_SET_SLOT(t, locals_dict, (void *)locals, 1);
    mp_store_global(name, MP_OBJ_FROM_PTR(t));
}

/* Type `name`'s method table, sized by its list, and its dict; TML_DYN_TYPE fills the table
 * and makes tml_mp_<name>_type with <name>_make_new. */
#define TML_COUNT(qstr, obj) +1
#define TML_DYN_TABLE(name, METHODS)                                   \
    mp_map_elem_t name##_locals_table[0 METHODS(TML_COUNT)];           \
    static MP_DEFINE_CONST_DICT(name##_locals_dict, name##_locals_table);
#define TML_DYN_METHOD(qstr, obj) \
    table[i++] = (mp_map_elem_t){MP_OBJ_NEW_QSTR(qstr), MP_OBJ_FROM_PTR(&obj)};
#define TML_DYN_TYPE(name, qstr, METHODS)                                                   \
    {                                                                                       \
        mp_map_elem_t *table = name##_locals_table;                                         \
        size_t i = 0;                                                                       \
        METHODS(TML_DYN_METHOD)                                                             \
        dyn_type(&tml_mp_##name##_type, qstr, name##_make_new,                              \
                 (mp_obj_dict_t *)&name##_locals_dict);                                     \
    }
#define TML_DYN_STR(qstr, s, len) mp_store_global(qstr, mp_obj_new_str(s, len));
#define TML_DYN_INT(qstr, v) mp_store_global(qstr, MP_OBJ_NEW_SMALL_INT(v));

#if TML_BIND_MODEL
TML_DYN_TABLE(model, TML_MP_MODEL_METHODS)
#endif
#if TML_HAS_FRONTEND
mp_obj_full_type_t tml_mp_frontend_type, tml_mp_mfcc_type;
TML_DYN_TABLE(frontend, TML_MP_FRONTEND_METHODS)
TML_DYN_TABLE(mfcc, TML_MP_MFCC_METHODS)
#endif
#if TML_HAS_MOTION
mp_obj_full_type_t tml_mp_motion_type;
TML_DYN_TABLE(motion, TML_MP_MOTION_METHODS)
#endif

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
#if TML_BIND_MODEL
    TML_DYN_TYPE(model, MP_QSTR_Model, TML_MP_MODEL_METHODS)
    TML_MP_SCHEMA_STRS(TML_DYN_STR)
    TML_MP_SCHEMA_INTS(TML_DYN_INT)
#endif
#if TML_HAS_FRONTEND
    TML_DYN_TYPE(frontend, MP_QSTR_Frontend, TML_MP_FRONTEND_METHODS)
    TML_DYN_TYPE(mfcc, MP_QSTR_Mfcc, TML_MP_MFCC_METHODS)
    TML_MP_FE_STRS(TML_DYN_STR)
#endif
#if TML_HAS_MOTION
    TML_DYN_TYPE(motion, MP_QSTR_Motion, TML_MP_MOTION_METHODS)
    TML_MP_MO_STRS(TML_DYN_STR)
#endif
    MP_DYNRUNTIME_INIT_EXIT
}

#else
/* ---- firmware (user C module) registration ---- */
#define TML_ROM_ENTRY(qstr, obj) {MP_ROM_QSTR(qstr), MP_ROM_PTR(&obj)},
/* Strings as ROM str objects (hash 0: computed when first needed), and their globals. */
#define TML_ROM_STR_OBJ(qstr, s, len) \
    static const mp_obj_str_t tml_str_##qstr = {{&mp_type_str}, 0, len, (const byte *)s};
#define TML_ROM_STR(qstr, s, len) {MP_ROM_QSTR(qstr), MP_ROM_PTR(&tml_str_##qstr)},
#define TML_ROM_INT(qstr, v) {MP_ROM_QSTR(qstr), MP_ROM_INT(v)},
/* Type `name` (tml_mp_<name>_type, <name>_make_new) with the methods of its list. */
#define TML_ROM_TYPE(name, qstr, METHODS)                                                   \
    static const mp_rom_map_elem_t name##_locals_table[] = {METHODS(TML_ROM_ENTRY)};        \
    static MP_DEFINE_CONST_DICT(name##_locals_dict, name##_locals_table);                   \
    MP_DEFINE_CONST_OBJ_TYPE(tml_mp_##name##_type, qstr, MP_TYPE_FLAG_NONE, make_new,       \
                             name##_make_new, locals_dict, &name##_locals_dict);

TML_ROM_TYPE(model, MP_QSTR_Model, TML_MP_MODEL_METHODS)
TML_MP_SCHEMA_STRS(TML_ROM_STR_OBJ)
#if TML_HAS_FRONTEND
TML_ROM_TYPE(frontend, MP_QSTR_Frontend, TML_MP_FRONTEND_METHODS)
TML_ROM_TYPE(mfcc, MP_QSTR_Mfcc, TML_MP_MFCC_METHODS)
TML_MP_FE_STRS(TML_ROM_STR_OBJ)
#endif
#if TML_HAS_MOTION
TML_ROM_TYPE(motion, MP_QSTR_Motion, TML_MP_MOTION_METHODS)
TML_MP_MO_STRS(TML_ROM_STR_OBJ)
#endif

static const mp_rom_map_elem_t tinyml_module_globals_table[] = {
    {MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__tinyml)},
    {MP_ROM_QSTR(MP_QSTR_Model), MP_ROM_PTR(&tml_mp_model_type)},
#if TML_HAS_FRONTEND
    {MP_ROM_QSTR(MP_QSTR_Frontend), MP_ROM_PTR(&tml_mp_frontend_type)},
    {MP_ROM_QSTR(MP_QSTR_Mfcc), MP_ROM_PTR(&tml_mp_mfcc_type)},
    TML_MP_FE_STRS(TML_ROM_STR)
#endif
#if TML_HAS_MOTION
    {MP_ROM_QSTR(MP_QSTR_Motion), MP_ROM_PTR(&tml_mp_motion_type)},
    TML_MP_MO_STRS(TML_ROM_STR)
#endif
    TML_MP_SCHEMA_STRS(TML_ROM_STR)
    TML_MP_SCHEMA_INTS(TML_ROM_INT)
};
static MP_DEFINE_CONST_DICT(tinyml_module_globals, tinyml_module_globals_table);

const mp_obj_module_t tml_mp_module = {
    .base = {&mp_type_module},
    .globals = (mp_obj_dict_t *)&tinyml_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__tinyml, tml_mp_module);
#endif
