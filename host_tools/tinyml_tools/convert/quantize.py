"""`tinyml quantize`: a float Keras model (.keras / .h5) or SavedModel directory to a
full-integer int8 .tflite, through TensorFlow's own converter with a representative dataset
(per-channel weights, int8 input and output, batch fixed to 1).

TensorFlow is an optional extra (pip install 'tinyml[quantize]'); nothing else in tinyml
imports it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

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


@contextlib.contextmanager
def _quiet(verbose: bool) -> Iterator[None]:
    """TensorFlow's chatter silenced: its C++ logs and prints go to the process's file
    descriptors 1 and 2 (so those are pointed at /dev/null for the duration), its Python prints
    and warnings to sys.stdout and the warnings module. Errors still arrive as exceptions."""
    if verbose:
        yield
        return
    sys.stdout.flush(), sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1), os.dup2(null, 2)
        with (open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink),
              contextlib.redirect_stderr(sink), warnings.catch_warnings()):
            warnings.simplefilter("ignore")
            yield
    finally:
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(saved[0], 1), os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def quantize(model_path: Path, calibration: list[np.ndarray], verbose: bool = False) -> bytes:
    """The int8 .tflite bytes of a float model, calibrated on the given samples. TensorFlow's
    logs are shown only if `verbose`."""
    with _quiet(verbose):
        return _quantize(model_path, calibration)


def _quantize(model_path: Path, calibration: list[np.ndarray]) -> bytes:
    tf = _tensorflow()
    if model_path.is_dir():
        converter = tf.lite.TFLiteConverter.from_saved_model(str(model_path))
        n_inputs = len(calibration)
    else:
        import keras

        try:
            model = keras.models.load_model(model_path, compile=False)
        except Exception as e:  # noqa: BLE001 - Keras raises many kinds on a bad file
            raise QuantizeError(f"{model_path}: cannot load the Keras model ({e})") from e
        n_inputs = len(model.inputs)
        # Batch 1, static: a dynamic batch makes the converter emit shape arithmetic.
        fixed = [keras.Input(batch_shape=(1, *t.shape[1:]), dtype="float32")
                 for t in model.inputs]
        outputs = model(fixed if n_inputs > 1 else fixed[0])
        converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(fixed, outputs))
        for spec, cal in zip(fixed, calibration, strict=False):
            if tuple(cal.shape[1:]) != tuple(spec.shape[1:]):
                raise QuantizeError(
                    f"calibration samples have shape {tuple(cal.shape[1:])}, the model input "
                    f"{tuple(spec.shape[1:])}"
                )
    if len(calibration) != n_inputs:
        raise QuantizeError(f"the model has {n_inputs} inputs, the calibration data "
                            f"{len(calibration)} arrays")

    def representative() -> Iterator[list[np.ndarray]]:
        for i in range(len(calibration[0])):
            yield [a[i : i + 1] for a in calibration]

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    try:
        return bytes(converter.convert())
    except Exception as e:  # noqa: BLE001 - the converter's errors are long and varied
        raise QuantizeError(f"TensorFlow's converter failed: {str(e).splitlines()[0]}") from e
