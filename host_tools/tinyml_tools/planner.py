"""Arena planner: place every activation buffer at an offset so that buffers alive at the same
time never overlap. RESHAPE outputs alias their input (same offset, no copy)."""

from __future__ import annotations

from dataclasses import dataclass

from .blob import BOp, BTensor

ALIGN = 4


@dataclass
class Buffer:
    tensors: list[int]
    size: int
    first: int  # first op index at which it is alive (-1: model input, alive from the start)
    last: int  # last op index at which it is alive
    offset: int = -1


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def buffers(tensors: list[BTensor], ops: list[BOp], inputs: list[int], outputs: list[int]
            ) -> list[Buffer]:
    """Group aliased tensors into buffers and compute each buffer's lifetime."""
    root = list(range(len(tensors)))

    def find(i: int) -> int:
        while root[i] != i:
            i = root[i]
        return i

    for op in ops:
        if op.kind == "RESHAPE":
            root[find(op.outputs[0])] = find(op.inputs[0])
    n_ops = len(ops)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for k, op in enumerate(ops):
        for t in [*op.inputs, *op.outputs]:
            if t < 0 or tensors[t].const is not None:
                continue
            r = find(t)
            first[r] = min(first.get(r, k), k)
            last[r] = max(last.get(r, k), k)
    for t in inputs:
        first[find(t)] = -1
        last.setdefault(find(t), -1)
    for t in outputs:
        last[find(t)] = n_ops
        first.setdefault(find(t), n_ops)
    out = []
    for r in sorted(first):
        members = [i for i in range(len(tensors)) if find(i) == r and tensors[i].const is None]
        size = max(tensors[i].nbytes for i in members)
        out.append(Buffer(members, _align(size), first[r], last[r]))
    return out


def plan(tensors: list[BTensor], ops: list[BOp], inputs: list[int], outputs: list[int],
         reuse: bool = True) -> int:
    """Set arena offsets on the arena tensors; return the arena size in bytes.

    Greedy by size: the largest buffers are placed first, each at the lowest offset that does
    not collide with an already placed buffer whose lifetime overlaps. reuse=False gives every
    buffer its own space (for debugging: every intermediate tensor survives the run).
    """
    bufs = buffers(tensors, ops, inputs, outputs)
    if not reuse:
        for b in bufs:
            b.first, b.last = -1, len(ops)
    placed: list[Buffer] = []
    for b in sorted(bufs, key=lambda b: (-b.size, b.first)):
        live = sorted(
            (p for p in placed if p.first <= b.last and b.first <= p.last),
            key=lambda p: p.offset,
        )
        offset = 0
        for p in live:
            if offset + b.size <= p.offset:
                break
            offset = max(offset, p.offset + p.size)
        b.offset = offset
        placed.append(b)
        for t in b.tensors:
            tensors[t].offset = offset
    return max((b.offset + b.size for b in bufs), default=0)


def lower_bound(tensors: list[BTensor], ops: list[BOp], inputs: list[int], outputs: list[int]
                ) -> int:
    """The largest total size of buffers alive at one op: no plan can do better."""
    bufs = buffers(tensors, ops, inputs, outputs)
    steps = range(-1, len(ops) + 1)
    return max(sum(b.size for b in bufs if b.first <= k <= b.last) for k in steps)
