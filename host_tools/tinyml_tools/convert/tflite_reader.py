"""Read a .tflite flatbuffer into the graph IR, through the generated `tflite` schema package."""

from __future__ import annotations

import re

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.Padding import Padding
from tflite.TensorType import TensorType

from .graph import Graph, Op, Tensor


class ModelFormatError(ValueError):
    """The file is not a .tflite model this reader can read."""


OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
_DTYPES = {
    TensorType.FLOAT32: "float32",
    TensorType.FLOAT16: "float16",
    TensorType.INT8: "int8",
    TensorType.UINT8: "uint8",
    TensorType.INT16: "int16",
    TensorType.INT32: "int32",
    TensorType.INT64: "int64",
    TensorType.BOOL: "bool",
}
_ACTIVATIONS = {
    ActivationFunctionType.NONE: "NONE",
    ActivationFunctionType.RELU: "RELU",
    ActivationFunctionType.RELU_N1_TO_1: "RELU_N1_TO_1",
    ActivationFunctionType.RELU6: "RELU6",
}
_PADDING = {Padding.SAME: "SAME", Padding.VALID: "VALID"}


def _options(op: tflite.Operator) -> dict[str, object]:
    kind = op.BuiltinOptionsType()
    table = op.BuiltinOptions()
    if table is None:
        return {}

    def load(cls: type) -> object:
        o = cls()
        o.Init(table.Bytes, table.Pos)
        return o

    if kind == BuiltinOptions.Conv2DOptions:
        o = load(tflite.Conv2DOptions)
        return {
            "padding": _PADDING[o.Padding()],
            "stride": (o.StrideH(), o.StrideW()),
            "dilation": (o.DilationHFactor(), o.DilationWFactor()),
            "activation": _ACTIVATIONS.get(o.FusedActivationFunction(), "UNSUPPORTED"),
        }
    if kind == BuiltinOptions.DepthwiseConv2DOptions:
        o = load(tflite.DepthwiseConv2DOptions)
        return {
            "padding": _PADDING[o.Padding()],
            "stride": (o.StrideH(), o.StrideW()),
            "dilation": (o.DilationHFactor(), o.DilationWFactor()),
            "depth_multiplier": o.DepthMultiplier(),
            "activation": _ACTIVATIONS.get(o.FusedActivationFunction(), "UNSUPPORTED"),
        }
    if kind == BuiltinOptions.Pool2DOptions:
        o = load(tflite.Pool2DOptions)
        return {
            "padding": _PADDING[o.Padding()],
            "stride": (o.StrideH(), o.StrideW()),
            "filter": (o.FilterHeight(), o.FilterWidth()),
            "activation": _ACTIVATIONS.get(o.FusedActivationFunction(), "UNSUPPORTED"),
        }
    if kind == BuiltinOptions.FullyConnectedOptions:
        o = load(tflite.FullyConnectedOptions)
        return {
            "activation": _ACTIVATIONS.get(o.FusedActivationFunction(), "UNSUPPORTED"),
            "keep_num_dims": bool(o.KeepNumDims()),
        }
    if kind == BuiltinOptions.AddOptions:
        o = load(tflite.AddOptions)
        return {"activation": _ACTIVATIONS.get(o.FusedActivationFunction(), "UNSUPPORTED")}
    if kind == BuiltinOptions.SoftmaxOptions:
        o = load(tflite.SoftmaxOptions)
        return {"beta": float(np.float32(o.Beta()))}
    cls = getattr(tflite, _OPTION_NAMES.get(kind, ""), None)
    return _generic_options(load(cls)) if cls is not None else {}


_OPTION_NAMES = {v: k for k, v in vars(BuiltinOptions).items() if not k.startswith("_")}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _generic_options(o: object) -> dict[str, object]:
    """Every scalar field of an options table, by snake_case name (e.g. StridedSliceOptions'
    BeginMask -> begin_mask); a fused activation is stored as "activation"."""
    out: dict[str, object] = {}
    for name in dir(o):
        if name.startswith("_") or name in ("Init",) or name.startswith("GetRootAs") or \
                name.endswith(("AsNumpy", "Length", "IsNone")) or "BufferHasIdentifier" in name:
            continue
        fn = getattr(o, name)
        if not callable(fn):
            continue
        try:
            value = fn()
        except TypeError:
            continue
        if name == "FusedActivationFunction":
            out["activation"] = _ACTIVATIONS.get(value, "UNSUPPORTED")
        elif isinstance(value, (bool, int, float)):
            out[_snake(name)] = value
    return out


def read_tflite(buf: bytes) -> Graph:
    """Parse a .tflite model's first subgraph. Raises ModelFormatError on malformed input."""
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise ModelFormatError("not a .tflite model (missing TFL3 identifier)")
    try:
        model = tflite.Model.GetRootAsModel(buf, 0)
        if model.SubgraphsLength() != 1:
            raise ModelFormatError(
                f"models with {model.SubgraphsLength()} subgraphs are not supported (need 1)"
            )
        sg = model.Subgraphs(0)
        tensors = [_read_tensor(model, sg.Tensors(i)) for i in range(sg.TensorsLength())]
        ops = []
        for k in range(sg.OperatorsLength()):
            op = sg.Operators(k)
            code = model.OperatorCodes(op.OpcodeIndex())
            builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            name = OP_NAMES.get(builtin, f"BUILTIN_{builtin}")
            if builtin == BuiltinOperator.CUSTOM:
                name = f"CUSTOM({_text(code.CustomCode())})"
            ops.append(
                Op(
                    kind=name,
                    inputs=[int(i) for i in op.InputsAsNumpy()] if op.InputsLength() else [],
                    outputs=[int(i) for i in op.OutputsAsNumpy()] if op.OutputsLength() else [],
                    options=_options(op),
                    index=k,
                )
            )
        return Graph(
            tensors=tensors,
            ops=ops,
            inputs=[int(i) for i in sg.InputsAsNumpy()] if sg.InputsLength() else [],
            outputs=[int(i) for i in sg.OutputsAsNumpy()] if sg.OutputsLength() else [],
            description=_text(model.Description()),
        )
    except ModelFormatError:
        raise
    except Exception as e:  # the flatbuffer library raises assorted errors on bad offsets
        past = re.search(r"at offset (\d+) \(actual buffer size is (\d+)\)", str(e))
        if past and int(past[1]) >= int(past[2]):
            raise ModelFormatError(
                f"truncated .tflite file: its tables point to byte {int(past[1]):,} but it has "
                f"{len(buf):,} bytes (an interrupted download or copy? fetch it again)") from e
        raise ModelFormatError(f"malformed .tflite file: {type(e).__name__}: {e}") from e


def _text(b: bytes | None) -> str:
    """An optional string field: absent is empty."""
    return b.decode(errors="replace") if b else ""


def _read_tensor(model: tflite.Model, t: tflite.Tensor) -> Tensor:
    dtype = _DTYPES.get(t.Type(), f"type{t.Type()}")
    shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
    q = t.Quantization()
    scale = np.zeros(0, np.float32)
    zp = np.zeros(0, np.int64)
    qdim = 0
    if q is not None and q.ScaleLength():
        scale = q.ScaleAsNumpy().astype(np.float32)
        zp = q.ZeroPointAsNumpy().astype(np.int64) if q.ZeroPointLength() else np.zeros_like(
            scale, dtype=np.int64
        )
        qdim = q.QuantizedDimension()
    data = None
    # buffer 0 (the default when absent) is the empty one by convention, and a model with no
    # constants may have no buffers at all
    index = t.Buffer()
    if index >= max(model.BuffersLength(), 1):
        raise ModelFormatError(f"tensor {_text(t.Name()) or '?'} refers to buffer {index} "
                               f"of {model.BuffersLength()}")
    buf = model.Buffers(index) if index > 0 else None
    if buf is not None and buf.DataLength():
        raw = buf.DataAsNumpy().tobytes()
        data = np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()
    signature = tuple(int(d) for d in t.ShapeSignatureAsNumpy()) if t.ShapeSignatureLength() \
        else ()
    return Tensor(
        signature=signature,
        name=_text(t.Name()),
        shape=shape,
        dtype=dtype,
        scale=scale,
        zero_point=zp,
        quantized_dim=qdim,
        data=data,
    )
