"""The models users download (issue 19): a float or "dynamic range" .tflite (int8 weights, float
activations) quantized by `tinyml convert MODEL.tflite --data X.npy` through TensorFlow's
converter, from the float graph rebuilt op by op (convert/float_graph.py), into a blob
bit-exact with TFLite's reference kernels; the errors that say which flag is missing; a crash
of TensorFlow's converter reported, not suffered; and .tflite files that leave optional fields
out read as the valid files they are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from opcheck import reference
from tflite_builder import ModelBuilder

import tinyml
from runtimes import ROOT
from tinyml_tools.convert import convert_model
from tinyml_tools.convert.tflite_reader import read_tflite

TINYML = [sys.executable, "-m", "tinyml_tools.cli"]
keras = pytest.importorskip("keras", reason="the [quantize] extra (TensorFlow) is not installed")
tf = pytest.importorskip("tensorflow")
from ai_edge_litert.interpreter import Interpreter  # noqa: E402


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TINYML, *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small image classifier in Keras, and TensorFlow's float and dynamic-range .tflite of
    it (the dynamic-range one stores its dense layer's 2,048 weights as int8), with
    calibration samples."""
    d = tmp_path_factory.mktemp("float")
    keras.utils.set_random_seed(11)
    inp = keras.Input((16, 16, 3), batch_size=1)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = keras.layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)
    x = keras.layers.Conv2D(16, 1)(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(8, activation="relu")(x)
    x = keras.layers.Dense(5, activation="softmax")(x)
    model = keras.Model(inp, x)
    out = {"keras": d / "cnn.keras", "float": d / "float.tflite",
           "dynamic": d / "dynamic.tflite", "cal": d / "cal.npy"}
    model.save(out["keras"])
    np.save(out["cal"], np.random.default_rng(5).random((48, 16, 16, 3), dtype=np.float32))
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    out["float"].write_bytes(c.convert())
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    out["dynamic"].write_bytes(c.convert())
    return out


def test_the_test_models_are_float_and_dynamic_range(models: dict[str, Path]) -> None:
    for kind, weights in (("float", {"float32"}), ("dynamic", {"float32", "int8"})):
        g = read_tflite(models[kind].read_bytes())
        assert [g.tensors[i].dtype for i in (*g.inputs, *g.outputs)] == ["float32"] * 2
        assert {t.dtype for t in g.tensors if t.is_const and t.dtype != "int32"} == weights


@pytest.mark.parametrize("kind", ["float", "dynamic"])
def test_float_tflite_quantized_with_data(kind: str, models: dict[str, Path],
                                          tmp_path: Path) -> None:
    """convert MODEL.tflite --data: the blob of the int8 .tflite that `tinyml quantize` makes of
    it, bit-exact with TFLite's reference kernels on the host simulator, and its dequantized
    scores close to the float model's."""
    blob, tfl = tmp_path / "m.bin", tmp_path / "m.tflite"
    p = run("convert", str(models[kind]), "--data", str(models["cal"]), "-o", str(blob))
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    p = run("quantize", str(models[kind]), "--data", str(models["cal"]), "-o", str(tfl))
    assert p.returncode == 0, p.stderr
    assert blob.read_bytes() == convert_model(tfl.read_bytes(), models[kind].stem)[0]
    g = read_tflite(tfl.read_bytes())
    assert [g.tensors[i].dtype for i in (*g.inputs, *g.outputs)] == ["int8", "int8"]
    assert [op.kind for op in g.ops] == ["CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D",
                                         "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED",
                                         "FULLY_CONNECTED", "SOFTMAX"]
    net = tinyml.load(blob.read_bytes())
    interp = Interpreter(str(models["float"]))  # the float model's own scores
    interp.allocate_tensors()
    xs = np.load(models["cal"])
    agree = 0
    for x in xs[:24]:
        q = net.quantize(x.ravel())
        raw = net.predict_raw(q)
        assert raw == reference(tfl.read_bytes(), [np.frombuffer(q, np.int8).reshape(
            net.input_shape)])[0]
        scale, zero = net.output_quant
        ours = (np.frombuffer(raw, np.int8).astype(np.float64) - zero) * scale
        interp.set_tensor(interp.get_input_details()[0]["index"], x[None])
        interp.invoke()
        want = interp.get_tensor(interp.get_output_details()[0]["index"])[0]
        assert np.abs(ours - want).max() < 0.05
        agree += int(np.argmax(ours) == np.argmax(want))
    assert agree >= 22


def test_float_tflite_without_data_says_which_flag(models: dict[str, Path],
                                                   tmp_path: Path) -> None:
    for kind in ("float", "dynamic"):
        p = run("convert", str(models[kind]), "-o", str(tmp_path / "x.bin"))
        assert p.returncode == 1
        assert p.stderr == (
            f"Error: {models[kind]}: a float .tflite (float activations: a float or "
            f"dynamic-range model); tinyml runs int8 models: add --data CALIB.npy (samples of "
            f"its input) to quantize it\n")


def test_data_with_an_int8_tflite_is_refused(tmp_path: Path) -> None:
    kws = ROOT / "models/kws/kws.tflite"
    cal = tmp_path / "cal.npy"
    np.save(cal, np.zeros((2, 49, 10, 1), np.float32))
    p = run("convert", str(kws), "--data", str(cal), "-o", str(tmp_path / "x.bin"))
    assert p.returncode == 1
    assert p.stderr == (f"Error: {kws}: this .tflite is already int8: --data is for float "
                        f"models (and --sparse-update); leave it out\n")


def test_ops_that_cannot_be_rebuilt_are_named(tmp_path: Path) -> None:
    m = ModelBuilder()
    x = m.tensor((1, 4), "float32")
    y = m.tensor((1, 4), "float32")
    m.op("EXP", [x], [y])
    path = tmp_path / "exp.tflite"
    path.write_bytes(m.build([x], [y]))
    cal = tmp_path / "cal.npy"
    np.save(cal, np.zeros((2, 4), np.float32))
    p = run("convert", str(path), "--data", str(cal), "-o", str(tmp_path / "x.bin"))
    assert p.returncode == 1
    assert p.stderr == (
        f"Error: {path}: cannot re-quantize this float model: TensorFlow has no .tflite "
        f"importer, and tinyml rebuilds only common float ops, not EXP; quantize the original "
        f"Keras/SavedModel model instead (tinyml convert MODEL.keras --data ...)\n")


def test_a_converter_crash_is_reported(tmp_path: Path) -> None:
    """A Keras LSTM that is not unrolled makes this TensorFlow's int8 calibration crash with
    a segmentation fault: the CLI reports it and says what to do, and the unrolled layer
    converts."""
    keras.utils.set_random_seed(2)
    cal = tmp_path / "seq.npy"
    np.save(cal, np.random.default_rng(1).random((8, 10, 4), dtype=np.float32))
    for unroll in (False, True):
        inp = keras.Input((10, 4), batch_size=1)
        y = keras.layers.Dense(3)(keras.layers.LSTM(8, unroll=unroll, name="lstm")(inp))
        path = tmp_path / f"lstm_{unroll}.keras"
        keras.Model(inp, y).save(path)
        p = run("convert", str(path), "--data", str(cal), "-o", str(tmp_path / "l.bin"))
        if unroll:
            assert p.returncode == 0, p.stderr
        else:
            assert p.returncode == 1
            assert p.stderr == (
                f"Error: TensorFlow's converter crashed (signal 11, SIGSEGV) on {path}. Its "
                f"int8 calibration crashes on recurrent layers that are not unrolled (here: "
                f"LSTM 'lstm'): build them with unroll=True (a fixed sequence length), then "
                f"convert again.\n")


def _fc_model(minimal: bool) -> bytes:
    m = ModelBuilder()
    x = m.tensor((1, 6), scale=0.05, zero_point=-3)
    w = m.const(np.arange(-12, 12).reshape(4, 6), "int8", scale=0.02)
    b = m.const(np.array([5, -5, 100, 0]), "int32", scale=0.001)
    y = m.tensor((1, 4), scale=0.1, zero_point=2)
    m.op("FULLY_CONNECTED", [x, w, b], [y])
    z = m.tensor((1, 4), scale=0.1, zero_point=2)
    m.op("RELU", [y], [z])
    return m.build([x], [z], minimal=minimal)


def test_optional_fields_may_be_absent() -> None:
    """No tensor names, no description, no operator versions, no buffer index on activations:
    still a valid .tflite (TFLite runs it), read as such, converted to the same blob."""
    full, minimal = _fc_model(False), _fc_model(True)
    assert len(minimal) < len(full)
    g = read_tflite(minimal)
    assert [t.name for t in g.tensors] == [""] * 5
    assert g.description == ""
    assert convert_model(minimal, "fc")[0] == convert_model(full, "fc")[0]
    net = tinyml.load(convert_model(minimal, "fc")[0])
    x = np.arange(-3, 3, dtype=np.int8).reshape(1, 6)
    assert net.predict_raw(x.tobytes()) == reference(minimal, [x])[0]


def test_a_float_island_of_data_movement_folds_to_int8(tmp_path: Path) -> None:
    """int8 -> DEQUANTIZE -> SPLIT in float -> QUANTIZE to the same parameters (what
    TensorFlow's converter made of an unrolled Keras LSTM in about one conversion of three) runs
    as an int8 SPLIT, with TFLite's bytes; a QUANTIZE to other parameters stays refused."""
    for same in (True, False):
        m = ModelBuilder()
        x = m.tensor((1, 8), scale=0.05, zero_point=-3)
        f = m.tensor((1, 8), "float32")
        m.op("DEQUANTIZE", [x], [f])
        axis = m.const(np.array(1), "int32")
        halves = [m.tensor((1, 4), "float32") for _ in range(2)]
        m.op("SPLIT", [axis, f], halves, ("SplitOptions", {"NumSplits": 2}))
        qs = [m.tensor((1, 4), scale=0.05 if same else 0.04, zero_point=-3) for _ in range(2)]
        for h, q in zip(halves, qs, strict=True):
            m.op("QUANTIZE", [h], [q])
        y = m.tensor((1, 4), scale=0.1, zero_point=1)
        m.op("ADD", [qs[0], qs[1]], [y], ("AddOptions", {}))
        tfl = m.build([x], [y])
        if not same:
            with pytest.raises(ValueError, match="DEQUANTIZE inside the graph"):
                convert_model(tfl, "island")
            continue
        net = tinyml.load(convert_model(tfl, "island")[0])
        names = tinyml.OP_NAMES.split()  # the int8 SPLIT: a strided copy per half
        assert [names[net.op_info(k).kind] for k in range(net.ops)] == [
            "STRIDED_COPY", "STRIDED_COPY", "ADD"]
        rng = np.random.default_rng(9)
        for _ in range(20):
            v = rng.integers(-128, 128, (1, 8), dtype=np.int8)
            assert net.predict_raw(v.tobytes()) == reference(tfl, [v])[0]
