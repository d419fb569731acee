"""Every operator, bit-exact with TFLite's reference kernels over randomized shapes and
quantization parameters: hypothesis draws a one-operator .tflite model, TFLite's BUILTIN_REF
interpreter says what each output byte must be, and the converter + host simulator must agree
on every byte (inputs: the extremes, then seeded random int8)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from opcheck import assert_bit_exact, reference
from tflite_builder import ModelBuilder

import tinyml
from tinyml_tools.convert import convert_model

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
ACTS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}

scales = st.floats(1e-3, 0.5).map(lambda s: float(np.float32(s)))
zps = st.integers(-128, 127)


@st.composite
def quant(draw: st.DrawFn) -> tuple[float, int]:
    return draw(scales), draw(zps)


@st.composite
def shapes(draw: st.DrawFn, min_rank: int = 1, max_rank: int = 4, max_dim: int = 6
           ) -> tuple[int, ...]:
    rank = draw(st.integers(min_rank, max_rank))
    return tuple(draw(st.integers(1, max_dim)) for _ in range(rank))


def _check(m: ModelBuilder, inputs: list[int], outputs: list[int], seed: int = 0) -> None:
    assert_bit_exact(m.build(inputs, outputs), np.random.default_rng(seed))


def _unary(kind: str, shape: tuple[int, ...], qi: tuple[float, int], qo: tuple[float, int],
           options: tuple[str, dict[str, object]] | None = None) -> None:
    m = ModelBuilder()
    x = m.tensor(shape, scale=qi[0], zero_point=qi[1])
    y = m.tensor(shape, scale=qo[0], zero_point=qo[1])
    m.op(kind, [x], [y], options)
    _check(m, [x], [y])


# ---- convolutions and pooling ----

def _kernel(draw: st.DrawFn, size: int, dilation: int, same: bool, most: int = 3) -> int:
    """A kernel extent that leaves at least one output: with VALID padding the dilated kernel
    fits in the input ((k - 1) * dilation + 1 <= size); SAME padding takes any."""
    return draw(st.integers(1, most if same else min(most, (size - 1) // dilation + 1)))


@st.composite
def conv_case(draw: st.DrawFn, depthwise: bool) -> dict[str, object]:
    h, w, dh, dw = (draw(st.integers(1, 9)), draw(st.integers(1, 9)), draw(st.integers(1, 2)),
                    draw(st.integers(1, 2)))
    same = draw(st.booleans())
    return {
        "h": h, "w": w,
        "cin": draw(st.integers(1, 4)), "cout": draw(st.integers(1, 4)),
        "mult": draw(st.integers(1, 3)), "kh": _kernel(draw, h, dh, same),
        "kw": _kernel(draw, w, dw, same), "sh": draw(st.integers(1, 2)),
        "sw": draw(st.integers(1, 2)), "dh": dh, "dw": dw, "same": same,
        "act": draw(st.sampled_from(sorted(ACTS))), "qi": draw(quant()), "qo": draw(quant()),
        "wscale": draw(st.lists(st.floats(1e-3, 0.05), min_size=12, max_size=12)),
        "seed": draw(st.integers(0, 2**16)),
    }


def _conv_model(c: dict[str, object], depthwise: bool) -> tuple[ModelBuilder, int, int]:
    h, w, cin, kh, kw = (int(c[k]) for k in ("h", "w", "cin", "kh", "kw"))  # type: ignore
    sh, sw, dh, dw = (int(c[k]) for k in ("sh", "sw", "dh", "dw"))  # type: ignore
    cout = cin * int(c["mult"]) if depthwise else int(c["cout"])  # type: ignore
    if c["same"]:
        oh, ow = math.ceil(h / sh), math.ceil(w / sw)
    else:
        oh, ow = (h - (kh - 1) * dh - 1) // sh + 1, (w - (kw - 1) * dw - 1) // sw + 1
    assert oh >= 1 and ow >= 1, c  # conv_case draws only kernels that fit
    rng = np.random.default_rng(int(c["seed"]))  # type: ignore[arg-type]
    qi, qo = c["qi"], c["qo"]
    m = ModelBuilder()
    x = m.tensor((1, h, w, cin), scale=qi[0], zero_point=qi[1])  # type: ignore[index]
    wshape = (1, kh, kw, cout) if depthwise else (cout, kh, kw, cin)
    ws = [float(np.float32(s)) for s in c["wscale"][:cout]]  # type: ignore[index]
    wt = m.const(rng.integers(-127, 128, wshape), "int8", scale=ws, zero_point=0,
                 quantized_dim=3 if depthwise else 0)
    # TFLite's int8 convolutions require the bias.
    bscale = [qi[0] * s for s in ws]  # type: ignore[index]
    ins = [x, wt, m.const(rng.integers(-5000, 5000, cout), "int32", scale=bscale, zero_point=0)]
    y = m.tensor((1, oh, ow, cout), scale=qo[0], zero_point=qo[1])  # type: ignore[index]
    opts: dict[str, object] = {"Padding": 0 if c["same"] else 1, "StrideW": sw, "StrideH": sh,
                               "DilationWFactor": dw, "DilationHFactor": dh,
                               "FusedActivationFunction": ACTS[str(c["act"])]}
    if depthwise:
        opts["DepthMultiplier"] = int(c["mult"])  # type: ignore[arg-type]
        m.op("DEPTHWISE_CONV_2D", ins, [y], ("DepthwiseConv2DOptions", opts))
    else:
        m.op("CONV_2D", ins, [y], ("Conv2DOptions", opts))
    return m, x, y


@SETTINGS
@given(conv_case(False))
def test_conv_2d(c: dict[str, object]) -> None:
    m, x, y = _conv_model(c, False)
    _check(m, [x], [y])


@SETTINGS
@given(conv_case(True))
def test_depthwise_conv_2d(c: dict[str, object]) -> None:
    m, x, y = _conv_model(c, True)
    _check(m, [x], [y])


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 4), st.integers(1, 4),
       st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3),
       st.booleans(), st.booleans(), st.sampled_from(sorted(ACTS)), quant(), quant(),
       st.lists(st.floats(1e-3, 0.05), min_size=4, max_size=4), st.integers(0, 2**16))
def test_transpose_conv(h: int, w: int, cin: int, cout: int, kh: int, kw: int, sh: int,
                        sw: int, same: bool, bias: bool, act: str, qi: tuple[float, int],
                        qo: tuple[float, int], wscale: list[float], seed: int) -> None:
    """TRANSPOSE_CONV (Keras Conv2DTranspose), with the output size Keras gives it: the
    converter's zero insertion and reversed-filter CONV_2D give TFLite's bytes."""
    oh = h * sh if same else (h - 1) * sh + max(kh, sh)
    ow = w * sw if same else (w - 1) * sw + max(kw, sw)
    rng = np.random.default_rng(seed)
    m = ModelBuilder()
    x = m.tensor((1, h, w, cin), scale=qi[0], zero_point=qi[1])
    ws = [float(np.float32(s)) for s in wscale[:cout]]
    wt = m.const(rng.integers(-127, 128, (cout, kh, kw, cin)), "int8", scale=ws, zero_point=0)
    shape = m.const(np.array([1, oh, ow, cout]), "int32")
    ins = [shape, wt, x]
    if bias:
        ins.append(m.const(rng.integers(-5000, 5000, cout), "int32",
                           scale=[qi[0] * s for s in ws], zero_point=0))
    y = m.tensor((1, oh, ow, cout), scale=qo[0], zero_point=qo[1])
    m.op("TRANSPOSE_CONV", ins, [y], ("TransposeConvOptions", {
        "Padding": 0 if same else 1, "StrideW": sw, "StrideH": sh,
        "FusedActivationFunction": ACTS[act]}))
    _check(m, [x], [y], seed)


def test_one_channel_depthwise_runs_as_conv() -> None:
    """A one-channel DEPTHWISE_CONV_2D with a depth multiplier (micro_speech's first layer) is
    converted to a CONV_2D with the filter's axes swapped, and gives TFLite's bytes."""
    c = {"h": 9, "w": 8, "cin": 1, "cout": 1, "mult": 4, "kh": 5, "kw": 4, "sh": 2, "sw": 2,
         "dh": 1, "dw": 1, "same": True, "act": "RELU", "qi": (0.1, -128), "qo": (0.08, -128),
         "wscale": [0.01 * (i + 1) for i in range(12)], "seed": 3}
    m, x, y = _conv_model(c, True)
    tfl = m.build([x], [y])
    _, b = convert_model(tfl, "dw1")
    (op,) = b.ops
    assert op.kind == "CONV_2D"
    assert b.tensors[op.inputs[1]].shape == (4, 5, 4, 1)
    assert_bit_exact(tfl, np.random.default_rng(0))


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 40), st.integers(1, 12), quant(), quant(),
       st.floats(1e-3, 0.05), st.sampled_from(sorted(ACTS)), st.booleans(),
       st.integers(0, 2**16), st.booleans())
def test_fully_connected(batches: int, depth: int, units: int, qi: tuple[float, int],
                         qo: tuple[float, int], ws: float, act: str, per_channel: bool,
                         seed: int, pow2: bool) -> None:
    if pow2:  # power-of-two scales: exact ties, where rounding directions show
        qi, qo = (2.0 ** round(math.log2(qi[0])), qi[1]), (2.0 ** round(math.log2(qo[0])), qo[1])
        ws = 2.0 ** round(math.log2(ws))
    rng = np.random.default_rng(seed)
    m = ModelBuilder()
    x = m.tensor((batches, depth), scale=qi[0], zero_point=qi[1])
    scales_w = ([float(np.float32(ws * (1 + i / 7))) for i in range(units)] if per_channel
                else [float(np.float32(ws))])
    w = m.const(rng.integers(-127, 128, (units, depth)), "int8", scale=scales_w, zero_point=0)
    b = m.const(rng.integers(-3000, 3000, units), "int32",
                scale=[qi[0] * s for s in scales_w], zero_point=0)
    y = m.tensor((batches, units), scale=qo[0], zero_point=qo[1])
    m.op("FULLY_CONNECTED", [x, w, b], [y],
         ("FullyConnectedOptions", {"FusedActivationFunction": ACTS[act]}))
    _check(m, [x], [y])


@SETTINGS
@given(st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]), st.integers(1, 9),
       st.integers(1, 9), st.one_of(st.integers(1, 4), st.integers(62, 130)), st.data(),
       st.integers(1, 3), st.integers(1, 3), st.booleans(), quant(),
       st.sampled_from(sorted(ACTS)))
def test_pool(kind: str, h: int, w: int, c: int, data: st.DataObject, sh: int, sw: int,
              same: bool, q: tuple[float, int], act: str) -> None:
    fh, fw = _kernel(data.draw, h, 1, same), _kernel(data.draw, w, 1, same)
    if same:
        oh, ow = math.ceil(h / sh), math.ceil(w / sw)
    else:
        oh, ow = (h - fh) // sh + 1, (w - fw) // sw + 1
    m = ModelBuilder()
    x = m.tensor((1, h, w, c), scale=q[0], zero_point=q[1])
    y = m.tensor((1, oh, ow, c), scale=q[0], zero_point=q[1])
    m.op(kind, [x], [y], ("Pool2DOptions", {
        "Padding": 0 if same else 1, "StrideW": sw, "StrideH": sh, "FilterWidth": fw,
        "FilterHeight": fh, "FusedActivationFunction": ACTS[act]}))
    _check(m, [x], [y])


@SETTINGS
@given(shapes(2, 4), st.data(), quant(), quant(), st.booleans())
def test_mean(shape: tuple[int, ...], data: st.DataObject, qi: tuple[float, int],
              qo: tuple[float, int], keep: bool) -> None:
    axes = sorted(data.draw(st.sets(st.integers(0, len(shape) - 1), min_size=1)))
    out = tuple(1 if d in axes else n for d, n in enumerate(shape)) if keep else \
        tuple(n for d, n in enumerate(shape) if d not in axes)
    if not out:
        out = (1,) if not keep else out
    m = ModelBuilder()
    x = m.tensor(shape, scale=qi[0], zero_point=qi[1])
    a = m.const(np.array(axes), "int32")
    y = m.tensor(out, scale=qo[0], zero_point=qo[1])
    m.op("MEAN", [x, a], [y], ("ReducerOptions", {"KeepDims": keep}))
    _check(m, [x], [y])


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 40), quant(), st.floats(0.1, 2.0))
def test_softmax(rows: int, depth: int, qi: tuple[float, int], beta: float) -> None:
    m = ModelBuilder()
    x = m.tensor((rows, depth), scale=qi[0], zero_point=qi[1])
    y = m.tensor((rows, depth), scale=1 / 256, zero_point=-128)
    m.op("SOFTMAX", [x], [y], ("SoftmaxOptions", {"Beta": float(np.float32(beta))}))
    _check(m, [x], [y])


# ---- element-wise binary operators, with broadcasting ----

@st.composite
def broadcast_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...],
                                               tuple[int, ...]]:
    out = draw(shapes(1, 4, 5))
    def operand() -> tuple[int, ...]:
        rank = draw(st.integers(0, len(out)))
        tail = out[len(out) - rank:]
        return tuple(1 if draw(st.booleans()) else n for n in tail) or (1,)
    a, b = operand(), operand()
    full = tuple(max(x, y) for x, y in zip((1,) * (len(out) - len(a)) + a,
                                          (1,) * (len(out) - len(b)) + b, strict=True))
    return a, b, full


@SETTINGS
@given(st.sampled_from(["ADD", "SUB", "MUL"]), broadcast_shapes(), quant(), quant(),
       quant(), st.sampled_from(sorted(ACTS)), st.booleans())
def test_arithmetic(kind: str, shp: tuple[tuple[int, ...], ...], qa: tuple[float, int],
                    qb: tuple[float, int], qo: tuple[float, int], act: str,
                    const_b: bool) -> None:
    a_shape, b_shape, out = shp
    # TFLite (and the converter) refuse an output rescale of 1 or more; never drawn here.
    assume(kind not in ("ADD", "SUB") or 2 * max(qa[0], qb[0]) / ((1 << 20) * qo[0]) < 1)
    m = ModelBuilder()
    a = m.tensor(a_shape, scale=qa[0], zero_point=qa[1])
    if const_b:
        b = m.const(np.random.default_rng(1).integers(-128, 128, b_shape), "int8",
                    scale=qb[0], zero_point=qb[1])
    else:
        b = m.tensor(b_shape, scale=qb[0], zero_point=qb[1])
    y = m.tensor(out, scale=qo[0], zero_point=qo[1])
    opts = {"FusedActivationFunction": ACTS[act]}
    m.op(kind, [a, b], [y], (f"{kind.capitalize()}Options", opts))
    _check(m, [a] if const_b else [a, b], [y])


@SETTINGS
@given(st.sampled_from(["ADD", "SUB"]), st.sampled_from([(1, 16, 16, 8), (1, 32, 33)]),
       st.booleans(), quant(), quant(), quant(), st.sampled_from(sorted(ACTS)))
def test_add_large(kind: str, shape: tuple[int, ...], broadcast: bool, qa: tuple[float, int],
                   qb: tuple[float, int], qo: tuple[float, int], act: str) -> None:
    """ADD and SUB over 1,024 elements or more, where the kernel takes each input's rescaled
    values from a table of the 256 byte values (with and without broadcasting)."""
    assume(2 * max(qa[0], qb[0]) / ((1 << 20) * qo[0]) < 1)
    m = ModelBuilder()
    a = m.tensor(shape, scale=qa[0], zero_point=qa[1])
    b = m.tensor((shape[-1],) if broadcast else shape, scale=qb[0], zero_point=qb[1])
    y = m.tensor(shape, scale=qo[0], zero_point=qo[1])
    m.op(kind, [a, b], [y], (f"{kind.capitalize()}Options",
                             {"FusedActivationFunction": ACTS[act]}))
    _check(m, [a, b], [y])


@SETTINGS
@given(st.sampled_from(["MINIMUM", "MAXIMUM"]), broadcast_shapes(), quant())
def test_min_max(kind: str, shp: tuple[tuple[int, ...], ...], q: tuple[float, int]) -> None:
    a_shape, b_shape, out = shp
    m = ModelBuilder()
    a = m.tensor(a_shape, scale=q[0], zero_point=q[1])
    b = m.tensor(b_shape, scale=q[0], zero_point=q[1])
    y = m.tensor(out, scale=q[0], zero_point=q[1])
    m.op(kind, [a, b], [y])
    _check(m, [a, b], [y])


@SETTINGS
@given(shapes(1, 4, 5), st.data(), quant(), quant(), quant(), st.integers(0, 2**16))
def test_prelu(shape: tuple[int, ...], data: st.DataObject, qi: tuple[float, int],
               qa: tuple[float, int], qo: tuple[float, int], seed: int) -> None:
    rank = data.draw(st.integers(1, len(shape)))
    a_shape = tuple(1 if data.draw(st.booleans()) else n for n in shape[len(shape) - rank:])
    m = ModelBuilder()
    x = m.tensor(shape, scale=qi[0], zero_point=qi[1])
    alpha = m.const(np.random.default_rng(seed).integers(-128, 128, a_shape), "int8",
                    scale=qa[0], zero_point=qa[1])
    y = m.tensor(shape, scale=qo[0], zero_point=qo[1])
    m.op("PRELU", [x, alpha], [y])
    _check(m, [x], [y])


# ---- int8 -> int8 element-wise functions (one table each on the device) ----

@SETTINGS
@given(st.sampled_from(["RELU", "RELU6", "RELU_N1_TO_1", "QUANTIZE", "HARD_SWISH"]),
       shapes(1, 4, 5), quant(), quant())
def test_unary_requantizing(kind: str, shape: tuple[int, ...], qi: tuple[float, int],
                            qo: tuple[float, int]) -> None:
    # HARD_SWISH's output multiplier must stay below one (converter and TFLite); rarely drawn.
    assume(kind != "HARD_SWISH" or qi[0] / 128 / qo[0] < 1)
    _unary(kind, shape, qi, qo)


@SETTINGS
@given(shapes(1, 4, 5), quant(), quant(), st.floats(-2.0, 2.0))
def test_leaky_relu(shape: tuple[int, ...], qi: tuple[float, int], qo: tuple[float, int],
                    alpha: float) -> None:
    _unary("LEAKY_RELU", shape, qi, qo,
           ("LeakyReluOptions", {"Alpha": float(np.float32(alpha))}))


@SETTINGS
@given(st.sampled_from(["LOGISTIC", "TANH"]), shapes(1, 4, 5), quant())
def test_logistic_tanh(kind: str, shape: tuple[int, ...], qi: tuple[float, int]) -> None:
    qo = (1 / 256, -128) if kind == "LOGISTIC" else (1 / 128, 0)
    _unary(kind, shape, qi, qo)


# ---- data movement ----

@SETTINGS
@given(st.sampled_from(["CONCATENATION", "PACK"]), shapes(1, 3, 4), st.integers(1, 6),
       st.data(), quant())
def test_concat_pack(kind: str, shape: tuple[int, ...], n: int, data: st.DataObject,
                     q: tuple[float, int]) -> None:
    m = ModelBuilder()
    if kind == "PACK":
        axis = data.draw(st.integers(0, len(shape)))
        ins = [m.tensor(shape, scale=q[0], zero_point=q[1]) for _ in range(n)]
        out = shape[:axis] + (n,) + shape[axis:]
        y = m.tensor(out, scale=q[0], zero_point=q[1])
        m.op(kind, ins, [y], ("PackOptions", {"ValuesCount": n, "Axis": axis}))
    else:
        axis = data.draw(st.integers(0, len(shape) - 1))
        sizes = [data.draw(st.integers(1, 4)) for _ in range(n)]
        ins = [m.tensor(shape[:axis] + (s,) + shape[axis + 1:], scale=q[0], zero_point=q[1])
               for s in sizes]
        y = m.tensor(shape[:axis] + (sum(sizes),) + shape[axis + 1:], scale=q[0],
                     zero_point=q[1])
        m.op(kind, ins, [y], ("ConcatenationOptions", {"Axis": axis}))
    _check(m, ins, [y])


@SETTINGS
@given(shapes(1, 4, 5), st.data(), quant(), st.booleans())
def test_pad(shape: tuple[int, ...], data: st.DataObject, q: tuple[float, int],
             v2: bool) -> None:
    pads = [[data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))] for _ in shape]
    m = ModelBuilder()
    x = m.tensor(shape, scale=q[0], zero_point=q[1])
    p = m.const(np.array(pads), "int32")
    ins = [x, p]
    if v2:
        ins.append(m.const(np.array([data.draw(st.integers(-128, 127))]), "int8", scale=q[0],
                           zero_point=q[1]))
    y = m.tensor(tuple(n + a + b for n, (a, b) in zip(shape, pads, strict=True)), scale=q[0],
                 zero_point=q[1])
    m.op("PADV2" if v2 else "PAD", ins, [y])
    _check(m, [x], [y])


@SETTINGS
@given(shapes(1, 4, 6), st.data(), quant())
def test_strided_slice(shape: tuple[int, ...], data: st.DataObject, q: tuple[float, int]
                       ) -> None:
    from tinyml_tools.convert.graph_passes import strided_slice_np

    rank = len(shape)
    # At least one axis kept (a rank-0 output is not a model tinyml runs).
    masks = {"BeginMask": data.draw(st.integers(0, (1 << rank) - 1)),
             "EndMask": data.draw(st.integers(0, (1 << rank) - 1)),
             "ShrinkAxisMask": data.draw(st.integers(0, (1 << rank) - 2))}
    begin, end, strides = [], [], []
    for d, n in enumerate(shape):
        b = data.draw(st.integers(-n, n - 1))
        start = b + n if b < 0 else b  # in [0, n - 1] when the begin mask is clear
        if masks["ShrinkAxisMask"] >> d & 1:
            # TFLite keeps a negative stride on a shrunk axis and reads an empty range:
            # converters always emit stride 1 there. The end is not read.
            s, e = 1, data.draw(st.integers(-n - 1, n + 1))
        else:
            s = data.draw(st.sampled_from([-2, -1, 1, 2, 3]))
            if masks["BeginMask"] >> d & 1:
                start = 0 if s > 0 else n - 1
            # An end past start in the stride's direction, written as TFLite may see it:
            # positive, negative (counted from the end), or beyond the axis (clamped).
            if s > 0:
                stop = data.draw(st.integers(start + 1, n + 1))
                e = stop - n if stop < n and data.draw(st.booleans()) else stop
            else:
                stop = data.draw(st.integers(-1, start - 1))
                e = -n - 1 if stop < 0 else stop - n if data.draw(st.booleans()) else stop
        begin.append(b)
        end.append(e)
        strides.append(s)
    opts = {"begin_mask": masks["BeginMask"], "end_mask": masks["EndMask"],
            "shrink_axis_mask": masks["ShrinkAxisMask"]}
    out = strided_slice_np(np.zeros(shape), np.array(begin), np.array(end),
                            np.array(strides), opts).shape
    assert out and 0 not in out, (shape, begin, end, strides, masks)  # never an empty slice
    m = ModelBuilder()
    x = m.tensor(shape, scale=q[0], zero_point=q[1])
    ins = [x] + [m.const(np.array(v), "int32") for v in (begin, end, strides)]
    y = m.tensor(out, scale=q[0], zero_point=q[1])
    m.op("STRIDED_SLICE", ins, [y], ("StridedSliceOptions", masks))
    _check(m, [x], [y])


@SETTINGS
@given(shapes(1, 4, 5), st.data(), quant())
def test_slice_transpose(shape: tuple[int, ...], data: st.DataObject, q: tuple[float, int]
                         ) -> None:
    m = ModelBuilder()
    x = m.tensor(shape, scale=q[0], zero_point=q[1])
    if data.draw(st.booleans()):
        perm = data.draw(st.permutations(range(len(shape))))
        y = m.tensor(tuple(shape[p] for p in perm), scale=q[0], zero_point=q[1])
        m.op("TRANSPOSE", [x, m.const(np.array(perm), "int32")], [y])
    else:
        begin = [data.draw(st.integers(0, n - 1)) for n in shape]
        size = [data.draw(st.sampled_from([-1, *range(1, n - b + 1)]))
                for n, b in zip(shape, begin, strict=True)]
        out = tuple(n - b if s < 0 else s for n, b, s in zip(shape, begin, size, strict=True))
        y = m.tensor(out, scale=q[0], zero_point=q[1])
        m.op("SLICE", [x, m.const(np.array(begin), "int32"), m.const(np.array(size), "int32")],
             [y])
    _check(m, [x], [y])


@SETTINGS
@given(shapes(1, 4, 6), st.data(), quant())
def test_split_unpack(shape: tuple[int, ...], data: st.DataObject, q: tuple[float, int]
                      ) -> None:
    axis = data.draw(st.integers(0, len(shape) - 1))
    # UNPACK of a vector would give scalars: only from rank 2.
    kind = data.draw(st.sampled_from(["SPLIT", "SPLIT_V", "UNPACK"][:3 if len(shape) > 1 else 2]))
    m = ModelBuilder()
    x = m.tensor(shape, scale=q[0], zero_point=q[1])
    n = shape[axis]
    if kind == "UNPACK":
        outs = [m.tensor(shape[:axis] + shape[axis + 1:], scale=q[0], zero_point=q[1])
                for _ in range(n)]
        m.op(kind, [x], outs, ("UnpackOptions", {"Num": n, "Axis": axis}))
    elif kind == "SPLIT":
        parts = data.draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
        outs = [m.tensor(shape[:axis] + (n // parts,) + shape[axis + 1:], scale=q[0],
                         zero_point=q[1]) for _ in range(parts)]
        m.op(kind, [m.const(np.array(axis), "int32"), x], outs,
             ("SplitOptions", {"NumSplits": parts}))
    else:
        cuts = sorted(data.draw(st.sets(st.integers(1, n - 1), max_size=3))) if n > 1 else []
        sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
        outs = [m.tensor(shape[:axis] + (s,) + shape[axis + 1:], scale=q[0], zero_point=q[1])
                for s in sizes]
        m.op(kind, [x, m.const(np.array(sizes), "int32"), m.const(np.array(axis), "int32")],
             outs, ("SplitVOptions", {"NumSplits": len(sizes)}))
    _check(m, [x], outs)


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 13), st.integers(1, 13),
       st.integers(1, 3), st.sampled_from([(False, False), (True, False), (False, True)]),
       quant())
def test_resize_nearest(h: int, w: int, oh: int, ow: int, c: int, mode: tuple[bool, bool],
                        q: tuple[float, int]) -> None:
    align, hpc = mode  # align_corners with half_pixel_centers: TFLite rejects the pair
    m = ModelBuilder()
    x = m.tensor((1, h, w, c), scale=q[0], zero_point=q[1])
    size = m.const(np.array([oh, ow]), "int32")
    y = m.tensor((1, oh, ow, c), scale=q[0], zero_point=q[1])
    m.op("RESIZE_NEAREST_NEIGHBOR", [x, size], [y], ("ResizeNearestNeighborOptions", {
        "AlignCorners": align, "HalfPixelCenters": hpc}))
    _check(m, [x], [y])


@SETTINGS
@given(shapes(1, 3, 5), st.data(), quant(), quant())
def test_float_edges_and_aliases(shape: tuple[int, ...], data: st.DataObject,
                                 qi: tuple[float, int], qo: tuple[float, int]) -> None:
    """float -> QUANTIZE -> EXPAND_DIMS -> SQUEEZE -> RESHAPE -> RELU -> DEQUANTIZE -> float:
    the edges fold into the API, the shape operators into aliases; predict() gives TFLite's
    float outputs bit for bit for inputs on the quantization grid."""
    axis = data.draw(st.integers(0, len(shape)))
    expanded = shape[:axis] + (1,) + shape[axis:]
    m = ModelBuilder()
    xf = m.tensor(shape, "float32")
    xq = m.tensor(shape, scale=qi[0], zero_point=qi[1])
    e = m.tensor(expanded, scale=qi[0], zero_point=qi[1])
    sq = m.tensor(shape, scale=qi[0], zero_point=qi[1])
    flat = m.tensor((int(np.prod(shape)),), scale=qi[0], zero_point=qi[1])
    r = m.tensor((int(np.prod(shape)),), scale=qo[0], zero_point=qo[1])
    yf = m.tensor((int(np.prod(shape)),), "float32")
    m.op("QUANTIZE", [xf], [xq])
    m.op("EXPAND_DIMS", [xq, m.const(np.array(axis), "int32")], [e])
    m.op("SQUEEZE", [e], [sq], ("SqueezeOptions", {"SqueezeDims": [axis]}))
    m.op("RESHAPE", [sq, m.const(np.array([-1]), "int32")], [flat])
    m.op("RELU", [flat], [r])
    m.op("DEQUANTIZE", [r], [yf])
    tfl = m.build([xf], [yf])
    blob, b = convert_model(tfl, "edges")
    assert [op.kind for op in b.ops] == ["RESHAPE", "RESHAPE", "RESHAPE", "LUT"]
    net = tinyml.load(blob)
    q = np.random.default_rng(5).integers(-128, 128, shape).astype(np.int8)
    x = ((q.astype(np.float32) - np.float32(qi[1])) * np.float32(qi[0])).astype(np.float32)
    (want,) = reference(tfl, [x])
    got = np.array(net.predict([float(v) for v in x.ravel()]), np.float32)
    assert got.tobytes() == want


@SETTINGS
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(1, 3),
       st.integers(1, 3), quant())
def test_upsampling_tile_chain(h: int, w: int, c: int, fh: int, fw: int,
                               q: tuple[float, int]) -> None:
    """Keras UpSampling2D (nearest): RESHAPE to 5-D, TILE a size-1 axis, RESHAPE back, per
    axis; the converter collapses each chain into one index map (a RESIZE_NEAREST, or a strided
    copy where it is one)."""
    m = ModelBuilder()
    x = m.tensor((1, h, w, c), scale=q[0], zero_point=q[1])
    src, shape = x, (1, h, w, c)
    for axis, f in ((1, fh), (2, fw)):
        view = (*shape[:axis + 1], 1, *shape[axis + 1:])
        v = m.tensor(view, scale=q[0], zero_point=q[1])
        m.op("RESHAPE", [src, m.const(np.array(view), "int32")], [v],
             ("ReshapeOptions", {"NewShape": list(view)}))
        tiled = (*view[:axis + 1], f, *view[axis + 2:])
        t = m.tensor(tiled, scale=q[0], zero_point=q[1])
        mult = [1] * 5
        mult[axis + 1] = f
        m.op("TILE", [v, m.const(np.array(mult), "int32")], [t])
        shape = (*shape[:axis], shape[axis] * f, *shape[axis + 1:])
        src = m.tensor(shape, scale=q[0], zero_point=q[1])
        m.op("RESHAPE", [t, m.const(np.array(shape), "int32")], [src],
             ("ReshapeOptions", {"NewShape": list(shape)}))
    tfl = m.build([x], [src])
    net = tinyml.load(convert_model(tfl, "up")[0])
    names = tinyml.OP_NAMES.split()
    assert all(names[net.op_info(k).kind] in ("RESIZE_NEAREST", "STRIDED_COPY", "RESHAPE")
               for k in range(net.ops))
    _check(m, [x], [src])
