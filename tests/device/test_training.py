"""On-device learning (device/tinyml_train.py) inside each runtime, against the NumPy reference
(host_tools/tinyml_tools/train_ref.py) on the same embeddings: the few-shot digits task."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runtimes import ROOT, RUNTIMES, run_script
from tinyml_tools.convert import convert_model
from tinyml_tools.format.blob import read_blob

pytest.importorskip("sklearn", reason="pip install scikit-learn (in the [dev] extra)")

from fewshot import NEW_CLASSES, OLD_CLASSES, digits_split, shots  # noqa: E402

from tinyml_tools.train import sparse  # noqa: E402
from tinyml_tools.train.reference import RefTrainer  # noqa: E402

MODEL = ROOT / "tests/models/fewshot/digits_0to5.tflite"
LABELS = [str(c) for c in OLD_CLASSES]
SPARSE_BUDGET = 4096  # bytes of RAM for the updated layers of the digits backbone
SPARSE_EPOCHS = 30  # tests/device/sparse_check.py


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
    emb = {x: np.frombuffer(bytes(net.embedding(x)), np.int8) for x in sx + tx}
    # The sparse-update scheme, chosen on the old classes' training images.
    old = np.isin(ytr, OLD_CLASSES)
    choice = sparse.choose(blob, lowered, xtr[old], ytr[old], SPARSE_BUDGET)
    sparse_blob = sparse.with_scheme(lowered, choice.scheme)
    raw = {x: np.frombuffer(x, np.int8) for x in sx + tx}
    # ncm and head learn from embeddings; bias and sparse from inputs (the backbone changes).
    cases = (("ncm", blob, emb, 0), ("head", blob, emb, 30), ("bias", blob, raw, SPARSE_EPOCHS),
             ("sparse", sparse_blob, raw, SPARSE_EPOCHS))
    ref = {}
    for mode, model, feats, epochs in cases:
        for flow in ("classroom", "new-only"):
            r = RefTrainer(read_blob(model), mode, max_classes=10, model=model)
            for c in NEW_CLASSES:
                r.add_class(str(c))
            for x, i in zip(sx, idx, strict=True):
                if flow == "classroom" or ytr[i] in NEW_CLASSES:
                    r.add_example(feats[x], int(ytr[i]))
            if epochs:
                r.fit(epochs)
            ref[mode, flow] = np.array([r.predict(feats[x]) for x in tx])
    other, _ = convert_model((ROOT / "tests/models/keras/se_block.tflite").read_bytes(), "se")
    files = {"model.bin": blob, "other.bin": other, "shots.bin": b"".join(sx),
             "shots_y.bin": bytes(int(ytr[i]) for i in idx), "test.bin": b"".join(tx),
             "test_y.bin": bytes(int(y) for y in yte), "sparse.bin": sparse_blob}
    return {"files": files, "ref": ref, "y": yte, "choice": choice, "blob": blob,
            "first_shot": (raw[sx[0]], int(ytr[idx[0]]))}


def flows(out: str, ref: dict) -> list[tuple[str, str, np.ndarray, np.ndarray, int, int]]:
    """A check script's "flow MODE FLOW PREDICTIONS MEM BOUND" lines: (mode, flow, device
    predictions, reference predictions, mem_info, ram_needed)."""
    rows = [ln.split() for ln in out.strip().split("\n") if ln.startswith("flow ")]
    assert len(rows) == 4
    return [(mode, flow, np.frombuffer(bytes.fromhex(preds), np.uint8).astype(int),
             ref[mode, flow], int(mem), int(bound)) for _, mode, flow, preds, mem, bound in rows]


def accuracy(pred: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    new = np.isin(y, NEW_CLASSES)
    return (100 * float(np.mean(pred == y)), 100 * float(np.mean(pred[new] == y[new])),
            100 * float(np.mean(pred[~new] == y[~new])))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_few_shot_matches_the_reference(runtime: str, task: dict, tmp_path: Path) -> None:
    out = run_script(runtime, ROOT / "tests/device/training_check.py", tmp_path, task["files"],
                     timeout=900)
    lines = out.strip().split("\n")
    for mode, flow, dev, ref, mem, bound in flows(out, task["ref"]):
        assert np.array_equal(dev, ref), (mode, flow, int(np.sum(dev != ref)))
        assert mem == bound
        all_, new, old = accuracy(dev, task["y"])
        print(f"\n{runtime} {mode} {flow}: all {all_:.1f} new {new:.1f} old {old:.1f}")
        # Taught classes are learnt, and the model's own classes are not forgotten.
        assert new > 55 and old > 65, (mode, flow, all_, new, old)
    assert lines[4].startswith("adapter roundtrip ok ")
    assert lines[5] == "adapter errors ok"
    assert lines[6] == ("interrupted saves ok 9 flush=old open=old rename=old renamed=new "
                        "sync=old verify=old write=old")
    assert lines[7] == "memory ok 3390"


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
    """bias and sparse modes: accuracy within 1 point of the NumPy reference on both flows, one
    QAS step equal to lr x gradient within 1 LSB, carries and saturation, adapters."""
    out = run_script(runtime, ROOT / "tests/device/sparse_check.py", tmp_path, task["files"],
                     timeout=1800)
    lines = out.strip().split("\n")
    for mode, flow, dev, ref, mem, bound in flows(out, task["ref"]):
        assert mem == bound
        d, r = accuracy(dev, task["y"]), accuracy(ref, task["y"])
        print(f"\n{runtime} {mode} {flow}: all {d[0]:.1f} new {d[1]:.1f} old {d[2]:.1f}; "
              f"reference {r[0]:.1f} {r[1]:.1f} {r[2]:.1f}")
        assert abs(d[0] - r[0]) <= 1.0, (mode, flow, d, r)
        assert d[1] > 55 and d[2] > 65, (mode, flow, d)
    # One QAS step from the base model: the real-valued biases move by -lr' x gradient (lr' =
    # lr / (1 + |e|^2), the step size), to within one LSB, and as the reference moves them.
    step = next(ln.split() for ln in lines if ln.startswith("step "))
    dev_delta = np.array([int(v) for v in step[2:]])
    r = RefTrainer(read_blob(task["blob"]), "bias", lr=50.0, model=task["blob"])
    q, y = task["first_shot"]
    layer = r.bb.layers[-1] if r.bb else None
    assert r.bb is not None and layer is not None and layer.k == int(step[1])
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
    assert np.max(np.abs(dev_delta * layer.lsb_b - want) / layer.lsb_b) <= 1.0
    assert np.max(np.abs(dev_delta - (layer.bias - b0))) <= 1
    assert np.count_nonzero(dev_delta) > len(dev_delta) // 2
    # What is not in the int32 yet is in the carry: together they are -lr' x gradient.
    carry = np.array([float(v) for v in next(ln.split()[1:] for ln in lines
                                            if ln.startswith("carry "))])
    assert np.allclose((dev_delta + carry) * layer.lsb_b, want, rtol=1e-4, atol=1e-3 * np.max(
        layer.lsb_b))
    assert next(ln for ln in lines if ln.startswith("sparse adapter ok")) == \
        "sparse adapter ok True"
    qas = next(ln.split() for ln in lines if ln.startswith("qas "))
    assert qas[1:4] == ["10", "-10", "1000"]  # 100 x 0.1 LSB carried; saturation at the bound
    assert abs(int(qas[4]) / 256 - 10) < 0.5  # stochastic rounding: 10 LSB on average
    assert qas[5:] == ["127", str(0x81)]  # int8 weights saturate at +-127
    assert lines[-1] == "errors ok"


def test_sparse_scheme_for_kws(tmp_path: Path) -> None:
    """convert --sparse-update on KWS with its recorded samples, within the inference arena."""
    from click.testing import CliRunner

    from tinyml_tools.cli import main

    kws = ROOT / "models/kws"
    samples = np.frombuffer((kws / "samples.bin").read_bytes(), np.int8).reshape(-1, 490)
    names = (kws / "labels.txt").read_text().split()
    y = [names.index(w) for w in (kws / "samples.txt").read_text().split()]
    np.savez(tmp_path / "calib.npz", x=samples[:len(y)], y=np.array(y))
    out = tmp_path / "kws_sparse.bin"
    r = CliRunner().invoke(main, ["convert", str(kws / "kws.tflite"), "-o", str(out),
                                  "--labels", str(kws / "labels.txt"), "--sparse-update", "8492",
                                  "--data", str(tmp_path / "calib.npz")])
    assert r.exit_code == 0, r.output
    print(r.output)
    blob = read_blob(out.read_bytes())
    assert blob.sparse_update
    import tinyml

    net = tinyml.load(out.read_bytes())
    tr = net.trainer(mode="sparse", max_examples=1)
    assert tr._bb is not None and tr._bb.need <= net.arena_size
    assert tr.mem_info() == tr.ram_needed()
