"""`tinyml inspect`: what a blob holds and what it costs in flash and RAM."""

from __future__ import annotations

from typing import Any

import numpy as np

from .blob import Blob, read_blob
from .planner import lower_bound


def describe(buf: bytes) -> dict[str, Any]:
    """A JSON-ready description of a blob."""
    b: Blob = read_blob(buf)
    tensors = []
    for i, t in enumerate(b.tensors):
        tensors.append({
            "index": i,
            "shape": list(t.shape),
            "dtype": t.dtype,
            "scale": t.scale,
            "zero_point": t.zero_point,
            "location": "const" if t.const is not None else "arena",
            "offset": t.offset,
            "bytes": t.nbytes,
        })
    ops = [
        {"index": k, "kind": op.kind, "inputs": op.inputs, "outputs": op.outputs,
         "params": [int(p) for p in op.params if isinstance(p, int)]}
        for k, op in enumerate(b.ops)
    ]
    weight_bytes = sum(t.nbytes for t in b.tensors if t.const is not None)
    return {
        "name": b.name,
        "labels": b.labels,
        "version": f"{b.version[0]}.{b.version[1]}",
        "inputs": b.inputs,
        "outputs": b.outputs,
        "ops": ops,
        "tensors": tensors,
        "arena_bytes": b.arena_size,
        "lower_bound_bytes": lower_bound(b.tensors, b.ops, b.inputs, b.outputs),
        "blob_bytes": len(buf),
        "weight_bytes": weight_bytes,
        "macs": sum(_macs(b, op_) for op_ in b.ops),
    }


def _macs(b: Blob, op: Any) -> int:
    out = b.tensors[op.outputs[0]]
    n_out = int(np.prod(out.shape))
    if op.kind == "CONV_2D":
        w = b.tensors[op.inputs[1]].shape
        return n_out * w[1] * w[2] * w[3]
    if op.kind == "DEPTHWISE_CONV_2D":
        w = b.tensors[op.inputs[1]].shape
        return n_out * w[1] * w[2]
    if op.kind == "ADD":
        return 0
    if op.kind == "FULLY_CONNECTED":
        return n_out * b.tensors[op.inputs[1]].shape[1]
    return 0
