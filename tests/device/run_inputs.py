# Device-side runner for the conformance tests: runs model.bin on each sample in inputs.bin
# (per sample, every model input's raw int8 bytes in order) and prints one line per sample:
# each output's raw bytes in hex, outputs separated by spaces.
import tinyml

net = tinyml.load("model.bin")


def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


sizes = [count(s) for s in net.input_shapes]
outs = tuple(bytearray(count(s)) for s in net.output_shapes)
with open("inputs.bin", "rb") as f:
    data = f.read()
view = memoryview(data)
pos = 0
while pos < len(data):
    xs = []
    for n in sizes:
        xs.append(view[pos : pos + n])
        pos += n
    net.predict_into(xs[0] if len(xs) == 1 else tuple(xs), outs[0] if len(outs) == 1 else outs)
    print(" ".join("".join("%02x" % b for b in o) for o in outs))
