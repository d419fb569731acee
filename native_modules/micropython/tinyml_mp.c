/* MicroPython binding of the tinyml C core: the `_tinyml` module.
 *
 * One source for both builds: compiled into firmware as a user C module (micropython.mk,
 * micropython.cmake), or built as a dynamic native module (Makefile, py/dynruntime.mk), where
 * it is merged with device/tinyml.py into a single tinyml.mpy. Only the registration section
 * at the bottom differs; both method tables come from the one X-macro list below.
 *
 * The binding converts objects to C and back, nothing more: validation, numerics and error
 * texts belong to the core.
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
#endif
#include <string.h>
#include "tml_bind.h"

#ifndef BYTEARRAY_TYPECODE
#define BYTEARRAY_TYPECODE 1
#endif

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

static int is_byte_typecode(char tc) {
    return tc == 'b' || tc == 'B' || tc == BYTEARRAY_TYPECODE;
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
    const char *s;
    uint32_t len;
    mp_obj_t labels = mp_obj_new_tuple(self->m.n_labels, NULL);
    mp_obj_tuple_t *lt = MP_OBJ_TO_PTR(labels);
    for (uint32_t i = 0; i < self->m.n_labels; i++) {
        tml_model_label(&self->m, i, &s, &len);
        lt->items[i] = new_str(s, len);
    }
    tml_model_name(&self->m, &s, &len);
    mp_obj_t items[6] = {
        new_str(s, len),
        labels,
        mp_obj_new_int_from_uint(tml_model_arena_size(&self->m)),
        MP_OBJ_NEW_SMALL_INT(self->m.n_ops),
        MP_OBJ_NEW_SMALL_INT(self->m.n_inputs),
        MP_OBJ_NEW_SMALL_INT(self->m.n_outputs),
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
    tml_status_t st = i < 0 ? TML_E_INDEX :
                      output ? tml_model_output(&self->m, (uint32_t)i, t) :
                               tml_model_input(&self->m, (uint32_t)i, t);
    if (st != TML_OK) {
        mp_raise_msg(&mp_type_IndexError, output ? MP_ERROR_TEXT("output index out of range") :
                                                   MP_ERROR_TEXT("input index out of range"));
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
    int8_t *dst = (int8_t *)t.data;
    mp_buffer_info_t b;
    if (mp_get_buffer(x, &b, MP_BUFFER_READ) && is_byte_typecode((char)b.typecode)) {
        check(tml_check_length(&self->m, TML_E_INPUT_LEN, b.len, t.size), &self->m);
        memcpy(dst, b.buf, t.size);
        return mp_const_none;
    }
#if TML_HAS_FLOAT
    const float scale = tml_scale_f32(t.scale_bits);
    if (mp_get_buffer(x, &b, MP_BUFFER_READ)) {
        if (b.typecode == 'f') {
            check(tml_check_length(&self->m, TML_E_INPUT_LEN, b.len / 4, t.size), &self->m);
            check(tml_quantize_f32((const float *)b.buf, t.size, scale, t.zero_point, dst),
                  &self->m);
            return mp_const_none;
        }
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_INPUT_TYPE));
    }
    size_t n;
    mp_obj_t *items;
    if (!mp_obj_is_type(x, &mp_type_list) && !mp_obj_is_type(x, &mp_type_tuple)) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_INPUT_TYPE));
    }
    mp_obj_get_array(x, &n, &items);
    check(tml_check_length(&self->m, TML_E_INPUT_LEN, n, t.size), &self->m);
    for (size_t i = 0; i < n; i++) {
        float v = (float)mp_obj_get_float(items[i]);
        check(tml_quantize_f32(&v, 1, scale, t.zero_point, dst + i), &self->m);
    }
    return mp_const_none;
#else
    /* A build without floats: tinyml.py quantizes float arrays and number sequences. */
    if ((mp_get_buffer(x, &b, MP_BUFFER_READ) && b.typecode == 'f') ||
        mp_obj_is_type(x, &mp_type_list) || mp_obj_is_type(x, &mp_type_tuple)) {
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
    mp_int_t end = n_args > 2 ? mp_obj_get_int(args[2]) : self->m.n_ops;
    if (first < 0 || end < 0) {
        check(TML_E_INDEX, &self->m);
    }
    check(tml_model_invoke_range(&self->m, (uint32_t)first, (uint32_t)end), &self->m);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_invoke_obj, 1, 3, model_invoke);

static void any_tensor(tml_mp_model_t *self, mp_obj_t index, tml_tensor_t *t) {
    mp_int_t i = mp_obj_get_int(index);
    if (i < 0 || tml_model_tensor(&self->m, (uint32_t)i, t) != TML_OK) {
        mp_raise_msg(&mp_type_IndexError, MP_ERROR_TEXT("tensor index out of range"));
    }
}

/* tensor_info(i) -> (shape, scale, zero_point) of any tensor */
static mp_obj_t model_tensor_info(mp_obj_t self_in, mp_obj_t index) {
    tml_tensor_t t;
    any_tensor(MP_OBJ_TO_PTR(self_in), index, &t);
    return tensor_info(&t);
}
static MP_DEFINE_CONST_FUN_OBJ_2(model_tensor_info_obj, model_tensor_info);

/* read_tensor(i, buf): copy tensor i's bytes (int32 tensors: little-endian words) into a
 * writable byte buffer of exactly its size. */
static mp_obj_t model_read_tensor(size_t n_args, const mp_obj_t *args) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(args[0]);
    tml_tensor_t t;
    refresh_consts(self);
    any_tensor(self, args[1], &t);
    mp_buffer_info_t b;
    if (!mp_get_buffer(args[2], &b, MP_BUFFER_WRITE) || !is_byte_typecode((char)b.typecode)) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_OUTPUT_TYPE));
    }
    /* Whole tensor: exactly its size. From an offset: len(buf) bytes, up to its end. */
    mp_int_t start = n_args > 3 ? mp_obj_get_int(args[3]) : 0;
    if (start < 0 || (mp_uint_t)start > t.size) {
        mp_raise_ValueError(MP_ERROR_TEXT("offset outside the tensor"));
    }
    const uint32_t want = t.size - (uint32_t)start;
    check(tml_check_length(&self->m, TML_E_OUTPUT_LEN, b.len,
                           n_args < 4 || b.len > want ? want : (uint32_t)b.len), &self->m);
    memcpy(b.buf, (const uint8_t *)t.data + start, b.len);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_read_tensor_obj, 3, 4, model_read_tensor);

/* head() -> None, or (op, embedding, weights, bias or -1, output, rows, cols, scale bytes) */
static mp_obj_t model_head(mp_obj_t self_in) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(self_in);
    tml_head_t h;
    if (tml_model_head(&self->m, &h) != TML_OK) {
        return mp_const_none;
    }
    mp_obj_t items[8] = {
        MP_OBJ_NEW_SMALL_INT(h.op), MP_OBJ_NEW_SMALL_INT(h.embedding),
        MP_OBJ_NEW_SMALL_INT(h.weights),
        MP_OBJ_NEW_SMALL_INT(h.bias == 0xFFFFu ? -1 : (mp_int_t)h.bias),
        MP_OBJ_NEW_SMALL_INT(h.output), MP_OBJ_NEW_SMALL_INT(h.rows),
        MP_OBJ_NEW_SMALL_INT(h.cols), mp_obj_new_bytes(h.scales, 4 * h.rows),
    };
    return mp_obj_new_tuple(8, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_head_obj, model_head);

/* op_info(k) -> (kind, inputs, output, act_min, act_max, geometry, requant): inputs -1 where
 * omitted; requant: per channel the int32 multiplier then the int32 shift, little-endian. */
static mp_obj_t model_op_info(mp_obj_t self_in, mp_obj_t index) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(self_in);
    tml_op_info_t info;
    mp_int_t k = mp_obj_get_int(index);
    if (k < 0 || tml_model_op_info(&self->m, (uint32_t)k, &info) != TML_OK) {
        mp_raise_msg(&mp_type_IndexError, MP_ERROR_TEXT("operator index out of range"));
    }
    mp_obj_t inputs[TML_OP_MAX_INPUTS], geometry[7];
    for (uint32_t i = 0; i < info.n_inputs; i++) {
        const mp_int_t t = info.inputs[i] == 0xFFFFu ? -1 : (mp_int_t)info.inputs[i];
        inputs[i] = MP_OBJ_NEW_SMALL_INT(t);
    }
    const int pool = info.kind == TML_OP_AVERAGE_POOL_2D || info.kind == TML_OP_MAX_POOL_2D;
    const int32_t geo[7] = {info.stride_h, info.stride_w, pool ? info.filter_h : info.dilation_h,
                            pool ? info.filter_w : info.dilation_w, info.pad_h, info.pad_w,
                            info.depth_mult};
    for (int i = 0; i < 7; i++) {
        geometry[i] = MP_OBJ_NEW_SMALL_INT(geo[i]);
    }
    /* The pairs are interleaved in a heap buffer, then copied into the bytes object. */
    const size_t n = 8 * (size_t)info.n_requant, cap = n ? n : 1;
    uint8_t *q = m_new(uint8_t, cap);
    for (uint32_t c = 0; c < info.n_requant; c++) {
        memcpy(q + 8 * c, info.mult + 4 * c, 4);
        memcpy(q + 8 * c + 4, info.shift + 4 * c, 4);
    }
    mp_obj_t requant = mp_obj_new_bytes(q, n);
    m_del(uint8_t, q, cap);
    mp_obj_t items[7] = {
        MP_OBJ_NEW_SMALL_INT(info.kind), mp_obj_new_tuple(info.n_inputs, inputs),
        MP_OBJ_NEW_SMALL_INT(info.output), MP_OBJ_NEW_SMALL_INT(info.act_min),
        MP_OBJ_NEW_SMALL_INT(info.act_max), mp_obj_new_tuple(7, geometry), requant,
    };
    return mp_obj_new_tuple(7, items);
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

/* update_scheme() -> ((op, bias, channels), ...): the blob's sparse-update scheme, or (). */
static mp_obj_t model_update_scheme(mp_obj_t self_in) {
    tml_mp_model_t *self = MP_OBJ_TO_PTR(self_in);
    const uint32_t n = tml_model_update_count(&self->m);
    mp_obj_t scheme = mp_obj_new_tuple(n, NULL);
    mp_obj_tuple_t *st = MP_OBJ_TO_PTR(scheme);
    for (uint32_t i = 0; i < n; i++) {
        tml_update_t u;
        tml_model_update(&self->m, i, &u);
        mp_obj_t channels = mp_obj_new_tuple(u.n_channels, NULL);
        mp_obj_tuple_t *ct = MP_OBJ_TO_PTR(channels);
        for (uint32_t c = 0; c < u.n_channels; c++) {
            ct->items[c] = MP_OBJ_NEW_SMALL_INT(u.channels[2 * c] | (u.channels[2 * c + 1] << 8));
        }
        mp_obj_t entry[3] = {MP_OBJ_NEW_SMALL_INT(u.op), mp_obj_new_bool(u.bias), channels};
        st->items[i] = mp_obj_new_tuple(3, entry);
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
    if (!mp_get_buffer(args[1], &b, MP_BUFFER_WRITE)) {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_OUTPUT_TYPE));
    }
    if (is_byte_typecode((char)b.typecode)) {
        check(tml_check_length(&self->m, TML_E_OUTPUT_LEN, b.len, t.size), &self->m);
        memcpy(b.buf, t.data, t.size);
    } else if (b.typecode == 'f') {
        check(tml_check_length(&self->m, TML_E_OUTPUT_LEN, b.len / 4, t.size), &self->m);
#if TML_HAS_FLOAT
        tml_dequantize_f32((const int8_t *)t.data, t.size, tml_scale_f32(t.scale_bits),
                           t.zero_point, (float *)b.buf);
#else
        tml_dequantize_bits((const int8_t *)t.data, t.size, t.scale_bits, t.zero_point,
                            (uint32_t *)b.buf);
#endif
    } else {
        mp_raise_TypeError(MP_ERROR_TEXT(TML_MSG_OUTPUT_TYPE));
    }
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

#if MICROPY_ENABLE_DYNRUNTIME
/* ---- native .mpy registration ---- */
/* Natmods link no libc. mpy_ld supplies memset/memcpy on Linux targets only; the core also
 * uses memmove, so provide that everywhere. */
#if TML_MP_LINKS_LIBC
/* rv32imc links picolibc's libc.a (LINK_RUNTIME): it has them all. */
#else
#if !defined(__linux__)
void *memset(void *s, int c, size_t n) {
    return mp_fun_table.memset_(s, c, n);
}
void *memcpy(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}
#endif
void *memmove(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}
#endif

#define TML_COUNT(qstr, obj) +1
mp_map_elem_t model_locals_table[0 TML_MP_MODEL_METHODS(TML_COUNT)];
static MP_DEFINE_CONST_DICT(model_locals_dict, model_locals_table);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    tml_mp_model_type.base.type = (void *)&mp_type_type;
    tml_mp_model_type.flags = MP_TYPE_FLAG_NONE;
    tml_mp_model_type.name = MP_QSTR_Model;
    MP_OBJ_TYPE_SET_SLOT(&tml_mp_model_type, make_new, model_make_new, 0);
    size_t i = 0;
#define TML_DYN_ENTRY(qstr, obj) \
    model_locals_table[i++] = (mp_map_elem_t){MP_OBJ_NEW_QSTR(qstr), MP_OBJ_FROM_PTR(&obj)};
    TML_MP_MODEL_METHODS(TML_DYN_ENTRY)
    MP_OBJ_TYPE_SET_SLOT(&tml_mp_model_type, locals_dict, (void *)&model_locals_dict, 1);
    mp_store_global(MP_QSTR_Model, MP_OBJ_FROM_PTR(&tml_mp_model_type));
    MP_DYNRUNTIME_INIT_EXIT
}

#else
/* ---- firmware (user C module) registration ---- */
#define TML_ROM_ENTRY(qstr, obj) {MP_ROM_QSTR(qstr), MP_ROM_PTR(&obj)},
static const mp_rom_map_elem_t model_locals_table[] = {TML_MP_MODEL_METHODS(TML_ROM_ENTRY)};
static MP_DEFINE_CONST_DICT(model_locals_dict, model_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(
    tml_mp_model_type,
    MP_QSTR_Model,
    MP_TYPE_FLAG_NONE,
    make_new, model_make_new,
    locals_dict, &model_locals_dict
    );

static const mp_rom_map_elem_t tinyml_module_globals_table[] = {
    {MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__tinyml)},
    {MP_ROM_QSTR(MP_QSTR_Model), MP_ROM_PTR(&tml_mp_model_type)},
};
static MP_DEFINE_CONST_DICT(tinyml_module_globals, tinyml_module_globals_table);

const mp_obj_module_t tml_mp_module = {
    .base = {&mp_type_module},
    .globals = (mp_obj_dict_t *)&tinyml_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__tinyml, tml_mp_module);
#endif
