"""A NumPy int8 forward pass of a blob, for the training reference: TFLite's integer arithmetic
(the operator semantics docs/blob-format.md gives, with the blob's own requantization
multipliers, shifts and rounding flags), written apart from the C core it is compared with.

It runs the operators the backbone of bias and sparse training passes through, and those below
it in the digits and KWS models: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D
and RESHAPE. Any other kind is a ValueError. Integer sums are in int64: exact.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..convert.fixedpoint import mbqm, wrap32
from ..convert.quantmath import AWAY, DOUBLE, SINGLE
from ..format.blob import OP_FLAG_DOUBLE_ROUNDING, OP_FLAG_ROUND_AWAY, Blob, BOp
from ..format.layout import HEADER

KINDS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "RESHAPE")


def rounding(op: BOp) -> str:
    """The requantization rounding an operator's flags ask for."""
    if op.flags & OP_FLAG_DOUBLE_ROUNDING:
        return DOUBLE
    return AWAY if op.flags & OP_FLAG_ROUND_AWAY else SINGLE


class Int8Forward:
    """Runs a blob's operators on int8 inputs; `requant(k)` gives operator k's multipliers and
    shifts (one pair per output channel, or one for the tensor)."""

    def __init__(self, model: bytes, blob: Blob) -> None:
        self.model, self.blob = model, blob
        self._data = HEADER.unpack_from(model, 0)["data_off"]

    def _i32(self, off: int, n: int) -> np.ndarray:
        return np.frombuffer(self.model, "<i4", count=n, offset=self._data + off).astype(np.int64)

    def requant(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        op = self.blob.ops[k]
        p = op.p
        w = self.blob.tensors[op.inputs[1]]
        if op.kind == "FULLY_CONNECTED":
            n = w.shape[0] if p["per_channel"] else 1
        else:
            n = w.shape[3] if op.kind == "DEPTHWISE_CONV_2D" else w.shape[0]
        return self._i32(p["mult_off"], n), self._i32(p["shift_off"], n)

    def const(self, t: int, override: Mapping[int, np.ndarray]) -> np.ndarray:
        """Constant tensor t (int8 or int32) as int64, or its override."""
        if t in override:
            return np.asarray(override[t], np.int64)
        return self.blob.tensors[t].values().astype(np.int64)

    def run(self, x: np.ndarray, end: int, override: Mapping[int, np.ndarray] | None = None
            ) -> dict[int, np.ndarray]:
        """Operators 0 .. end - 1 on the int8 input x; every tensor computed, by index (int64
        arrays of their shapes). override: constant tensors replaced (updated biases and
        weights)."""
        over = override or {}
        b = self.blob
        t_in = b.inputs[0]
        env = {t_in: np.asarray(x, np.int64).reshape(b.tensors[t_in].shape)}
        for k in range(end):
            op = b.ops[k]
            if op.kind not in KINDS:
                raise ValueError(f"operator {k}: the NumPy forward pass has no {op.kind}")
            out = b.tensors[op.outputs[0]]
            xin = env[op.inputs[0]]
            if op.kind == "RESHAPE":
                y = xin.reshape(out.shape)
            elif op.kind == "AVERAGE_POOL_2D":
                y = _avg_pool(xin, op.p, out.shape)
            else:
                bias = None
                if len(op.inputs) > 2 and op.inputs[2] >= 0:
                    bias = self.const(op.inputs[2], over)
                w = self.const(op.inputs[1], over)
                mult, shift = self.requant(k)
                if op.kind == "FULLY_CONNECTED":
                    acc = _fully_connected(xin, w, bias, op.p, out.shape)
                else:
                    acc = _conv(xin, w, bias, op.p, out.shape, op.kind == "DEPTHWISE_CONV_2D")
                y = _output_stage(acc, mult, shift, rounding(op), op.p)
            env[op.outputs[0]] = y
        return env


def _output_stage(acc: np.ndarray, mult: np.ndarray, shift: np.ndarray, mode: str,
                  p: Mapping[str, int]) -> np.ndarray:
    """Requantize each output channel's int32 accumulator (last axis), add the output zero
    point (int32 wrap-around, as the reference kernels' int32 addition), clamp to the fused
    activation."""
    out = np.empty_like(acc)
    for c in range(acc.shape[-1]):
        i = c if len(mult) > 1 else 0
        out[..., c] = mbqm(acc[..., c], int(mult[i]), int(shift[i]), mode)
    return np.clip(wrap32(out + p["out_offset"]), p["act_min"], p["act_max"])


def _fully_connected(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None,
                     p: Mapping[str, int], shape: tuple[int, ...]) -> np.ndarray:
    units, depth = w.shape
    acc = (x.reshape(-1, depth) + p["in_offset"]) @ (w + p["filter_offset"]).T
    if bias is not None:
        acc = acc + bias
    return acc.reshape(*shape[:-1], units)


def _conv(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, p: Mapping[str, int],
          shape: tuple[int, ...], depthwise: bool) -> np.ndarray:
    """CONV_2D (filter [out_c, kh, kw, in_c]) or DEPTHWISE_CONV_2D (filter [1, kh, kw, out_c],
    out_c = in_c x depth_mult) over NHWC: cells outside the input add nothing."""
    n, h, wd, _ = x.shape
    _, oh, ow, oc = shape
    kh, kw = w.shape[1], w.shape[2]
    sh, sw, dh, dw = p["stride_h"], p["stride_w"], p["dil_h"], p["dil_w"]
    ph, pw = p["pad_h"], p["pad_w"]
    # Zero-padded (x + input offset), large enough for every window.
    hp = max(h + ph, (oh - 1) * sh + (kh - 1) * dh + 1)
    wp = max(wd + pw, (ow - 1) * sw + (kw - 1) * dw + 1)
    xp = np.zeros((n, hp, wp, x.shape[3]), np.int64)
    xp[:, ph:ph + h, pw:pw + wd, :] = x + p["in_offset"]
    if depthwise:
        xp = np.repeat(xp, p["depth_mult"], axis=3)
    acc = np.zeros((n, oh, ow, oc), np.int64)
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            win = xp[:, y0:y0 + (oh - 1) * sh + 1:sh, x0:x0 + (ow - 1) * sw + 1:sw, :]
            if depthwise:
                acc += win * w[0, ky, kx, :]
            else:
                acc += win @ w[:, ky, kx, :].T
    if bias is not None:
        acc += bias
    return acc


def _avg_pool(x: np.ndarray, p: Mapping[str, int], shape: tuple[int, ...]) -> np.ndarray:
    """The mean over each window's cells inside the input, rounded half away from zero (C's
    truncating division of sum +- count / 2), clamped; no zero point: input and output share
    their quantization."""
    n, h, wd, c = x.shape
    _, oh, ow, _ = shape
    out = np.zeros((n, oh, ow, c), np.int64)
    for oy in range(oh):
        y0 = oy * p["stride_h"] - p["pad_h"]
        ys = slice(max(y0, 0), min(y0 + p["filter_h"], h))
        for ox in range(ow):
            x0 = ox * p["stride_w"] - p["pad_w"]
            xs = slice(max(x0, 0), min(x0 + p["filter_w"], wd))
            cells = x[:, ys, xs, :]
            count = cells.shape[1] * cells.shape[2]
            acc = cells.sum(axis=(1, 2))
            half = count // 2
            q = np.where(acc > 0, (acc + half) // count, -((-acc + half) // count))
            out[:, oy, ox, :] = q
    return np.clip(out, p["act_min"], p["act_max"])
