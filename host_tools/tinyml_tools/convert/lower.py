"""Lower the graph IR to blob operators: choose kernels, precompute every requantization
constant, table and index map, and drop what the device does not need (e.g. RESHAPE's shape
input). Element-wise and data-movement operators live in lower_elementwise and lower_layout."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..format.blob import (
    OP_FLAG_DOUBLE_ROUNDING,
    OP_FLAG_ROUND_AWAY,
    Blob,
    BOp,
    find_head,
)
from . import lower_elementwise as ew
from . import lower_layout as lay
from . import quantmath as qm
from .graph import Graph, Op
from .graph_passes import RewriteError, rewrite
from .lowering import ConversionError, Lowering, op_rounding, scalar_q, where
from .planner import plan

# (minimum, maximum) number of inputs of each supported .tflite operator; None: any number.
ARITY: dict[str, tuple[int, int | None]] = {
    "ADD": (2, 2), "SUB": (2, 2), "MUL": (2, 2), "MINIMUM": (2, 2), "MAXIMUM": (2, 2),
    "AVERAGE_POOL_2D": (1, 1), "MAX_POOL_2D": (1, 1), "CONV_2D": (2, 3),
    "DEPTHWISE_CONV_2D": (2, 3), "FULLY_CONNECTED": (2, 3), "RESHAPE": (1, 2),
    "SQUEEZE": (1, 1), "EXPAND_DIMS": (2, 2), "SOFTMAX": (1, 1), "LOGISTIC": (1, 1),
    "TANH": (1, 1), "HARD_SWISH": (1, 1), "LEAKY_RELU": (1, 1), "RELU": (1, 1),
    "RELU6": (1, 1), "RELU_N1_TO_1": (1, 1), "PRELU": (2, 2), "QUANTIZE": (1, 1),
    "DEQUANTIZE": (1, 1), "MEAN": (2, 2), "CONCATENATION": (1, None), "PACK": (1, None),
    "UNPACK": (1, 1), "SPLIT": (2, 2), "SPLIT_V": (3, 3), "PAD": (2, 2), "PADV2": (3, 3),
    "STRIDED_SLICE": (4, 4), "SLICE": (3, 3), "TRANSPOSE": (2, 2), "TILE": (2, 2),
    "INDEX_MAP": (1, 1),
    "RESIZE_NEAREST_NEIGHBOR": (2, 2),
}
# The TFLite operators a model may have: those lowered here (but INDEX_MAP, which only
# graph_passes makes), and those graph_passes rewrites into them.
SUPPORTED_OPS = tuple(sorted({*ARITY, "TRANSPOSE_CONV"} - {"INDEX_MAP"}))
# Operators that may have several outputs.
_MULTI_OUTPUT = {"SPLIT", "SPLIT_V", "UNPACK"}
_FLAGS = {qm.DOUBLE: OP_FLAG_DOUBLE_ROUNDING, qm.AWAY: OP_FLAG_ROUND_AWAY, qm.SINGLE: 0}


def conv(lw: Lowering, k: int, op: Op) -> list[BOp]:
    x, y = lw.act(k, op, op.inputs[0]), lw.act(k, op, op.outputs[0])
    w = lw.t(op.inputs[1])
    b = lw.t(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    if w.dtype != "int8" or not w.is_const or len(w.shape) != 4:
        raise ConversionError(f"{where(k, op)}: filter must be constant int8 [4-D]")
    if np.any(w.zero_point != 0):
        raise ConversionError(f"{where(k, op)}: filter zero point must be 0")
    if b is not None and (b.dtype != "int32" or not b.is_const):
        raise ConversionError(f"{where(k, op)}: bias must be constant int32")
    dw = op.kind == "DEPTHWISE_CONV_2D"
    o = op.options
    (sh, sw), (dh, dwl) = o["stride"], o["dilation"]  # type: ignore[misc]
    _, in_h, in_w, in_c = x.shape
    _, kh, kw, _ = w.shape
    out_c = y.shape[3]
    if "explicit_pad" in o:
        pad_h, pad_w = o["explicit_pad"]  # type: ignore[misc]
    elif o["padding"] == "SAME":
        _, pad_h = qm.same_padding(in_h, kh, sh, dh)
        _, pad_w = qm.same_padding(in_w, kw, sw, dwl)
    else:
        pad_h = pad_w = 0
    in_s, in_zp = scalar_q(x)
    out_s, out_zp = scalar_q(y)
    w_scales = w.scale if len(w.scale) == out_c else np.repeat(w.scale, out_c)
    mults, shifts = qm.per_channel_requant(in_s, w_scales, out_s, lw.rounding)
    act_min, act_max = lw.activation_range(k, op, y)
    extra = {}
    if dw:
        if out_c % in_c:
            raise ConversionError(f"{where(k, op)}: output channels not a multiple of input")
        extra["depth_mult"] = out_c // in_c
    return [BOp.build(
        op.kind, [lw.tensor(op.inputs[0]), lw.tensor(op.inputs[1]),
                  lw.tensor(op.inputs[2]) if b is not None else -1],
        [lw.tensor(op.outputs[0])],
        stride_h=sh, stride_w=sw, dil_h=dh, dil_w=dwl, pad_h=pad_h, pad_w=pad_w,
        in_offset=-in_zp, out_offset=out_zp, act_min=act_min, act_max=act_max,
        mult=mults, shift=shifts, **extra,
    )]


def fully_connected(lw: Lowering, k: int, op: Op) -> list[BOp]:
    x, y = lw.act(k, op, op.inputs[0]), lw.act(k, op, op.outputs[0])
    w = lw.t(op.inputs[1])
    b = lw.t(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    if w.dtype != "int8" or not w.is_const or len(w.shape) != 2:
        raise ConversionError(f"{where(k, op)}: weights must be constant int8 [2-D]")
    if b is not None and (b.dtype != "int32" or not b.is_const):
        raise ConversionError(f"{where(k, op)}: bias must be constant int32")
    in_s, in_zp = scalar_q(x)
    out_s, out_zp = scalar_q(y)
    per_channel = len(w.scale) > 1
    w_zp = int(w.zero_point[0]) if len(w.zero_point) else 0
    mults, shifts = qm.per_channel_requant(in_s, w.scale, out_s, lw.rounding)
    act_min, act_max = lw.activation_range(k, op, y)
    return [BOp.build(
        op.kind, [lw.tensor(op.inputs[0]), lw.tensor(op.inputs[1]),
                  lw.tensor(op.inputs[2]) if b is not None else -1],
        [lw.tensor(op.outputs[0])],
        weight_scales=tuple(float(np.float32(s)) for s in w.scale) if w_zp == 0 else (),
        in_offset=-in_zp, filter_offset=-w_zp, out_offset=out_zp, act_min=act_min,
        act_max=act_max, mult=mults, shift=shifts,
        per_channel=1 if per_channel else 0,
    )]


def pool(lw: Lowering, k: int, op: Op) -> list[BOp]:
    x, y = lw.act(k, op, op.inputs[0]), lw.act(k, op, op.outputs[0])
    if op.kind == "AVERAGE_POOL_2D" and scalar_q(x) != scalar_q(y):
        raise ConversionError(f"{where(k, op)}: input and output quantization differ")
    o = op.options
    (sh, sw), (fh, fw) = o["stride"], o["filter"]  # type: ignore[misc]
    if o["padding"] == "SAME":
        _, pad_h = qm.same_padding(x.shape[1], fh, sh, 1)
        _, pad_w = qm.same_padding(x.shape[2], fw, sw, 1)
    else:
        pad_h = pad_w = 0
    act_min, act_max = lw.activation_range(k, op, y)
    return [BOp.build(op.kind, [lw.tensor(op.inputs[0])], [lw.tensor(op.outputs[0])],
                      stride_h=sh, stride_w=sw, filter_h=fh, filter_w=fw, pad_h=pad_h,
                      pad_w=pad_w, act_min=act_min, act_max=act_max)]


def reshape(lw: Lowering, k: int, op: Op) -> list[BOp]:
    x, y = lw.act(k, op, op.inputs[0]), lw.act(k, op, op.outputs[0])
    if scalar_q(x) != scalar_q(y):
        raise ConversionError(f"{where(k, op)}: input and output quantization differ")
    return [BOp("RESHAPE", [lw.tensor(op.inputs[0])], [lw.tensor(op.outputs[0])])]


def softmax(lw: Lowering, k: int, op: Op) -> list[BOp]:
    x, y = lw.act(k, op, op.inputs[0]), lw.act(k, op, op.outputs[0])
    in_s, _ = scalar_q(x)
    if scalar_q(y) != (1.0 / 256.0, -128):
        raise ConversionError(f"{where(k, op)}: int8 softmax output must be 1/256, -128")
    mult, shift, diff_min = qm.softmax_params(float(op.options["beta"]), in_s, lw.rounding)
    return [BOp.build(op.kind, [lw.tensor(op.inputs[0])], [lw.tensor(op.outputs[0])],
                      mult=mult, left_shift=shift, diff_min=diff_min)]


def _dispatch() -> dict[str, Callable[[Lowering, int, Op], list[BOp]]]:
    return {
        "CONV_2D": conv, "DEPTHWISE_CONV_2D": conv, "FULLY_CONNECTED": fully_connected,
        "AVERAGE_POOL_2D": pool, "MAX_POOL_2D": pool, "RESHAPE": reshape, "SOFTMAX": softmax,
        "ADD": ew.add_sub, "SUB": ew.add_sub, "MUL": ew.mul, "MINIMUM": ew.min_max,
        "MAXIMUM": ew.min_max, "PRELU": ew.prelu, "LOGISTIC": ew.lut, "TANH": ew.lut,
        "HARD_SWISH": ew.lut, "LEAKY_RELU": ew.lut, "RELU": ew.lut, "RELU6": ew.lut,
        "RELU_N1_TO_1": ew.lut, "QUANTIZE": ew.lut, "DEQUANTIZE": ew.dequantize,
        "MEAN": lay.mean, "CONCATENATION": lay.concat, "PACK": lay.concat,
        "PAD": lay.pad, "PADV2": lay.pad, "STRIDED_SLICE": lay.gather, "SLICE": lay.gather,
        "TRANSPOSE": lay.gather, "TILE": lay.gather, "INDEX_MAP": lay.gather,
        "SPLIT": lay.gather, "SPLIT_V": lay.gather,
        "UNPACK": lay.gather, "RESIZE_NEAREST_NEIGHBOR": lay.resize_nearest,
    }


def _check_indices(g: Graph) -> None:
    n = len(g.tensors)
    for k, op in enumerate(g.ops):
        if any(i >= n for i in op.inputs) or not op.outputs or \
                any(not 0 <= i < n for i in op.outputs):
            raise ConversionError(
                f"{where(k, op)}: malformed: inputs {op.inputs}, outputs {op.outputs}"
            )
    if any(not 0 <= i < n for i in [*g.inputs, *g.outputs]):
        raise ConversionError("malformed model: input or output index out of range")
    for t in g.tensors:  # before anything sizes arrays by them
        if any(d < 0 or d > 0xFFFF for d in t.shape) or math.prod(t.shape) > (1 << 24):
            raise ConversionError(
                f"tensor '{t.name}' has shape {list(t.shape)}: beyond tinyml's limits (65535 "
                "per dimension, 2^24 elements)"
            )
    for i in g.inputs:
        t = g.tensors[i]
        # A dynamic batch (dimension 0) runs as batch 1; any other dynamic size has no value.
        if any(d < 0 for d in t.signature[1:]):
            raise ConversionError(
                f"model input '{t.name}' has dynamic shape {list(t.signature)}: tinyml needs "
                "static shapes; export the model with a fixed input size (e.g. "
                "keras.Input(shape=(16, 3)))"
            )


def _check_supported(g: Graph) -> None:
    for k, op in enumerate(g.ops):
        if op.kind not in ARITY:
            raise ConversionError(
                f"unsupported operator {op.kind} at {where(k, op)}, "
                f"inputs {[g.tensors[i].name for i in op.inputs if 0 <= i < len(g.tensors)]}; "
                f"supported: {', '.join(SUPPORTED_OPS)}"
            )
        lo, hi = ARITY[op.kind]
        n_out_ok = len(op.outputs) >= 1 if op.kind in _MULTI_OUTPUT else len(op.outputs) == 1
        if not lo <= len(op.inputs) <= (hi if hi is not None else 1 << 16) or not n_out_ok or \
                any(i >= len(g.tensors) or (i < 0 and j < lo) for j, i in enumerate(op.inputs)) \
                or any(not 0 <= i < len(g.tensors) for i in op.outputs):
            raise ConversionError(
                f"{where(k, op)}: malformed: inputs {op.inputs}, outputs {op.outputs}"
            )


def lower(g: Graph, name: str, labels: list[str], rounding: str = "tflite",
          reuse_memory: bool = True) -> Blob:
    _check_indices(g)
    try:
        rewrite(g)
    except RewriteError as e:
        raise ConversionError(str(e)) from e
    _check_supported(g)
    for i in [*g.inputs, *g.outputs]:
        t = g.tensors[i]
        if t.dtype != "int8":
            raise ConversionError(
                f"model {'input' if i in g.inputs else 'output'} '{t.name}' is {t.dtype}: "
                "tinyml needs int8 model inputs and outputs (or float ones that the model "
                "quantizes and dequantizes at its edges)"
            )
    lw = Lowering(g, rounding)
    dispatch = _dispatch()
    ops: list[BOp] = []
    for k, op in enumerate(g.ops):
        lw.rounding = op_rounding(op.kind, rounding)
        for bop in dispatch[op.kind](lw, k, op):
            bop.flags = _FLAGS[lw.rounding]
            ops.append(bop)
    for bop in ops:  # parameter words are int32 in the blob
        bad = [w for w in bop.params if isinstance(w, int) and not -(1 << 31) <= w < (1 << 31)]
        if bad:
            raise ConversionError(f"{bop.kind}: parameter {bad[0]} out of range (the model's "
                                  "options are corrupt or unsupported)")
    inputs = [lw.tensor(i) for i in g.inputs]
    outputs = [lw.tensor(i) for i in g.outputs]
    if labels:
        n_out = int(np.prod(lw.tensors[outputs[0]].shape))
        if len(labels) != n_out:
            raise ConversionError(f"{len(labels)} labels given for {n_out} outputs")
    arena, ops = plan(lw.tensors, ops, inputs, outputs, reuse_memory)
    return Blob(name, labels, lw.tensors, ops, inputs, outputs, arena,
                head=find_head(ops, lw.tensors))
