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
    drop_dead_ops(g)
    return g


def _unused(t: Tensor) -> None:  # pragma: no cover - keeps the import for type checkers
    del t
