/* CPython binding of the tinyml C core: the host simulator's `_tinyml` module.
 *
 * It mirrors native_modules/micropython/tinyml_mp.c method for method, so the Python device
 * layer (device/tinyml.py) runs unchanged on CPython and on MicroPython. It converts objects
 * only: argument rules, records and error texts come from the core (tml_bind.h,
 * tml_format_error), so both bindings behave and raise the same.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include "tml_bind.h"
#include "tml_kernels.h"

typedef struct {
    PyObject_HEAD
    tml_model_t m;
    Py_buffer blob;
    Py_buffer arena;
    PyObject *arena_obj;
    int have_blob, have_arena;
    /* Constant overrides: the buffers the core reads, held (and so kept from resizing) while
     * in place, for the tensors in const_tensor where const_held is set. */
    Py_buffer consts[TML_MAX_OVERRIDES];
    long const_tensor[TML_MAX_OVERRIDES];
    char const_held[TML_MAX_OVERRIDES];
} ModelObject;

static PyObject *raise_status(tml_status_t st, const tml_model_t *m) {
    char msg[160];
    tml_format_error(msg, sizeof(msg), st, m);
    PyErr_SetString(PyExc_ValueError, msg);
    return NULL;
}

static void Model_dealloc(ModelObject *self) {
    if (self->have_blob) {
        PyBuffer_Release(&self->blob);
    }
    if (self->have_arena) {
        PyBuffer_Release(&self->arena);
    }
    for (int i = 0; i < TML_MAX_OVERRIDES; i++) {
        if (self->const_held[i]) {
            PyBuffer_Release(&self->consts[i]);
        }
    }
    Py_XDECREF(self->arena_obj);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Model_init(ModelObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"blob", "arena", NULL};
    PyObject *blob_obj, *arena_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O", kwlist, &blob_obj, &arena_obj)) {
        return -1;
    }
    if (self->have_blob || self->have_arena) {
        PyErr_SetString(PyExc_RuntimeError, "Model already initialised");
        return -1;
    }
    if (PyObject_GetBuffer(blob_obj, &self->blob, PyBUF_C_CONTIGUOUS) != 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, TML_MSG_BLOB_TYPE);
        return -1;
    }
    self->have_blob = 1;
    tml_status_t st = tml_model_init(&self->m, self->blob.buf, (size_t)self->blob.len);
    if (st != TML_OK) {
        raise_status(st, &self->m);
        return -1;
    }
    if (arena_obj == Py_None) {
        arena_obj = PyByteArray_FromStringAndSize(NULL, tml_model_arena_size(&self->m));
        if (!arena_obj) {
            return -1;
        }
    } else {
        Py_INCREF(arena_obj);
    }
    self->arena_obj = arena_obj;
    if (PyObject_GetBuffer(arena_obj, &self->arena, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) != 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, TML_MSG_ARENA_TYPE);
        return -1;
    }
    self->have_arena = 1;
    st = tml_model_set_arena(&self->m, self->arena.buf, (size_t)self->arena.len);
    if (st != TML_OK) {
        raise_status(st, &self->m);
        return -1;
    }
    return 0;
}

static PyObject *tensor_info(const tml_tensor_t *t) {
    PyObject *shape = PyTuple_New(t->rank);
    if (!shape) {
        return NULL;
    }
    for (int d = 0; d < t->rank; d++) {
        PyTuple_SET_ITEM(shape, d, PyLong_FromLong(t->dims[d]));
    }
    return Py_BuildValue("(Ndi)", shape, (double)tml_scale_f32(t->scale_bits), t->zero_point);
}

/* Tensor `i` of one index space (tml_bind_input, _output, _tensor): 0, or -1 with an
 * exception set. */
typedef tml_status_t (*tensor_fn)(const tml_model_t *m, long i, tml_tensor_t *t);

static int get_tensor(ModelObject *self, tensor_fn fn, const char *msg, long i,
                      tml_tensor_t *t) {
    if (fn(&self->m, i, t) != TML_OK) {
        PyErr_SetString(PyExc_IndexError, msg);
        return -1;
    }
    return 0;
}

static int arg_tensor(ModelObject *self, tensor_fn fn, const char *msg, PyObject *arg,
                      tml_tensor_t *t) {
    long i = PyLong_AsLong(arg);
    if (i == -1 && PyErr_Occurred()) {
        return -1;
    }
    return get_tensor(self, fn, msg, i, t);
}

static PyObject *Model_input_info(ModelObject *self, PyObject *arg) {
    tml_tensor_t t;
    return arg_tensor(self, tml_bind_input, TML_MSG_INPUT_INDEX, arg, &t) ? NULL
                                                                           : tensor_info(&t);
}

static PyObject *Model_output_info(ModelObject *self, PyObject *arg) {
    tml_tensor_t t;
    return arg_tensor(self, tml_bind_output, TML_MSG_OUTPUT_INDEX, arg, &t) ? NULL
                                                                             : tensor_info(&t);
}

/* The buffer's items as the core's rules name them: one int8/uint8/char byte, or float32. */
static tml_buf_t buf_kind(const Py_buffer *b) {
    if (b->itemsize == 1 && (b->format == NULL || strcmp(b->format, "b") == 0 ||
                             strcmp(b->format, "B") == 0 || strcmp(b->format, "c") == 0)) {
        return TML_BUF_INT8;
    }
    if (b->itemsize == 4 && b->format != NULL &&
        (strcmp(b->format, "f") == 0 || strcmp(b->format, "<f") == 0 ||
         strcmp(b->format, "=f") == 0)) {
        return TML_BUF_F32;
    }
    return TML_BUF_OTHER;
}

/* Float items wider or narrower than float32 (NumPy's default float64, float16): 8 or 2, else
 * 0. Native byte order only, as NumPy's own arrays have it. */
static int other_float(const Py_buffer *b) {
    const char *f = b->format == NULL ? "" : b->format;
    f += (*f == '@' || *f == '=' || *f == (PY_LITTLE_ENDIAN ? '<' : '>'));
    return (b->itemsize == 8 && strcmp(f, "d") == 0) || (b->itemsize == 2 && strcmp(f, "e") == 0)
               ? (int)b->itemsize
               : 0;
}

/* Unsigned bytes that are not bytes, bytearray or a memoryview (array('B'), NumPy uint8): the
 * binding refuses them rather than read 200 as -56 (TML_MSG_INPUT_U8). */
static int unsigned_bytes(PyObject *x, const Py_buffer *b) {
    return b->itemsize == 1 && b->format != NULL && strcmp(b->format, "B") == 0 &&
           !PyBytes_Check(x) && !PyByteArray_Check(x) && !PyMemoryView_Check(x);
}

static PyObject *done(tml_status_t st, const tml_model_t *m) {
    return st == TML_OK ? Py_NewRef(Py_None) : raise_status(st, m);
}

static PyObject *Model_set_input(ModelObject *self, PyObject *args) {
    PyObject *x;
    unsigned int index = 0;
    tml_tensor_t t;
    tml_status_t st;
    if (!PyArg_ParseTuple(args, "O|I", &x, &index) ||
        get_tensor(self, tml_bind_input, TML_MSG_INPUT_INDEX, (long)index, &t)) {
        return NULL;
    }
    if (PyObject_CheckBuffer(x)) {
        Py_buffer b;
        if (PyObject_GetBuffer(x, &b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, TML_MSG_INPUT_TYPE);
            return NULL;
        }
        const tml_buf_t kind = buf_kind(&b);
        const int width = other_float(&b);
        if (unsigned_bytes(x, &b) || (kind == TML_BUF_OTHER && !width)) {
            PyBuffer_Release(&b);
            PyErr_SetString(PyExc_TypeError,
                            kind == TML_BUF_INT8 ? TML_MSG_INPUT_U8 : TML_MSG_INPUT_TYPE);
            return NULL;
        }
        if (kind == TML_BUF_OTHER) { /* float64 or float16: each item as a number */
            const Py_ssize_t n = b.len / width;
            st = tml_bind_set_input_count(&self->m, &t, (size_t)n);
            for (Py_ssize_t i = 0; st == TML_OK && i < n; i++) {
                const char *item = (const char *)b.buf + i * width;
                double v;
                if (width == 8) {
                    memcpy(&v, item, sizeof v);
                } else {
                    v = PyFloat_Unpack2(item, PY_LITTLE_ENDIAN);
                }
                st = tml_bind_set_input_item(&t, (size_t)i, (float)v);
            }
            PyBuffer_Release(&b);
            return done(st, &self->m);
        }
        st = tml_bind_set_input(&self->m, &t, kind, b.buf, (size_t)b.len);
        PyBuffer_Release(&b);
        return done(st, &self->m);
    }
    if (!PyList_Check(x) && !PyTuple_Check(x)) {
        PyErr_SetString(PyExc_TypeError, TML_MSG_INPUT_TYPE);
        return NULL;
    }
    PyObject *seq = PySequence_Fast(x, TML_MSG_INPUT_TYPE);
    if (!seq) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    st = tml_bind_set_input_count(&self->m, &t, (size_t)n);
    for (Py_ssize_t i = 0; st == TML_OK && i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        float v = (float)PyFloat_AsDouble(item);
        if (v == -1.0f && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
        st = tml_bind_set_input_item(&t, (size_t)i, v);
    }
    Py_DECREF(seq);
    return done(st, &self->m);
}

static PyObject *Model_invoke(ModelObject *self, PyObject *args) {
    long first = 0, end = (long)tml_model_op_count(&self->m);
    if (!PyArg_ParseTuple(args, "|ll", &first, &end)) {
        return NULL;
    }
    return done(tml_bind_invoke(&self->m, first, end), &self->m);
}

static int any_tensor(ModelObject *self, PyObject *arg, tml_tensor_t *t) {
    return arg_tensor(self, tml_bind_tensor, TML_MSG_TENSOR_INDEX, arg, t);
}

static PyObject *Model_tensor_info(ModelObject *self, PyObject *arg) {
    tml_tensor_t t;
    return any_tensor(self, arg, &t) ? NULL : tensor_info(&t);
}

static PyObject *Model_read_tensor(ModelObject *self, PyObject *args) {
    PyObject *index, *out;
    long offset = -1;
    tml_tensor_t t;
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "OO|l", &index, &out, &offset) || any_tensor(self, index, &t)) {
        return NULL;
    }
    if (PyObject_GetBuffer(out, &b, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, TML_MSG_OUTPUT_TYPE);
        return NULL;
    }
    if (buf_kind(&b) != TML_BUF_INT8) {
        PyBuffer_Release(&b);
        PyErr_SetString(PyExc_TypeError, TML_MSG_OUTPUT_TYPE);
        return NULL;
    }
    /* offset -1 (the default) reads the whole tensor. */
    const tml_status_t st =
        tml_bind_read_tensor(&self->m, &t, b.buf, (size_t)b.len, offset != -1, offset);
    PyBuffer_Release(&b);
    return done(st, &self->m);
}

/* A record of the core (tml_bind.h) as a tuple in the schema's field order. */
static PyObject *record(const tml_bind_record_t *r) {
    PyObject *tuple = PyTuple_New(r->n_fields);
    if (!tuple) {
        return NULL;
    }
    for (uint32_t i = 0; i < r->n_fields; i++) {
        tml_val_t v;
        PyObject *o = NULL;
        tml_bind_field(r, i, &v);
        if (v.type == TML_VAL_INT) {
            o = PyLong_FromLong(v.i);
        } else if (v.type == TML_VAL_BOOL) {
            o = PyBool_FromLong(v.i);
        } else if (v.type == TML_VAL_INTS) {
            o = PyTuple_New(v.n);
            for (uint32_t k = 0; o != NULL && k < v.n; k++) {
                PyObject *item = PyLong_FromLong(tml_val_item(&v, k));
                if (!item) {
                    Py_CLEAR(o);
                    break;
                }
                PyTuple_SET_ITEM(o, k, item);
            }
        } else {
            o = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)v.n);
            if (o != NULL) {
                tml_val_write(&v, (uint8_t *)PyBytes_AS_STRING(o));
            }
        }
        if (!o) {
            Py_DECREF(tuple);
            return NULL;
        }
        PyTuple_SET_ITEM(tuple, i, o);
    }
    return tuple;
}

static PyObject *Model_head(ModelObject *self, PyObject *unused) {
    (void)unused;
    tml_bind_record_t r;
    if (tml_bind_head(&self->m, &r) != TML_OK) {
        return Py_NewRef(Py_None);
    }
    return record(&r);
}

static PyObject *Model_op_info(ModelObject *self, PyObject *arg) {
    tml_bind_record_t r;
    long k = PyLong_AsLong(arg);
    if (k == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (tml_bind_op_info(&self->m, k, &r) != TML_OK) {
        PyErr_SetString(PyExc_IndexError, TML_MSG_OP_INDEX);
        return NULL;
    }
    return record(&r);
}

/* set_const(tensor, buf or None): read buf instead of constant tensor's bytes in the blob. */
static PyObject *Model_set_const(ModelObject *self, PyObject *args) {
    PyObject *index, *data;
    tml_tensor_t t;
    if (!PyArg_ParseTuple(args, "OO", &index, &data) || any_tensor(self, index, &t)) {
        return NULL;
    }
    const long tensor = PyLong_AsLong(index);
    int slot = -1, free_slot = -1;
    for (int i = 0; i < TML_MAX_OVERRIDES; i++) {
        if (self->const_held[i] && self->const_tensor[i] == tensor) {
            slot = i;
        } else if (!self->const_held[i] && free_slot < 0) {
            free_slot = i;
        }
    }
    tml_status_t st;
    if (data == Py_None) {
        st = tml_model_set_const(&self->m, (uint32_t)tensor, NULL, 0);
        if (st == TML_OK && slot >= 0) {
            PyBuffer_Release(&self->consts[slot]);
            self->const_held[slot] = 0;
        }
        return done(st, &self->m);
    }
    Py_buffer b;
    if (PyObject_GetBuffer(data, &b, PyBUF_C_CONTIGUOUS) != 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, TML_MSG_CONST_TYPE);
        return NULL;
    }
    st = tml_model_set_const(&self->m, (uint32_t)tensor, b.buf, (size_t)b.len);
    if (st != TML_OK) {
        PyBuffer_Release(&b);
        return raise_status(st, &self->m);
    }
    /* The core has a free entry whenever it accepted a new tensor, and so has this table. */
    if (slot >= 0) {
        PyBuffer_Release(&self->consts[slot]);
    } else {
        slot = free_slot;
    }
    self->consts[slot] = b;
    self->const_tensor[slot] = tensor;
    self->const_held[slot] = 1;
    return Py_NewRef(Py_None);
}

/* update_scheme() -> a tuple of UPDATE_FIELDS tuples: the blob's sparse-update scheme, or (). */
static PyObject *Model_update_scheme(ModelObject *self, PyObject *unused) {
    (void)unused;
    const uint32_t n = tml_model_update_count(&self->m);
    PyObject *scheme = PyTuple_New(n);
    if (!scheme) {
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        tml_bind_record_t r;
        tml_bind_update(&self->m, i, &r);
        PyObject *entry = record(&r);
        if (!entry) {
            Py_DECREF(scheme);
            return NULL;
        }
        PyTuple_SET_ITEM(scheme, i, entry);
    }
    return scheme;
}

static PyObject *Model_get_output(ModelObject *self, PyObject *args) {
    PyObject *out;
    unsigned int index = 0;
    tml_tensor_t t;
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "O|I", &out, &index) ||
        get_tensor(self, tml_bind_output, TML_MSG_OUTPUT_INDEX, (long)index, &t)) {
        return NULL;
    }
    if (PyObject_GetBuffer(out, &b, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, TML_MSG_OUTPUT_TYPE);
        return NULL;
    }
    const tml_buf_t kind = buf_kind(&b);
    if (kind == TML_BUF_OTHER) {
        PyBuffer_Release(&b);
        PyErr_SetString(PyExc_TypeError, TML_MSG_OUTPUT_TYPE);
        return NULL;
    }
    const tml_status_t st = tml_bind_get_output(&self->m, &t, kind, b.buf, (size_t)b.len);
    PyBuffer_Release(&b);
    return done(st, &self->m);
}

/* info() -> (name, labels, arena_size, n_ops, n_inputs, n_outputs) */
static PyObject *Model_info(ModelObject *self, PyObject *unused) {
    (void)unused;
    const char *s;
    uint32_t len;
    const uint32_t n_labels = tml_model_label_count(&self->m);
    PyObject *labels = PyTuple_New(n_labels);
    if (!labels) {
        return NULL;
    }
    for (uint32_t i = 0; i < n_labels; i++) {
        tml_model_label(&self->m, i, &s, &len);
        PyObject *str = PyUnicode_DecodeUTF8(s, len, "replace");
        if (!str) {
            Py_DECREF(labels);
            return NULL;
        }
        PyTuple_SET_ITEM(labels, i, str);
    }
    tml_model_name(&self->m, &s, &len);
    return Py_BuildValue("(s#NIiii)", s, (Py_ssize_t)len, labels,
                         (unsigned int)tml_model_arena_size(&self->m),
                         (int)tml_model_op_count(&self->m), (int)tml_model_input_count(&self->m),
                         (int)tml_model_output_count(&self->m));
}

static PyMethodDef Model_methods[] = {
    {"info", (PyCFunction)Model_info, METH_NOARGS,
     "(name, labels, arena_size, n_ops, n_inputs, n_outputs)"},
    {"input_info", (PyCFunction)Model_input_info, METH_O, "(shape, scale, zero_point)"},
    {"output_info", (PyCFunction)Model_output_info, METH_O, "(shape, scale, zero_point)"},
    {"set_input", (PyCFunction)Model_set_input, METH_VARARGS, "set_input(x, index=0)"},
    {"invoke", (PyCFunction)Model_invoke, METH_VARARGS,
     "invoke(first=0, end=n_ops): run operators [first, end)"},
    {"tensor_info", (PyCFunction)Model_tensor_info, METH_O, "(shape, scale, zero_point)"},
    {"read_tensor", (PyCFunction)Model_read_tensor, METH_VARARGS,
     "read_tensor(i, buf, offset=None): copy tensor i's bytes (from offset: len(buf) of them)"},
    {"head", (PyCFunction)Model_head, METH_NOARGS, "None or a tuple of HEAD_FIELDS"},
    {"get_output", (PyCFunction)Model_get_output, METH_VARARGS, "get_output(out, index=0)"},
    {"op_info", (PyCFunction)Model_op_info, METH_O, "op_info(k): a tuple of OP_INFO_FIELDS"},
    {"set_const", (PyCFunction)Model_set_const, METH_VARARGS,
     "set_const(tensor, buf): read buf (None: the blob) as constant tensor's bytes"},
    {"update_scheme", (PyCFunction)Model_update_scheme, METH_NOARGS,
     "the sparse-update scheme: a tuple of UPDATE_FIELDS tuples"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ModelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tinyml.Model",
    .tp_basicsize = sizeof(ModelObject),
    .tp_dealloc = (destructor)Model_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Model(blob, arena=None): a validated tinyml blob bound to an arena",
    .tp_methods = Model_methods,
    .tp_init = (initproc)Model_init,
    .tp_new = PyType_GenericNew,
};

/* ---- what the front-ends share: their settings and their samples ---- */

#if TML_HAS_MOTION
static int mo_get_edges(tml_mo_config_t *cfg, PyObject *o);
#endif

/* A configuration's settings, a tuple of (index in its *_FIELDS, value) pairs, applied over
 * cfg (tml_bind_settings_t: where each field lies and its kind). 1, or 0 with an exception. */
static int apply_settings(PyObject *set, const tml_bind_settings_t *s, void *cfg) {
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(set); j++) {
        PyObject *pair = PyTuple_GET_ITEM(set, j);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, s->message);
            return 0;
        }
        const long i = PyLong_AsLong(PyTuple_GET_ITEM(pair, 0));
        PyObject *v = PyTuple_GET_ITEM(pair, 1);
        const char kind = PyErr_Occurred() ? 0 : tml_bind_setting_kind(s, i);
        if (kind == 'I') {
            tml_bind_set_int(s, cfg, i, PyLong_AsLong(v));
        } else if (kind == 'F') {
            tml_bind_set_float(s, cfg, i, PyFloat_AsDouble(v));
#if TML_HAS_MOTION
        } else if (kind == 'E') {
            mo_get_edges(cfg, v); /* raises on a bad value */
#endif
        } else if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, s->message);
        }
        if (PyErr_Occurred()) {
            return 0;
        }
    }
    return 1;
}

/* Samples for a front-end's feed: int16 (array('h')) or bytes of int16 little-endian, an even
 * number of bytes; else TypeError. 1 with sb held (release it), or 0. */
static int get_samples(PyObject *samples, Py_buffer *sb) {
    const char *msg = TML_MSG_SAMPLES;
    if (PyObject_GetBuffer(samples, sb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, msg);
        return 0;
    }
    const char *sf = sb->format ? sb->format : "B";
    const int s16 = (sf[0] == 'h' || (sf[0] == '<' && sf[1] == 'h')) && sb->itemsize == 2;
    const int sbytes = (sf[0] == 'B' || sf[0] == 'b' || sf[0] == 'c') && sb->itemsize == 1;
    if ((!s16 && !sbytes) || sb->len % 2) {
        PyBuffer_Release(sb);
        PyErr_SetString(PyExc_TypeError, msg);
        return 0;
    }
    return 1;
}

/* ---- Frontend: the audio front-end (docs/audio.md) ---- */

typedef struct {
    PyObject_HEAD
    tml_fe_t fe;
} FrontendObject;

static void fe_raise(int status) {
    PyErr_SetString(PyExc_ValueError, tml_fe_strerror(status));
}

/* Frontend(settings): micro_speech's configuration (tml_fe_config_micro_speech) with settings,
 * a tuple of (index in FE_FIELDS, number) pairs, applied over it. */
static int Frontend_init(FrontendObject *self, PyObject *args, PyObject *kwds) {
    PyObject *set;
    if (kwds && PyDict_Size(kwds) > 0) {
        PyErr_SetString(PyExc_TypeError, "Frontend takes no keyword arguments");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!", &PyTuple_Type, &set)) {
        return -1;
    }
    tml_fe_config_t cfg;
    tml_fe_config_micro_speech(&cfg);
    if (!apply_settings(set, &tml_bind_fe_settings, &cfg)) {
        return -1;
    }
    const int st = tml_fe_init(&self->fe, &cfg);
    if (st != TML_FE_OK) {
        fe_raise(st);
        return -1;
    }
    return 0;
}

/* feed(samples, features, pos) -> (frames, pos) */
static PyObject *Frontend_feed(FrontendObject *self, PyObject *args) {
    PyObject *samples, *ring;
    long pos_l;
    if (!PyArg_ParseTuple(args, "OOl", &samples, &ring, &pos_l)) {
        return NULL;
    }
    Py_buffer sb, rb;
    if (!get_samples(samples, &sb)) {
        return NULL;
    }
    if (PyObject_GetBuffer(ring, &rb, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
        PyBuffer_Release(&sb);
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, TML_MSG_FE_RING);
        return NULL;
    }
    const char *rf = rb.format ? rb.format : "B";
    const int32_t ch = tml_fe_channels(&self->fe);
    const int as_int8 = rf[0] == 'b' && rb.itemsize == 1;
    const int as_u16 = (rf[0] == 'H' || (rf[0] == '<' && rf[1] == 'H')) && rb.itemsize == 2;
    const Py_ssize_t row = (Py_ssize_t)ch * (as_int8 ? 1 : 2);
    const Py_ssize_t rows = rb.len / row;
    if (!(as_int8 || as_u16) || rows < 1 || rb.len != rows * row || rows > INT32_MAX) {
        PyBuffer_Release(&sb);
        PyBuffer_Release(&rb);
        PyErr_SetString(PyExc_TypeError, TML_MSG_FE_RING);
        return NULL;
    }
    int32_t pos = (int32_t)pos_l;
    const int32_t made = pos_l < 0 || pos_l >= rows
                             ? TML_FE_E_ARG
                             : tml_bind_fe_feed(&self->fe, sb.buf, (int32_t)(sb.len / 2),
                                                rb.buf, (int32_t)rows, as_int8, &pos);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&rb);
    if (made < 0) {
        fe_raise(made);
        return NULL;
    }
    return Py_BuildValue("(ii)", made, pos);
}

static PyObject *Frontend_reset(FrontendObject *self, PyObject *unused) {
    (void)unused;
    tml_fe_reset(&self->fe);
    Py_RETURN_NONE;
}

static PyObject *Frontend_channels(FrontendObject *self, PyObject *unused) {
    (void)unused;
    return PyLong_FromLong(tml_fe_channels(&self->fe));
}

static PyMethodDef Frontend_methods[] = {
    {"feed", (PyCFunction)Frontend_feed, METH_VARARGS,
     "feed(samples, features, pos) -> (frames, pos): each frame into row pos of features"},
    {"reset", (PyCFunction)Frontend_reset, METH_NOARGS, "forget the samples and noise estimates"},
    {"channels", (PyCFunction)Frontend_channels, METH_NOARGS, "channels per frame"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FrontendType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tinyml.Frontend",
    .tp_basicsize = sizeof(FrontendObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Frontend(config): the audio front-end (TensorFlow's audio_microfrontend)",
    .tp_methods = Frontend_methods,
    .tp_init = (initproc)Frontend_init,
    .tp_new = PyType_GenericNew,
};


/* ---- Mfcc: the MFCC front-end of the MLPerf Tiny KWS model (docs/audio.md) ---- */

typedef struct {
    PyObject_HEAD
    tml_bind_mfcc_t *m; /* tml_bind_mfcc_size bytes, PyMem_Malloc */
} MfccObject;

static void mfcc_raise(int status) {
    PyErr_SetString(PyExc_ValueError, tml_mfcc_strerror(status));
}

/* Mfcc(frames, settings): the KWS configuration (tml_mfcc_config_kws) with settings, a tuple
 * of (index in MFCC_FIELDS, number) pairs, applied over it; a window of `frames` frames. */
static int Mfcc_init(MfccObject *self, PyObject *args, PyObject *kwds) {
    long rows;
    PyObject *set;
    if (kwds && PyDict_Size(kwds) > 0) {
        PyErr_SetString(PyExc_TypeError, "Mfcc takes no keyword arguments");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "lO!", &rows, &PyTuple_Type, &set)) {
        return -1;
    }
    tml_mfcc_config_t cfg;
    tml_mfcc_config_kws(&cfg);
    if (!apply_settings(set, &tml_bind_mfcc_settings, &cfg)) {
        return -1;
    }
    const size_t size = rows < 1 || rows > TML_BIND_MFCC_MAX_ROWS
                            ? 0 : tml_bind_mfcc_size(&cfg, (int32_t)rows);
    if (!size) {
        PyErr_SetString(PyExc_ValueError, "frames must be 1..1024");
        return -1;
    }
    PyMem_Free(self->m);
    self->m = PyMem_Malloc(size);
    if (!self->m) {
        PyErr_NoMemory();
        return -1;
    }
    const int st = tml_bind_mfcc_init(self->m, &cfg, (int32_t)rows);
    if (st != TML_MFCC_OK) {
        PyMem_Free(self->m);
        self->m = NULL;
        mfcc_raise(st);
        return -1;
    }
    return 0;
}

static void Mfcc_dealloc(MfccObject *self) {
    PyMem_Free(self->m);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int mfcc_ready(MfccObject *self) {
    if (!self->m) {
        mfcc_raise(TML_MFCC_E_STATE);
        return 0;
    }
    return 1;
}

/* feed(samples) -> frames made */
static PyObject *Mfcc_feed(MfccObject *self, PyObject *samples) {
    Py_buffer sb;
    if (!mfcc_ready(self) || !get_samples(samples, &sb)) {
        return NULL;
    }
    const int32_t made = sb.len / 2 > INT32_MAX
                             ? TML_MFCC_E_ARG
                             : tml_bind_mfcc_feed(self->m, sb.buf, (int32_t)(sb.len / 2));
    PyBuffer_Release(&sb);
    if (made < 0) {
        mfcc_raise(made);
        return NULL;
    }
    return PyLong_FromLong(made);
}

/* window(out): the window's int8 features into out, oldest frame first */
static PyObject *Mfcc_window(MfccObject *self, PyObject *out) {
    Py_buffer ob;
    if (!mfcc_ready(self)) {
        return NULL;
    }
    if (PyObject_GetBuffer(out, &ob, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, TML_MSG_MFCC_OUT);
        return NULL;
    }
    const char *f = ob.format ? ob.format : "B";
    const Py_ssize_t n = (Py_ssize_t)self->m->rows * tml_mfcc_coefficients(&self->m->mf);
    if (!((f[0] == 'b' || f[0] == 'B') && ob.itemsize == 1) || ob.len != n) {
        PyBuffer_Release(&ob);
        PyErr_SetString(PyExc_TypeError, TML_MSG_MFCC_OUT);
        return NULL;
    }
    const int st = tml_bind_mfcc_window(self->m, ob.buf);
    PyBuffer_Release(&ob);
    if (st != TML_MFCC_OK) {
        mfcc_raise(st);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *Mfcc_reset(MfccObject *self, PyObject *unused) {
    (void)unused;
    if (!mfcc_ready(self)) {
        return NULL;
    }
    tml_bind_mfcc_reset(self->m);
    Py_RETURN_NONE;
}

static PyObject *Mfcc_coefficients(MfccObject *self, PyObject *unused) {
    (void)unused;
    return mfcc_ready(self) ? PyLong_FromLong(tml_mfcc_coefficients(&self->m->mf)) : NULL;
}

static PyObject *Mfcc_peak(MfccObject *self, PyObject *unused) {
    (void)unused;
    return mfcc_ready(self) ? PyLong_FromLong(tml_bind_mfcc_peak(self->m)) : NULL;
}

static PyMethodDef Mfcc_methods[] = {
    {"feed", (PyCFunction)Mfcc_feed, METH_O, "feed(samples) -> frames made"},
    {"window", (PyCFunction)Mfcc_window, METH_O,
     "window(out): the window's int8 features, oldest frame first"},
    {"reset", (PyCFunction)Mfcc_reset, METH_NOARGS, "forget every sample"},
    {"coefficients", (PyCFunction)Mfcc_coefficients, METH_NOARGS, "features per frame"},
    {"peak", (PyCFunction)Mfcc_peak, METH_NOARGS, "the peak the window is divided by"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject MfccType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tinyml.Mfcc",
    .tp_basicsize = sizeof(MfccObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Mfcc(frames, config): the MFCC front-end of the MLPerf Tiny KWS model",
    .tp_methods = Mfcc_methods,
    .tp_init = (initproc)Mfcc_init,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)Mfcc_dealloc,
};

#if TML_HAS_MOTION
/* ---- Motion: the motion front-end (docs/motion.md) ---- */

typedef struct {
    PyObject_HEAD
    tml_mo_t mo;
} MotionObject;

static void mo_raise(int status) {
    PyErr_SetString(PyExc_ValueError, tml_mo_strerror(status));
}

/* The edges field's value: a sequence of ints, edge j at j. */
static int mo_get_edges(tml_mo_config_t *cfg, PyObject *o) {
    PyObject *seq = PySequence_Fast(o, TML_MSG_MO_EDGES);
    if (!seq) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, TML_MSG_MO_EDGES);
        return -1;
    }
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    memset(cfg->edges, 0, sizeof(cfg->edges));
    for (Py_ssize_t j = 0; j < n; j++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, j);
        const long v = PyLong_Check(item) ? PyLong_AsLong(item) : -1;
        if (n > TML_MO_MAX_BANDS + 1 || !PyLong_Check(item) || PyErr_Occurred()) {
            Py_DECREF(seq);
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, TML_MSG_MO_EDGES);
            return -1;
        }
        const int st = tml_bind_mo_edge(cfg, (long)j, v);
        if (st != TML_MO_OK) {
            Py_DECREF(seq);
            mo_raise(st);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

/* Motion(settings): tml_mo_config_default with settings, a tuple of (index in MO_FIELDS,
 * value) pairs, applied over it. */
static int Motion_init(MotionObject *self, PyObject *args, PyObject *kwds) {
    PyObject *set;
    if (kwds && PyDict_Size(kwds) > 0) {
        PyErr_SetString(PyExc_TypeError, "Motion takes no keyword arguments");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!", &PyTuple_Type, &set)) {
        return -1;
    }
    tml_mo_config_t cfg;
    tml_mo_config_default(&cfg);
    if (!apply_settings(set, &tml_bind_mo_settings, &cfg)) {
        return -1;
    }
    const int st = tml_mo_init(&self->mo, &cfg);
    if (st != TML_MO_OK) {
        mo_raise(st);
        return -1;
    }
    return 0;
}

/* feed(samples, features, pos) -> (windows, pos) */
static PyObject *Motion_feed(MotionObject *self, PyObject *args) {
    PyObject *samples, *ring;
    long pos_l;
    if (!PyArg_ParseTuple(args, "OOl", &samples, &ring, &pos_l)) {
        return NULL;
    }
    Py_buffer sb, rb;
    if (!get_samples(samples, &sb)) {
        return NULL;
    }
    if (PyObject_GetBuffer(ring, &rb, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
        PyBuffer_Release(&sb);
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, TML_MSG_MO_RING);
        return NULL;
    }
    const char *rf = rb.format ? rb.format : "B";
    const int as_i32 = (rf[0] == 'i' || (rf[0] == '<' && rf[1] == 'i')) && rb.itemsize == 4;
    const Py_ssize_t row = (Py_ssize_t)tml_mo_features(&self->mo) * 4;
    const Py_ssize_t rows = rb.len / row;
    if (!as_i32 || rows < 1 || rb.len != rows * row || rows > INT32_MAX) {
        PyBuffer_Release(&sb);
        PyBuffer_Release(&rb);
        PyErr_SetString(PyExc_TypeError, TML_MSG_MO_RING);
        return NULL;
    }
    int32_t pos = (int32_t)pos_l;
    const int32_t made = pos_l < 0 || pos_l >= rows || sb.len / 2 > INT32_MAX
                             ? TML_MO_E_ARG
                             : tml_bind_mo_feed(&self->mo, sb.buf, (int32_t)(sb.len / 2),
                                                rb.buf, (int32_t)rows, &pos);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&rb);
    if (made < 0) {
        mo_raise(made);
        return NULL;
    }
    return Py_BuildValue("(ii)", made, pos);
}

static PyObject *Motion_reset(MotionObject *self, PyObject *unused) {
    (void)unused;
    tml_mo_reset(&self->mo);
    Py_RETURN_NONE;
}

static PyObject *Motion_features(MotionObject *self, PyObject *unused) {
    (void)unused;
    return PyLong_FromLong(tml_mo_features(&self->mo));
}

static PyMethodDef Motion_methods[] = {
    {"feed", (PyCFunction)Motion_feed, METH_VARARGS,
     "feed(samples, features, pos) -> (windows, pos): each window into row pos of features"},
    {"reset", (PyCFunction)Motion_reset, METH_NOARGS, "forget the frames held"},
    {"features", (PyCFunction)Motion_features, METH_NOARGS, "features per window"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject MotionType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tinyml.Motion",
    .tp_basicsize = sizeof(MotionObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Motion(config): windowed statistics and band energies of IMU streams",
    .tp_methods = Motion_methods,
    .tp_init = (initproc)Motion_init,
    .tp_new = PyType_GenericNew,
};
#endif

static int parse_dims(PyObject *seq, tml_dims_t *d) {
    int32_t v[4];
    if (!PyArg_ParseTuple(seq, "iiii", &v[0], &v[1], &v[2], &v[3])) {
        return 0;
    }
    d->n = v[0];
    d->h = v[1];
    d->w = v[2];
    d->c = v[3];
    return 1;
}

/* conv_in_place_scratch(depthwise, in_shape, filter_shape, out_shape, stride_h, stride_w,
 * pad_h, pad_w, depth_multiplier): the C core's own rule, for the host planner. */
static PyObject *conv_in_place_scratch(PyObject *self, PyObject *args) {
    (void)self;
    int depthwise;
    PyObject *in_s, *f_s, *out_s;
    tml_conv_params_t p = {0};
    tml_dims_t in, f, out;
    if (!PyArg_ParseTuple(args, "pO!O!O!iiiii", &depthwise, &PyTuple_Type, &in_s,
                          &PyTuple_Type, &f_s, &PyTuple_Type, &out_s, &p.stride_h, &p.stride_w,
                          &p.pad_h, &p.pad_w, &p.depth_multiplier) ||
        !parse_dims(in_s, &in) || !parse_dims(f_s, &f) || !parse_dims(out_s, &out)) {
        return NULL;
    }
    return PyLong_FromUnsignedLong(tml_conv_in_place_scratch(depthwise, &p, &in, &f, &out));
}

static PyMethodDef module_methods[] = {
    {"conv_in_place_scratch", conv_in_place_scratch, METH_VARARGS,
     "scratch bytes of a convolution's in-place variant (0: none)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tinyml", "tinyml C core (host simulator)", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

static int add_str(PyObject *m, const char *name, const char *s, size_t len) {
    PyObject *o = PyUnicode_FromStringAndSize(s, (Py_ssize_t)len);
    if (!o) {
        return -1;
    }
    const int r = PyModule_AddObject(m, name, o);
    if (r < 0) {
        Py_DECREF(o);
    }
    return r;
}

PyMODINIT_FUNC PyInit__tinyml(void) {
    if (PyType_Ready(&ModelType) < 0 || PyType_Ready(&FrontendType) < 0 ||
        PyType_Ready(&MfccType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (!m) {
        return NULL;
    }
    Py_INCREF(&ModelType);
    if (PyModule_AddObject(m, "Model", (PyObject *)&ModelType) < 0) {
        Py_DECREF(&ModelType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&FrontendType);
    if (PyModule_AddObject(m, "Frontend", (PyObject *)&FrontendType) < 0 ||
        add_str(m, "FE_FIELDS", TML_BIND_FE_FIELDS, TML_BIND_FIELDS_LEN(TML_BIND_FE_FIELDS)) < 0) {
        Py_DECREF(&FrontendType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&MfccType);
    if (PyModule_AddObject(m, "Mfcc", (PyObject *)&MfccType) < 0 ||
        add_str(m, "MFCC_FIELDS", TML_BIND_MFCC_FIELDS,
                TML_BIND_FIELDS_LEN(TML_BIND_MFCC_FIELDS)) < 0) {
        Py_DECREF(&MfccType);
        Py_DECREF(m);
        return NULL;
    }
#if TML_HAS_MOTION
    if (PyType_Ready(&MotionType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&MotionType);
    if (PyModule_AddObject(m, "Motion", (PyObject *)&MotionType) < 0 ||
        add_str(m, "MO_FIELDS", TML_BIND_MO_FIELDS, TML_BIND_FIELDS_LEN(TML_BIND_MO_FIELDS)) < 0) {
        Py_DECREF(&MotionType);
        Py_DECREF(m);
        return NULL;
    }
#endif
    /* The schema's names (tml_schema.def), as the MicroPython binding exports them. */
    if (add_str(m, "OP_NAMES", TML_BIND_OP_NAMES, sizeof(TML_BIND_OP_NAMES) - 1) < 0 ||
        add_str(m, "HEAD_FIELDS", TML_BIND_HEAD_FIELDS,
                TML_BIND_FIELDS_LEN(TML_BIND_HEAD_FIELDS)) < 0 ||
        add_str(m, "OP_INFO_FIELDS", TML_BIND_OP_INFO_FIELDS,
                TML_BIND_FIELDS_LEN(TML_BIND_OP_INFO_FIELDS)) < 0 ||
        add_str(m, "UPDATE_FIELDS", TML_BIND_UPDATE_FIELDS,
                TML_BIND_FIELDS_LEN(TML_BIND_UPDATE_FIELDS)) < 0 ||
        PyModule_AddIntConstant(m, "H_TOTAL_SIZE", TML_BIND_H_TOTAL_SIZE) < 0 ||
        PyModule_AddIntConstant(m, "H_ARENA_SIZE", TML_BIND_H_ARENA_SIZE) < 0 ||
        PyModule_AddIntConstant(m, "VERSION_MAJOR", TML_VERSION_MAJOR) < 0 ||
        PyModule_AddIntConstant(m, "VERSION_MINOR", TML_VERSION_MINOR) < 0) {
        Py_DECREF(m);
        return NULL;
    }
#undef ADD_OP
    return m;
}
