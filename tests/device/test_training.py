"""On-device learning (device/tinyml_train.py and its modules) inside each runtime, against the
NumPy reference (tinyml_tools.train.reference): the few-shot digits task.

The reference computes its own int8 forward pass (NumPy, not the C core), chooses its own layers
and takes its own training steps; device and reference must agree bit for bit on every
prediction and on what was learnt: ncm's class sums, the head's float32 weights and gate, and in
bias and sparse modes the updated int32 biases and int8 weights."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from runtimes import ROOT, RUNTIMES, run_script
from tinyml_tools.boards.deploy import FIRMWARE_FILES, FRONTENDS_MODULE, TRAINER_FILES
from tinyml_tools.convert import convert_model
from tinyml_tools.format.blob import read_blob

pytest.importorskip("sklearn", reason="pip install scikit-learn (in the [dev] extra)")

from fewshot import NEW_CLASSES, OLD_CLASSES, digits_split, shots  # noqa: E402

from tinyml_tools.train import sparse  # noqa: E402
from tinyml_tools.train.int8 import Int8Forward  # noqa: E402
from tinyml_tools.train.reference import RefTrainer  # noqa: E402

MODEL = ROOT / "tests/models/fewshot/digits_0to5.tflite"
LABELS = [str(c) for c in OLD_CLASSES]
SPARSE_BUDGET = 4096  # bytes of RAM for the updated layers of the digits backbone
EPOCHS = 30  # tests/device/training_check.py and sparse_check.py
FLOWS = ("classroom", "new-only")


def _quantize(net, x: np.ndarray) -> bytes:  # noqa: ANN001 - a tinyml.Net
    scale, zp = net.input_quant
    return np.clip(np.round(x.ravel() / scale) + zp, -128, 127).astype(np.int8).tobytes()


@pytest.fixture(scope="module")
def task() -> dict:
    import tinyml

    blob, lowered = convert_model(MODEL.read_bytes(), "digits", LABELS)
    net = tinyml.load(blob)
    (xtr, ytr), (xte, yte) = digits_split()
    idx = shots(ytr, OLD_CLASSES + NEW_CLASSES)
    sx = [_quantize(net, xtr[i]) for i in idx]
    tx = [_quantize(net, x) for x in xte]
    # The sparse-update scheme, chosen on the old classes' training images.
    old = np.isin(ytr, OLD_CLASSES)
    choice = sparse.choose(blob, lowered, xtr[old], ytr[old], SPARSE_BUDGET)
    sparse_blob = sparse.with_scheme(lowered, choice.scheme)
    cases = (("ncm", blob), ("head", blob), ("bias", blob), ("sparse", sparse_blob))
    ref = {}
    for mode, model in cases:
        for flow in FLOWS:
            r = RefTrainer(model, mode, max_classes=10)
            for c in NEW_CLASSES:
                r.add_class(str(c))
            for x, i in zip(sx, idx, strict=True):
                if flow == "classroom" or ytr[i] in NEW_CLASSES:
                    r.add_example(x, int(ytr[i]))
            if mode != "ncm":
                r.fit(EPOCHS)
            ref[mode, flow] = (np.array([r.predict(x) for x in tx]), r)
    other, _ = convert_model((ROOT / "tests/models/keras/se_block.tflite").read_bytes(), "se")
    files = {"model.bin": blob, "other.bin": other, "shots.bin": b"".join(sx),
             "shots_y.bin": bytes(int(ytr[i]) for i in idx), "test.bin": b"".join(tx),
             "test_y.bin": bytes(int(y) for y in yte), "sparse.bin": sparse_blob}
    return {"files": files, "ref": ref, "y": yte, "choice": choice, "blob": blob,
            "first_shot": (sx[0], int(ytr[idx[0]]))}


def flows(out: str, ref: dict) -> list[tuple[str, str, np.ndarray, list[str], int, int]]:
    """A check script's "flow MODE FLOW PREDICTIONS MEM BOUND" lines, each with the "state MODE
    FLOW HEX..." line after it: (mode, flow, device predictions, state hex strings, mem_info,
    ram_needed)."""
    lines = [ln.split() for ln in out.strip().split("\n")]
    rows = []
    for i, ln in enumerate(lines):
        if ln[0] == "flow":
            _, mode, flow, preds, mem, bound = ln
            state = lines[i + 1]
            assert state[:3] == ["state", mode, flow], state[:3]
            rows.append((mode, flow, np.frombuffer(bytes.fromhex(preds), np.uint8).astype(int),
                         state[3:], int(mem), int(bound)))
    assert len(rows) == 4
    return rows


def head_state(mode: str, hexstr: str, n: int, d: int) -> dict[str, np.ndarray]:
    """The device's head part of an adapter (docs/training.md), by name."""
    b = bytes.fromhex(hexstr)
    if mode == "ncm":
        assert len(b) == 2 * n + 2 * n * d
        return {"counts": np.frombuffer(b, "<u2", n),
                "sums": np.frombuffer(b, "<i2", n * d, 2 * n).reshape(n, d)}
    k = n * (d + 1)
    assert len(b) == 4 * k + n + 1 + 4 * n
    return {"weights": np.frombuffer(b, "<f4", k).reshape(n, d + 1),
            "trained": np.frombuffer(b, np.uint8, n, 4 * k),
            "gated": np.frombuffer(b, np.uint8, 1, 4 * k + n),
            "gate": np.frombuffer(b, "<f4", n, 4 * k + n + 1)}


def ref_state(mode: str, r: RefTrainer) -> dict[str, np.ndarray]:
    n = len(r.labels)
    if mode == "ncm":
        return {"counts": r.counts[:n], "sums": r.sums[:n]}
    return {"weights": r.w[:n], "trained": r.seen[:n].astype(np.uint8),
            "gated": np.array([r.gated], np.uint8), "gate": r.thr[:n]}


def check_learnt(mode: str, flow: str, state: list[str], r: RefTrainer) -> None:
    """Device and reference learnt the same, bit for bit."""
    dev = head_state(mode, state[0], len(r.labels), r.dim)
    for name, want in ref_state(mode, r).items():
        got = dev[name]
        assert got.shape == want.shape and np.array_equal(got, want), (
            mode, flow, name, int(np.sum(got != want)))
    if r.bb is not None:
        got_b, want_b = bytes.fromhex(state[1]), r.bb.params()
        assert got_b == want_b, (mode, flow, "backbone", len(got_b), len(want_b), sum(
            a != b for a, b in zip(got_b, want_b, strict=False)))


def accuracy(pred: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    new = np.isin(y, NEW_CLASSES)
    return (100 * float(np.mean(pred == y)), 100 * float(np.mean(pred[new] == y[new])),
            100 * float(np.mean(pred[~new] == y[~new])))


def line(out: str, prefix: str) -> str:
    return next(ln for ln in out.strip().split("\n") if ln.startswith(prefix))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_few_shot_matches_the_reference(runtime: str, task: dict, tmp_path: Path) -> None:
    """ncm and head modes: every prediction and what was learnt equal the reference's; then
    adapters (round trip, refusals, interrupted saves) and the memory bounds."""
    out = run_script(runtime, ROOT / "tests/device/training_check.py", tmp_path, task["files"],
                     timeout=900)
    for mode, flow, dev, state, mem, bound in flows(out, task["ref"]):
        ref, r = task["ref"][mode, flow]
        assert np.array_equal(dev, ref), (mode, flow, int(np.sum(dev != ref)))
        check_learnt(mode, flow, state, r)
        assert mem == bound
        all_, new, old = accuracy(dev, task["y"])
        print(f"\n{runtime} {mode} {flow}: all {all_:.1f} new {new:.1f} old {old:.1f}")
        # Taught classes are learnt, and the model's own classes are not forgotten.
        assert new > 55 and old > 65, (mode, flow, all_, new, old)
    # fit(verbose=True) in head mode: each epoch's mean loss and accuracy, as the reference's
    # (the first two head-mode runs are the flows above; later ones teach adapters)
    epochs = [ln.split() for ln in out.splitlines() if ln.startswith("epoch ")][:2 * EPOCHS]
    want = [(k, e) for flow in FLOWS for k, e in enumerate(task["ref"]["head", flow][1].epochs)]
    assert len(epochs) == len(want) == 2 * EPOCHS
    for got, (k, (loss, acc)) in zip(epochs, want, strict=True):
        assert got[1] == f"{k + 1}/{EPOCHS}:" and got[5] == f"{acc:.3f}"
        assert abs(float(got[3].rstrip(",")) - loss) < 2e-4, (got, loss)
    assert line(out, "adapter roundtrip ok ")
    assert line(out, "adapter errors") == "adapter errors ok"
    assert line(out, "interrupted saves") == ("interrupted saves ok 9 flush=old open=old "
                                              "rename=old renamed=new sync=old verify=old "
                                              "write=old")
    assert line(out, "memory") == "memory ok 3390"


def test_kws_trainer_memory() -> None:
    """The extra RAM docs/training.md gives for the KWS DS-CNN, exactly."""
    import tinyml

    net = tinyml.load((ROOT / "models/kws/kws.bin").read_bytes())
    assert net.trainer(mode="ncm").mem_info() == 2844  # <= 3 KB
    assert net.trainer(mode="head").mem_info() == 4050 + 65 * 64
    assert net.trainer(mode="head", max_examples=1).mem_info() == 4050 + 65
    assert net.trainer(mode="head", momentum=0.9).mem_info() == 4050 + 3900 + 65 * 64


@pytest.mark.parametrize("runtime", ["unix", "natmod"])
def test_teach_keyword_example(runtime: str, tmp_path: Path) -> None:
    """examples/teach_keyword.py on the recorded KWS samples, in real MicroPython."""
    kws = ROOT / "models/kws"
    out = run_script(runtime, ROOT / "examples/teach_keyword.py", tmp_path,
                     {n: (kws / n).read_bytes() for n in ("kws.bin", "samples.bin",
                                                         "samples.txt")})
    lines = out.strip().split("\n")
    assert lines[0] == "before: ('unknown', 0.99609375)"
    assert lines[1] == "taught 13 words; trainer RAM: 2844 bytes"
    assert "cat      -> cat      1.000" in lines
    assert lines[-2] == "10/12 right"
    assert lines[-1].startswith("after reload: ('cat', ")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_bias_and_sparse_modes_match_the_reference(runtime: str, task: dict,
                                                   tmp_path: Path) -> None:
    """bias and sparse modes: every prediction and what was learnt (head, int32 biases, int8
    weights) equal the reference's on both flows; one QAS step equal to the reference's, and
    to lr x gradient within one LSB; carries and saturation; adapters."""
    out = run_script(runtime, ROOT / "tests/device/sparse_check.py", tmp_path, task["files"],
                     timeout=1800)
    lines = out.strip().split("\n")
    for mode, flow, dev, state, mem, bound in flows(out, task["ref"]):
        assert mem == bound
        ref, r = task["ref"][mode, flow]
        d = accuracy(dev, task["y"])
        print(f"\n{runtime} {mode} {flow}: all {d[0]:.1f} new {d[1]:.1f} old {d[2]:.1f}")
        assert np.array_equal(dev, ref), (mode, flow, int(np.sum(dev != ref)))
        check_learnt(mode, flow, state, r)
        assert d[1] > 55 and d[2] > 65, (mode, flow, d)
    # One QAS step from the base model: the int32 biases and their float32 carries are the
    # reference's exactly, and together they move the real-valued biases by -lr' x gradient
    # (lr' = lr / (1 + |e|^2), the step size).
    step = line(out, "step ").split()
    dev_delta = np.array([int(v) for v in step[2:]])
    carry = np.frombuffer(bytes.fromhex(line(out, "carry ").split()[1]), "<f4")
    r = RefTrainer(task["blob"], "bias", lr=50.0)
    q, y = task["first_shot"]
    assert r.bb is not None
    layer = r.bb.updated[0]
    assert layer.k == int(step[1])
    b0 = layer.bias.copy()
    e = r.deq(r.bb.forward(q))
    z = r.logits(e)
    g = np.exp(z - z.max())
    g /= g.sum()
    g[y] -= 1.0
    grads = r.bb.grads(g @ r.w[:len(r.labels), :r.dim].astype(np.float64))
    gb = next(gb for lay, gb, _ in grads if lay is layer)
    want = -(r.lr / (1 + float(e @ e))) * gb  # real units
    r.step(q, y)
    assert np.array_equal(dev_delta, layer.bias - b0)
    assert np.array_equal(carry, layer.res)
    assert np.max(np.abs(dev_delta * layer.lsb_b - want) / layer.lsb_b) <= 1.0
    assert np.count_nonzero(dev_delta) > len(dev_delta) // 2
    # What is not in the int32 yet is in the carry: together they are -lr' x gradient.
    assert np.allclose((dev_delta + carry) * layer.lsb_b, want, rtol=1e-4, atol=1e-3 * np.max(
        layer.lsb_b))
    assert line(out, "sparse adapter ok") == "sparse adapter ok True"
    qas = line(out, "qas ").split()
    assert qas[1:4] == ["10", "-10", "1000"]  # 100 x 0.1 LSB carried; saturation at the bound
    assert abs(int(qas[4]) / 256 - 10) < 0.5  # stochastic rounding: 10 LSB on average
    assert qas[5:] == ["127", str(0x81)]  # int8 weights saturate at +-127
    assert lines[-1] == "errors ok"


def test_int8_forward_is_the_c_cores() -> None:
    """The reference's own forward pass (NumPy) gives the C core's int8 tensors below the head
    on the digits backbone and on KWS (double rounding, convolutions, pooling), on random
    inputs: so the references above run on an independent forward pass that is exact."""
    import tinyml

    rng = np.random.default_rng(0)
    digits, _ = convert_model(MODEL.read_bytes(), "digits", LABELS)
    for model in (digits, (ROOT / "models/kws/kws.bin").read_bytes()):
        blob = read_blob(model)
        assert blob.head is not None
        fwd, net = Int8Forward(model, blob), tinyml.load(model)
        n_in = int(np.prod(blob.tensors[blob.inputs[0]].shape))
        for _ in range(5):
            x = rng.integers(-128, 128, n_in).astype(np.int8)
            env = fwd.run(x, blob.head[0])
            for k in range(blob.head[0]):
                t = blob.ops[k].outputs[0]
                net.set_inputs(x.tobytes())
                net.invoke(0, k + 1)
                got = bytearray(blob.tensors[t].nbytes)
                net.read_tensor(t, got)
                assert np.array_equal(np.frombuffer(got, np.int8), env[t].ravel()), (k, t)


def test_sparse_scheme_for_kws(tmp_path: Path) -> None:
    """convert --sparse-update on KWS with its recorded samples, within the inference arena."""
    from click.testing import CliRunner

    from tinyml_tools.cli import cli

    kws = ROOT / "models/kws"
    samples = np.frombuffer((kws / "samples.bin").read_bytes(), np.int8).reshape(-1, 490)
    names = (kws / "labels.txt").read_text().split()
    y = [names.index(w) for w in (kws / "samples.txt").read_text().split()]
    np.savez(tmp_path / "calib.npz", x=samples[:len(y)], y=np.array(y))
    out = tmp_path / "kws_sparse.bin"
    r = CliRunner().invoke(cli, ["convert", str(kws / "kws.tflite"), "-o", str(out),
                                  "--labels", str(kws / "labels.txt"), "--sparse-update", "8492",
                                  "--data", str(tmp_path / "calib.npz")])
    assert r.exit_code == 0, r.output
    print(r.output)
    blob = read_blob(out.read_bytes())
    assert blob.sparse_update
    import tinyml

    net = tinyml.load(out.read_bytes())
    tr = net.trainer(mode="sparse", max_examples=1)
    assert tr.backbone is not None and tr.backbone.need <= net.arena_size
    assert tr.mem_info() == tr.ram_needed()


def test_the_device_package_lists_every_module() -> None:
    """Every device module (device/*.py) is frozen into firmware by device/manifest.py,
    installed by pip (pyproject's py-modules), in the mip packages, and copied beside the
    native module by `tinyml install` and `tinyml fs-image`: none of the trainer's modules can
    be left out of one of them."""
    modules = sorted(p.name for p in (ROOT / "device").glob("*.py") if p.name != "manifest.py")
    assert sorted(["tinyml.py", *TRAINER_FILES, *FIRMWARE_FILES]) == modules
    manifest = (ROOT / "device/manifest.py").read_text()
    assert sorted(re.findall(r'^\s*module\("([^"]+)"(?:, opt=\d)?\)$', manifest, re.M)) == \
        modules
    py_modules = re.search(r"^py-modules = \[([^\]]*)\]", (ROOT / "pyproject.toml").read_text(),
                           re.M)
    assert py_modules and sorted(m + ".py" for m in re.findall(r'"(\w+)"', py_modules[1])) == \
        modules
    for path, pre, want in [(ROOT / "package.json", "device/", modules)] + [
            (p, "../device/", sorted(["tinyml.mpy", *TRAINER_FILES]))
            for p in sorted((ROOT / "mip").glob("*.json"))] + [
            (p, "../../device/", sorted([FRONTENDS_MODULE, *FIRMWARE_FILES]))
            for p in sorted((ROOT / "mip/frontends").glob("*.json"))]:
        urls = json.loads(path.read_text())["urls"]
        assert sorted(name for name, _ in urls) == want, path.name
        assert all(src == pre + name for name, src in urls if name.endswith(".py")), path.name
