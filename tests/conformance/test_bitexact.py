"""Whole models, bit-exact against TFLite's reference kernels on every runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runtimes import ROOT, RUNTIMES, run_script
from tinyml_tools.blob import read_blob
from tinyml_tools.convert import convert_model, read_labels
from tinyml_tools.reference import reference_outputs, reference_tensors
from tinyml_tools.tflite_reader import read_tflite

MODELS = {
    "kws": ROOT / "models/kws/kws.tflite",
    "ad": ROOT / "models/ad/ad.tflite",
    "vww": ROOT / "tests/models/mlperf_tiny/vww_mobilenet.tflite",
    "ic": ROOT / "tests/models/mlperf_tiny/ic_resnet8.tflite",
    "sww": ROOT / "tests/models/mlperf_tiny/sww_wakeword.tflite",
}


def _inputs(name: str, n_in: int) -> list[np.ndarray]:
    """Real samples where the project ships them, topped up with seeded random int8 inputs."""
    xs: list[np.ndarray] = []
    if name == "kws":
        data = np.fromfile(ROOT / "models/kws/samples.bin", np.int8)
        xs = list(data.reshape(-1, n_in))
    rng = np.random.default_rng(1234)
    xs += [rng.integers(-128, 128, n_in, dtype=np.int8) for _ in range(24)]
    return xs


@pytest.fixture(scope="module", params=sorted(MODELS))
def case(
    request: pytest.FixtureRequest,
) -> tuple[str, bytes, bytes, list[np.ndarray], list[bytes]]:
    name = request.param
    tfl = MODELS[name].read_bytes()
    labels = read_labels(ROOT / "models/kws/labels.txt") if name == "kws" else []
    blob, b = convert_model(tfl, name, labels)
    n_in = b.tensors[b.inputs[0]].nbytes
    xs = _inputs(name, n_in)
    return name, tfl, blob, xs, reference_outputs(tfl, xs)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_bit_exact(case, runtime: str, tmp_path: Path) -> None:
    name, _, blob, xs, ref = case
    assert len(xs) >= 20
    inputs = b"".join(x.tobytes() for x in xs)
    out = run_script(runtime, ROOT / "tests/device/run_inputs.py", tmp_path,
                     {"model.bin": blob, "inputs.bin": inputs})
    got = [bytes.fromhex(line) for line in out.split()]
    assert len(got) == len(ref)
    mismatches = [i for i, (g, r) in enumerate(zip(got, ref, strict=True)) if g != r]
    assert mismatches == [], f"{name} on {runtime}: inputs {mismatches} differ"


def test_every_intermediate_tensor(case) -> None:
    """Each operator's output equals TFLite's for the same tensor (on the first input), so a
    mismatch is pinned to the op that caused it."""
    import tinyml

    name, tfl, _, xs, _ = case
    blob, b = convert_model(tfl, name, reuse_memory=False)
    arena = bytearray(b.arena_size)
    tinyml.load(blob, arena).predict_raw(xs[0].tobytes())
    ref = reference_tensors(tfl, xs[0])
    graph_names = {t.name for t in read_tflite(tfl).tensors}
    checked = 0
    for op in b.ops:
        t = b.tensors[op.outputs[0]]
        assert t.name in graph_names and t.name in ref
        got = bytes(arena[t.offset : t.offset + t.nbytes])
        assert got == ref[t.name].tobytes(), f"{name}: {op.kind} output '{t.name}' differs"
        checked += 1
    assert checked == len(b.ops)


def test_blob_round_trip(case) -> None:
    name, tfl, blob, _, _ = case
    b = read_blob(blob)
    assert b.name == name
    assert len(b.ops) == len(read_tflite(tfl).ops)
    assert b.labels == (read_labels(ROOT / "models/kws/labels.txt") if name == "kws" else [])
