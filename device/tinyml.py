"""tinyml device API: load a tinyml blob and run it.

The same file runs on MicroPython (frozen into firmware, or merged into the native .mpy) and on
CPython (the host simulator), over the C core's `Model` type.

    import tinyml
    net = tinyml.load("kws.bin")
    label, score = net.classify(features)
"""

from array import array

try:
    from _tinyml import Model
except ImportError:
    # Native .mpy: the C core was linked into this very module and defined Model already.
    pass

__version__ = "0.1.0"


def _count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class Net:
    """A loaded model. Inputs: an int8 buffer of exactly the input's length (bytes, bytearray,
    array('b'), memoryview) is used raw; any other sequence of numbers is quantized."""

    def __init__(self, model, blob):
        self._model = model
        self._blob = blob  # the C core reads weights in place: keep the bytes alive
        self.name, self.labels, self.arena_size, self.ops, _, _ = model.info()
        self.input_shape, in_scale, in_zp = model.input_info(0)
        self.output_shape, out_scale, out_zp = model.output_info(0)
        self.input_quant = (in_scale, in_zp)
        self.output_quant = (out_scale, out_zp)
        self._n_out = _count(self.output_shape)

    def __repr__(self):
        return "<Net %s: %d ops, in %s int8, out %s, arena %d B>" % (
            self.name, self.ops, self.input_shape, self.output_shape, self.arena_size)

    def predict_into(self, x, out):
        """Run on x and write the outputs into out: array('f') gets dequantized values, a
        bytearray or array('b') the raw int8 bytes. Allocates nothing."""
        m = self._model
        m.set_input(x)
        m.invoke()
        m.get_output(out)
        return out

    def predict(self, x):
        """Run on x; return the dequantized outputs as array('f')."""
        return self.predict_into(x, array("f", bytes(4 * self._n_out)))

    def predict_raw(self, x):
        """Run on x; return the int8 outputs exactly, as bytes."""
        out = bytearray(self._n_out)
        self.predict_into(x, out)
        return bytes(out)

    def classify(self, x):
        """Run on x; return (label, score) of the highest output (label: index if unlabelled)."""
        out = self.predict(x)
        best = 0
        for i in range(1, len(out)):
            if out[i] > out[best]:
                best = i
        return (self.labels[best] if self.labels else best), out[best]


def load(src, arena=None):
    """Load a blob from a path, bytes, bytearray or memoryview (used in place, never copied).
    arena: optional bytearray for activations, at least Net.arena_size bytes."""
    if isinstance(src, str):
        with open(src, "rb") as f:
            src = f.read()
    elif not isinstance(src, (bytes, bytearray, memoryview)):
        raise TypeError("src must be a path, bytes, bytearray or memoryview")
    return Net(Model(src, arena), src)
