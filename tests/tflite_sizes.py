"""Sizes a test derives from a .tflite by itself, to check tinyml's figures against: read with
the `tflite` flatbuffer package (not tinyml's reader), with the rules docs/blob-format.md
states (4-byte aligned arena buffers, RESHAPE aliases, which operators may run in place and
their scratch), never with tinyml's converter or planner.

For models whose operators run one after another (no branches), in the model's order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator

_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
# Operators whose weights and bias the blob stores (a RESHAPE's shape constant it drops).
_WEIGHTED = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}
# Element-wise kinds the blob may run over their own input (int8 -> int8 tables included).
_ELEMENTWISE = {"ADD", "MUL", "MINIMUM", "MAXIMUM", "PRELU", "LOGISTIC", "TANH", "RELU",
                "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "HARD_SWISH", "QUANTIZE"}


def _align(n: int) -> int:
    return (n + 3) // 4 * 4


@dataclass
class Op:
    kind: str
    inputs: list[int]  # activation (non-constant) inputs
    consts: list[int]  # constant inputs
    output: int
    options: object


class Model:
    def __init__(self, data: bytes) -> None:
        m = tflite.Model.GetRootAsModel(data, 0)
        g = m.Subgraphs(0)
        self.bytes = [int(np.prod(g.Tensors(i).ShapeAsNumpy())) * _itemsize(g.Tensors(i))
                      for i in range(g.TensorsLength())]
        self.shapes = [tuple(int(d) for d in g.Tensors(i).ShapeAsNumpy())
                       for i in range(g.TensorsLength())]
        const = {i for i in range(g.TensorsLength())
                 if m.Buffers(g.Tensors(i).Buffer()).DataLength() > 0}
        self.inputs = [int(i) for i in g.InputsAsNumpy()]
        self.outputs = [int(i) for i in g.OutputsAsNumpy()]
        self.ops: list[Op] = []
        for k in range(g.OperatorsLength()):
            op = g.Operators(k)
            oc = m.OperatorCodes(op.OpcodeIndex())
            kind = _NAMES[max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())]
            ins = [int(i) for i in op.InputsAsNumpy() if i >= 0]
            (out,) = (int(o) for o in op.OutputsAsNumpy())
            self.ops.append(Op(kind, [i for i in ins if i not in const],
                               [i for i in ins if i in const], out, _options(kind, op)))

    def weight_bytes(self) -> int:
        """The weights and biases of the convolutions and fully connected layers."""
        return sum(self.bytes[c] for op in self.ops if op.kind in _WEIGHTED for c in op.consts)

    def _lifetimes(self) -> tuple[dict[int, int], dict[int, int]]:
        n = len(self.ops)
        first = {t: -1 for t in self.inputs}
        last = {t: n for t in self.outputs}
        for k, op in enumerate(self.ops):
            first.setdefault(op.output, k)
            for t in op.inputs:
                last[t] = max(last.get(t, k), k)
        return first, last

    def in_place_scratch(self, k: int) -> int | None:
        """The scratch docs/blob-format.md gives op k's in-place variant, None where the rule
        cannot hold. CONV_2D other than 1x1 may run row by row only when an output row fits
        over the input rows one step of the stride consumes: a necessary condition, so the
        bound below stays a lower bound."""
        op = self.ops[k]
        if op.kind in _ELEMENTWISE:
            return 0 if self.bytes[op.inputs[0]] == self.bytes[op.output] else None
        if op.kind not in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            return None
        (_, h, w, c), (_, oh, ow, oc) = self.shapes[op.inputs[0]], self.shapes[op.output]
        o = op.options
        kh, kw = self.shapes[op.consts[0]][1:3]
        if op.kind == "DEPTHWISE_CONV_2D":
            return h * w if o.DepthMultiplier() == 1 else None  # one input channel
        if (kh, kw, o.StrideH(), o.StrideW()) == (1, 1, 1, 1):
            return oc  # pixel by pixel: one pixel's output channels
        return ow * oc if oh == 1 or ow * oc <= o.StrideH() * w * c else None  # row by row

    def _groups(self, in_place: bool) -> dict[int, int]:
        """Tensor -> buffer: a RESHAPE's output is its input's; with in_place, so is the
        output of an operator that may run over an input dying there."""
        root = {t: t for t in range(len(self.bytes))}

        def find(t: int) -> int:
            while root[t] != t:
                t = root[t]
            return t

        _, last = self._lifetimes()
        for k, op in enumerate(self.ops):
            x = op.inputs[0] if op.inputs else -1
            if op.kind == "RESHAPE" or (
                    in_place and x >= 0 and last[x] == k and x not in self.outputs
                    and self.in_place_scratch(k) is not None):
                root[find(op.output)] = find(x)
        return {t: find(t) for t in root}

    def live(self, k: int, in_place: bool) -> dict[int, int]:
        """Buffer -> bytes in use while op k runs (each tensor 4-aligned; a buffer holds the
        largest of its tensors alive then)."""
        first, last = self._lifetimes()
        group = self._groups(in_place)
        out: dict[int, int] = {}
        for t in first:
            if first[t] <= k <= last[t]:
                out[group[t]] = max(out.get(group[t], 0), _align(self.bytes[t]))
        return out

    def live_bytes(self, k: int) -> int:
        """What `tinyml inspect` lists for op k when everything that may run in place does:
        the bytes of the tensors alive (a shared buffer once, at its largest tensor), plus
        the in-place variant's scratch, 4-aligned."""
        first, last = self._lifetimes()
        group = self._groups(True)
        out: dict[int, int] = {}
        for t in first:
            if first[t] <= k <= last[t]:
                out[group[t]] = max(out.get(group[t], 0), self.bytes[t])
        op = self.ops[k]
        shared = op.kind != "RESHAPE" and op.inputs and group[op.inputs[0]] == group[op.output]
        return sum(out.values()) + (_align(self.in_place_scratch(k) or 0) if shared else 0)

    def arena_lower_bound(self, in_place: bool) -> int:
        """The most bytes alive at one operator: no plan of this order can use less (without
        in_place, the bound for plans that run nothing in place). Scratch left out."""
        return max(sum(self.live(k, in_place).values()) for k in range(len(self.ops)))


def _itemsize(t: object) -> int:
    from tflite.TensorType import TensorType

    return {TensorType.INT8: 1, TensorType.UINT8: 1, TensorType.INT16: 2,
            TensorType.INT32: 4, TensorType.FLOAT32: 4, TensorType.INT64: 8}[t.Type()]


def _options(kind: str, op: object) -> object:
    cls = {"CONV_2D": tflite.Conv2DOptions, "DEPTHWISE_CONV_2D": tflite.DepthwiseConv2DOptions
           }.get(kind)
    if cls is None:
        return None
    o = cls()
    t = op.BuiltinOptions()
    o.Init(t.Bytes, t.Pos)
    return o
