"""What every operator lowering shares: the conversion error, where an operator is in the
graph, per-tensor quantization, the rounding mode of each operator, and the Lowering state (the
blob tensors made so far). lower, lower_elementwise and lower_layout build on this module; it
imports none of them."""

from __future__ import annotations

import numpy as np

from ..format.blob import BTensor
from . import quantmath as qm
from .graph import Graph, Op, Tensor


class ConversionError(ValueError):
    """The model cannot be converted; the message says what and where."""


def where(k: int, op: Op) -> str:
    """Where op is in the .tflite graph (its original index, before any rewrite)."""
    return f"operator {op.index if op.index >= 0 else k} ({op.kind})"


def scalar_q(t: Tensor) -> tuple[float, int]:
    if len(t.scale) != 1:
        raise ConversionError(f"tensor '{t.name}' must be quantized per tensor")
    return float(t.scale[0]), int(t.zero_point[0])


# How TFLite's reference resolver rounds requantization, per operator (measured against
# ai-edge-litert's BUILTIN_REF): FULLY_CONNECTED requantizes in double precision with one
# rounding, ties away from zero; every other operator uses gemmlowp's double rounding.
# TensorFlow Lite Micro rounds twice everywhere (checked against the tflite-micro package).
ROUNDING_MODES = ("tflite", "tflm")
_AWAY_ROUNDING_OPS = {"tflite": {"FULLY_CONNECTED"}, "tflm": set()}


def op_rounding(kind: str, mode: str) -> str:
    if mode not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {mode!r}; choose from {ROUNDING_MODES}")
    return qm.AWAY if kind in _AWAY_ROUNDING_OPS[mode] else qm.DOUBLE


class Lowering:
    """State shared by the operator lowerings: the blob tensors made so far."""

    def __init__(self, g: Graph, mode: str) -> None:
        self.g = g
        self.mode = mode
        self.rounding = qm.DOUBLE
        self.index: dict[int, int] = {}
        self.tensors: list[BTensor] = []

    def t(self, i: int) -> Tensor:
        return self.g.tensors[i]

    def tensor(self, i: int) -> int:
        """Blob index of graph tensor i (added on first use)."""
        if i < 0:
            return -1
        if i in self.index:
            return self.index[i]
        t = self.g.tensors[i]
        if t.dtype not in ("int8", "int32"):
            raise ConversionError(
                f"tensor '{t.name}' is {t.dtype}: tinyml runs fully int8-quantized models "
                "(quantize the model with int8 inputs and outputs)"
            )
        if len(t.shape) > 4:
            raise ConversionError(f"tensor '{t.name}' has rank {len(t.shape)}: at most 4")
        scale, zp = (float(t.scale[0]), int(t.zero_point[0])) if len(t.scale) == 1 else (0.0, 0)
        shape = t.shape if t.shape else (1,)
        const = None
        if t.data is not None:
            const = np.ascontiguousarray(t.data, dtype="<" + t.data.dtype.str[1:]).tobytes()
        self.tensors.append(BTensor(t.name, t.dtype, tuple(shape), scale, zp, const))
        self.index[i] = len(self.tensors) - 1
        return self.index[i]

    def new_tensor(self, like: int, shape: tuple[int, ...], name: str) -> int:
        """A fresh arena tensor with graph tensor `like`'s quantization."""
        s, z = scalar_q(self.t(like))
        self.tensors.append(BTensor(name, "int8", shape, s, z))
        return len(self.tensors) - 1

    def act(self, k: int, op: Op, i: int) -> Tensor:
        t = self.t(i)
        if t.dtype != "int8" or t.is_const:
            raise ConversionError(f"{where(k, op)}: tensor '{t.name}' must be an int8 activation")
        return t

    def int8(self, k: int, op: Op, i: int) -> Tensor:
        t = self.t(i)
        if t.dtype != "int8":
            raise ConversionError(f"{where(k, op)}: tensor '{t.name}' must be int8")
        scalar_q(t)
        return t

    def const(self, k: int, op: Op, i: int, what: str) -> np.ndarray:
        t = self.t(i)
        if t.data is None:
            raise ConversionError(f"{where(k, op)}: {what} must be a constant")
        return t.data

    def activation_range(self, k: int, op: Op, y: Tensor) -> tuple[int, int]:
        act = str(op.options.get("activation", "NONE"))
        if act == "UNSUPPORTED":
            raise ConversionError(f"{where(k, op)}: unsupported fused activation")
        s, z = scalar_q(y)
        return qm.activation_range(act, s, z)
