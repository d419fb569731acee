"""Lowering of element-wise operators: ADD, SUB, MUL, MINIMUM, MAXIMUM, PRELU (broadcasting
kernels), and every int8 -> int8 unary operator as a 256-entry table (LUT kernel)."""

from __future__ import annotations

import numpy as np

from ..format.blob import BOp
from . import luts
from . import quantmath as qm
from .graph import Op
from .lowering import ConversionError, Lowering, scalar_q, where

F32 = np.float32


def broadcast_words(k: int, op: Op, a: tuple[int, ...], b: tuple[int, ...],
                    out: tuple[int, ...]) -> dict[str, list[int]]:
    """The broadcast words: output dims (4) and the element strides of each input (4 + 4),
    0 where broadcast."""
    if len(out) > 4 or len(a) > 4 or len(b) > 4:
        raise ConversionError(f"{where(k, op)}: broadcasting beyond 4 dimensions")
    o4 = (1,) * (4 - len(out)) + tuple(out)

    def strides(s: tuple[int, ...]) -> list[int]:
        s4 = (1,) * (4 - len(s)) + tuple(s)
        st, acc = [0] * 4, 1
        for d in range(3, -1, -1):
            if s4[d] not in (1, o4[d]):
                raise ConversionError(f"{where(k, op)}: shapes {a} and {b} do not broadcast")
            st[d] = acc if s4[d] != 1 else 0
            acc *= s4[d]
        return st

    return {"dims": list(o4), "stride1": strides(a), "stride2": strides(b)}


def _binary_inputs(lw: Lowering, k: int, op: Op) -> dict[str, list[int]]:
    for i in op.inputs:
        lw.int8(k, op, i)
    lw.act(k, op, op.outputs[0])
    return broadcast_words(k, op, lw.t(op.inputs[0]).shape, lw.t(op.inputs[1]).shape,
                           lw.t(op.outputs[0]).shape)


def add_sub(lw: Lowering, k: int, op: Op) -> list[BOp]:
    bc = _binary_inputs(lw, k, op)
    (sa, za), (sb, zb) = scalar_q(lw.t(op.inputs[0])), scalar_q(lw.t(op.inputs[1]))
    so, zo = scalar_q(lw.t(op.outputs[0]))
    left_shift = 20
    # As TFLite's Prepare: float32 max and products (exact: powers of two), then doubles.
    twice_max = float(F32(2) * max(F32(sa), F32(sb)))
    m1 = qm.quantize_multiplier(sa / twice_max, lw.rounding)
    m2 = qm.quantize_multiplier(sb / twice_max, lw.rounding)
    real_out = twice_max / float(F32(1 << left_shift) * F32(so))
    if real_out >= 1.0:
        raise ConversionError(
            f"{where(k, op)}: output scale {so} too small for the inputs' scales (TFLite's "
            "kernel refuses it too)"
        )
    mo = qm.quantize_multiplier(real_out, lw.rounding)
    act_min, act_max = lw.activation_range(k, op, lw.t(op.outputs[0]))
    return [BOp.build("ADD", [lw.tensor(op.inputs[0]), lw.tensor(op.inputs[1])],
                      [lw.tensor(op.outputs[0])], **bc, in1_offset=-za, in2_offset=-zb,
                      out_offset=zo, left_shift=left_shift, in1_mult=m1[0], in1_shift=m1[1],
                      in2_mult=m2[0], in2_shift=m2[1], out_mult=mo[0], out_shift=mo[1],
                      act_min=act_min, act_max=act_max,
                      subtract=1 if op.kind == "SUB" else 0)]


def mul(lw: Lowering, k: int, op: Op) -> list[BOp]:
    bc = _binary_inputs(lw, k, op)
    (sa, za), (sb, zb) = scalar_q(lw.t(op.inputs[0])), scalar_q(lw.t(op.inputs[1]))
    so, zo = scalar_q(lw.t(op.outputs[0]))
    m = qm.quantize_multiplier(float(F32(sa) * F32(sb) / F32(so)), lw.rounding)
    act_min, act_max = lw.activation_range(k, op, lw.t(op.outputs[0]))
    return [BOp.build("MUL", [lw.tensor(op.inputs[0]), lw.tensor(op.inputs[1])],
                      [lw.tensor(op.outputs[0])], **bc, in1_offset=-za, in2_offset=-zb,
                      out_offset=zo, mult=m[0], shift=m[1], act_min=act_min,
                      act_max=act_max)]


def min_max(lw: Lowering, k: int, op: Op) -> list[BOp]:
    bc = _binary_inputs(lw, k, op)
    return [BOp.build(op.kind, [lw.tensor(op.inputs[0]), lw.tensor(op.inputs[1])],
                      [lw.tensor(op.outputs[0])], **bc)]


def prelu(lw: Lowering, k: int, op: Op) -> list[BOp]:
    x, y = lw.act(k, op, op.inputs[0]), lw.act(k, op, op.outputs[0])
    alpha = lw.int8(k, op, op.inputs[1])
    if tuple(x.shape) != tuple(y.shape):
        raise ConversionError(f"{where(k, op)}: output shape must equal the input's")
    bc = broadcast_words(k, op, x.shape, alpha.shape, y.shape)
    (si, zi), (sa, za), (so, zo) = scalar_q(x), scalar_q(alpha), scalar_q(y)
    m1 = qm.quantize_multiplier(float(F32(si) / F32(so)), lw.rounding)
    m2 = qm.quantize_multiplier(float(F32(si) * F32(sa) / F32(so)), lw.rounding)
    return [BOp.build("PRELU", [lw.tensor(op.inputs[0]), lw.tensor(op.inputs[1])],
                      [lw.tensor(op.outputs[0])], **bc, in_offset=-zi, alpha_offset=-za,
                      out_offset=zo, mult_pos=m1[0], shift_pos=m1[1], mult_neg=m2[0],
                      shift_neg=m2[1])]


def lut(lw: Lowering, k: int, op: Op) -> list[BOp]:
    x, y = lw.act(k, op, op.inputs[0]), lw.act(k, op, op.outputs[0])
    (si, zi), (so, zo) = scalar_q(x), scalar_q(y)
    r = lw.rounding
    if op.kind == "QUANTIZE":
        table = luts.requantize(si, zi, so, zo, r)
    elif op.kind == "RELU6" and lw.mode == "tflm":
        table = luts.relu6_tflm(si, zi)
    elif op.kind in ("RELU", "RELU6", "RELU_N1_TO_1"):
        table = luts.relu(op.kind, si, zi, so, zo, r)
    elif op.kind == "LEAKY_RELU":
        table = luts.leaky_relu(float(op.options.get("alpha", 0.2)), si, zi, so, zo, r)
    elif op.kind == "LOGISTIC":
        table = luts.logistic(si, zi, so, zo)
    elif op.kind == "TANH":
        table = luts.tanh(si, zi, so, zo)
    elif op.kind == "HARD_SWISH":
        try:
            table = luts.hard_swish(si, zi, so, zo)
        except ValueError as e:
            raise ConversionError(f"{where(k, op)}: {e}") from e
    else:  # pragma: no cover - the dispatch table sends only the kinds above
        raise ConversionError(f"{where(k, op)}: no table for {op.kind}")
    return [BOp.build("LUT", [lw.tensor(op.inputs[0])], [lw.tensor(op.outputs[0])],
                      table=table)]


def dequantize(lw: Lowering, k: int, op: Op) -> list[BOp]:
    raise ConversionError(
        f"{where(k, op)}: DEQUANTIZE inside the graph produces float tensors; tinyml folds it "
        "only at a model output"
    )
