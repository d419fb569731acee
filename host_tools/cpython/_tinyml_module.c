/* CPython binding of the tinyml C core: the host simulator's `_tinyml` module.
 *
 * It mirrors native_modules/micropython/tinyml_mp.c method for method, so the Python device
 * layer (device/tinyml.py) runs unchanged on CPython and on MicroPython. Error texts come from
 * the core (tml_format_error and the TML_MSG_* macros), so both bindings raise the same words.
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

static PyObject *Model_input_info(ModelObject *self, PyObject *arg) {
    tml_tensor_t t;
    long i = PyLong_AsLong(arg);
    if (i == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (i < 0 || tml_model_input(&self->m, (uint32_t)i, &t) != TML_OK) {
        PyErr_SetString(PyExc_IndexError, "input index out of range");
        return NULL;
    }
    return tensor_info(&t);
}

static PyObject *Model_output_info(ModelObject *self, PyObject *arg) {
    tml_tensor_t t;
    long i = PyLong_AsLong(arg);
    if (i == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (i < 0 || tml_model_output(&self->m, (uint32_t)i, &t) != TML_OK) {
        PyErr_SetString(PyExc_IndexError, "output index out of range");
        return NULL;
    }
    return tensor_info(&t);
}

/* Is this buffer's format one int8/uint8/char item? */
static int is_byte_format(const Py_buffer *b) {
    return b->itemsize == 1 && (b->format == NULL || strcmp(b->format, "b") == 0 ||
                                strcmp(b->format, "B") == 0 || strcmp(b->format, "c") == 0);
}

static int is_float_format(const Py_buffer *b) {
    return b->itemsize == 4 && b->format != NULL &&
           (strcmp(b->format, "f") == 0 || strcmp(b->format, "<f") == 0 ||
            strcmp(b->format, "=f") == 0);
}

static PyObject *Model_set_input(ModelObject *self, PyObject *args) {
    PyObject *x;
    unsigned int index = 0;
    tml_tensor_t t;
    tml_status_t st;
    if (!PyArg_ParseTuple(args, "O|I", &x, &index)) {
        return NULL;
    }
    if (tml_model_input(&self->m, index, &t) != TML_OK) {
        PyErr_SetString(PyExc_IndexError, "input index out of range");
        return NULL;
    }
    const float scale = tml_scale_f32(t.scale_bits);
    if (PyObject_CheckBuffer(x)) {
        Py_buffer b;
        if (PyObject_GetBuffer(x, &b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, TML_MSG_INPUT_TYPE);
            return NULL;
        }
        if (is_byte_format(&b)) {
            st = tml_check_length(&self->m, TML_E_INPUT_LEN, (uint32_t)b.len, t.size);
            if (st == TML_OK) {
                memcpy(t.data, b.buf, t.size);
            }
            PyBuffer_Release(&b);
            return st == TML_OK ? Py_NewRef(Py_None) : raise_status(st, &self->m);
        }
        if (is_float_format(&b)) {
            st = tml_check_length(&self->m, TML_E_INPUT_LEN, (uint32_t)(b.len / 4), t.size);
            if (st == TML_OK) {
                st = tml_quantize_f32((const float *)b.buf, t.size, scale, t.zero_point,
                                      (int8_t *)t.data);
            }
            PyBuffer_Release(&b);
            return st == TML_OK ? Py_NewRef(Py_None) : raise_status(st, &self->m);
        }
        PyBuffer_Release(&b);
        PyErr_SetString(PyExc_TypeError, TML_MSG_INPUT_TYPE);
        return NULL;
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
    st = tml_check_length(&self->m, TML_E_INPUT_LEN, (uint32_t)n, t.size);
    for (Py_ssize_t i = 0; st == TML_OK && i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        float v = (float)PyFloat_AsDouble(item);
        if (v == -1.0f && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
        st = tml_quantize_f32(&v, 1, scale, t.zero_point, (int8_t *)t.data + i);
    }
    Py_DECREF(seq);
    return st == TML_OK ? Py_NewRef(Py_None) : raise_status(st, &self->m);
}

static PyObject *Model_invoke(ModelObject *self, PyObject *args) {
    long first = 0, end = self->m.n_ops;
    if (!PyArg_ParseTuple(args, "|ll", &first, &end)) {
        return NULL;
    }
    tml_status_t st = first < 0 || end < 0 ? TML_E_INDEX :
                      tml_model_invoke_range(&self->m, (uint32_t)first, (uint32_t)end);
    return st == TML_OK ? Py_NewRef(Py_None) : raise_status(st, &self->m);
}

static int any_tensor(ModelObject *self, PyObject *arg, tml_tensor_t *t) {
    long i = PyLong_AsLong(arg);
    if (i == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (i < 0 || tml_model_tensor(&self->m, (uint32_t)i, t) != TML_OK) {
        PyErr_SetString(PyExc_IndexError, "tensor index out of range");
        return -1;
    }
    return 0;
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
    if (offset != -1 && (offset < 0 || (unsigned long)offset > t.size)) {
        PyErr_SetString(PyExc_ValueError, "offset outside the tensor");
        return NULL;
    }
    if (PyObject_GetBuffer(out, &b, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, TML_MSG_OUTPUT_TYPE);
        return NULL;
    }
    if (!is_byte_format(&b)) {
        PyBuffer_Release(&b);
        PyErr_SetString(PyExc_TypeError, TML_MSG_OUTPUT_TYPE);
        return NULL;
    }
    /* Whole tensor: exactly its size. From an offset: any length up to its end. */
    const uint32_t start = offset < 0 ? 0 : (uint32_t)offset;
    const uint32_t want = t.size - start;
    const uint32_t got = (uint32_t)b.len;
    tml_status_t st = tml_check_length(&self->m, TML_E_OUTPUT_LEN, got,
                                       offset < 0 || got > want ? want : got);
    if (st == TML_OK) {
        memcpy(b.buf, (const uint8_t *)t.data + start, got);
    }
    PyBuffer_Release(&b);
    return st == TML_OK ? Py_NewRef(Py_None) : raise_status(st, &self->m);
}

static PyObject *Model_head(ModelObject *self, PyObject *unused) {
    (void)unused;
    tml_head_t h;
    if (tml_model_head(&self->m, &h) != TML_OK) {
        return Py_NewRef(Py_None);
    }
    return Py_BuildValue("(IIIiIIIy#)", (unsigned)h.op, (unsigned)h.embedding,
                         (unsigned)h.weights, h.bias == 0xFFFFu ? -1 : (int)h.bias,
                         (unsigned)h.output, (unsigned)h.rows, (unsigned)h.cols,
                         (const char *)h.scales, (Py_ssize_t)(4 * h.rows));
}

/* op_info(k) -> (kind, inputs, output, act_min, act_max, geometry, requant): inputs -1 where
 * omitted; requant: per channel the int32 multiplier then the int32 shift, little-endian. */
static PyObject *Model_op_info(ModelObject *self, PyObject *arg) {
    tml_op_info_t info;
    long k = PyLong_AsLong(arg);
    if (k == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (k < 0 || tml_model_op_info(&self->m, (uint32_t)k, &info) != TML_OK) {
        PyErr_SetString(PyExc_IndexError, "operator index out of range");
        return NULL;
    }
    PyObject *inputs = PyTuple_New(info.n_inputs);
    PyObject *geometry = PyTuple_New(7);
    PyObject *requant = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(8 * info.n_requant));
    if (!inputs || !geometry || !requant) {
        Py_XDECREF(inputs);
        Py_XDECREF(geometry);
        Py_XDECREF(requant);
        return NULL;
    }
    for (uint32_t i = 0; i < info.n_inputs; i++) {
        const long t = info.inputs[i] == 0xFFFFu ? -1 : (long)info.inputs[i];
        PyTuple_SET_ITEM(inputs, i, PyLong_FromLong(t));
    }
    const int pool = info.kind == TML_OP_AVERAGE_POOL_2D || info.kind == TML_OP_MAX_POOL_2D;
    const int32_t geo[7] = {info.stride_h, info.stride_w, pool ? info.filter_h : info.dilation_h,
                            pool ? info.filter_w : info.dilation_w, info.pad_h, info.pad_w,
                            info.depth_mult};
    for (int i = 0; i < 7; i++) {
        PyTuple_SET_ITEM(geometry, i, PyLong_FromLong(geo[i]));
    }
    char *q = PyBytes_AS_STRING(requant);
    for (uint32_t c = 0; c < info.n_requant; c++) {
        memcpy(q + 8 * c, info.mult + 4 * c, 4);
        memcpy(q + 8 * c + 4, info.shift + 4 * c, 4);
    }
    return Py_BuildValue("(INIiiNN)", (unsigned)info.kind, inputs, (unsigned)info.output,
                         (int)info.act_min, (int)info.act_max, geometry, requant);
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
        return st == TML_OK ? Py_NewRef(Py_None) : raise_status(st, &self->m);
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

/* update_scheme() -> ((op, bias, channels), ...): the blob's sparse-update scheme, or (). */
static PyObject *Model_update_scheme(ModelObject *self, PyObject *unused) {
    (void)unused;
    const uint32_t n = tml_model_update_count(&self->m);
    PyObject *scheme = PyTuple_New(n);
    if (!scheme) {
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        tml_update_t u;
        tml_model_update(&self->m, i, &u);
        PyObject *channels = PyTuple_New(u.n_channels);
        if (!channels) {
            Py_DECREF(scheme);
            return NULL;
        }
        for (uint32_t c = 0; c < u.n_channels; c++) {
            const unsigned ch = (unsigned)(u.channels[2 * c] | (u.channels[2 * c + 1] << 8));
            PyTuple_SET_ITEM(channels, c, PyLong_FromUnsignedLong(ch));
        }
        PyObject *entry = Py_BuildValue("(INN)", (unsigned)u.op, PyBool_FromLong(u.bias),
                                        channels);
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
    tml_status_t st;
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "O|I", &out, &index)) {
        return NULL;
    }
    if (tml_model_output(&self->m, index, &t) != TML_OK) {
        PyErr_SetString(PyExc_IndexError, "output index out of range");
        return NULL;
    }
    if (PyObject_GetBuffer(out, &b, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, TML_MSG_OUTPUT_TYPE);
        return NULL;
    }
    if (is_byte_format(&b)) {
        st = tml_check_length(&self->m, TML_E_OUTPUT_LEN, (uint32_t)b.len, t.size);
        if (st == TML_OK) {
            memcpy(b.buf, t.data, t.size);
        }
    } else if (is_float_format(&b)) {
        st = tml_check_length(&self->m, TML_E_OUTPUT_LEN, (uint32_t)(b.len / 4), t.size);
        if (st == TML_OK) {
            tml_dequantize_f32((const int8_t *)t.data, t.size, tml_scale_f32(t.scale_bits),
                               t.zero_point, (float *)b.buf);
        }
    } else {
        PyBuffer_Release(&b);
        PyErr_SetString(PyExc_TypeError, TML_MSG_OUTPUT_TYPE);
        return NULL;
    }
    PyBuffer_Release(&b);
    return st == TML_OK ? Py_NewRef(Py_None) : raise_status(st, &self->m);
}

/* info() -> (name, labels, arena_size, n_ops, n_inputs, n_outputs) */
static PyObject *Model_info(ModelObject *self, PyObject *unused) {
    (void)unused;
    const char *s;
    uint32_t len;
    PyObject *labels = PyTuple_New(self->m.n_labels);
    if (!labels) {
        return NULL;
    }
    for (uint32_t i = 0; i < self->m.n_labels; i++) {
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
                         (unsigned int)tml_model_arena_size(&self->m), (int)self->m.n_ops,
                         (int)self->m.n_inputs, (int)self->m.n_outputs);
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
    {"head", (PyCFunction)Model_head, METH_NOARGS,
     "None or (op, embedding, weights, bias, output, rows, cols, scale bytes)"},
    {"get_output", (PyCFunction)Model_get_output, METH_VARARGS, "get_output(out, index=0)"},
    {"op_info", (PyCFunction)Model_op_info, METH_O,
     "(kind, inputs, output, act_min, act_max, geometry, requant bytes)"},
    {"set_const", (PyCFunction)Model_set_const, METH_VARARGS,
     "set_const(tensor, buf): read buf (None: the blob) as constant tensor's bytes"},
    {"update_scheme", (PyCFunction)Model_update_scheme, METH_NOARGS,
     "the sparse-update scheme: ((op, bias, channels), ...)"},
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

PyMODINIT_FUNC PyInit__tinyml(void) {
    if (PyType_Ready(&ModelType) < 0) {
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
    PyModule_AddIntConstant(m, "VERSION_MAJOR", TML_VERSION_MAJOR);
    PyModule_AddIntConstant(m, "VERSION_MINOR", TML_VERSION_MINOR);
    return m;
}
