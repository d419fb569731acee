"""Whole models, bit-exact against TFLite's reference kernels on every runtime: every .tflite
under models/, tests/models/ (except tests/models/unsupported/) and, where present,
../shared/models/ (deduplicated by content)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from runtimes import ROOT, RUNTIMES, run_script
from tinyml_tools.boards.bench import RUNNER_SCRIPT
from tinyml_tools.convert import convert_model, read_labels
from tinyml_tools.format.blob import read_blob
from tinyml_tools.reference import _interpreter

SHARED = ROOT.parent / "shared" / "models"


def _models() -> dict[str, Path]:
    paths = [ROOT / "models/kws/kws.tflite", ROOT / "models/ad/ad.tflite",
             *sorted((ROOT / "tests/models").rglob("*.tflite")),
             *(sorted(SHARED.rglob("*.tflite")) if SHARED.is_dir() else [])]
    seen: set[str] = set()
    out = {}
    for p in paths:
        if "unsupported" in p.parts:
            continue
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            out[p.stem] = p
    return out


MODELS = _models()
N_RANDOM = 24


def _samples(name: str, blob_inputs: list[tuple[tuple[int, ...], int]]) -> list[list[np.ndarray]]:
    """int8 inputs: the shipped KWS recordings, then seeded random ones."""
    xs: list[list[np.ndarray]] = []
    if name == "kws":
        data = np.fromfile(ROOT / "models/kws/samples.bin", np.int8)
        xs = [[x] for x in data.reshape(-1, int(np.prod(blob_inputs[0][0])))]
    rng = np.random.default_rng(1234)
    xs += [[rng.integers(-128, 128, int(np.prod(s)), dtype=np.int8) for s, _ in blob_inputs]
           for _ in range(N_RANDOM)]
    return xs


def reference_run(tfl: bytes, samples: list[list[np.ndarray]],
                  in_q: list[tuple[float, int]], out_q: list[tuple[float, int]]
                  ) -> list[list[bytes]]:
    """TFLite's outputs for int8 samples. Float model inputs get the exact float of each int8
    value; float outputs are mapped back to the int8 value whose dequantization they equal
    bit for bit (anything else fails)."""
    it = _interpreter(tfl)
    ins, outs = it.get_input_details(), it.get_output_details()
    results = []
    for xs in samples:
        for d, x, (s, z) in zip(ins, xs, in_q, strict=True):
            if d["dtype"] == np.float32:
                v = ((x.astype(np.float32) - np.float32(z)) * np.float32(s)).astype(np.float32)
            else:
                v = x
            it.set_tensor(d["index"], v.reshape(d["shape"]))
        it.invoke()
        row = []
        for d, (s, z) in zip(outs, out_q, strict=True):
            y = it.get_tensor(d["index"])
            if y.dtype == np.float32:
                q = np.clip(np.round(y / np.float32(s)) + z, -128, 127).astype(np.int8)
                back = (q.astype(np.float32) - np.float32(z)) * np.float32(s)
                assert np.array_equal(back.astype(np.float32), y), "float output not on grid"
                y = q
            row.append(y.astype(np.int8).tobytes())
        results.append(row)
    return results


@pytest.fixture(scope="module", params=sorted(MODELS))
def case(request: pytest.FixtureRequest) -> tuple[str, bytes, bytes, list, list]:
    name = request.param
    tfl = MODELS[name].read_bytes()
    labels = read_labels(ROOT / "models/kws/labels.txt") if name == "kws" else []
    blob, b = convert_model(tfl, name, labels)
    ins = [(b.tensors[i].shape, b.tensors[i].nbytes) for i in b.inputs]
    in_q = [(b.tensors[i].scale, b.tensors[i].zero_point) for i in b.inputs]
    out_q = [(b.tensors[i].scale, b.tensors[i].zero_point) for i in b.outputs]
    xs = _samples(name, ins)
    return name, tfl, blob, xs, reference_run(tfl, xs, in_q, out_q)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_bit_exact(case, runtime: str, tmp_path: Path) -> None:
    name, _, blob, xs, ref = case
    assert len(xs) >= 20
    inputs = b"".join(x.tobytes() for sample in xs for x in sample)
    runner = tmp_path / "run_inputs.py"  # the script `tinyml verify` runs on boards
    runner.write_text(RUNNER_SCRIPT)
    out = run_script(runtime, runner, tmp_path / "run", {"model.bin": blob, "inputs.bin": inputs})
    got = [[bytes.fromhex(h) for h in line.split()] for line in out.splitlines()]
    assert len(got) == len(ref)
    mismatches = [i for i, (g, r) in enumerate(zip(got, ref, strict=True)) if g != r]
    assert mismatches == [], f"{name} on {runtime}: inputs {mismatches} differ"


def test_every_intermediate_tensor(case) -> None:
    """Each operator's output equals TFLite's tensor of the same name (on the first input), so
    a mismatch is pinned to the op that caused it."""
    import tinyml

    name, tfl, _, xs, _ = case
    blob, b = convert_model(tfl, name, reuse_memory=False)
    arena = bytearray(b.arena_size)
    net = tinyml.load(blob, arena)
    net.predict_raw(xs[0][0].tobytes() if net.n_inputs == 1 else tuple(x.tobytes()
                                                                       for x in xs[0]))
    it = _interpreter(tfl, preserve=True)
    for k, (d, x) in enumerate(zip(it.get_input_details(), xs[0], strict=True)):
        t = b.tensors[b.inputs[k]]
        v = x if d["dtype"] != np.float32 else \
            (x.astype(np.float32) - np.float32(t.zero_point)) * np.float32(t.scale)
        it.set_tensor(d["index"], v.astype(d["dtype"]).reshape(d["shape"]))
    it.invoke()
    ref = {}
    for d in it.get_tensor_details():
        try:
            ref[d["name"]] = it.get_tensor(d["index"])
        except ValueError:
            pass
    checked = 0
    for op in b.ops:
        t = b.tensors[op.outputs[0]]
        if t.name not in ref:
            continue  # a temporary of tinyml's own (e.g. a long concatenation in parts)
        got = bytes(arena[t.offset : t.offset + t.nbytes])
        assert got == ref[t.name].tobytes(), f"{name}: {op.kind} output '{t.name}' differs"
        checked += 1
    assert checked >= len(b.ops) - 2


def test_blob_round_trip(case) -> None:
    name, tfl, blob, _, _ = case
    _, b = convert_model(tfl, name,
                         read_labels(ROOT / "models/kws/labels.txt") if name == "kws" else [])
    r = read_blob(blob)
    assert r.name == name
    assert [o.kind for o in r.ops] == [o.kind for o in b.ops]
    assert [t.shape for t in r.tensors] == [t.shape for t in b.tensors]
    assert r.arena_size == b.arena_size
    assert r.labels == b.labels
