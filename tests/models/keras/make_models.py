"""Build the small int8 Keras test models in this folder with TensorFlow's real converter.

Each model is a tiny tf.keras graph with deterministic random weights (no training), converted
by ``tf.lite.TFLiteConverter`` with full-integer post-training quantisation from a seeded random
representative dataset. One model per theme; together they cover the TFLite builtin ops tinyml
has to run. TensorFlow is not a tinyml dependency, so run this from a separate venv:

    /path/to/venv-with-tensorflow/bin/python tests/models/keras/make_models.py

It writes ``<name>.tflite`` next to this script and prints the operators of each model (only
the models named on the command line, if any: ``make_models.py wide_conv``).
The checked-in files were made with tensorflow-cpu 2.21.0 (Keras 3.15.1) on Python 3.11;
README.md has the op table. Reruns with the same versions give byte-identical files.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers, ops  # noqa: E402

HERE = Path(__file__).resolve().parent
SEED = 0
N_CALIBRATION = 50
CALIBRATION_LENGTH = 16  # stands in for unknown (None) non-batch dimensions when calibrating


def _randomize_small_weights(model: keras.Model, rng: np.random.Generator) -> None:
    """Give biases and PReLU slopes non-zero values (Keras initialises them to zero)."""
    for w in model.weights:
        if w.name in ("bias", "alpha"):
            w.assign(rng.uniform(-0.3, 0.3, size=tuple(w.shape)).astype(np.float32))


def _representative(model: keras.Model) -> Callable[[], Iterator[dict[str, np.ndarray]]]:
    """Seeded N(0, 1) calibration samples, keyed by input name (the converter may reorder)."""
    shapes = {t.name: (1, *(d or CALIBRATION_LENGTH for d in t.shape[1:])) for t in model.inputs}

    def gen() -> Iterator[dict[str, np.ndarray]]:
        rng = np.random.default_rng(SEED + 1)
        for _ in range(N_CALIBRATION):
            yield {name: rng.normal(size=s).astype(np.float32) for name, s in shapes.items()}

    return gen


def convert(model: keras.Model, int8_io: bool = True) -> bytes:
    """Full-integer post-training quantisation; int8 or float32 at the model's edges."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = _representative(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if int8_io:
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return bytes(converter.convert())


def _input(shape: tuple[int | None, ...], name: str, batch: int | None = 1) -> keras.KerasTensor:
    """batch=1 gives static shapes; batch=None keeps an unknown batch dimension in the graph."""
    return keras.Input(shape, batch_size=batch, name=name)


# ---- models ---------------------------------------------------------------------------------


def conv_zoo() -> keras.Model:
    """Convolution and pooling variants feeding a small classifier head."""
    x = inp = _input((8, 8, 4), "image")
    x = layers.ZeroPadding2D(((1, 0), (0, 1)))(x)  # PAD, asymmetric: 9x9
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)  # 5x5
    x = layers.Conv2D(8, (3, 1), padding="valid", activation="relu6")(x)  # 3x5
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(x)  # 3x5x16
    # With static shapes this is one CONV_2D with dilation 2; with an unknown batch the
    # converter leaves SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND -> ADD instead.
    x = layers.Conv2D(6, 3, dilation_rate=2, padding="same")(x)  # 3x5x6
    a = layers.AveragePooling2D(2, strides=1, padding="valid")(x)  # 2x4x6
    m = layers.MaxPooling2D((2, 3), strides=(1, 2), padding="same")(x)  # 3x3x6
    a = layers.GlobalAveragePooling2D()(a)
    m = layers.GlobalAveragePooling2D()(m)
    x = layers.Concatenate()([a, m])
    x = layers.Dense(5)(x)
    x = layers.Softmax()(x)
    return keras.Model(inp, x, name="conv_zoo")


def activations() -> keras.Model:
    """Standalone activations: their input has several users, so none is fused into the ADD."""
    x = inp = _input((4, 4, 8), "x")
    y = x + np.linspace(-1.0, 1.0, 8, dtype=np.float32)  # ADD, broadcast per-channel constant
    r = layers.ReLU()(y)
    r6 = layers.ReLU(max_value=6.0)(y)
    lk = layers.LeakyReLU(negative_slope=0.2)(y)
    sg = layers.Activation("sigmoid")(y)
    th = layers.Activation("tanh")(y)
    # PReLU is relu(x) - alpha * relu(-x); on y its relu(y) would be shared with r above, and
    # the converter only fuses the pattern into PRELU when that relu has a single user.
    pr = layers.PReLU(shared_axes=[1, 2])(th)
    hs = y * ops.relu6(y + 3.0) / 6.0  # hand-written hard swish, fused into HARD_SWISH
    mn = ops.minimum(r, lk)
    mx = ops.maximum(pr, sg)
    d = r6 - sg  # SUB
    x = layers.Concatenate()([mn, mx, d, hs])  # inputs on different scales: QUANTIZE
    return keras.Model(inp, x, name="activations")


def se_block() -> keras.Model:
    """Squeeze-excite, residual add, nearest upsampling and two outputs."""
    x = inp = _input((8, 8, 4), "image")
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    s = layers.GlobalAveragePooling2D(keepdims=True)(x)
    s = layers.Dense(4, activation="relu")(s)
    s = layers.Dense(8, activation="sigmoid")(s)
    y = layers.Multiply()([x, s])  # MUL broadcast 8x8x8 * 1x1x8
    y = layers.Add()([y, x])  # residual
    d = layers.MaxPooling2D(2)(y)
    # RESIZE_NEAREST_NEIGHBOR. Keras 3's UpSampling2D would give RESHAPE/TILE instead.
    u = layers.Resizing(8, 8, interpolation="nearest")(d)
    y = layers.Concatenate()([y, u])
    seg = layers.Conv2D(3, 1, name="seg")(y)
    cls = layers.Dense(4, activation="tanh", name="cls")(layers.GlobalAveragePooling2D()(y))
    return keras.Model(inp, [seg, cls], name="se_block")


def tensor_ops() -> keras.Model:
    """Shape manipulation on two inputs: slice, transpose, split, pack, unpack, reduce."""
    a = _input((6, 8), "a")
    b = _input((6, 4), "b")
    s = a[:, 1:5, ::2]  # STRIDED_SLICE: 4x4
    t = ops.transpose(b, (0, 2, 1))  # TRANSPOSE: 4x6
    t1, t2, t3 = ops.split(t, 3, axis=2)  # SPLIT: 3 x (4x2)
    p = ops.stack([t1, t2 * 2.0, t3], axis=1)  # PACK: 3x4x2
    u0, u1, u2 = ops.unstack(p, axis=1)  # UNPACK
    q = ops.concatenate([u0 + u2, s, u1], axis=2)  # 4x8
    q = ops.reshape(q, (1, 2, 16))
    m = ops.mean(q, axis=1)  # MEAN over a non-spatial axis: 16
    mk = ops.mean(a, axis=2)  # 6
    n = mk * ops.mean(b, axis=(1, 2), keepdims=True)[:, 0]
    out = layers.Dense(6)(ops.concatenate([m, n], axis=1))
    return keras.Model([a, b], out, name="tensor_ops")


def conv1d_float() -> keras.Model:
    """Conv1D (EXPAND_DIMS/SQUEEZE around CONV_2D), float32 input and output."""
    x = inp = _input((16, 3), "signal")
    x = layers.Conv1D(6, 3, strides=2, padding="same", activation="relu")(x)  # 8x6
    x = layers.Conv1D(6, 3, padding="valid")(x)  # 6x6
    x = layers.Flatten()(x)
    x = layers.Dense(4)(x)
    return keras.Model(inp, x, name="conv1d_float")


def conv1d_varlen() -> keras.Model:
    """Conv1D on an unknown batch and length: EXPAND_DIMS -> CONV_2D -> SQUEEZE.

    With only the batch unknown the converter turns the squeeze into RESHAPE; SQUEEZE survives
    only when a second dimension is unknown too. The stored shape is [1, 1, 3]: resize the
    input (e.g. to [1, 16, 3]) before use.
    """
    x = inp = _input((None, 3), "signal", batch=None)
    x = layers.Conv1D(4, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(2)(x)
    return keras.Model(inp, x, name="conv1d_varlen")


def flatten_dynamic() -> keras.Model:
    """Flatten with an unknown batch: SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE."""
    x = inp = _input((6, 6, 2), "image", batch=None)
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(3)(x)
    return keras.Model(inp, x, name="flatten_dynamic")


def dilated_dynamic() -> keras.Model:
    """dilation_rate with an unknown batch: SPACE_TO_BATCH_ND -> CONV_2D / DEPTHWISE_CONV_2D
    -> BATCH_TO_SPACE_ND (the converter's lowering of a dilated convolution)."""
    x = inp = _input((10, 10, 3), "image", batch=None)
    x = layers.Conv2D(4, 3, dilation_rate=2, padding="same", activation="relu")(x)
    x = layers.DepthwiseConv2D(3, dilation_rate=2, padding="valid")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(3)(x)
    return keras.Model(inp, x, name="dilated_dynamic")


def decoder() -> keras.Model:
    """An upsampling decoder: Conv2DTranspose with strides 2 (SAME, fused RELU), 2x1 (SAME,
    a 4x2 kernel) and 2 (VALID, a 2x2 kernel), with a convolution between."""
    x = inp = _input((4, 4, 8), "code")
    x = layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2D(6, 3, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(4, (4, 2), strides=(2, 1), padding="same")(x)
    x = layers.Conv2DTranspose(3, 2, strides=2, padding="valid")(x)
    return keras.Model(inp, x, name="decoder")


def recurrent() -> keras.Model:
    """Stacked recurrent layers, unrolled (a fixed sequence length): LSTM with
    return_sequences, then GRU. Unrolled, the converter lowers them to FULLY_CONNECTED,
    SPLIT, LOGISTIC, TANH, MUL and ADD per step (not unrolled, its int8 calibration crashes:
    tinyml's CLI says so)."""
    x = inp = _input((6, 4), "sequence")
    x = layers.LSTM(6, return_sequences=True, unroll=True)(x)
    x = layers.GRU(6, unroll=True)(x)
    x = layers.Dense(3)(x)
    return keras.Model(inp, x, name="recurrent")


def wide_conv() -> keras.Model:
    """Convolutions whose patches are longer than the four-pixel kernels take at once (3x3 over
    36 channels: 324 bytes; over 72 channels: 648, past the im2col buffer), with more output
    channels than one pass of partial sums holds (72 > 64)."""
    x = inp = _input((6, 9, 36), "features")
    x = layers.Conv2D(72, 3, padding="same", activation="relu")(x)  # 6x9x72
    x = layers.Conv2D(8, 3, padding="valid")(x)  # 4x7x8
    return keras.Model(inp, x, name="wide_conv")


UNSUPPORTED = HERE.parent / "unsupported"
# (builder, int8 input and output, folder)
MODELS: list[tuple[Callable[[], keras.Model], bool, Path]] = [
    (conv_zoo, True, HERE),
    (activations, True, HERE),
    (se_block, True, HERE),
    (tensor_ops, True, HERE),
    (conv1d_float, False, HERE),
    (conv1d_varlen, True, UNSUPPORTED),  # dynamic length: tinyml needs static shapes
    (flatten_dynamic, True, HERE),
    (dilated_dynamic, True, HERE),
    (decoder, True, HERE),
    (recurrent, True, HERE),
    (wide_conv, True, HERE),
]


def op_names(tflite: bytes) -> list[str]:
    """The distinct builtin operators of a converted model."""
    interp = tf.lite.Interpreter(model_content=tflite)
    return sorted({d["op_name"] for d in interp._get_ops_details()})


def main(names: list[str]) -> None:
    for build, int8_io, folder in MODELS:
        if names and build.__name__ not in names:
            continue
        keras.utils.set_random_seed(SEED)
        model = build()
        _randomize_small_weights(model, np.random.default_rng(SEED))
        data = convert(model, int8_io)
        path = folder / f"{model.name}.tflite"
        path.write_bytes(data)
        print(f"{path.name}: {len(data)} bytes: {' '.join(op_names(data))}")


if __name__ == "__main__":
    main(sys.argv[1:])
