# On-device learning in bias and sparse modes inside a runtime (tests/device/test_training.py):
# the few-shot digits task in both flows (predictions and what was learnt), one QAS step,
# carries and saturation, an adapter.
# Files: model.bin (no scheme), sparse.bin (with a sparse-update scheme), shots.bin /
# shots_y.bin, test.bin / test_y.bin as in training_check.py.
from array import array

import tinyml
from tinyml_backbone import qas_bias, qas_weight
from tinyml_num import Lcg


def read(name):
    with open(name, "rb") as f:
        return f.read()


N = 64
shots, shots_y = read("shots.bin"), read("shots_y.bin")
test, test_y = read("test.bin"), read("test_y.bin")
xs = [test[i * N:(i + 1) * N] for i in range(len(test_y))]
EPOCHS = 30
STEP_LR = 50.0  # a step of several LSB (at lr 0.5 one step is below one LSB: the carry holds it)


def teach(net, mode, new_only):
    net.clear_adapter()
    tr = net.trainer(mode=mode, max_classes=10, max_examples=100)
    for c in range(6, 10):
        tr.add_class(str(c))
    for i in range(len(shots_y)):
        if not new_only or shots_y[i] >= 6:
            tr.add_example(shots[i * N:(i + 1) * N], shots_y[i])
    tr.fit(epochs=EPOCHS)
    return tr


nets = {"bias": tinyml.load(read("model.bin")), "sparse": tinyml.load(read("sparse.bin"))}
for mode in ("bias", "sparse"):
    net = nets[mode]
    for new_only in (False, True):
        tr = teach(net, mode, new_only)
        preds = bytes([int(net.classify(x)[0]) for x in xs])
        flow = "new-only" if new_only else "classroom"
        print("flow", mode, flow, preds.hex(), tr.mem_info(), tr.ram_needed())
        # What was learnt: the head's part of the adapter, and the updated int32 biases and
        # int8 weights below it (Backbone.params), for the host to compare with the reference.
        print("state", mode, flow, bytes(tr.head.payload()).hex(),
              bytes(tr.backbone.params()).hex())

# One step from the base model: the int32 biases' change, for the host to check against
# lr * gradient.
net = nets["bias"]
net.clear_adapter()
tr = net.trainer(mode="bias", lr=STEP_LR)
L = tr.backbone.updated[0]
before = array("i", L.bias)
loss = tr.step(shots[:N], shots_y[0])
print("step", L.k, " ".join(str(L.bias[c] - before[c]) for c in range(len(before))))
print("carry", bytes(L.res).hex())  # float32, exactly

# Adapters carry the updated layers: the predictions come back after a reload.
net = nets["sparse"]
tr = teach(net, "sparse", False)
want = [net.classify(x)[0] for x in xs[:40]]
tr.save("sparse.adapter")
net.clear_adapter()
base = [net.classify(x)[0] for x in xs[:40]]
net.load_adapter("sparse.adapter")
got = [net.classify(x)[0] for x in xs[:40]]
assert got == want, (got, want)
net.clear_adapter()
assert [net.classify(x)[0] for x in xs[:40]] == base
print("sparse adapter ok", base != want)

# QAS carries: 100 steps of 0.1 LSB.
b, res = array("i", [0, 0, 0]), array("f", [0.0, 0.0, 0.0])
for _ in range(100):
    qas_bias(b, res, 0, 0.1, 1000)
    qas_bias(b, res, 1, -0.1, 1000)
qas_bias(b, res, 2, 5000.0, 1000)
w = bytearray(256)
rng = Lcg(7)
for _ in range(100):
    for i in range(256):
        qas_weight(w, i, 0.1, rng.uniform())
total = sum(v - 256 if v > 127 else v for v in w)
w2 = bytearray([127, 0x81])
qas_weight(w2, 0, 3.0, 0.5)
qas_weight(w2, 1, -3.0, 0.5)
print("qas", b[0], b[1], b[2], total, w2[0], w2[1])

# Errors.
for kwargs, msg in (
    ({"mode": "sparse"}, "this blob has no sparse-update scheme below the head: convert it with "
     "--sparse-update BUDGET --data CALIB.npz"),
    ({"mode": "bias", "momentum": 0.9}, "momentum is for head mode only"),
    ({"mode": "bias", "layers": 9}, "the model has 2 layers with a bias below the head; "
     "layers=9 asks for 8"),
):
    try:
        nets["bias"].trainer(**kwargs)
        raise AssertionError(kwargs)
    except ValueError as e:
        assert str(e) == msg, str(e)
print("errors ok")
