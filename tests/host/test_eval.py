"""`tinyml eval` and `tinyml verify --data` on a labelled data set: the shipped KWS recordings
(models/kws/samples.bin, their words in samples.txt). The accuracy and confusion matrix equal
what TFLite's reference interpreter predicts on the same int8 inputs, on the host simulator and
on the unix port; floats are quantized as the board's net.quantize does; uint8 is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from opcheck import reference

import tinyml
from runtimes import ROOT

KWS = ROOT / "models/kws"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tinyml_tools.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


@pytest.fixture(scope="module")
def kws_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray,
                                                                np.ndarray]:
    d = tmp_path_factory.mktemp("kws")
    x = np.frombuffer((KWS / "samples.bin").read_bytes(), np.int8).reshape(-1, 1, 49, 10, 1)
    names = (KWS / "labels.txt").read_text().split()
    y = np.array([names.index(w) for w in (KWS / "samples.txt").read_text().split()])
    np.save(d / "x.npy", x)
    np.save(d / "y.npy", y)
    return d / "x.npy", d / "y.npy", x, y


def _tflite_confusion(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    tfl = (KWS / "kws.tflite").read_bytes()
    m = np.zeros((12, 12), np.int64)
    for xi, yi in zip(x, y, strict=True):
        out = np.frombuffer(reference(tfl, [xi])[0], np.int8)
        m[yi, out.argmax()] += 1
    return m


@pytest.mark.parametrize("board", ["host", "unix"])
def test_eval_equals_tflite(board: str, kws_set: tuple[Path, Path, np.ndarray, np.ndarray]
                            ) -> None:
    xp, yp, x, y = kws_set
    p = _cli("eval", KWS / "kws.bin", "--board", board, "--data", xp, "--labels", yp, "--json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    want = _tflite_confusion(x, y)
    assert r["confusion"] == want.tolist()
    assert (r["samples"], r["correct"], r["host_mismatches"]) == (24, int(np.trace(want)), 0)
    assert r["classes"] == (KWS / "labels.txt").read_text().split()


def test_eval_table_and_floats(kws_set: tuple[Path, Path, np.ndarray, np.ndarray],
                               tmp_path: Path) -> None:
    """Floats go through the input's quantization, as net.quantize does on the board: the
    dequantized recordings give back the very same predictions."""
    xp, yp, x, y = kws_set
    net = tinyml.load((KWS / "kws.bin").read_bytes())
    scale, zp = net._in_q[0]
    np.save(tmp_path / "f.npy", ((x.astype(np.float64) - zp) * scale).astype(np.float32))
    p = _cli("eval", KWS / "kws.bin", "--board", "host", "--data", tmp_path / "f.npy",
             "--labels", yp)
    assert p.returncode == 0, p.stderr
    correct = int(np.trace(_tflite_confusion(x, y)))
    flat = " ".join(p.stdout.split())  # the table and the summary, wrapped to the terminal
    assert "confusion (rows: true class, columns: predicted)" in flat
    assert flat.endswith(f"kws.bin on host: {correct}/24 correct ({correct / 24:.1%}); every "
                         "output byte equal to the host simulator's")


def test_uint8_data_is_refused_with_the_way_forward(
        kws_set: tuple[Path, Path, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    _, yp, x, _ = kws_set
    np.save(tmp_path / "u8.npy", (x.astype(np.int16) + 128).astype(np.uint8))
    p = _cli("eval", KWS / "kws.bin", "--board", "host", "--data", tmp_path / "u8.npy",
             "--labels", yp)
    assert p.returncode == 1
    assert p.stderr.strip().splitlines()[-1] == (
        f"Error: {tmp_path / 'u8.npy'}: input 0 is uint8; give int8 (the model's raw input "
        "bytes) or floats (quantized with the input's scale). For uint8 pixels of a model "
        "trained on [0, 1] inputs with zero point -128, pass (pixels - 128) as int8")


def test_bad_shapes_and_labels(kws_set: tuple[Path, Path, np.ndarray, np.ndarray],
                               tmp_path: Path) -> None:
    xp, yp, x, y = kws_set
    np.save(tmp_path / "short.npy", x.reshape(24, -1)[:, :100])
    p = _cli("eval", KWS / "kws.bin", "--board", "host", "--data", tmp_path / "short.npy",
             "--labels", yp)
    assert p.stderr.strip().endswith("input 0 needs samples of shape (1, 49, 10, 1) (490 values "
                                     "each), got an array of shape (24, 100)")
    np.save(tmp_path / "y13.npy", np.full(24, 12))
    p = _cli("eval", KWS / "kws.bin", "--board", "host", "--data", xp, "--labels",
             tmp_path / "y13.npy")
    assert p.stderr.strip().endswith("labels must lie in 0..11 (the model's 12 outputs)")


def test_verify_on_given_inputs(kws_set: tuple[Path, Path, np.ndarray, np.ndarray]) -> None:
    xp = kws_set[0]
    p = _cli("verify", KWS / "kws.bin", "--board", "unix", "--data", xp)
    assert (p.returncode, p.stdout) == (0, "kws.bin on unix: 24/24 inputs bit-exact with the "
                                            "host\n"), p.stderr
