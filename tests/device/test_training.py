"""On-device learning (device/tinyml_train.py) inside each runtime, against the NumPy reference
(host_tools/tinyml_tools/train_ref.py) on the same embeddings: the few-shot digits task."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runtimes import ROOT, RUNTIMES, run_script
from tinyml_tools.blob import read_blob
from tinyml_tools.convert import convert_model

pytest.importorskip("sklearn", reason="pip install scikit-learn (in the [dev] extra)")

from tinyml_tools.fewshot import NEW_CLASSES, OLD_CLASSES, digits_split, shots  # noqa: E402
from tinyml_tools.train_ref import RefTrainer  # noqa: E402

MODEL = ROOT / "tests/models/fewshot/digits_0to5.tflite"
LABELS = [str(c) for c in OLD_CLASSES]


def _quantize(net, x: np.ndarray) -> bytes:  # noqa: ANN001 - a tinyml.Net
    scale, zp = net.input_quant
    return np.clip(np.round(x.ravel() / scale) + zp, -128, 127).astype(np.int8).tobytes()


@pytest.fixture(scope="module")
def task() -> dict:
    import tinyml

    blob, _ = convert_model(MODEL.read_bytes(), "digits", LABELS)
    net = tinyml.load(blob)
    (xtr, ytr), (xte, yte) = digits_split()
    idx = shots(ytr, OLD_CLASSES + NEW_CLASSES)
    sx = [_quantize(net, xtr[i]) for i in idx]
    tx = [_quantize(net, x) for x in xte]
    emb = {x: np.frombuffer(bytes(net.embedding(x)), np.int8) for x in sx + tx}
    ref = {}
    for mode in ("ncm", "head"):
        for flow in ("classroom", "new-only"):
            r = RefTrainer(read_blob(blob), mode, max_classes=10)
            for c in NEW_CLASSES:
                r.add_class(str(c))
            for x, i in zip(sx, idx, strict=True):
                if flow == "classroom" or ytr[i] in NEW_CLASSES:
                    r.add_example(emb[x], int(ytr[i]))
            if mode == "head":
                r.fit(30)
            ref[mode, flow] = np.array([r.predict(emb[x]) for x in tx])
    other, _ = convert_model((ROOT / "tests/models/keras/se_block.tflite").read_bytes(), "se")
    files = {"model.bin": blob, "other.bin": other, "shots.bin": b"".join(sx),
             "shots_y.bin": bytes(int(ytr[i]) for i in idx), "test.bin": b"".join(tx),
             "test_y.bin": bytes(int(y) for y in yte)}
    return {"files": files, "ref": ref, "y": yte}


def accuracy(pred: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    new = np.isin(y, NEW_CLASSES)
    return (100 * float(np.mean(pred == y)), 100 * float(np.mean(pred[new] == y[new])),
            100 * float(np.mean(pred[~new] == y[~new])))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_few_shot_matches_the_reference(runtime: str, task: dict, tmp_path: Path) -> None:
    out = run_script(runtime, ROOT / "tests/device/training_check.py", tmp_path, task["files"],
                     timeout=900)
    lines = out.strip().split("\n")
    flows = [ln.split() for ln in lines if ln.startswith("flow ")]
    assert len(flows) == 4
    for _, mode, flow, preds, mem, bound in flows:
        dev = np.frombuffer(bytes.fromhex(preds), np.uint8).astype(int)
        ref = task["ref"][mode, flow]
        assert np.array_equal(dev, ref), (mode, flow, int(np.sum(dev != ref)))
        assert int(mem) == int(bound)
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
