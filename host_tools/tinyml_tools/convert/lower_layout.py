"""Lowering of operators that move or reduce data: MEAN, CONCATENATION, PACK, PAD,
RESIZE_NEAREST_NEIGHBOR, and every pure gather (STRIDED_SLICE, SLICE, TRANSPOSE, SPLIT,
SPLIT_V, UNPACK, TILE), which the host turns into one affine index map per output
(STRIDED_COPY)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..format.blob import BOp
from . import quantmath as qm
from .graph import Op
from .graph_passes import RewriteError, strided_slice_np
from .lowering import ConversionError, Lowering, scalar_q, where
from .quantmath import round_half_away

F32 = np.float32


def _pad4(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (1,) * (4 - len(shape)) + tuple(shape)


def _axis(k: int, op: Op, axis: int, rank: int) -> int:
    a = axis + rank if axis < 0 else axis
    if not 0 <= a < rank:
        raise ConversionError(f"{where(k, op)}: axis {axis} out of range for rank {rank}")
    return a


def mean(lw: Lowering, k: int, op: Op) -> list[BOp]:
    x, y = lw.act(k, op, op.inputs[0]), lw.act(k, op, op.outputs[0])
    rank = len(x.shape)
    if rank > 4:
        raise ConversionError(f"{where(k, op)}: input rank {rank} above 4")
    axes = {_axis(k, op, int(a), rank)
            for a in np.ravel(lw.const(k, op, op.inputs[1], "the axis"))}
    if not axes:
        raise ConversionError(f"{where(k, op)}: MEAN over no axis")
    (si, zi), (so, zo) = scalar_q(x), scalar_q(y)
    n = math.prod(x.shape[a] for a in axes)
    mult, shift = qm.quantize_multiplier(si / so, lw.rounding)
    # TFLite folds 1/n into the multiplier with an integer division (QuantizedMeanOrSum).
    s = min(int(math.floor(math.log2(n))), 32, 31 + shift)
    mult_n = (mult << s) // n
    shift_n = shift - s
    mask = sum(1 << (a + 4 - rank) for a in axes)
    return [BOp.build("MEAN", [lw.tensor(op.inputs[0])], [lw.tensor(op.outputs[0])],
                      dims=_pad4(x.shape), axes=mask, in_zp=zi, out_zp=zo, mult=mult_n,
                      shift=shift_n)]


def concat(lw: Lowering, k: int, op: Op) -> list[BOp]:
    y = lw.act(k, op, op.outputs[0])
    ins = [lw.int8(k, op, i) for i in op.inputs]
    qy = scalar_q(y)
    if any(scalar_q(t) != qy for t in ins):
        raise ConversionError(
            f"{where(k, op)}: inputs and output must share one quantization (TFLite's int8 "
            "kernel requires it)"
        )
    if str(op.options.get("activation", "NONE")) != "NONE":
        raise ConversionError(f"{where(k, op)}: fused activation on {op.kind}")
    axis = _axis(k, op, int(op.options.get("axis", 0)), len(y.shape))
    outer = math.prod(y.shape[:axis])
    srcs = [lw.tensor(i) for i in op.inputs]
    out = lw.tensor(op.outputs[0])
    ops: list[BOp] = []
    # The kernel takes 4 inputs: longer lists are concatenated in groups into temporaries.
    while len(srcs) > 4:
        group, srcs = srcs[:4], srcs[4:]
        size = sum(lw.tensors[s].nbytes for s in group)
        tmp = lw.new_tensor(op.outputs[0], (outer, size // outer), f"{y.name}/part{len(ops)}")
        ops.append(BOp.build("CONCAT", group, [tmp], outer=outer))
        srcs = [tmp, *srcs]
    ops.append(BOp.build("CONCAT", srcs, [out], outer=outer))
    return ops


def pad(lw: Lowering, k: int, op: Op) -> list[BOp]:
    x, y = lw.act(k, op, op.inputs[0]), lw.act(k, op, op.outputs[0])
    paddings = np.asarray(lw.const(k, op, op.inputs[1], "the paddings")).reshape(-1, 2)
    rank = len(x.shape)
    if rank > 4 or paddings.shape[0] != rank or np.any(paddings < 0):
        raise ConversionError(f"{where(k, op)}: paddings {paddings.tolist()} for rank {rank}")
    value = scalar_q(y)[1]
    if op.kind == "PADV2":
        cv = lw.t(op.inputs[2])
        if cv.data is None or cv.dtype != "int8" or scalar_q(cv) != scalar_q(y):
            raise ConversionError(f"{where(k, op)}: pad value must be an int8 constant with "
                                  "the output's quantization")
        value = int(np.ravel(cv.data)[0])
    before = [0] * (4 - rank) + [int(p) for p in paddings[:, 0]]
    return [BOp.build("PAD", [lw.tensor(op.inputs[0])], [lw.tensor(op.outputs[0])],
                      in_dims=_pad4(x.shape), out_dims=_pad4(y.shape), before=before,
                      value=value)]


def _index_views(lw: Lowering, k: int, op: Op, idx: np.ndarray) -> list[np.ndarray]:
    """The input element index read by every element of each output."""
    o = op.options
    if op.kind == "STRIDED_SLICE":
        begin, end, strides = (lw.const(k, op, i, "slice bounds") for i in op.inputs[1:4])
        return [strided_slice_np(idx, begin, end, strides, o)]
    if op.kind == "SLICE":
        begin = lw.const(k, op, op.inputs[1], "the begin")
        size = lw.const(k, op, op.inputs[2], "the size")
        sl = tuple(slice(int(b), None if int(s) < 0 else int(b) + int(s))
                   for b, s in zip(begin, size, strict=True))
        return [idx[sl]]
    if op.kind == "TRANSPOSE":
        return [np.transpose(idx, [int(p) for p in lw.const(k, op, op.inputs[1], "perm")])]
    if op.kind == "TILE":
        return [np.tile(idx, [int(m) for m in lw.const(k, op, op.inputs[1], "multiples")])]
    if op.kind == "INDEX_MAP":  # graph_passes.collapse_tile_chains: the map is known
        return [idx.ravel()[np.asarray(op.options["view"])]]
    if op.kind == "SPLIT":
        axis = int(np.ravel(lw.const(k, op, op.inputs[0], "the axis"))[0])
        return list(np.split(idx, len(op.outputs), axis=axis))
    if op.kind == "SPLIT_V":
        axis = int(np.ravel(lw.const(k, op, op.inputs[2], "the axis"))[0])
        sizes = [int(s) for s in lw.const(k, op, op.inputs[1], "the sizes")]
        if -1 in sizes:
            sizes[sizes.index(-1)] = idx.shape[axis] - (sum(sizes) + 1)
        return list(np.split(idx, np.cumsum(sizes)[:-1], axis=axis))
    if op.kind == "UNPACK":
        axis = int(o.get("axis", 0))
        return [np.take(idx, i, axis=axis) for i in range(idx.shape[axis])]
    raise ConversionError(f"{where(k, op)}: not a gather")  # pragma: no cover


def affine_map(view: np.ndarray, out_shape: tuple[int, ...]) -> dict[str, Any] | None:
    """STRIDED_COPY's words (dims, base, stride: 4, 1 and 4 values) if
    out[i] = in[base + sum(i_d * stride_d)], else None. Axes of size 1 do not move the index:
    they are left out, so an output of rank 5 or 6 with at most 4 others is a strided view too
    (its bytes are laid out the same)."""
    shape = tuple(d for d in out_shape if d != 1) if len(out_shape) > 4 else tuple(out_shape)
    if len(shape) > 4 or view.size != math.prod(shape):
        return None
    dims = _pad4(shape)
    v = view.reshape(dims).astype(np.int64)
    base = int(v[0, 0, 0, 0])
    strides = []
    for d in range(4):
        unit = [0, 0, 0, 0]
        unit[d] = 1 if dims[d] > 1 else 0
        strides.append(int(v[tuple(unit)]) - base if dims[d] > 1 else 0)
    grid = np.indices(dims).reshape(4, -1).T @ np.array(strides) + base
    if not np.array_equal(grid, v.reshape(-1)):
        return None
    return {"dims": list(dims), "base": base, "stride": strides}


def gather(lw: Lowering, k: int, op: Op) -> list[BOp]:
    data_in = 0 if op.kind not in ("SPLIT",) else 1
    x = lw.int8(k, op, op.inputs[data_in])
    idx = np.arange(math.prod(x.shape), dtype=np.int64).reshape(x.shape)
    try:
        views = _index_views(lw, k, op, idx)
    except (RewriteError, ValueError, IndexError) as e:
        raise ConversionError(f"{where(k, op)}: {e}") from e
    if len(views) != len(op.outputs):
        raise ConversionError(f"{where(k, op)}: {len(views)} results for {len(op.outputs)} "
                              "outputs")
    ops = []
    for view, o in zip(views, op.outputs, strict=True):
        y = lw.act(k, op, o)
        if scalar_q(y) != scalar_q(x):
            raise ConversionError(f"{where(k, op)}: input and output quantization differ")
        words = affine_map(view, y.shape)
        maps = None if words is not None else row_column_maps(view, x.shape, y.shape)
        if words is not None:
            ops.append(BOp.build("STRIDED_COPY", [lw.tensor(op.inputs[data_in])],
                                 [lw.tensor(o)], **words))
        elif maps is not None:  # nearest-neighbour upsampling (Keras UpSampling2D)
            ops.append(BOp.build("RESIZE_NEAREST", [lw.tensor(op.inputs[data_in])],
                                 [lw.tensor(o)], map_h=maps[0], map_w=maps[1]))
        else:
            raise ConversionError(f"{where(k, op)}: output {y.shape} is not a strided view")
    return ops


def row_column_maps(view: np.ndarray, in_shape: tuple[int, ...], out_shape: tuple[int, ...]
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """RESIZE_NEAREST's row and column maps if out[0, y, x, c] = in[0, map_h[y], map_w[x], c]
    (4-D, batch 1, the same channels), else None."""
    if len(in_shape) != 4 or len(out_shape) != 4 or in_shape[0] != 1 or out_shape[0] != 1 or \
            in_shape[3] != out_shape[3] or view.size != math.prod(out_shape):
        return None
    _, h, w, c = in_shape
    v = view.reshape(out_shape).astype(np.int64)
    map_h = v[0, :, 0, 0] // (w * c)
    map_w = v[0, 0, :, 0] % (w * c) // c
    want = (map_h[:, None, None] * w + map_w[None, :, None]) * c + np.arange(c)[None, None, :]
    if not np.array_equal(v[0], want) or map_h.max() >= h:
        return None
    return map_h.astype(np.int32), map_w.astype(np.int32)


def nearest_map(in_size: int, out_size: int, align_corners: bool,
                half_pixel_centers: bool) -> np.ndarray:
    """TFLite's GetNearestNeighbor for every output coordinate, in float32."""
    if align_corners and out_size > 1:
        scale = F32(in_size - 1) / F32(out_size - 1)
    else:
        scale = F32(in_size) / F32(out_size)
    off = F32(0.5) if half_pixel_centers else F32(0.0)
    out = []
    for x in range(out_size):
        v = F32(F32(x) + off) * scale
        i = round_half_away(float(v)) if align_corners else int(math.floor(float(v)))
        i = min(i, in_size - 1)
        if half_pixel_centers:
            i = max(0, i)
        out.append(i)
    return np.array(out, np.int32)


def resize_nearest(lw: Lowering, k: int, op: Op) -> list[BOp]:
    x, y = lw.act(k, op, op.inputs[0]), lw.act(k, op, op.outputs[0])
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise ConversionError(f"{where(k, op)}: input and output must be 4-D")
    ac = bool(op.options.get("align_corners", False))
    hpc = bool(op.options.get("half_pixel_centers", False))
    return [BOp.build("RESIZE_NEAREST", [lw.tensor(op.inputs[0])], [lw.tensor(op.outputs[0])],
                      map_h=nearest_map(x.shape[1], y.shape[1], ac, hpc),
                      map_w=nearest_map(x.shape[2], y.shape[2], ac, hpc))]
