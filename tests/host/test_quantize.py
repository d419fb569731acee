"""`tinyml quantize` and `tinyml convert MODEL.keras --data`: a float Keras model from a
classroom notebook, through TensorFlow's converter, to a blob bit-exact with TFLite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from opcheck import assert_bit_exact, reference

import tinyml
from runtimes import ROOT
from tinyml_tools.convert import convert_model
from tinyml_tools.convert.tflite_reader import read_tflite

TINYML = [sys.executable, "-m", "tinyml_tools.cli"]
keras = pytest.importorskip("keras", reason="the [quantize] extra (TensorFlow) is not installed")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TINYML, *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def float_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small gesture classifier as a student would write it (unknown batch, float I/O)."""
    d = tmp_path_factory.mktemp("keras")
    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.Input((20, 3)),
        keras.layers.Conv1D(8, 3, activation="relu"),
        keras.layers.MaxPooling1D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(4, activation="softmax"),
    ])
    path = d / "gesture.keras"
    model.save(path)
    cal = d / "calib.npy"
    np.save(cal, np.random.default_rng(0).normal(size=(64, 20, 3)).astype(np.float32))
    return path, cal


def test_quantize_then_convert(float_model: tuple[Path, Path], tmp_path: Path) -> None:
    model, cal = float_model
    out = tmp_path / "gesture.tflite"
    p = run("quantize", str(model), "--data", str(cal), "-o", str(out))
    assert p.returncode == 0, p.stderr
    # One line of result; TensorFlow's logs and prints only with --verbose.
    assert (p.stdout, p.stderr) == (f"{out}: {out.stat().st_size} bytes, int8 (calibrated on "
                                    f"{cal})\n", "")
    v = run("quantize", str(model), "--data", str(cal), "-o", str(tmp_path / "v.tflite"), "-v")
    assert v.returncode == 0 and len((v.stdout + v.stderr).splitlines()) > 3, v.stderr
    g = read_tflite(out.read_bytes())
    assert [g.tensors[i].dtype for i in [*g.inputs, *g.outputs]] == ["int8", "int8"]
    assert g.tensors[g.inputs[0]].shape == (1, 20, 3)  # batch fixed to 1
    conv_w = next(g.tensors[op.inputs[1]] for op in g.ops if op.kind == "CONV_2D")
    assert len(conv_w.scale) == 8  # per-channel weights
    assert_bit_exact(out.read_bytes(), np.random.default_rng(3), n=20)


def test_convert_float_model_directly(float_model: tuple[Path, Path], tmp_path: Path) -> None:
    """convert MODEL.keras --data: the blob of the int8 .tflite that `tinyml quantize` makes
    (TensorFlow's converter gives the same bytes for the same model and samples), and that
    blob on the host simulator equals TFLite's reference kernels byte for byte."""
    model, cal = float_model
    blob = tmp_path / "gesture.bin"
    p = run("convert", str(model), "--data", str(cal), "-o", str(blob))
    assert p.returncode == 0, p.stderr
    tfl = tmp_path / "gesture.tflite"
    assert run("quantize", str(model), "--data", str(cal), "-o", str(tfl)).returncode == 0
    assert blob.read_bytes() == convert_model(tfl.read_bytes(), "gesture")[0]
    net = tinyml.load(blob.read_bytes())
    rng = np.random.default_rng(4)
    for _ in range(20):
        x = rng.integers(-128, 128, net.input_shape, dtype=np.int8)
        assert net.predict_raw(x.tobytes()) == reference(tfl.read_bytes(), [x])[0]
    p = run("convert", str(model), "-o", str(tmp_path / "x.bin"))
    assert p.returncode == 1
    assert "a float model needs --data CALIB.npy to be quantized" in p.stderr


def test_calibration_shape_mismatch(float_model: tuple[Path, Path], tmp_path: Path) -> None:
    model, _ = float_model
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((4, 10, 3), np.float32))
    p = run("quantize", str(model), "--data", str(bad), "-o", str(tmp_path / "x.tflite"))
    assert p.returncode == 1
    assert "calibration samples have shape (10, 3), the model input (20, 3)" in p.stderr
    assert "Traceback" not in p.stderr
