"""tinyml device API: load a tinyml blob and run it.

The same file runs on MicroPython (frozen into firmware, or merged into the native .mpy) and on
CPython (the host simulator), over the C core's `Model` type.

    import tinyml
    net = tinyml.load("kws.bin")
    label, score = net.classify(features)
"""

from array import array
from collections import namedtuple

try:
    from _tinyml import (
        H_ARENA_SIZE,
        H_TOTAL_SIZE,
        HEAD_FIELDS,
        OP_INFO_FIELDS,
        OP_NAMES,
        UPDATE_FIELDS,
        Model,
    )
except ImportError:
    # Native .mpy: the C core was linked into this very module and defined these already.
    pass

__version__ = "0.1.0"

# The C core's records, named by the binding's field lists (the schema's order).
Head = namedtuple("Head", HEAD_FIELDS)
OpInfo = namedtuple("OpInfo", OP_INFO_FIELDS)
Update = namedtuple("Update", UPDATE_FIELDS)


def _f32(scale):
    """A scale from the C core: a float, or (builds without floats: the armv6m .mpy) its IEEE
    bits as an int."""
    if isinstance(scale, int):
        from struct import pack, unpack

        return unpack("<f", pack("<I", scale))[0]
    return scale


def _round_away(v):
    t = int(v)
    f = v - t
    return t + 1 if f >= 0.5 else (t - 1 if f <= -0.5 else t)


def _quantize(x, shape, scale, zp):
    """Float values to int8 bytes, as the C core does (round half away from zero, clamp)."""
    n = _count(shape)
    if len(x) != n:
        raise ValueError("wrong input length: got %d values, expected %d for shape %s"
                         % (len(x), n, shape))
    out = bytearray(n)
    for i in range(n):
        v = x[i] / scale
        if v != v or v - v != 0:
            raise ValueError("input is NaN or infinite")
        q = _round_away(v) + zp
        out[i] = (-128 if q < -128 else (127 if q > 127 else q)) & 0xFF
    return out


_SEQ = (list, tuple)  # built once: a tuple in the call would allocate (predict_into must not)


def _flat(x):
    """Nested lists or tuples (an 8x8 list of rows) as one flat list; anything else as it is."""
    if isinstance(x, _SEQ) and x and isinstance(x[0], _SEQ):
        out = []
        for row in x:
            out.extend(_flat(row))
        return out
    return x


def from_u8(x, out=None):
    """Unsigned bytes (camera pixels, sensor bytes: array('B'), NumPy uint8, bytes) as int8
    input bytes: each value minus 128. Exact for a model trained on x / 255 whose input is
    quantized with scale 1/255 and zero point -128 (net.input_quant), the usual image model;
    otherwise scale the values yourself and pass floats. Writes into out (a bytearray of
    len(x) when None) and returns it."""
    try:
        x = memoryview(x).cast("B")  # CPython: a NumPy array of any shape, flat
    except (AttributeError, TypeError):  # MicroPython's memoryview; a list of numbers
        pass
    n = len(x)
    if out is None:
        out = bytearray(n)
    for i in range(n):
        out[i] = x[i] ^ 0x80
    return out


def _count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class Net:
    """A loaded model. Inputs: an int8 buffer of exactly the input's length (bytes, bytearray,
    array('b'), memoryview) is used raw; unsigned bytes (array('B')) are refused (from_u8
    converts them); any other sequence of numbers, nested or flat, is quantized. A model
    with several inputs takes a tuple (or list) of them; one with several outputs returns a
    tuple."""

    embedding_quant = None  # (scale, zero point) of the embedding, for a model with a head

    def __init__(self, model, blob):
        self._model = model
        self._blob = blob  # the C core reads weights in place: keep the bytes alive
        self.name, self.labels, self.arena_size, self.ops, n_in, n_out = model.info()
        self.n_inputs = n_in
        self.n_outputs = n_out
        ins = [model.input_info(i) for i in range(n_in)]
        outs = [model.output_info(j) for j in range(n_out)]
        # Builds without floats report scales as IEEE bits: the float edges run here instead.
        self._py_float = isinstance(ins[0][1], int)
        ins = [(s, _f32(q), z) for s, q, z in ins]
        outs = [(s, _f32(q), z) for s, q, z in outs]
        self._in_q = [(q, z) for _, q, z in ins]
        self._out_q = [(q, z) for _, q, z in outs]
        self.input_shapes = tuple(t[0] for t in ins)
        self.output_shapes = tuple(t[0] for t in outs)
        self.input_shape, self.output_shape = self.input_shapes[0], self.output_shapes[0]
        self.input_quant = self._in_q[0]
        self.output_quant = self._out_q[0]
        self._n_out = tuple(_count(s) for s in self.output_shapes)
        self.base_labels = self.labels  # the blob's; an adapter's labels replace self.labels
        self.adapter = None  # the trainer (or loaded adapter) predictions go through
        self._sha = None
        head = model.head()
        self._head = None if head is None else Head(*head)
        if head is not None:
            _, q, z = model.tensor_info(self._head.embedding)
            self.embedding_quant = (_f32(q), z)

    def __repr__(self):
        return "<Net %s: %d ops, in %s int8, out %s, arena %d B>" % (
            self.name, self.ops, self.input_shape, self.output_shape, self.arena_size)

    def _set_input(self, x, i):
        x = _flat(x)
        try:
            self._model.set_input(x, i)
        except NotImplementedError:  # a build without floats: quantize here
            self._model.set_input(self.quantize(x, i), i)

    def set_inputs(self, x):
        """Set the model's input(s) for invoke()."""
        if self.n_inputs == 1:
            self._set_input(x, 0)
            return
        if not isinstance(x, (tuple, list)) or len(x) != self.n_inputs:
            raise TypeError("this model takes a tuple of %d inputs" % self.n_inputs)
        for i in range(self.n_inputs):
            self._set_input(x[i], i)

    def predict_into(self, x, out):
        """Run on x and write the outputs into out (a tuple of them for several outputs):
        array('f') gets dequantized values, a bytearray or array('b') the raw int8 bytes.
        Allocates nothing."""
        m = self._model
        self.set_inputs(x)
        m.invoke()
        if self.n_outputs == 1:
            m.get_output(out)
        else:
            if not isinstance(out, (tuple, list)) or len(out) != self.n_outputs:
                raise TypeError("this model needs a tuple of %d outputs" % self.n_outputs)
            for j in range(self.n_outputs):
                m.get_output(out[j], j)
        return out

    def predict(self, x):
        """Run on x; return the dequantized outputs as array('f') (a tuple of them for several
        outputs). With an adapter (trainer or load_adapter): its class scores."""
        if self.adapter is not None:
            return self.adapter.scores(self.embedding(x))
        outs = tuple(array("f", bytes(4 * n)) for n in self._n_out)
        self.predict_into(x, outs[0] if self.n_outputs == 1 else outs)
        return outs[0] if self.n_outputs == 1 else outs

    def predict_raw(self, x):
        """Run on x; return the base model's int8 outputs exactly, as bytes (a tuple for
        several). A head or ncm adapter does not change them; a bias or sparse one
        does, as it updates the layers below the head."""
        outs = tuple(bytearray(n) for n in self._n_out)
        self.predict_into(x, outs[0] if self.n_outputs == 1 else outs)
        return bytes(outs[0]) if self.n_outputs == 1 else tuple(bytes(o) for o in outs)

    def classify(self, x):
        """Run on x; return (label, score) of the highest value of the first output (label:
        index if unlabelled)."""
        out = self.predict(x)
        if self.n_outputs > 1 and self.adapter is None:
            out = out[0]
        best = 0
        for i in range(1, len(out)):
            if out[i] > out[best]:
                best = i
        return (self.labels[best] if self.labels else best), out[best]


    # ---- on-device learning (device/tinyml_train.py) ----

    def embedding(self, x):
        """The int8 embedding of x (the input of the last FULLY_CONNECTED), as a bytearray:
        runs the model up to that layer only."""
        h = self._head
        if h is None:
            raise ValueError("this model records no trainable head")
        self.set_inputs(x)
        self._model.invoke(0, h.op)
        out = bytearray(h.cols)
        self._model.read_tensor(h.embedding, out)
        return out

    def trainer(self, mode="head", lr=0.5, momentum=0.0, max_examples=64, ram_budget=None,
                max_classes=None, layers=2):
        """Learn on the board: mode "ncm" (nearest class mean), "head" (retrain the last
        layer), "bias" (and the int32 biases of the `layers` - 1 layers below it) or "sparse"
        (and the blob's sparse-update scheme). See docs/training.md."""
        from tinyml_train import Trainer

        return Trainer(self, mode, lr, momentum, max_examples, ram_budget, max_classes, layers)

    def set_adapter(self, adapter):
        """Predict through adapter (a Trainer): its scores and labels. The trainer calls this;
        the adapter in use before is detached."""
        if self.adapter is not None and self.adapter is not adapter:
            self.adapter.detach()
        self.adapter = adapter
        adapter.attach()
        self.labels = tuple(adapter.labels)

    def load_adapter(self, path):
        """Use an adapter saved by Trainer.save. On any error (ValueError) the model in use
        stays as it was."""
        from tinyml_train import load_adapter

        with open(path, "rb") as f:
            data = f.read()
        self.set_adapter(load_adapter(self, data))

    def clear_adapter(self):
        """Back to the base model and its labels."""
        if self.adapter is not None:
            self.adapter.detach()
        self.adapter = None
        self.labels = self.base_labels

    def blob_sha256(self):
        """SHA-256 of the blob (its header's total size), as an adapter records it."""
        if self._sha is None:
            import hashlib

            total = int.from_bytes(bytes(self._blob[H_TOTAL_SIZE:H_TOTAL_SIZE + 4]), "little")
            self._sha = hashlib.sha256(self._blob[:total]).digest()
        return self._sha

    # ---- the model's inside, for the trainer (tinyml_train and its modules) and the host's
    # sparse-update chooser: the C core's records, named ----

    def head(self):
        """The trainable head (a Head: op, embedding, weights, bias (-1: none), output, rows,
        cols, scales (float32 per row, little-endian bytes)), or None."""
        return self._head

    def op_info(self, k):
        """Operator k (an OpInfo: kind, inputs, output, act_min, act_max, stride_h, stride_w,
        dilation_h, dilation_w, pad_h, pad_w, filter_h, filter_w, depth_mult, requant,
        bias_limit)."""
        return OpInfo(*self._model.op_info(k))

    def op_kind(self, name):
        """The code of an operator kind, e.g. op_kind("CONV_2D") (from the binding's OP_NAMES)."""
        return OP_NAMES.split().index(name)

    def update_scheme(self):
        """The blob's sparse-update scheme: a tuple of Update (op, bias, channels)."""
        return tuple(Update(*u) for u in self._model.update_scheme())

    def tensor_info(self, t):
        """(shape, scale as a float, zero point) of tensor t."""
        shape, q, z = self._model.tensor_info(t)
        return shape, _f32(q), z

    def read_tensor(self, t, buf, offset=None):
        """Copy tensor t's bytes into buf (from byte offset on: len(buf) of them)."""
        if offset is None:
            self._model.read_tensor(t, buf)
        else:
            self._model.read_tensor(t, buf, offset)

    def set_const(self, t, buf):
        """Read buf instead of constant tensor t's bytes in the blob (None: the blob's again);
        ValueError when the operators reading it refuse it."""
        self._model.set_const(t, buf)

    def invoke(self, first, end):
        """Run operators first .. end - 1 on the inputs set (set_inputs)."""
        self._model.invoke(first, end)

    def quantize(self, x, i=0):
        """Numbers to input i's int8 bytes (a bytearray), as the C core quantizes them."""
        scale, zp = self._in_q[i]
        return _quantize(_flat(x), self.input_shapes[i], scale, zp)


def _no_room(src):
    """MemoryError naming the arena the model needs (the blob header's arena size) and the
    free heap, when the board cannot hold the model's activations."""
    need = int.from_bytes(bytes(src[H_ARENA_SIZE:H_ARENA_SIZE + 4]), "little")
    try:
        import gc

        gc.collect()
        free = gc.mem_free()
    except (ImportError, AttributeError):
        return MemoryError("model needs %d bytes of arena" % need)
    return MemoryError("model needs %d bytes of arena, %d available" % (need, free))


def _read(f):
    """A blob file's bytes; MemoryError naming blob and arena when the heap cannot hold them."""
    try:
        return f.read()
    except MemoryError:
        pass
    size = f.seek(0, 2)
    f.seek(H_ARENA_SIZE)
    arena = int.from_bytes(f.read(4), "little")
    import gc

    gc.collect()
    raise MemoryError("model needs %d bytes (blob %d + arena %d), %d available; keep it in "
                      "flash (ROMFS) to need the arena only"
                      % (size + arena, size, arena, gc.mem_free()))


def load(src, arena=None):
    """Load a blob from a path, bytes, bytearray or memoryview (used in place, never copied).
    A path in ROMFS (/rom/...) is mapped from flash and used in place too; any other file is
    read into the heap. arena: optional bytearray for activations, at least Net.arena_size
    bytes."""
    if isinstance(src, str):
        with open(src, "rb") as f:
            try:
                src = memoryview(f)  # a ROMFS file is its bytes in flash
            except TypeError:
                src = _read(f)
    elif not isinstance(src, (bytes, bytearray, memoryview)):
        raise TypeError("src must be a path, bytes, bytearray or memoryview")
    try:
        model = Model(src, arena)
    except MemoryError:
        raise _no_room(src) from None
    return Net(model, src)
