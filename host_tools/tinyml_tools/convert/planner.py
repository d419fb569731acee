"""Arena planner: place every activation buffer at an offset so that buffers alive at the same
time never overlap.

- RESHAPE outputs alias their input (same offset, no copy).
- In place: a 1x1 / stride 1 / unpadded CONV_2D or a multiplier-1 DEPTHWISE_CONV_2D whose
  input dies at that operator writes its output over the input (one buffer of the larger
  size) with a small scratch buffer alive only during the operator (TinyEngine's in-place
  convolutions); the device checks the same rule (native_modules/tinyml/src/ops/op_conv.c).
- Placement: several orderings (by size, by start, by lifetime, by size x lifetime), each
  placed first-fit at the lowest free offset; the smallest arena wins.
- Order: for graphs with branches, the model's own execution order and a memory-greedy
  topological schedule are both planned; the smaller arena wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..format.blob import OP_FLAG_IN_PLACE, BOp, BTensor
from ..format.layout import word_count

ALIGN = 4


@dataclass
class Buffer:
    tensors: list[int]
    size: int  # the largest size it reaches
    first: int  # first op index at which it is alive (-1: model input, alive from the start)
    last: int  # last op index at which it is alive
    offset: int = -1
    scratch_of: list[BOp] = field(default_factory=list)  # a scratch buffer: its operator
    # Bytes in use at each op from `first` to `last` (an in-place chain grows and shrinks:
    # [offset, offset + sizes[k - first]) is all it holds at op k).
    sizes: list[int] = field(default_factory=list)

    def size_at(self, k: int) -> int:
        if not self.first <= k <= self.last:
            return 0
        return self.sizes[k - self.first] if self.sizes else self.size


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def in_place_scratch(op: BOp, tensors: list[BTensor]) -> int:
    """Scratch bytes of op's in-place variant, 0 if it has none: the C core's own function
    (through the host simulator extension), so the planner and the loader cannot disagree."""
    from _tinyml import conv_in_place_scratch

    p = _words(op)
    if op.kind not in ("CONV_2D", "DEPTHWISE_CONV_2D") or p is None:
        return 0
    x, f, y = tensors[op.inputs[0]], tensors[op.inputs[1]], tensors[op.outputs[0]]
    if len(x.shape) != 4 or len(y.shape) != 4 or len(f.shape) != 4:
        return 0
    dw = op.kind == "DEPTHWISE_CONV_2D"
    return int(conv_in_place_scratch(dw, tuple(x.shape), tuple(f.shape), tuple(y.shape),
                                     p["stride_h"], p["stride_w"], p["pad_h"], p["pad_w"],
                                     p["depth_mult"] if dw else 1))


def _words(op: BOp) -> dict[str, Any] | None:
    """op's parameter words by name; None for an operator made without them."""
    return op.p if len(op.params) == word_count(op.kind) else None


_ELEMENTWISE = {"LUT", "ADD", "MUL", "MINIMUM", "MAXIMUM", "PRELU"}


def exact_alias_ok(op: BOp, tensors: list[BTensor]) -> bool:
    """An element-wise op may write over input 0 when it reads input 0 at the very index it
    writes: same size, and (broadcasting kinds) row-major strides (the loader's rule)."""
    p = _words(op)
    if op.kind not in _ELEMENTWISE or (op.kind != "LUT" and p is None):
        return False
    x, y = tensors[op.inputs[0]], tensors[op.outputs[0]]
    if x.nbytes != y.nbytes or x.const is not None:
        return False
    if op.kind == "LUT":
        return True
    assert p is not None
    dims, strides = p["dims"], p["stride1"]
    stride = 1
    for d in range(3, -1, -1):
        if dims[d] > 1 and strides[d] != stride:
            return False
        stride *= dims[d]
    return True


class _Groups:
    """Union-find over tensor indices: tensors that share one buffer."""

    def __init__(self, n: int) -> None:
        self.root = list(range(n))

    def find(self, i: int) -> int:
        while self.root[i] != i:
            i = self.root[i]
        return i

    def union(self, keep: int, other: int) -> None:
        self.root[self.find(other)] = self.find(keep)


def _groups(tensors: list[BTensor], ops: list[BOp], outputs: list[int], in_place: bool
            ) -> tuple[_Groups, list[int]]:
    """Alias groups (RESHAPE, and in-place operators when allowed); the in-place op indices."""
    g = _Groups(len(tensors))
    chosen: list[int] = []
    for k, op in enumerate(ops):
        if op.kind == "RESHAPE":
            g.union(op.inputs[0], op.outputs[0])
            continue
        flagged = in_place and in_place_scratch(op, tensors) > 0
        if not flagged and not (in_place and exact_alias_ok(op, tensors)):
            continue
        src = g.find(op.inputs[0])
        if tensors[op.inputs[0]].const is not None or any(g.find(o) == src for o in outputs):
            continue
        if any(i >= 0 and g.find(i) == src for i in op.inputs[1:]):
            continue  # another input lives in the same buffer
        # The input must die here: no later operator reads any tensor of its group.
        if any(g.find(i) == src for later in ops[k + 1 :] for i in later.inputs if i >= 0):
            continue
        g.union(op.inputs[0], op.outputs[0])
        if flagged:
            chosen.append(k)
    return g, chosen


def buffers(tensors: list[BTensor], ops: list[BOp], inputs: list[int], outputs: list[int],
            in_place: bool = False) -> list[Buffer]:
    """Group aliased tensors into buffers, compute each buffer's lifetime, and add the scratch
    buffers of in-place operators (alive during their operator only)."""
    g, chosen = _groups(tensors, ops, outputs, in_place)
    n_ops = len(ops)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for k, op in enumerate(ops):
        for t in [*op.inputs, *op.outputs]:
            if t < 0 or tensors[t].const is not None:
                continue
            r = g.find(t)
            first[r] = min(first.get(r, k), k)
            last[r] = max(last.get(r, k), k)
    for t in inputs:
        first[g.find(t)] = -1
        last.setdefault(g.find(t), -1)
    for t in outputs:
        last[g.find(t)] = n_ops
        first.setdefault(g.find(t), n_ops)
    # Each tensor's own lifetime, for the size of its buffer over time.
    t_first: dict[int, int] = {t: -1 for t in inputs}
    t_last: dict[int, int] = {t: n_ops for t in outputs}
    for k, op in enumerate(ops):
        for t in [*op.inputs, *op.outputs]:
            if t >= 0 and tensors[t].const is None:
                t_first[t] = min(t_first.get(t, k), k)
                t_last[t] = max(t_last.get(t, k), k)
    out = []
    for r in sorted(first):
        members = [i for i in range(len(tensors)) if g.find(i) == r and tensors[i].const is None]
        size = max(tensors[i].nbytes for i in members)
        sizes = [_align(max((tensors[i].nbytes for i in members
                             if t_first.get(i, first[r]) <= k <= t_last.get(i, last[r])),
                            default=0))
                 for k in range(first[r], last[r] + 1)]
        out.append(Buffer(members, _align(size), first[r], last[r], sizes=sizes))
    for k in chosen:
        out.append(Buffer([], _align(in_place_scratch(ops[k], tensors)), k, k,
                          scratch_of=[ops[k]]))
    return out


def _fits(b: Buffer, offset: int, placed: list[Buffer]) -> bool:
    for p in placed:
        for k in range(max(b.first, p.first), min(b.last, p.last) + 1):
            sb, sp = b.size_at(k), p.size_at(k)
            if sb and sp and offset < p.offset + sp and p.offset < offset + sb:
                return False
    return True


def _place(bufs: list[Buffer], key: Callable[[Buffer], tuple[int, ...]]) -> int:
    """First fit: each buffer, in the given order, at the lowest offset where it collides with
    no placed buffer at any op where both are alive (sizes as they vary over time)."""
    placed: list[Buffer] = []
    for b in sorted(bufs, key=key):
        live = [p for p in placed if p.first <= b.last and b.first <= p.last]
        candidates = sorted({0} | {p.offset + p.size_at(k) for p in live
                                   for k in range(max(b.first, p.first),
                                                  min(b.last, p.last) + 1)})
        b.offset = next(c for c in candidates if _fits(b, c, live))
        placed.append(b)
    return max((b.offset + b.size for b in bufs), default=0)


_ORDERS: list[Callable[[Buffer], tuple[int, ...]]] = [
    lambda b: (-b.size, b.first),
    lambda b: (b.first, -b.size),
    lambda b: (-(b.last - b.first), -b.size),
    lambda b: (-b.size * (b.last - b.first + 1), b.first),
]


def _best_placement(bufs: list[Buffer]) -> tuple[int, list[int]]:
    best, best_size = [], -1
    for order in _ORDERS:
        size = _place(bufs, order)
        if best_size < 0 or size < best_size:
            best, best_size = [b.offset for b in bufs], size
    return best_size, best


def schedules(tensors: list[BTensor], ops: list[BOp], inputs: list[int]) -> list[list[int]]:
    """Candidate execution orders (topological): the model's own, and a memory-greedy list
    schedule that runs next the ready operator growing live memory least (branches of a
    residual block or a concatenation in the order that keeps the peak lowest)."""
    producer = {o: k for k, op in enumerate(ops) for o in op.outputs}
    deps = [{producer[i] for i in op.inputs if i in producer} for op in ops]
    readers: dict[int, int] = {}
    for op in ops:
        for i in set(op.inputs):
            readers[i] = readers.get(i, 0) + 1
    done: set[int] = set()
    left = dict(readers)
    order: list[int] = []
    while len(order) < len(ops):
        ready = [k for k in range(len(ops)) if k not in done and deps[k] <= done]
        def growth(k: int) -> tuple[int, int]:
            new = sum(tensors[o].nbytes for o in ops[k].outputs)
            freed = sum(tensors[i].nbytes for i in set(ops[k].inputs)
                        if i >= 0 and tensors[i].const is None and left.get(i, 0) == 1)
            return new - freed, k
        k = min(ready, key=growth)
        order.append(k)
        done.add(k)
        for i in set(ops[k].inputs):
            left[i] = left.get(i, 0) - 1
    orders = [list(range(len(ops)))]
    if order != orders[0]:
        orders.append(order)
    return orders


def plan(tensors: list[BTensor], ops: list[BOp], inputs: list[int], outputs: list[int],
         reuse: bool = True) -> tuple[int, list[BOp]]:
    """Choose the execution order, set arena offsets on the arena tensors (and scratch and
    in-place flags on operators); return the arena size in bytes and the operators in their
    execution order. reuse=False keeps the model's order, gives every buffer its own space and
    runs nothing in place (for debugging: every intermediate tensor survives the run)."""
    candidates = schedules(tensors, ops, inputs) if reuse else [list(range(len(ops)))]
    best = None
    for order in candidates:
        seq = [ops[k] for k in order]
        bufs = buffers(tensors, seq, inputs, outputs, in_place=reuse)
        if not reuse:
            for b in bufs:
                b.first, b.last, b.sizes = -1, len(ops), []
        size, offsets = _best_placement(bufs)
        if best is None or size < best[0]:
            best = (size, seq, bufs, offsets)
    assert best is not None
    size, seq, bufs, offsets = best
    for b, off in zip(bufs, offsets, strict=True):
        b.offset = off
        for t in b.tensors:
            tensors[t].offset = off
        for op in b.scratch_of:
            op.flags |= OP_FLAG_IN_PLACE
            op.scratch = (off, b.size)
    return size, seq


def lower_bound(tensors: list[BTensor], ops: list[BOp], inputs: list[int], outputs: list[int]
                ) -> int:
    """The largest total size of buffers alive at one op without in-place execution: no plan
    without in-place tricks can do better."""
    bufs = buffers(tensors, ops, inputs, outputs, in_place=False)
    steps = range(-1, len(ops) + 1)
    return max(sum(b.size_at(k) for b in bufs) for k in steps)
