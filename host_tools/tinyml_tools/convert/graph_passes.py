"""Rewrites of the graph IR before lowering: turn what TFLite's converter emits into what the
device runs.

- constant folding of shape arithmetic (SHAPE, STRIDED_SLICE, PACK, CONCATENATION, ... on
  constants: Keras `Flatten` with a dynamic batch emits SHAPE -> STRIDED_SLICE -> PACK ->
  RESHAPE);
- SQUEEZE and EXPAND_DIMS become RESHAPE (an alias, no copy);
- QUANTIZE at a float model input and DEQUANTIZE at a float output fold into the device API,
  which quantizes float inputs and dequantizes outputs with the int8 tensors' parameters;
- DEQUANTIZE -> a data-movement op in float (SPLIT, SPLIT_V, UNPACK, RESHAPE) -> QUANTIZE to
  the same parameters becomes that op in int8 (TensorFlow's converter leaves such float
  islands now and then);
- SPACE_TO_BATCH_ND -> CONV_2D / DEPTHWISE_CONV_2D -> BATCH_TO_SPACE_ND (TFLite's lowering of
  Keras `dilation_rate`) becomes one dilated convolution;
- a DEPTHWISE_CONV_2D over a one-channel input becomes a CONV_2D (the same bytes, through the
  GEMM kernels);
- TRANSPOSE_CONV becomes zero insertion (RESHAPE and PAD with the input's zero point) and a
  CONV_2D with the filter reversed in space;
- a chain of RESHAPE and TILE around a TILE (Keras UpSampling2D: 5-D views in between)
  becomes one INDEX_MAP from its first input to its last output (lowered to a strided copy);
- dead operators (whose outputs nothing reads) are dropped.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .graph import Graph, Op, Tensor


class RewriteError(ValueError):
    """A pattern was recognised but cannot be rewritten; the message says why."""


def _const(g: Graph, i: int) -> np.ndarray | None:
    return g.tensors[i].data if 0 <= i < len(g.tensors) else None


def strided_slice_np(x: np.ndarray, begin: np.ndarray, end: np.ndarray, strides: np.ndarray,
                      o: dict[str, object]) -> np.ndarray:
    """TFLite STRIDED_SLICE on a numpy array, through Python's slice semantics (which clamp
    begin and end the same way for positive and negative strides)."""
    if int(o.get("ellipsis_mask", 0)) or int(o.get("new_axis_mask", 0)):
        raise RewriteError("STRIDED_SLICE with ellipsis or new-axis masks is not supported")
    if o.get("offset"):
        end = begin + end
    idx: list[object] = []
    bm, em, sm = (int(o.get(k, 0)) for k in ("begin_mask", "end_mask", "shrink_axis_mask"))
    for d in range(len(begin)):
        if sm >> d & 1:  # TFLite honours the begin mask on a shrunk axis
            b = 0 if bm >> d & 1 else int(begin[d])
            idx.append(b + x.shape[d] if b < 0 else b)
            continue
        s = int(strides[d])
        b = None if bm >> d & 1 else int(begin[d])
        e = None if em >> d & 1 else int(end[d])
        idx.append(slice(b, e, s))
    return x[tuple(idx)]


def _fold_fns() -> dict[str, Callable[[Graph, Op, list[np.ndarray | None]], list[np.ndarray]]]:
    def shape(g: Graph, op: Op, a: list[np.ndarray | None]) -> list[np.ndarray]:
        t = g.tensors[op.inputs[0]]
        out_t = g.tensors[op.outputs[0]]
        return [np.array(t.shape, dtype=out_t.dtype)]

    def reshape(g: Graph, op: Op, a: list[np.ndarray | None]) -> list[np.ndarray]:
        return [a[0].reshape(g.tensors[op.outputs[0]].shape)]  # type: ignore[union-attr]

    def strided_slice(g: Graph, op: Op, a: list[np.ndarray | None]) -> list[np.ndarray]:
        return [strided_slice_np(*a[:4], op.options).reshape(  # type: ignore[misc]
            g.tensors[op.outputs[0]].shape)]

    def pack(g: Graph, op: Op, a: list[np.ndarray | None]) -> list[np.ndarray]:
        return [np.stack(a, axis=int(op.options.get("axis", 0)))]  # type: ignore[call-overload]

    def concat(g: Graph, op: Op, a: list[np.ndarray | None]) -> list[np.ndarray]:
        return [np.concatenate(a, axis=int(op.options.get("axis", 0)))]  # type: ignore[arg-type]

    def cast(g: Graph, op: Op, a: list[np.ndarray | None]) -> list[np.ndarray]:
        return [a[0].astype(g.tensors[op.outputs[0]].dtype)]  # type: ignore[union-attr]

    def gather(g: Graph, op: Op, a: list[np.ndarray | None]) -> list[np.ndarray]:
        return [np.take(a[0], a[1], axis=int(op.options.get("axis", 0)))]  # type: ignore[arg-type]

    def arith(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[
            [Graph, Op, list[np.ndarray | None]], list[np.ndarray]]:
        def f(g: Graph, op: Op, a: list[np.ndarray | None]) -> list[np.ndarray]:
            return [fn(a[0], a[1]).astype(a[0].dtype)]  # type: ignore[arg-type,union-attr]
        return f

    def reduce_prod(g: Graph, op: Op, a: list[np.ndarray | None]) -> list[np.ndarray]:
        keep = bool(op.options.get("keep_dims", False))
        axes = tuple(int(v) for v in np.ravel(a[1]))  # type: ignore[arg-type]
        return [np.prod(a[0], axis=axes, keepdims=keep).astype(a[0].dtype)]  # type: ignore

    return {"SHAPE": shape, "RESHAPE": reshape, "SQUEEZE": reshape, "EXPAND_DIMS": reshape,
            "STRIDED_SLICE": strided_slice, "PACK": pack, "CONCATENATION": concat,
            "CAST": cast, "GATHER": gather, "ADD": arith(np.add), "SUB": arith(np.subtract),
            "MUL": arith(np.multiply), "REDUCE_PROD": reduce_prod}


# Integer shape arithmetic only: quantized int8 constants are never folded here.
_FOLDABLE_DTYPES = {"int32", "int64", "bool"}


def fold_constants(g: Graph) -> None:
    fns = _fold_fns()
    changed = True
    while changed:
        changed = False
        for op in list(g.ops):
            fn = fns.get(op.kind)
            if fn is None or len(op.outputs) != 1:
                continue
            out_t = g.tensors[op.outputs[0]]
            if out_t.dtype not in _FOLDABLE_DTYPES:
                continue
            args = [_const(g, i) for i in op.inputs]
            if op.kind != "SHAPE" and any(a is None for a in args):
                continue
            try:
                (value,) = fn(g, op, args)
            except RewriteError:
                raise
            except Exception:  # noqa: BLE001 - leave anything numpy cannot evaluate as is
                continue
            out_t.data = np.asarray(value, dtype=out_t.dtype)
            out_t.shape = out_t.data.shape
            g.ops.remove(op)
            changed = True


def alias_shape_ops(g: Graph) -> None:
    for op in g.ops:
        if op.kind in ("SQUEEZE", "EXPAND_DIMS"):
            op.kind = "RESHAPE"
            op.inputs = op.inputs[:1]
            op.options = {}


def fold_edge_quantization(g: Graph) -> None:
    """Float input -> QUANTIZE -> int8 becomes an int8 input; int8 -> DEQUANTIZE -> float
    output becomes an int8 output. The device API quantizes and dequantizes at the edges."""
    for pos, i in enumerate(list(g.inputs)):
        if g.tensors[i].dtype != "float32":
            continue
        users = [op for op in g.ops if i in op.inputs]
        if len(users) == 1 and users[0].kind == "QUANTIZE" and \
                g.tensors[users[0].outputs[0]].dtype == "int8":
            g.inputs[pos] = users[0].outputs[0]
            g.ops.remove(users[0])
    for pos, i in enumerate(list(g.outputs)):
        if g.tensors[i].dtype != "float32":
            continue
        producers = [op for op in g.ops if i in op.outputs]
        if len(producers) == 1 and producers[0].kind == "DEQUANTIZE" and \
                g.tensors[producers[0].inputs[0]].dtype == "int8":
            g.outputs[pos] = producers[0].inputs[0]
            g.ops.remove(producers[0])


_MOVES = {"SPLIT": 1, "SPLIT_V": 0, "UNPACK": 0, "RESHAPE": 0}  # op -> its data input


def _rename(g: Graph, old: int, new: int) -> None:
    for op in g.ops:
        op.inputs = [new if i == old else i for i in op.inputs]
    g.outputs = [new if i == old else i for i in g.outputs]


def fold_float_data_movement(g: Graph) -> None:
    """int8 -> DEQUANTIZE -> a data-movement op in float -> QUANTIZE to the same scale and zero
    point -> int8 is the data-movement op in int8, exactly: moving values changes none, and
    quantize(dequantize(q)) = q when the parameters are equal. TensorFlow's converter leaves
    such islands at random (an unrolled Keras LSTM's SPLIT, in about one conversion of three
    of the same model)."""
    for d in [op for op in g.ops if op.kind == "DEQUANTIZE"]:
        src, f = d.inputs[0], d.outputs[0]
        q = g.tensors[src]
        if q.dtype != "int8" or q.is_const or len(q.scale) != 1 or f in g.outputs:
            continue
        users = [op for op in g.ops if f in op.inputs]
        if len(users) != 1 or users[0].kind not in _MOVES:
            continue
        move = users[0]
        at = _MOVES[move.kind]
        if [k for k, i in enumerate(move.inputs) if i == f] != [at]:
            continue
        quants = [op for o in move.outputs for op in g.ops if o in op.inputs]
        if any(o in g.outputs for o in move.outputs) or not all(
                u.kind == "QUANTIZE" and _same_quantization(g.tensors[u.outputs[0]], q)
                for u in quants):
            continue
        move.inputs[at] = src
        for o in move.outputs:
            t = g.tensors[o]
            t.dtype, t.scale, t.zero_point = "int8", q.scale.copy(), q.zero_point.copy()
        for u in quants:
            g.ops.remove(u)
            _rename(g, u.outputs[0], u.inputs[0])
        g.ops.remove(d)


def _same_quantization(t: Tensor, q: Tensor) -> bool:
    return t.dtype == "int8" and len(t.scale) == 1 and np.array_equal(t.scale, q.scale) and \
        np.array_equal(t.zero_point, q.zero_point)


def fuse_dilated_convolutions(g: Graph) -> None:
    """SPACE_TO_BATCH_ND -> (DEPTHWISE_)CONV_2D (VALID, stride 1) -> BATCH_TO_SPACE_ND is a
    convolution with dilation = block size over the input padded by the S2B paddings minus the
    B2S crops."""
    for s2b in [op for op in g.ops if op.kind == "SPACE_TO_BATCH_ND"]:
        mid = [op for op in g.ops if s2b.outputs[0] in op.inputs]
        if len(mid) != 1 or mid[0].kind not in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            continue
        conv = mid[0]
        after = [op for op in g.ops if conv.outputs[0] in op.inputs]
        if len(after) != 1 or after[0].kind != "BATCH_TO_SPACE_ND":
            continue
        b2s = after[0]
        block, pads = _const(g, s2b.inputs[1]), _const(g, s2b.inputs[2])
        block2, crops = _const(g, b2s.inputs[1]), _const(g, b2s.inputs[2])
        if block is None or pads is None or block2 is None or crops is None:
            continue
        if not np.array_equal(block, block2) or conv.options.get("padding") != "VALID" or \
                tuple(conv.options.get("stride", (1, 1))) != (1, 1) or \
                tuple(conv.options.get("dilation", (1, 1))) != (1, 1):
            continue
        pad_h = int(pads[0][0]) - int(crops[0][0])
        pad_w = int(pads[1][0]) - int(crops[1][0])
        if pad_h < 0 or pad_w < 0:
            continue
        conv.inputs = [s2b.inputs[0], *conv.inputs[1:]]
        conv.outputs = list(b2s.outputs)
        conv.options = {**conv.options, "dilation": (int(block[0]), int(block[1])),
                        "explicit_pad": (pad_h, pad_w)}
        g.ops.remove(s2b)
        g.ops.remove(b2s)


def one_channel_depthwise_as_conv(g: Graph) -> None:
    """A DEPTHWISE_CONV_2D over a one-channel input (TensorFlow Lite Micro's micro_speech model
    begins with one) is a CONV_2D whose filter has the axes swapped, [1, kh, kw, out_c] ->
    [out_c, kh, kw, 1]: output channel c sums the same products, adds the same bias and takes
    the same per-channel requantization, so every byte is the same, and the device runs it
    through its GEMM kernels instead of the depthwise loops."""
    for op in g.ops:
        if op.kind != "DEPTHWISE_CONV_2D" or len(op.inputs) < 2:
            continue
        x, w = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
        if len(x.shape) != 4 or x.shape[3] != 1 or w.data is None or w.data.ndim != 4 or \
                w.data.shape[0] != 1:
            continue
        if sum(o.inputs.count(op.inputs[1]) for o in g.ops) != 1:
            continue  # the filter is shared: leave it as it is
        w.data = np.ascontiguousarray(w.data.transpose(3, 1, 2, 0))
        w.shape = tuple(w.data.shape)
        w.quantized_dim = 0
        op.kind = "CONV_2D"
        op.options = {k: v for k, v in op.options.items() if k != "depth_multiplier"}


def _new_tensor(g: Graph, like: Tensor, shape: tuple[int, ...], data: np.ndarray | None = None,
                dtype: str | None = None) -> int:
    g.tensors.append(Tensor(
        name=f"{like.name}/{len(g.tensors)}", shape=shape, dtype=dtype or like.dtype,
        scale=like.scale.copy() if dtype is None else np.zeros(0, np.float32),
        zero_point=like.zero_point.copy() if dtype is None else np.zeros(0, np.int64),
        quantized_dim=like.quantized_dim, data=data))
    return len(g.tensors) - 1


def _transpose_conv_padding(padding: object, out: int, k: int, s: int) -> int:
    """TFLite's padding of a TRANSPOSE_CONV along one axis: that of a convolution from its
    output (size `out`) back to its input (ComputePaddingHeightWidth with the output as the
    input size; the odd unit of SAME padding goes after, as TFLite's kernel ignores it)."""
    conv_out = (out + s - 1) // s if padding in ("SAME", 0) else (out - k + s) // s
    return max((conv_out - 1) * s + k - out, 0) // 2


def transpose_conv_as_conv(g: Graph) -> None:
    """TRANSPOSE_CONV (output shape, filter [O, kh, kw, I], x, bias) scatters each input pixel
    (iy, ix) times the filter to the outputs (iy s_h - pad_h + fy, ix s_w - pad_w + fx). That is
    a stride-1 CONV_2D over x with s - 1 zero-point pixels inserted after each pixel along each
    axis (u[j] = x[j / s] when s divides j), the filter reversed in space (w'[t] = w[k - 1 - t])
    and padding k - 1 - pad before: output o reads u[o - (k - 1 - pad) + t], which is x[iy] at
    t = k - 1 - fy exactly when o = iy s - pad + fy. The inserted pixels hold the input's zero
    point, so their products (zp + input offset) x w are 0 and every int32 sum is the
    reference's, with its bias and per-channel requantization: the same bytes. Zero insertion
    is RESHAPE (no copy) and PAD: [1, H, W, C] -> [1, H W, 1, C] -> pad s_w - 1 after ->
    [1, H, W s_w, C] -> [1, H, 1, W s_w C] -> pad s_h - 1 after -> [1, H s_h, W s_w, C]. The
    convolution does s_h s_w times the multiplications of the scatter (the zeros)."""
    for op in [o for o in g.ops if o.kind == "TRANSPOSE_CONV"]:
        if len(op.inputs) < 3:
            continue
        w, x, y = (g.tensors[i] for i in (op.inputs[1], op.inputs[2], op.outputs[0]))
        if w.data is None or w.data.ndim != 4 or len(x.shape) != 4 or len(y.shape) != 4 or \
                x.dtype != "int8" or x.shape[0] != 1:
            continue  # lowering says what is wrong
        o = op.options
        sh, sw = int(o.get("stride_h", 1)), int(o.get("stride_w", 1))  # type: ignore[call-overload]
        _, kh, kw, _ = w.data.shape
        _, h, wd, c = x.shape
        pad_h = _transpose_conv_padding(o.get("padding"), y.shape[1], kh, sh)
        pad_w = _transpose_conv_padding(o.get("padding"), y.shape[2], kw, sw)
        src = op.inputs[2]
        steps = []  # (view shape, padded shape, final shape) per inserted axis
        if sw > 1:
            steps.append(((1, h * wd, 1, c), (1, h * wd, sw, c), (1, h, wd * sw, c)))
        if sh > 1:
            steps.append(((1, h, 1, wd * sw * c), (1, h, sh, wd * sw * c),
                          (1, h * sh, wd * sw, c)))
        new_ops = []
        for view, padded, final in steps:
            a = _new_tensor(g, x, view)
            new_ops.append(Op("RESHAPE", [src], [a], {}, op.index))
            pads = _new_tensor(g, x, (4, 2), np.array(
                [[0, 0], [0, 0], [0, padded[2] - 1], [0, 0]], np.int32), "int32")
            b = _new_tensor(g, x, padded)
            new_ops.append(Op("PAD", [a, pads], [b], {}, op.index))
            src = _new_tensor(g, x, final)
            new_ops.append(Op("RESHAPE", [b], [src], {}, op.index))
        flipped = _new_tensor(g, w, w.shape, np.ascontiguousarray(w.data[:, ::-1, ::-1, :]))
        conv = Op("CONV_2D", [src, flipped, op.inputs[3] if len(op.inputs) > 3 else -1],
                  list(op.outputs), {
                      "padding": "VALID", "stride": (1, 1), "dilation": (1, 1),
                      "explicit_pad": (kh - 1 - pad_h, kw - 1 - pad_w),
                      "activation": o.get("activation", "NONE")}, op.index)
        at = g.ops.index(op)
        g.ops[at:at + 1] = [*new_ops, conv]


_CHAIN = ("RESHAPE", "TILE")


def _consumers(g: Graph, i: int) -> list[Op]:
    return [op for op in g.ops if i in op.inputs]


def collapse_tile_chains(g: Graph) -> None:
    """RESHAPE / TILE chains through a TILE, each tensor between them read by the next op only:
    one INDEX_MAP op (options["view"]: the input element each output element copies, found by
    running the chain on the input's element indices), so the 5-D tensors Keras' UpSampling2D
    passes through (RESHAPE -> TILE -> RESHAPE per axis) never reach the device."""
    for tile in [op for op in g.ops if op.kind == "TILE"]:
        if tile not in g.ops:
            continue  # already taken into a chain
        chain = [tile]
        while True:  # back: producers read only by the chain
            src = chain[0].inputs[0]
            prev = [op for op in g.ops if src in op.outputs]
            if len(prev) != 1 or prev[0].kind not in _CHAIN or src in g.outputs or \
                    len(_consumers(g, src)) != 1:
                break
            chain.insert(0, prev[0])
        while True:  # forward: the one consumer of the last output
            out = chain[-1].outputs[0]
            nxt = _consumers(g, out)
            if len(nxt) != 1 or nxt[0].kind not in _CHAIN or out in g.outputs or \
                    nxt[0].inputs[0] != out:
                break
            chain.append(nxt[0])
        base, out = chain[0].inputs[0], chain[-1].outputs[0]
        if g.tensors[base].is_const or len(g.tensors[base].shape) > 4 or \
                len(g.tensors[out].shape) > 4:
            continue
        view = np.arange(int(np.prod(g.tensors[base].shape)), dtype=np.int64).reshape(
            g.tensors[base].shape)
        for op in chain:
            if op.kind == "TILE":
                mult = _const(g, op.inputs[1])
                if mult is None:
                    break
                view = np.tile(view, [int(m) for m in np.ravel(mult)])
            else:
                view = view.reshape(g.tensors[op.outputs[0]].shape)
        else:
            at = g.ops.index(chain[0])
            for op in chain:
                g.ops.remove(op)
            g.ops.insert(at, Op("INDEX_MAP", [base], [out], {"view": view}, tile.index))


def drop_dead_ops(g: Graph) -> None:
    changed = True
    while changed:
        changed = False
        used = set(g.outputs)
        for op in g.ops:
            used.update(op.inputs)
        for op in list(g.ops):
            if not any(o in used for o in op.outputs):
                g.ops.remove(op)
                changed = True


def rewrite(g: Graph) -> Graph:
    fold_constants(g)
    alias_shape_ops(g)
    fold_edge_quantization(g)
    fold_float_data_movement(g)
    fuse_dilated_convolutions(g)
    one_channel_depthwise_as_conv(g)
    transpose_conv_as_conv(g)
    collapse_tile_chains(g)
    drop_dead_ops(g)
    return g


def _unused(t: Tensor) -> None:  # pragma: no cover - keeps the import for type checkers
    del t
