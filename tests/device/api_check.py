# Device API behaviour, run unchanged on the host simulator, the unix firmware and the x64
# native module. Files beside it: kws.bin and the corrupted blobs made by test_device_api.py.
import gc
from array import array

import tinyml


def expect(exc_type, msg, fn, *args):
    try:
        fn(*args)
    except exc_type as e:
        if msg is not None and str(e) != msg:
            raise AssertionError("message %r, expected %r" % (str(e), msg)) from None
    else:
        raise AssertionError("%s not raised (expected %r)" % (exc_type.__name__, msg))


def read(name):
    with open(name, "rb") as f:
        return f.read()


blob = read("kws.bin")

# Loading from every kind of source gives the same model.
for src in ("kws.bin", blob, bytearray(blob), memoryview(blob)):
    net = tinyml.load(src)
    assert net.name == "kws"
print("load: path bytes bytearray memoryview")

net = tinyml.load(blob)
print("name", net.name)
print("labels", net.labels)
print("input_shape", net.input_shape, "output_shape", net.output_shape)
print("input_zp", net.input_quant[1], "output_zp", net.output_quant[1])
assert abs(net.input_quant[0] - 0.5847029) < 1e-6
assert abs(net.output_quant[0] - 1 / 256) < 1e-9
print("arena_size", net.arena_size, "ops", net.ops)
print(repr(net))

samples = read("samples.bin")
x = samples[:490]

# Raw int8 inputs: bytes, bytearray, array('b'), memoryview all give identical outputs.
raw = net.predict_raw(x)
assert isinstance(raw, bytes) and len(raw) == 12
for variant in (bytearray(x), array("b", x), memoryview(samples)[:490]):
    assert net.predict_raw(variant) == raw
print("raw", "".join("%02x" % b for b in raw))

# Unsigned bytes are never read as int8: array('B') is refused, from_u8 converts (value - 128).
expect(TypeError, "input is uint8: use tinyml.from_u8(x)", net.predict, array("B", x))
pixels = array("B", bytes(b ^ 0x80 for b in x))
assert tinyml.from_u8(pixels) == bytearray(x)
assert net.predict_raw(tinyml.from_u8(pixels)) == raw
print("from_u8", tinyml.from_u8([0, 127, 128, 255]) == bytearray(b"\x80\xff\x00\x7f"))

# Floats are quantized with the input's parameters: dequantized raw input gives raw output.
scale, zp = net.input_quant
floats = [((b - 256 if b > 127 else b) - zp) * scale for b in x]
assert net.predict_raw(floats) == raw
assert net.predict_raw(array("f", floats)) == raw
assert net.predict_raw(tuple(floats)) == raw
# Nested sequences of the input's shape (49 rows of 10) are the same numbers.
assert net.predict_raw([floats[r * 10 : r * 10 + 10] for r in range(49)]) == raw

# predict: array('f') of dequantized outputs; predict_into: no new objects.
y = net.predict(x)
assert isinstance(y, array) and len(y) == 12
oscale, ozp = net.output_quant
for i in range(12):
    q = raw[i] - 256 if raw[i] > 127 else raw[i]
    assert y[i] == (q - ozp) * oscale
out = array("f", bytes(48))
assert net.predict_into(x, out) is out and list(out) == list(y)
outb = bytearray(12)
net.predict_into(x, outb)
assert bytes(outb) == raw
# predict_into allocates nothing: with MicroPython's heap locked any allocation would raise.
try:
    import micropython
except ImportError:
    micropython = None
if micropython is not None and hasattr(micropython, "heap_lock"):
    xb = bytearray(x)
    micropython.heap_lock()
    try:
        net.predict_into(xb, outb)
        net.predict_into(xb, out)
    finally:
        micropython.heap_unlock()
    assert bytes(outb) == raw
label, score = net.classify(x)
print("classify", label, int(score * 256 + 0.5))

# A caller-provided arena is used as given.
arena = bytearray(net.arena_size)
net2 = tinyml.load(blob, arena)
assert net2.predict_raw(x) == raw

# Errors: exact messages, never a crash.
expect(ValueError, "bad magic: not a tinyml blob", tinyml.load, read("bad_magic.bin"))
expect(ValueError, "unsupported blob version 2.0 (this reader supports 1.x)", tinyml.load,
       read("bad_version.bin"))
expect(ValueError, "truncated: blob header says %d bytes, got %d" % (len(blob), len(blob) // 2),
       tinyml.load, blob[: len(blob) // 2])
expect(ValueError, "truncated: shorter than a blob header", tinyml.load, blob[:10])
expect(ValueError, "CRC mismatch: blob corrupted", tinyml.load, read("bad_crc.bin"))
expect(ValueError, "invalid operator parameters (operator 0)", tinyml.load,
       read("bad_params.bin"))
expect(ValueError, "arena too small: needs %d bytes, got 100" % net.arena_size, tinyml.load,
       blob, bytearray(100))
SHAPE = " for shape (1, 49, 10, 1)"
expect(ValueError, "wrong input length: got 100 values, expected 490" + SHAPE, net.predict,
       x[:100])
expect(ValueError, "wrong input length: got 3 values, expected 490" + SHAPE, net.predict,
       [1.0, 2, 3])
expect(ValueError, "wrong input length: got 64 values, expected 490" + SHAPE, net.predict,
       [[0.5] * 8] * 8)
expect(ValueError, "wrong output length: got 3 values, expected 12", net.predict_into, x,
       array("f", [0.0, 0.0, 0.0]))
expect(ValueError, "input is NaN or infinite", net.predict, [float("nan")] * 490)
expect(ValueError, "input is NaN or infinite", net.predict, [float("inf")] * 490)
expect(TypeError, "src must be a path, bytes, bytearray or memoryview", tinyml.load, 42)
expect(TypeError, "input must be a bytes-like int8 buffer or a sequence of numbers",
       net.predict, 42)
expect(TypeError, "input must be a bytes-like int8 buffer or a sequence of numbers",
       net.predict, array("i", [0] * 490))
expect(TypeError, "output must be a writable bytearray/array('b') or array('f')",
       net.predict_into, x, bytes(12))
expect(TypeError, None, tinyml.load, blob, "not an arena")
expect(TypeError, None, net.predict, ["a"] * 490)
# The Net still works after every error above.
assert net.predict_raw(x) == raw
gc.collect()
print("errors: ok")
