"""A float or dynamic-range .tflite as a TensorFlow function, so that TensorFlow's converter can
quantize it to int8 with a representative dataset (`tinyml convert MODEL.tflite --data X.npy`).

TensorFlow has no .tflite importer: the graph is rebuilt here op by op from the reader's IR
(tflite_reader.py) with the TensorFlow op of the same semantics. Weights stored int8 (the
"dynamic range" models: int8 weights, float activations) or float16 are dequantized first, as
TFLite's own kernels read them. Runs only in the converter's child process (quantize.py):
TensorFlow is imported here and nowhere else in the host tools but there.

Only the float ops of ordinary CNN and MLP models are rebuilt; anything else is refused with
the list of the ops it lacks, before TensorFlow is asked to convert anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .graph import Graph, Op, Tensor

# The float ops rebuilt here (and DEQUANTIZE of int8/float16 constants).
SUPPORTED = (
    "ADD", "SUB", "MUL", "DIV", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
    "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "RESHAPE", "SQUEEZE", "SOFTMAX", "LOGISTIC",
    "TANH", "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "HARD_SWISH", "PAD", "PADV2",
    "CONCATENATION", "DEQUANTIZE", "MAXIMUM", "MINIMUM", "TRANSPOSE", "EXPAND_DIMS",
    "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR",
)  # fmt: skip


class FloatGraphError(ValueError):
    """The .tflite cannot be rebuilt as a float TensorFlow function; the message says why."""


def is_float_graph(g: Graph) -> bool:
    """Whether a .tflite takes and gives float tensors and computes in float (a float model,
    or a dynamic-range one: int8 or float16 weights, float activations)."""
    edges = [g.tensors[i] for i in (*g.inputs, *g.outputs)]
    return bool(edges) and all(t.dtype == "float32" for t in edges) and not any(
        op.kind == "QUANTIZE" for op in g.ops)


def check(g: Graph) -> None:
    """Raise FloatGraphError unless every op can be rebuilt."""
    missing = sorted({op.kind for op in g.ops if op.kind not in SUPPORTED})
    if missing:
        raise FloatGraphError(
            f"cannot re-quantize this float model: TensorFlow has no .tflite importer, and "
            f"tinyml rebuilds only common float ops, not {', '.join(missing)}; quantize the "
            f"original Keras/SavedModel model instead (tinyml convert MODEL.keras --data ...)")


def constant(t: Tensor) -> np.ndarray:
    """A constant's float value: int8/uint8 weights dequantized per tensor or per channel
    (scale x (q - zero point)), float16 widened, float32 and integer data as stored."""
    assert t.data is not None
    if t.dtype in ("int8", "uint8") and len(t.scale):
        shape = [1] * t.data.ndim
        if len(t.scale) > 1:
            shape[t.quantized_dim] = len(t.scale)
        scale = t.scale.astype(np.float64).reshape(shape)
        zp = t.zero_point.astype(np.float64).reshape(shape)
        return ((t.data.astype(np.float64) - zp) * scale).astype(np.float32)
    if t.dtype == "float16":
        return t.data.astype(np.float32)
    return t.data


def function(g: Graph, tf: Any) -> Callable[..., Any]:
    """The graph as a Python function of its float inputs (TensorFlow tensors), returning its
    outputs (one tensor, or a list for several), for tf.function."""
    check(g)

    def run(*xs: Any) -> Any:
        v: dict[int, Any] = dict(zip(g.inputs, xs, strict=True))

        def get(i: int) -> Any:
            if i not in v:
                t = g.tensors[i]
                if t.data is None:
                    raise FloatGraphError(f"tensor {i} ({t.name}) is read before it is made")
                v[i] = tf.constant(constant(t))
            return v[i]

        for op in g.ops:
            out = _op(tf, g, op, get)
            v[op.outputs[0]] = out
        outs = [get(i) for i in g.outputs]
        return outs[0] if len(outs) == 1 else outs

    return run


def _act(tf: Any, x: Any, name: object) -> Any:
    if name in (None, "NONE"):
        return x
    if name == "RELU":
        return tf.nn.relu(x)
    if name == "RELU6":
        return tf.nn.relu6(x)
    if name == "RELU_N1_TO_1":
        return tf.clip_by_value(x, -1.0, 1.0)
    raise FloatGraphError(f"unsupported fused activation {name}")


def _static(g: Graph, i: int) -> list[int]:
    t = g.tensors[i]
    if t.data is None:
        raise FloatGraphError(f"tensor {i} ({t.name}) must be a constant here")
    return [int(v) for v in np.asarray(t.data).ravel()]


def _op(tf: Any, g: Graph, op: Op, get: Callable[[int], Any]) -> Any:  # noqa: C901, PLR0911, PLR0912
    o, k = op.options, op.kind
    ins = op.inputs
    act = o.get("activation")
    out_shape = list(g.tensors[op.outputs[0]].shape)
    if k in ("ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM"):
        f = {"ADD": tf.add, "SUB": tf.subtract, "MUL": tf.multiply, "DIV": tf.divide,
             "MAXIMUM": tf.maximum, "MINIMUM": tf.minimum}[k]
        return _act(tf, f(get(ins[0]), get(ins[1])), act)
    if k == "CONV_2D":
        w = tf.transpose(get(ins[1]), (1, 2, 3, 0))  # OHWI -> HWIO
        y = tf.nn.conv2d(get(ins[0]), w, strides=(1, *o["stride"], 1), padding=o["padding"],
                         dilations=(1, *o["dilation"], 1))
        if len(ins) > 2 and ins[2] >= 0:
            y = y + get(ins[2])
        return _act(tf, y, act)
    if k == "DEPTHWISE_CONV_2D":
        x = get(ins[0])
        c = g.tensors[ins[0]].shape[3]
        f = g.tensors[ins[1]].shape  # 1 x H x W x (C * M)
        w = tf.reshape(get(ins[1]), (f[1], f[2], c, f[3] // c))
        y = tf.nn.depthwise_conv2d(x, w, strides=(1, *o["stride"], 1), padding=o["padding"],
                                   dilations=tuple(o["dilation"]))  # type: ignore[arg-type]
        if len(ins) > 2 and ins[2] >= 0:
            y = y + get(ins[2])
        return _act(tf, y, act)
    if k == "FULLY_CONNECTED":
        w = get(ins[1])  # [out, in]
        x = tf.reshape(get(ins[0]), (-1, g.tensors[ins[1]].shape[1]))
        y = tf.matmul(x, w, transpose_b=True)
        if len(ins) > 2 and ins[2] >= 0:
            y = y + get(ins[2])
        return tf.reshape(_act(tf, y, act), out_shape)
    if k in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        pool = tf.nn.avg_pool2d if k == "AVERAGE_POOL_2D" else tf.nn.max_pool2d
        y = pool(get(ins[0]), ksize=(1, *o["filter"], 1), strides=(1, *o["stride"], 1),
                 padding=o["padding"])
        return _act(tf, y, act)
    if k == "MEAN":
        return tf.reshape(tf.reduce_mean(get(ins[0]), axis=_static(g, ins[1]),
                                         keepdims=bool(o.get("keep_dims"))), out_shape)
    if k in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
        return tf.reshape(get(ins[0]), out_shape)
    if k == "SOFTMAX":
        return tf.nn.softmax(get(ins[0]) * float(o.get("beta", 1.0)))  # type: ignore[arg-type]
    if k == "LOGISTIC":
        return tf.sigmoid(get(ins[0]))
    if k == "TANH":
        return tf.tanh(get(ins[0]))
    if k in ("RELU", "RELU6", "RELU_N1_TO_1"):
        return _act(tf, get(ins[0]), k)
    if k == "LEAKY_RELU":
        return tf.nn.leaky_relu(get(ins[0]), alpha=float(o.get("alpha", 0.2)))  # type: ignore[arg-type]
    if k == "HARD_SWISH":
        x = get(ins[0])
        return x * tf.nn.relu6(x + 3.0) / 6.0
    if k in ("PAD", "PADV2"):
        pads = np.array(_static(g, ins[1])).reshape(-1, 2).tolist()
        value = 0.0
        if k == "PADV2" and len(ins) > 2 and ins[2] >= 0:
            value = float(np.asarray(constant(g.tensors[ins[2]])).ravel()[0])
        return tf.pad(get(ins[0]), pads, constant_values=value)
    if k == "CONCATENATION":
        return _act(tf, tf.concat([get(i) for i in ins], axis=int(o.get("axis", 0))), act)  # type: ignore[call-overload]
    if k == "DEQUANTIZE":  # of a constant (int8 or float16 weights); get() dequantizes
        if g.tensors[ins[0]].data is None:
            raise FloatGraphError(f"operator {op.index} (DEQUANTIZE) of an activation: not a "
                                  f"float model")
        return get(ins[0])
    if k == "TRANSPOSE":
        return tf.transpose(get(ins[0]), _static(g, ins[1]))
    if k in ("RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"):
        size = _static(g, ins[1])
        if k == "RESIZE_NEAREST_NEIGHBOR":
            return tf.compat.v1.image.resize_nearest_neighbor(
                get(ins[0]), size, align_corners=bool(o.get("align_corners")),
                half_pixel_centers=bool(o.get("half_pixel_centers")))
        return tf.compat.v1.image.resize_bilinear(
            get(ins[0]), size, align_corners=bool(o.get("align_corners")),
            half_pixel_centers=bool(o.get("half_pixel_centers")))
    raise FloatGraphError(f"operator {op.index} ({k}) cannot be rebuilt")
