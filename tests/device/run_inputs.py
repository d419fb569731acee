# Device-side runner for the conformance tests: runs model.bin on each input in inputs.bin
# (concatenated raw int8 inputs) and prints every raw output as one hex line.
import tinyml

net = tinyml.load("model.bin")
n = 1
for d in net.input_shape:
    n *= d
with open("inputs.bin", "rb") as f:
    data = f.read()
out = bytearray(len(net.predict_raw(data[:n])))
view = memoryview(data)
for i in range(len(data) // n):
    net.predict_into(view[i * n : (i + 1) * n], out)
    print("".join("%02x" % b for b in out))
