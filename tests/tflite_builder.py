"""Build small .tflite models directly with the flatbuffer schema (the `tflite` package), for
kernel tests over randomized shapes and quantization parameters: TFLite's own reference
interpreter then says what every output byte must be.

    m = ModelBuilder()
    x = m.tensor((1, 4, 4, 3), scale=0.1, zero_point=3)
    y = m.tensor((1, 4, 4, 3), scale=0.2, zero_point=-1)
    m.op("RELU", [x], [y])
    tfl = m.build(inputs=[x], outputs=[y])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import flatbuffers
import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.TensorType import TensorType

_TYPES = {"int8": TensorType.INT8, "int32": TensorType.INT32, "float32": TensorType.FLOAT32,
          "int64": TensorType.INT64, "int16": TensorType.INT16}


@dataclass
class _Tensor:
    shape: tuple[int, ...]
    dtype: str
    scale: list[float]
    zero_point: list[int]
    quantized_dim: int
    data: np.ndarray | None
    name: str


@dataclass
class _Op:
    kind: str
    inputs: list[int]
    outputs: list[int]
    options: tuple[str, dict[str, object]] | None = None


@dataclass
class ModelBuilder:
    tensors: list[_Tensor] = field(default_factory=list)
    ops: list[_Op] = field(default_factory=list)

    def tensor(self, shape: tuple[int, ...], dtype: str = "int8",
               scale: float | list[float] | None = None, zero_point: int | list[int] = 0,
               data: np.ndarray | None = None, quantized_dim: int = 0,
               name: str | None = None) -> int:
        scales = [] if scale is None else ([scale] if np.isscalar(scale) else list(scale))
        zps = [zero_point] if np.isscalar(zero_point) else list(zero_point)  # type: ignore[list-item]
        if not scales:
            zps = []
        elif len(zps) != len(scales):
            zps = zps * len(scales)
        if data is not None:
            data = np.asarray(data, dtype=dtype).reshape(shape)
        self.tensors.append(_Tensor(tuple(shape), dtype, [float(s) for s in scales],
                                    [int(z) for z in zps], quantized_dim, data,
                                    name or f"t{len(self.tensors)}"))
        return len(self.tensors) - 1

    def const(self, data: np.ndarray, dtype: str, **kw: object) -> int:
        arr = np.asarray(data, dtype=dtype)
        return self.tensor(arr.shape, dtype, data=arr, **kw)  # type: ignore[arg-type]

    def op(self, kind: str, inputs: list[int], outputs: list[int],
           options: tuple[str, dict[str, object]] | None = None) -> None:
        self.ops.append(_Op(kind, inputs, outputs, options))

    def build(self, inputs: list[int], outputs: list[int], minimal: bool = False) -> bytes:
        """The model's flatbuffer. minimal: every optional field the schema allows to be absent
        left out (tensor names, the description, operator versions, the buffer index of
        tensors without data), as other writers may leave them."""
        b = flatbuffers.Builder(1024)
        # Buffer 0 is the empty buffer (the schema's sentinel; TFLite refuses a model without).
        buf_offsets = [_buffer(b, None)]
        buf_index = []
        for t in self.tensors:
            if t.data is None:
                buf_index.append(-1 if minimal else 0)
            else:
                buf_offsets.append(_buffer(b, np.ascontiguousarray(t.data).tobytes()))
                buf_index.append(len(buf_offsets) - 1)
        t_offsets = [_tensor(b, t, bi, minimal)
                     for t, bi in zip(self.tensors, buf_index, strict=True)]
        kinds = sorted({o.kind for o in self.ops})
        code_offsets = []
        for k in kinds:
            code = getattr(BuiltinOperator, k)
            tflite.OperatorCodeStart(b)
            tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
            tflite.OperatorCodeAddBuiltinCode(b, code)
            if not minimal:
                tflite.OperatorCodeAddVersion(b, 1)
            code_offsets.append(tflite.OperatorCodeEnd(b))
        op_offsets = []
        for o in self.ops:
            ins = _i32_vector(b, tflite.OperatorStartInputsVector, o.inputs)
            outs = _i32_vector(b, tflite.OperatorStartOutputsVector, o.outputs)
            opt = _options(b, o.options) if o.options else None
            tflite.OperatorStart(b)
            tflite.OperatorAddOpcodeIndex(b, kinds.index(o.kind))
            tflite.OperatorAddInputs(b, ins)
            tflite.OperatorAddOutputs(b, outs)
            if opt is not None:
                tflite.OperatorAddBuiltinOptionsType(b, getattr(BuiltinOptions, o.options[0]))
                tflite.OperatorAddBuiltinOptions(b, opt)
            op_offsets.append(tflite.OperatorEnd(b))
        tensors_vec = _offset_vector(b, tflite.SubGraphStartTensorsVector, t_offsets)
        ops_vec = _offset_vector(b, tflite.SubGraphStartOperatorsVector, op_offsets)
        in_vec = _i32_vector(b, tflite.SubGraphStartInputsVector, inputs)
        out_vec = _i32_vector(b, tflite.SubGraphStartOutputsVector, outputs)
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, tensors_vec)
        tflite.SubGraphAddOperators(b, ops_vec)
        tflite.SubGraphAddInputs(b, in_vec)
        tflite.SubGraphAddOutputs(b, out_vec)
        sg = tflite.SubGraphEnd(b)
        codes_vec = _offset_vector(b, tflite.ModelStartOperatorCodesVector, code_offsets)
        sgs_vec = _offset_vector(b, tflite.ModelStartSubgraphsVector, [sg])
        bufs_vec = _offset_vector(b, tflite.ModelStartBuffersVector, buf_offsets)
        desc = None if minimal else b.CreateString("tinyml test model")
        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, 3)
        tflite.ModelAddOperatorCodes(b, codes_vec)
        tflite.ModelAddSubgraphs(b, sgs_vec)
        if desc is not None:
            tflite.ModelAddDescription(b, desc)
        tflite.ModelAddBuffers(b, bufs_vec)
        b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
        return bytes(b.Output())


def _buffer(b: flatbuffers.Builder, data: bytes | None) -> int:
    vec = None
    if data is not None:
        b.StartVector(1, len(data), 16)
        b.head = b.head - len(data)
        b.Bytes[b.head : b.head + len(data)] = data
        vec = b.EndVector()
    tflite.BufferStart(b)
    if vec is not None:
        tflite.BufferAddData(b, vec)
    return tflite.BufferEnd(b)


def _i32_vector(b: flatbuffers.Builder, start: object, values: list[int]) -> int:
    start(b, len(values))  # type: ignore[operator]
    for v in reversed(values):
        b.PrependInt32(int(v))
    return b.EndVector()


def _offset_vector(b: flatbuffers.Builder, start: object, offsets: list[int]) -> int:
    start(b, len(offsets))  # type: ignore[operator]
    for o in reversed(offsets):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


def _tensor(b: flatbuffers.Builder, t: _Tensor, buffer: int, minimal: bool = False) -> int:
    name = None if minimal else b.CreateString(t.name)
    shape = _i32_vector(b, tflite.TensorStartShapeVector, list(t.shape))
    quant = None
    if t.scale:
        tflite.QuantizationParametersStartScaleVector(b, len(t.scale))
        for s in reversed(t.scale):
            b.PrependFloat32(s)
        scales = b.EndVector()
        tflite.QuantizationParametersStartZeroPointVector(b, len(t.zero_point))
        for z in reversed(t.zero_point):
            b.PrependInt64(z)
        zps = b.EndVector()
        tflite.QuantizationParametersStart(b)
        tflite.QuantizationParametersAddScale(b, scales)
        tflite.QuantizationParametersAddZeroPoint(b, zps)
        tflite.QuantizationParametersAddQuantizedDimension(b, t.quantized_dim)
        quant = tflite.QuantizationParametersEnd(b)
    tflite.TensorStart(b)
    tflite.TensorAddShape(b, shape)
    tflite.TensorAddType(b, _TYPES[t.dtype])
    if buffer >= 0:
        tflite.TensorAddBuffer(b, buffer)
    if name is not None:
        tflite.TensorAddName(b, name)
    if quant is not None:
        tflite.TensorAddQuantization(b, quant)
    return tflite.TensorEnd(b)


def _options(b: flatbuffers.Builder, spec: tuple[str, dict[str, object]]) -> int:
    """An options table from ("Conv2DOptions", {"Padding": 1, ...}); list values are int32
    vectors (e.g. SqueezeOptions' SqueezeDims)."""
    name, fields = spec
    vectors = {}
    for k, v in fields.items():
        if isinstance(v, (list, tuple)):
            vectors[k] = _i32_vector(b, getattr(tflite, f"{name}Start{k}Vector"), list(v))
    getattr(tflite, f"{name}Start")(b)
    for k, v in fields.items():
        getattr(tflite, f"{name}Add{k}")(b, vectors.get(k, v))
    return getattr(tflite, f"{name}End")(b)


def two_layer_mlp(depth: int = 22, hidden: int = 19, classes: int = 5, batch: int = 1) -> bytes:
    """x [batch, depth] -> FULLY_CONNECTED (ReLU) -> FULLY_CONNECTED: a hidden layer and a
    classifier head, rows that are not multiples of 4."""
    rng = np.random.default_rng(depth * 1000 + hidden)
    m = ModelBuilder()
    x = m.tensor((batch, depth), scale=0.05, zero_point=-7)
    h = m.tensor((batch, hidden), scale=0.09, zero_point=-128)
    y = m.tensor((batch, classes), scale=0.2, zero_point=3)
    layers = ((x, h, depth, hidden, 1), (h, y, hidden, classes, 0))
    for src, dst, n_in, n_out, act in layers:
        scales = [float(np.float32(0.004 * (1 + i / 9))) for i in range(n_out)]
        w = m.const(rng.integers(-127, 128, (n_out, n_in)), "int8", scale=scales,
                    zero_point=0)
        b = m.const(rng.integers(-4000, 4000, n_out), "int32", scale=[0.05 * s for s in scales],
                    zero_point=0)
        m.op("FULLY_CONNECTED", [src, w, b], [dst],
             ("FullyConnectedOptions", {"FusedActivationFunction": act}))
    return m.build([x], [y])
