"""The models the project checks itself on, and their inputs: the conformance suite (every
.tflite under models/, tests/models/ except tests/models/unsupported/, and ../shared/models/
where present, deduplicated by content), the int8 inputs each is run on, and the fuzzers'
seed models. The reports in scripts/ and the tests (through tests/conftest.py) both read it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
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
# The blob fuzzer's seeds (converted to blobs): every kernel kind, small enough for thousands
# of executions a second.
FUZZ_SEEDS = [*sorted((ROOT / "tests/models/keras").glob("*.tflite")),
              ROOT / "models/kws/kws.tflite",
              ROOT / "tests/models/mlperf_tiny/sww_wakeword.tflite"]


def samples(name: str, blob_inputs: list[tuple[tuple[int, ...], int]]) -> list[list[np.ndarray]]:
    """int8 inputs: the shipped KWS recordings, then seeded random ones."""
    xs: list[list[np.ndarray]] = []
    if name == "kws":
        data = np.fromfile(ROOT / "models/kws/samples.bin", np.int8)
        xs = [[x] for x in data.reshape(-1, int(np.prod(blob_inputs[0][0])))]
    rng = np.random.default_rng(1234)
    xs += [[rng.integers(-128, 128, int(np.prod(s)), dtype=np.int8) for s, _ in blob_inputs]
           for _ in range(N_RANDOM)]
    return xs
