# Operator info, constant overrides and the sparse-update scheme through the C core's Model,
# run unchanged on the host simulator, the unix firmware and the x64 native modules by
# tests/host/test_overrides.py, which writes the files beside it and checks every line.
import gc
from array import array
from binascii import hexlify

import tinyml

try:
    import _tinyml as core  # the firmware's and the host simulator's C module
except ImportError:
    core = tinyml  # the native module: the C core's names are tinyml's own

Model = tinyml.Model


def fields(names, record):
    """A record of the raw Model (a tuple in the schema's field order) by field name."""
    names = names.split()
    if isinstance(record, tuple):
        return {n: record[i] for i, n in enumerate(names)}
    return {n: getattr(record, n) for n in names}


def op_info(model, k):
    return fields(core.OP_INFO_FIELDS, model.op_info(k))


def read(name):
    with open(name, "rb") as f:
        return f.read()


def err(fn, *args):
    try:
        fn(*args)
    except (ValueError, IndexError, TypeError) as e:
        return type(e).__name__ + ": " + str(e)
    return "no error"


def hexs(b):
    return hexlify(b).decode()


m = Model(read("kws.bin"))
n_ops = m.info()[3]
for k in range(n_ops):
    info = op_info(m, k)
    info["requant"] = hexs(info["requant"])
    print("op_info", k, " ".join("%s=%s" % (n, info[n]) for n in core.OP_INFO_FIELDS.split()))
print("op_info_range", err(m.op_info, n_ops))

x = read("samples.bin")[:490]
head = fields(core.HEAD_FIELDS, m.head())
bias_t, logits, rows = head["bias"], head["output"], head["rows"]


def run(model):
    model.set_input(x)
    model.invoke()
    out = bytearray(rows)
    model.read_tensor(logits, out)
    return hexs(out)


base = run(m)
print("base", base)
bias = bytearray(4 * rows)
m.read_tensor(bias_t, bias)
m.set_const(bias_t, array("i", bias))
print("same_bias", run(m) == base)
plus = array("i", bytearray(read("bias_plus.bin")))
m.set_const(bias_t, plus)
print("bias_plus", run(m))
print("bias_plus_blob", run(Model(read("kws_bias_plus.bin"))))
m.set_const(bias_t, None)
print("removed", run(m) == base)

# The reading operators' checks: at set_const, and again at every invoke.
too_big = array("i", bias)
too_big[0] = 0x7FFFFFFF
print("set_too_big", err(m.set_const, bias_t, too_big))
print("after_refusal", run(m) == base)
m.set_const(bias_t, plus)
plus[3] = -0x7FFFFFFF
print("invoke_too_big", err(run, m))
plus[3] = array("i", bytearray(read("bias_plus.bin")))[3]
print("valid_again", run(m))
m.set_const(bias_t, None)

# Weights (int8, an array('b')) of operator 2, a CONV_2D.
weights_t = op_info(m, 2)["inputs"][1]
m.set_const(weights_t, array("b", bytearray(read("weights.bin"))))
print("weights", run(m))
print("weights_blob", run(Model(read("kws_weights.bin"))))
m.set_const(weights_t, None)

# Refusals
print("not_const", err(m.set_const, logits, bytearray(rows)))
print("size", err(m.set_const, bias_t, bytearray(4 * rows - 1)))
print("align", err(m.set_const, bias_t, memoryview(bytearray(4 * rows + 4))[1 : 4 * rows + 1]))
print("index", err(m.set_const, 9999, bias))
print("type", err(m.set_const, bias_t, 5))

# The model keeps the buffers it reads alive: no other reference here.
m.set_const(bias_t, array("i", bytearray(read("bias_plus.bin"))))
gc.collect()
junk = [bytearray(4 * rows) for _ in range(500)]
print("kept_alive", run(m))
m.set_const(bias_t, None)

# A bytearray resized after set_const: MicroPython re-reads the buffer before running and
# drops the override that no longer fits; CPython refuses to resize a buffer in use.
grow = bytearray(bias)
m.set_const(bias_t, grow)
try:
    grow.extend(b"\0\0\0\0")
    print("resize", err(run, m))
except Exception as e:
    print("resize", type(e).__name__)
print("after_resize", run(m) == base)
m.set_const(bias_t, None)

# At most 8 tensors: the weights and biases of operators 0..3 (the last one set again
# replaces its override), then one more.
held = []
for k in range(4):
    for slot, elem in ((1, 1), (2, 4)):
        t = op_info(m, k)["inputs"][slot]
        n = elem
        for d in m.tensor_info(t)[0]:
            n *= d
        b = bytearray(n)
        m.read_tensor(t, b)
        m.set_const(t, b)
        held.append((t, b))
print("replace_when_full", err(m.set_const, held[-1][0], held[-1][1]))
t = op_info(m, 4)["inputs"][2]
print("full", err(m.set_const, t, bytearray(4 * m.tensor_info(t)[0][0])))
print("eight_overrides", run(m) == base)
for t, _ in held:
    m.set_const(t, None)
print("none_left", run(m) == base)

# Sparse-update schemes: blobs written by tinyml_tools.format.blob, and corrupted ones.
for name in read("sparse_cases.txt").decode().split():
    if name.startswith("bad"):
        print("sparse", name, err(Model, read(name)))
    else:
        print("sparse", name, Model(read(name)).update_scheme())
print("no_scheme", m.update_scheme())
