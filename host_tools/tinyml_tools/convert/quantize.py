"""`tinyml quantize`: a float Keras model (.keras / .h5), SavedModel directory, or float or
dynamic-range .tflite to a full-integer int8 .tflite, through TensorFlow's own converter with a
representative dataset (per-channel weights, int8 input and output, batch fixed to 1), in a
child process.

TensorFlow is an optional extra (pip install 'tinyml[quantize]'); nothing else in tinyml
imports it, and this module only in that child.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


class QuantizeError(ValueError):
    """The model or the calibration data cannot be quantized; the message says why."""


def is_float_model(path: Path) -> bool:
    return path.is_dir() or path.suffix in (".keras", ".h5")


def load_calibration(path: Path) -> list[np.ndarray]:
    """One float32 array per model input, each [samples, *input shape without batch]: a .npy
    file for single-input models, a .npz (arrays in input order) for several inputs."""
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise QuantizeError(f"{path}: not a .npy/.npz array file ({e})") from e
    arrays = [data[k] for k in data.files] if isinstance(data, np.lib.npyio.NpzFile) else [data]
    if not arrays or any(a.ndim < 1 or len(a) == 0 for a in arrays):
        raise QuantizeError(f"{path}: calibration data must hold at least one sample per input")
    if len({len(a) for a in arrays}) != 1:
        raise QuantizeError(f"{path}: every input needs the same number of samples")
    return [np.asarray(a, np.float32) for a in arrays]


def _tensorflow():  # noqa: ANN202 - optional dependency
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    try:
        import tensorflow as tf
    except ImportError as e:
        raise QuantizeError(
            "quantizing a float model needs TensorFlow: pip install 'tinyml[quantize]'"
        ) from e
    return tf


class ConverterCrash(QuantizeError):
    """TensorFlow's converter killed its process; the message names the model itself."""


def needs_quantizing(tfl: bytes) -> bool:
    """Whether a .tflite computes in float (a float model, or a dynamic-range one: int8 or
    float16 weights, float activations), so that tinyml can run it only once quantized."""
    from .float_graph import is_float_graph
    from .tflite_reader import read_tflite

    return is_float_graph(read_tflite(tfl))


def quantize(model_path: Path, calibration: list[np.ndarray], verbose: bool = False) -> bytes:
    """The int8 .tflite bytes of a float model (Keras, SavedModel, or a float or dynamic-range
    .tflite), calibrated on the given samples. TensorFlow's converter runs in a child process:
    it can crash (a segmentation fault on some recurrent Keras layers), and a crash there is a
    ConverterCrash with what to try, never a dead CLI. Its logs are shown only if `verbose`."""
    with tempfile.TemporaryDirectory(prefix="tinyml-quantize-") as d:
        cal, out, err = Path(d) / "calibration.npz", Path(d) / "int8.tflite", Path(d) / "error"
        np.savez(cal, *calibration)
        sink = None if verbose else subprocess.DEVNULL
        env = dict(os.environ)
        if not verbose:
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        p = subprocess.run([sys.executable, "-m", __name__, str(model_path), str(cal), str(out),
                            str(err)], stdout=sink, stderr=sink, env=env, check=False)
        if p.returncode == 0 and out.exists():
            return out.read_bytes()
        if err.exists():
            raise QuantizeError(err.read_text())
        if p.returncode < 0:
            raise ConverterCrash(_crash_message(model_path, -p.returncode))
        raise QuantizeError(f"TensorFlow's converter exited with status {p.returncode}"
                            + ("" if verbose else " (--verbose shows its logs)"))


def _crash_message(model_path: Path, sig: int) -> str:
    try:
        name = f"signal {sig}, {signal.Signals(sig).name}"
    except ValueError:
        name = f"signal {sig}"
    msg = f"TensorFlow's converter crashed ({name}) on {model_path}"
    rnn = _recurrent_layers(model_path)
    if rnn:
        return (f"{msg}. Its int8 calibration crashes on recurrent layers that are not "
                f"unrolled (here: {', '.join(rnn)}): build them with unroll=True (a fixed "
                f"sequence length), then convert again.")
    return (f"{msg}. Try --verbose to see TensorFlow's last logs, or the model saved as a "
            f"SavedModel folder (model.export(DIR)).")


_RECURRENT = ("LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")


def _recurrent_layers(model_path: Path) -> list[str]:
    """The recurrent layers of a Keras model file that are not unrolled ("LSTM 'name'"),
    read from its configuration (nothing is imported, nothing run)."""
    import json
    import zipfile

    try:
        if model_path.suffix == ".keras":
            with zipfile.ZipFile(model_path) as z:
                config = json.loads(z.read("config.json"))
        elif model_path.suffix == ".h5":
            import h5py  # comes with TensorFlow

            with h5py.File(model_path, "r") as f:
                config = json.loads(f.attrs["model_config"])
        else:
            return []
    except Exception:  # noqa: BLE001 - only a hint: an unreadable config gives none
        return []
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            layer = node.get("config")
            if node.get("class_name") in _RECURRENT and isinstance(layer, dict) \
                    and not layer.get("unroll"):
                found.append(f"{node['class_name']} '{layer.get('name', '?')}'")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(config)
    return found


def _child(argv: list[str]) -> int:
    """The converter's child process: MODEL CALIBRATION.npz OUT.tflite ERROR. Writes the int8
    model to OUT, or the reason it cannot to ERROR (status 2)."""
    model_path, cal, out, err = (Path(a) for a in argv)
    with np.load(cal, allow_pickle=False) as z:
        calibration = [z[f"arr_{i}"] for i in range(len(z.files))]
    try:
        if model_path.suffix == ".tflite":
            tfl = _quantize_tflite(model_path, calibration)
        else:
            tfl = _quantize(model_path, calibration)
    except QuantizeError as e:
        err.write_text(str(e))
        return 2
    out.write_bytes(tfl)
    return 0


def _quantize(model_path: Path, calibration: list[np.ndarray]) -> bytes:
    tf = _tensorflow()
    if model_path.is_dir():
        converter = tf.lite.TFLiteConverter.from_saved_model(str(model_path))
    else:
        import keras

        try:
            model = keras.models.load_model(model_path, compile=False)
        except Exception as e:  # noqa: BLE001 - Keras raises many kinds on a bad file
            raise QuantizeError(f"cannot load the Keras model ({e})") from e
        # Batch 1, static: a dynamic batch makes the converter emit shape arithmetic.
        fixed = [keras.Input(batch_shape=(1, *t.shape[1:]), dtype="float32")
                 for t in model.inputs]
        outputs = model(fixed if len(fixed) > 1 else fixed[0])
        converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(fixed, outputs))
        _check_shapes([tuple(spec.shape[1:]) for spec in fixed], calibration)
    return _convert(tf, converter, calibration)


def _check_shapes(inputs: list[tuple[int, ...]], calibration: list[np.ndarray]) -> None:
    if len(calibration) != len(inputs):
        raise QuantizeError(f"the model has {len(inputs)} inputs, the calibration data "
                            f"{len(calibration)} arrays")
    for shape, cal in zip(inputs, calibration, strict=True):
        if tuple(cal.shape[1:]) != tuple(shape):
            raise QuantizeError(f"calibration samples have shape {tuple(cal.shape[1:])}, the "
                                f"model input {tuple(shape)}")


def _quantize_tflite(model_path: Path, calibration: list[np.ndarray]) -> bytes:
    """A float or dynamic-range .tflite rebuilt as a TensorFlow function (float_graph.py),
    checked against TFLite's own interpreter on the first samples when it is all float, and
    quantized like a Keras model."""
    from .float_graph import FloatGraphError, function, is_float_graph
    from .tflite_reader import ModelFormatError, read_tflite

    buf = model_path.read_bytes()
    try:
        g = read_tflite(buf)
    except ModelFormatError as e:
        raise QuantizeError(str(e)) from e
    if not is_float_graph(g):
        raise QuantizeError("this .tflite is already quantized: convert it without --data")
    shapes = [g.tensors[i].shape for i in g.inputs]
    if any(len(s) == 0 or s[0] != 1 for s in shapes):
        raise QuantizeError(f"the model's inputs must have batch 1 (they are {shapes})")
    _check_shapes([s[1:] for s in shapes], calibration)
    tf = _tensorflow()
    try:
        fn = tf.function(function(g, tf),
                         input_signature=[tf.TensorSpec(s, tf.float32) for s in shapes])
        concrete = fn.get_concrete_function()
        if all(t.dtype == "float32" for t in g.tensors if t.data is not None):
            _same_as_tflite(tf, buf, g, fn, calibration)
    except FloatGraphError as e:
        raise QuantizeError(str(e)) from e
    return _convert(tf, tf.lite.TFLiteConverter.from_concrete_functions([concrete]),
                    calibration)


def _same_as_tflite(tf: Any, buf: bytes, g: Any, fn: Any, calibration: list[np.ndarray]) -> None:
    """The rebuilt function against TFLite's interpreter on the .tflite itself, on up to four
    samples: a rebuilt op that differs would quantize another model."""
    from .float_graph import FloatGraphError

    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # TensorFlow's own, deprecated in its favour
        Interpreter = tf.lite.Interpreter  # noqa: N806
    interp = Interpreter(model_content=buf)
    interp.allocate_tensors()
    details = {d["index"]: d for d in interp.get_input_details()}
    for n in range(min(4, len(calibration[0]))):
        xs = [cal[n:n + 1].astype(np.float32) for cal in calibration]
        for i, x in zip(g.inputs, xs, strict=True):
            interp.set_tensor(details[i]["index"], x)
        interp.invoke()
        ours = fn(*xs)
        ours = ours if isinstance(ours, list) else [ours]
        for i, y in zip(g.outputs, ours, strict=True):
            want = interp.get_tensor(i)
            err = float(np.max(np.abs(np.asarray(y) - want))) if want.size else 0.0
            if err > 1e-4 * max(1.0, float(np.max(np.abs(want)))):
                raise FloatGraphError(f"the float graph rebuilt from the .tflite differs from "
                                      f"TFLite's interpreter (by {err:.3g}); cannot "
                                      f"re-quantize it")


def _convert(tf: Any, converter: Any, calibration: list[np.ndarray]) -> bytes:
    def representative() -> Iterator[list[np.ndarray]]:
        for i in range(len(calibration[0])):
            yield [a[i : i + 1].astype(np.float32) for a in calibration]

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    try:
        return bytes(converter.convert())
    except Exception as e:  # noqa: BLE001 - the converter's errors are long and varied
        raise QuantizeError(f"TensorFlow's converter failed: {str(e).splitlines()[0]}") from e


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
