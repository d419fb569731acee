# On-device learning inside a runtime (tests/device/test_training.py): the few-shot digits task
# in both flows and both modes (predictions and what was learnt), then adapters (save, load,
# corrupt, interrupted saves).
# Files: model.bin, other.bin (another model), shots.bin / shots_y.bin (int8 inputs and labels
# of the taught examples, classroom flow; the new-only flow uses the labels >= 6), test.bin /
# test_y.bin (held-out inputs and labels).
import os

import tinyml


def read(name):
    with open(name, "rb") as f:
        return f.read()


blob = read("model.bin")
net = tinyml.load(blob)
N = 64  # input bytes per example
shots, shots_y = read("shots.bin"), read("shots_y.bin")
test, test_y = read("test.bin"), read("test_y.bin")
xs = [test[i * N:(i + 1) * N] for i in range(len(test_y))]


def teach(mode, new_only):
    net.clear_adapter()
    tr = net.trainer(mode=mode, max_classes=10, max_examples=100)
    for c in range(6, 10):
        tr.add_class(str(c))
    for i in range(len(shots_y)):
        if not new_only or shots_y[i] >= 6:
            tr.add_example(shots[i * N:(i + 1) * N], shots_y[i])
    stats = tr.fit(epochs=30, verbose=mode == "head")  # "epoch k/30: loss L, accuracy A"
    return tr, stats


for mode in ("ncm", "head"):
    for new_only in (False, True):
        tr, stats = teach(mode, new_only)
        preds = bytes([int(net.classify(x)[0]) for x in xs])
        flow = "new-only" if new_only else "classroom"
        print("flow", mode, flow, preds.hex(), tr.mem_info(), tr.ram_needed())
        # What was learnt, as the adapter stores it (ncm: counts, sums; head: float32 weights,
        # trained flags, gate), for the host to compare with the reference's.
        print("state", mode, flow, bytes(tr.head.payload()).hex())

# ---- adapters ----
tr, _ = teach("head", False)
before = [net.classify(x)[0] for x in xs[:40]]
size = tr.save("digits.adapter")
net.clear_adapter()
assert net.labels == ("0", "1", "2", "3", "4", "5"), net.labels
net.load_adapter("digits.adapter")
assert [net.classify(x)[0] for x in xs[:40]] == before
print("adapter roundtrip ok", size)

data = read("digits.adapter")
for name, bad, msg in (
    ("flip", data[:60] + bytes([data[60] ^ 1]) + data[61:],
     "adapter CRC mismatch: file corrupted"),
    ("cut", data[:len(data) // 2], "truncated adapter: %d bytes, expected %d"
     % (len(data) // 2, len(data))),
    ("magic", b"XXXX" + data[4:], "not a tinyml adapter"),
):
    with open("bad.adapter", "wb") as f:
        f.write(bad)
    net.clear_adapter()
    try:
        net.load_adapter("bad.adapter")
        raise AssertionError("loaded a bad adapter: " + name)
    except ValueError as e:
        assert str(e) == msg, (name, str(e))
    assert net.labels == ("0", "1", "2", "3", "4", "5") and net.adapter is None
other = tinyml.load(read("other.bin"))
try:
    other.load_adapter("digits.adapter")
    raise AssertionError("loaded another model's adapter")
except ValueError as e:
    assert str(e) == "adapter was trained for another model (SHA-256 of the blob differs)", str(e)
print("adapter errors ok")

# Interrupted saves: the old adapter ("ncm") is on disk; a save of a new one ("head") is cut at
# every step; the file must then load whole as the old or, after the rename, the new one.
old_tr, _ = teach("ncm", False)
old_tr.save("live.adapter")
old_data = read("live.adapter")
new_tr, _ = teach("head", False)
steps = []


class Cut(Exception):
    pass


def count(step):
    steps.append(step)


new_tr.save("count.adapter", fault=count)
new_data = read("count.adapter")
outcomes = {}
for k in range(len(steps)):
    seen = [0]

    def fault(step, k=k, seen=seen):
        if seen[0] == k:
            raise Cut(step)
        seen[0] += 1

    try:
        new_tr.save("live.adapter", fault=fault)
        raise AssertionError("the save was not cut")
    except Cut:
        pass
    got = read("live.adapter")
    assert got == old_data or got == new_data, k
    net.load_adapter("live.adapter")
    outcomes[steps[k]] = "old" if got == old_data else "new"
    with open("live.adapter", "wb") as f:  # back to the old one for the next cut
        f.write(old_data)
try:
    os.remove("live.adapter.tmp")
except OSError:
    pass
new_tr.save("live.adapter")
assert read("live.adapter") != old_data
print("interrupted saves ok", len(steps),
      " ".join(s + "=" + outcomes[s] for s in sorted(outcomes)))

# ---- memory bounds, modes ----
need = 4 * 9 * 33 + 10 * 9 + 33 * 64  # head, D = 32, C = 6 + 3, 64 examples (docs/training.md)
try:
    net.trainer(mode="head", ram_budget=need - 1)
    raise AssertionError("no MemoryError")
except MemoryError as e:
    assert str(e) == "trainer needs %d bytes, ram_budget is %d" % (need, need - 1), str(e)
assert net.trainer(mode="head", ram_budget=need).mem_info() == need
assert net.trainer(mode="ncm").mem_info() == 2 * 9 * 32 + 4 * 9 + 6 * (32 + 8)
try:
    net.trainer(mode="knn")
    raise AssertionError("knn")
except ValueError as e:
    assert str(e) == "mode must be 'ncm', 'head', 'bias' or 'sparse', got 'knn'", str(e)
print("memory ok", need)
