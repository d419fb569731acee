"""Lower the graph IR to blob operators: choose kernels, precompute every requantization
constant and padding, and drop what the device does not need (e.g. RESHAPE's shape input)."""

from __future__ import annotations

import numpy as np

from . import quantmath as qm
from .blob import OP_FLAG_DOUBLE_ROUNDING, ArrayRef, Blob, BOp, BTensor
from .graph import Graph, Op, Tensor
from .planner import plan

# (minimum, maximum) number of inputs each operator takes in a .tflite graph.
_ARITY = {"ADD": (2, 2), "AVERAGE_POOL_2D": (1, 1), "CONV_2D": (2, 3),
          "DEPTHWISE_CONV_2D": (2, 3), "FULLY_CONNECTED": (2, 3), "RESHAPE": (1, 2),
          "SOFTMAX": (1, 1)}
SUPPORTED_OPS = ("ADD", "AVERAGE_POOL_2D", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
                 "RESHAPE", "SOFTMAX")


class ConversionError(ValueError):
    """The model cannot be converted; the message says what and where."""


def _where(k: int, op: Op) -> str:
    return f"operator {k} ({op.kind})"


def _scalar_q(t: Tensor) -> tuple[float, int]:
    if len(t.scale) != 1:
        raise ConversionError(f"tensor '{t.name}' must be quantized per tensor")
    return float(t.scale[0]), int(t.zero_point[0])


# How TFLite's reference resolver rounds requantization, per operator (measured against
# ai-edge-litert's BUILTIN_REF): FULLY_CONNECTED rounds once; convolutions and softmax use
# gemmlowp's double rounding. TensorFlow Lite Micro rounds twice everywhere.
ROUNDING_MODES = ("tflite", "tflm")
_SINGLE_ROUNDING_OPS = {"tflite": {"FULLY_CONNECTED"}, "tflm": set()}


def op_rounding(kind: str, mode: str) -> str:
    if mode not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {mode!r}; choose from {ROUNDING_MODES}")
    return qm.SINGLE if kind in _SINGLE_ROUNDING_OPS[mode] else qm.DOUBLE


class _Lowering:
    def __init__(self, g: Graph, mode: str) -> None:
        self.g = g
        self.mode = mode
        self.rounding = qm.SINGLE
        self.index: dict[int, int] = {}
        self.tensors: list[BTensor] = []

    def tensor(self, i: int, dtype: str | None = None) -> int:
        """Blob index of graph tensor i (added on first use)."""
        if i < 0:
            return -1
        if i in self.index:
            return self.index[i]
        t = self.g.tensors[i]
        if dtype and t.dtype != dtype:
            raise ConversionError(f"tensor '{t.name}' is {t.dtype}, expected {dtype}")
        if t.dtype not in ("int8", "int32"):
            raise ConversionError(
                f"tensor '{t.name}' is {t.dtype}: tinyml runs fully int8-quantized models "
                "(quantize the model with int8 inputs and outputs)"
            )
        scale, zp = (float(t.scale[0]), int(t.zero_point[0])) if len(t.scale) == 1 else (0.0, 0)
        shape = t.shape if t.shape else (1,)
        const = None
        if t.data is not None:
            const = np.ascontiguousarray(t.data, dtype="<" + t.data.dtype.str[1:]).tobytes()
        self.tensors.append(BTensor(t.name, t.dtype, tuple(shape), scale, zp, const))
        self.index[i] = len(self.tensors) - 1
        return self.index[i]

    def activation_io(self, op: Op) -> tuple[Tensor, Tensor]:
        x, y = self.g.tensors[op.inputs[0]], self.g.tensors[op.outputs[0]]
        for t in (x, y):
            if t.dtype != "int8" or t.is_const:
                raise ConversionError(f"tensor '{t.name}' must be an int8 activation")
        return x, y

    def conv(self, k: int, op: Op) -> BOp:
        x, y = self.activation_io(op)
        w = self.g.tensors[op.inputs[1]]
        b = self.g.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        if w.dtype != "int8" or not w.is_const or len(w.shape) != 4:
            raise ConversionError(f"{_where(k, op)}: filter must be constant int8 [4-D]")
        if np.any(w.zero_point != 0):
            raise ConversionError(f"{_where(k, op)}: filter zero point must be 0")
        if b is not None and (b.dtype != "int32" or not b.is_const):
            raise ConversionError(f"{_where(k, op)}: bias must be constant int32")
        dw = op.kind == "DEPTHWISE_CONV_2D"
        o = op.options
        (sh, sw), (dh, dwl) = o["stride"], o["dilation"]  # type: ignore[misc]
        _, in_h, in_w, in_c = x.shape
        _, kh, kw, _ = w.shape
        out_c = y.shape[3]
        if o["padding"] == "SAME":
            _, pad_h = qm.same_padding(in_h, kh, sh, dh)
            _, pad_w = qm.same_padding(in_w, kw, sw, dwl)
        else:
            pad_h = pad_w = 0
        in_s, in_zp = _scalar_q(x)
        out_s, out_zp = _scalar_q(y)
        w_scales = w.scale if len(w.scale) == out_c else np.repeat(w.scale, out_c)
        mults, shifts = zip(*(
            qm.quantize_multiplier(qm.effective_scale(in_s, float(ws), out_s), self.rounding)
            for ws in w_scales
        ), strict=True)
        act_min, act_max = qm.activation_range(str(o["activation"]), out_s, out_zp)
        params: list[int | ArrayRef] = [sh, sw, dh, dwl, pad_h, pad_w, -in_zp, out_zp,
                                        act_min, act_max, ArrayRef(0), ArrayRef(1)]
        if dw:
            if out_c % in_c:
                raise ConversionError(f"{_where(k, op)}: output channels not a multiple of input")
            params.append(out_c // in_c)
        return BOp(
            op.kind,
            [self.tensor(op.inputs[0]), self.tensor(op.inputs[1]),
             self.tensor(op.inputs[2]) if b is not None else -1],
            [self.tensor(op.outputs[0])],
            params,
            [np.array(mults, np.int32), np.array(shifts, np.int32)],
        )

    def fully_connected(self, k: int, op: Op) -> BOp:
        x, y = self.activation_io(op)
        w = self.g.tensors[op.inputs[1]]
        b = self.g.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        if w.dtype != "int8" or not w.is_const or len(w.shape) != 2:
            raise ConversionError(f"{_where(k, op)}: weights must be constant int8 [2-D]")
        if b is not None and (b.dtype != "int32" or not b.is_const):
            raise ConversionError(f"{_where(k, op)}: bias must be constant int32")
        in_s, in_zp = _scalar_q(x)
        out_s, out_zp = _scalar_q(y)
        per_channel = len(w.scale) > 1
        w_zp = int(w.zero_point[0]) if len(w.zero_point) else 0
        mults, shifts = zip(*(
            qm.quantize_multiplier(qm.effective_scale(in_s, float(ws), out_s), self.rounding)
            for ws in w.scale
        ), strict=True)
        act_min, act_max = qm.activation_range(str(op.options["activation"]), out_s, out_zp)
        return BOp(
            op.kind,
            [self.tensor(op.inputs[0]), self.tensor(op.inputs[1]),
             self.tensor(op.inputs[2]) if b is not None else -1],
            [self.tensor(op.outputs[0])],
            [-in_zp, -w_zp, out_zp, act_min, act_max, ArrayRef(0), ArrayRef(1),
             1 if per_channel else 0],
            [np.array(mults, np.int32), np.array(shifts, np.int32)],
        )

    def average_pool(self, k: int, op: Op) -> BOp:
        x, y = self.activation_io(op)
        if _scalar_q(x) != _scalar_q(y):
            raise ConversionError(f"{_where(k, op)}: input and output quantization differ")
        o = op.options
        (sh, sw), (fh, fw) = o["stride"], o["filter"]  # type: ignore[misc]
        if o["padding"] == "SAME":
            _, pad_h = qm.same_padding(x.shape[1], fh, sh, 1)
            _, pad_w = qm.same_padding(x.shape[2], fw, sw, 1)
        else:
            pad_h = pad_w = 0
        out_s, out_zp = _scalar_q(y)
        act_min, act_max = qm.activation_range(str(o["activation"]), out_s, out_zp)
        return BOp(op.kind, [self.tensor(op.inputs[0])], [self.tensor(op.outputs[0])],
                   [sh, sw, fh, fw, pad_h, pad_w, act_min, act_max])

    def reshape(self, k: int, op: Op) -> BOp:
        x, y = self.activation_io(op)
        if _scalar_q(x) != _scalar_q(y):
            raise ConversionError(f"{_where(k, op)}: input and output quantization differ")
        return BOp(op.kind, [self.tensor(op.inputs[0])], [self.tensor(op.outputs[0])])

    def add(self, k: int, op: Op) -> BOp:
        a, y = self.activation_io(op)
        b = self.g.tensors[op.inputs[1]]
        if b.dtype != "int8" or b.is_const:
            raise ConversionError(f"{_where(k, op)}: both inputs must be int8 activations")
        if a.shape != b.shape or a.shape != y.shape:
            raise ConversionError(
                f"{_where(k, op)}: broadcasting {a.shape} + {b.shape} is not supported yet"
            )
        (sa, za), (sb, zb), (so, zo) = _scalar_q(a), _scalar_q(b), _scalar_q(y)
        left_shift = 20
        # As TFLite's Prepare: float32 max and products (exact: powers of two), then doubles.
        twice_max = float(np.float32(2) * max(np.float32(sa), np.float32(sb)))
        m1 = qm.quantize_multiplier(sa / twice_max, self.rounding)
        m2 = qm.quantize_multiplier(sb / twice_max, self.rounding)
        mo = qm.quantize_multiplier(
            twice_max / float(np.float32(1 << left_shift) * np.float32(so)), self.rounding
        )
        act_min, act_max = qm.activation_range(str(op.options.get("activation", "NONE")), so, zo)
        return BOp(op.kind, [self.tensor(op.inputs[0]), self.tensor(op.inputs[1])],
                   [self.tensor(op.outputs[0])],
                   [-za, -zb, zo, left_shift, *m1, *m2, *mo, act_min, act_max])

    def softmax(self, k: int, op: Op) -> BOp:
        x, y = self.activation_io(op)
        in_s, _ = _scalar_q(x)
        if _scalar_q(y) != (1.0 / 256.0, -128):
            raise ConversionError(f"{_where(k, op)}: int8 softmax output must be 1/256, -128")
        mult, shift, diff_min = qm.softmax_params(float(op.options["beta"]), in_s, self.rounding)
        return BOp(op.kind, [self.tensor(op.inputs[0])], [self.tensor(op.outputs[0])],
                   [mult, shift, diff_min])


def lower(g: Graph, name: str, labels: list[str], rounding: str = "tflite",
          reuse_memory: bool = True) -> Blob:
    for k, op in enumerate(g.ops):
        if op.kind not in SUPPORTED_OPS:
            raise ConversionError(
                f"unsupported operator {op.kind} at {_where(k, op)}, "
                f"inputs {[g.tensors[i].name for i in op.inputs if i >= 0]}; "
                f"supported: {', '.join(SUPPORTED_OPS)}"
            )
        lo, hi = _ARITY[op.kind]
        if not lo <= len(op.inputs) <= hi or len(op.outputs) != 1 or any(
            i >= len(g.tensors) or (i < 0 and j < lo) for j, i in enumerate(op.inputs)
        ) or any(not 0 <= i < len(g.tensors) for i in op.outputs):
            raise ConversionError(
                f"{_where(k, op)}: malformed: inputs {op.inputs}, outputs {op.outputs}"
            )
        act = op.options.get("activation")
        if act == "UNSUPPORTED":
            raise ConversionError(f"{_where(k, op)}: unsupported fused activation")
    lw = _Lowering(g, rounding)
    for i in [*g.inputs, *g.outputs]:
        t = g.tensors[i]
        if t.dtype != "int8":
            raise ConversionError(
                f"model {'input' if i in g.inputs else 'output'} '{t.name}' is {t.dtype}: "
                "tinyml needs int8 model inputs and outputs"
            )
    dispatch = {
        "CONV_2D": lw.conv,
        "DEPTHWISE_CONV_2D": lw.conv,
        "FULLY_CONNECTED": lw.fully_connected,
        "AVERAGE_POOL_2D": lw.average_pool,
        "RESHAPE": lw.reshape,
        "SOFTMAX": lw.softmax,
        "ADD": lw.add,
    }
    ops = []
    for k, op in enumerate(g.ops):
        lw.rounding = op_rounding(op.kind, rounding)
        bop = dispatch[op.kind](k, op)
        bop.flags = OP_FLAG_DOUBLE_ROUNDING if lw.rounding == qm.DOUBLE else 0
        ops.append(bop)
    inputs = [lw.tensor(i) for i in g.inputs]
    outputs = [lw.tensor(i) for i in g.outputs]
    if labels:
        n_out = int(np.prod(lw.tensors[outputs[0]].shape))
        if len(labels) != n_out:
            raise ConversionError(f"{len(labels)} labels given for {n_out} outputs")
    arena = plan(lw.tensors, ops, inputs, outputs, reuse_memory)
    return Blob(name, labels, lw.tensors, ops, inputs, outputs, arena)
