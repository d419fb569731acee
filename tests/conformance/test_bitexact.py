"""Whole models, bit-exact against TFLite's reference kernels on every runtime: every .tflite
under models/, tests/models/ (except tests/models/unsupported/) and, where present,
../shared/models/ (deduplicated by content; the list is scripts/registry.py's)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reference import interpreter, reference_run
from registry import MODELS, samples
from runtimes import ROOT, RUNTIMES, run_script
from tinyml_tools.boards.bench import RUNNER_SCRIPT
from tinyml_tools.convert import convert_model, read_labels
from tinyml_tools.convert.tflite_reader import read_tflite
from tinyml_tools.format.blob import read_blob


@pytest.fixture(scope="module", params=sorted(MODELS))
def case(request: pytest.FixtureRequest) -> tuple[str, bytes, bytes, list, list]:
    name = request.param
    tfl = MODELS[name].read_bytes()
    labels = read_labels(ROOT / "models/kws/labels.txt") if name == "kws" else []
    blob, b = convert_model(tfl, name, labels)
    ins = [(b.tensors[i].shape, b.tensors[i].nbytes) for i in b.inputs]
    in_q = [(b.tensors[i].scale, b.tensors[i].zero_point) for i in b.inputs]
    out_q = [(b.tensors[i].scale, b.tensors[i].zero_point) for i in b.outputs]
    xs = samples(name, ins)
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
    it = interpreter(tfl, preserve=True)
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
    # Every operator whose output is a tensor of the .tflite is checked (but for two that
    # TFLite may not keep); the others write tinyml's own temporaries (the zero insertion of a
    # TRANSPOSE_CONV, a long concatenation in parts).
    names = {t.name for t in read_tflite(tfl).tensors}
    own = sum(1 for op in b.ops if b.tensors[op.outputs[0]].name not in names)
    assert checked >= len(b.ops) - own - 2


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
