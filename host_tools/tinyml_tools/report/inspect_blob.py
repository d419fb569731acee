"""`tinyml inspect`: what a blob holds and what it costs in flash and RAM."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..convert.planner import lower_bound
from ..format.blob import OP_FLAG_IN_PLACE, Blob, read_blob

# Typical free MicroPython heap (gc.mem_free() right after boot, MicroPython 1.25 generic
# firmware, no PSRAM) per board: what a model's arena, and its blob if read from a file, must
# fit into.
BOARD_HEAP = {
    "pico": 240_000,  # RP2040, 264 KB SRAM: 242,064 B free after boot (test_pico.py measures)
    "pico2": 480_000,  # RP2350, 520 KB SRAM
    "esp32": 110_000,  # ESP32-DevKitC without PSRAM
    "esp32s3": 200_000,  # ESP32-S3 without PSRAM
    "esp32c3": 150_000,  # ESP32-C3
    "stm32f4": 100_000,  # pyboard v1.1 / STM32F405, 192 KB SRAM
    "nucleo-f446re": 75_000,  # STM32F446, 128 KB SRAM
}


def live_buffers(b: Blob) -> list[dict[str, Any]]:
    """Per operator: the arena buffers alive while it runs (activations and scratch)."""
    n = len(b.ops)
    first: dict[int, int] = {t: -1 for t in b.inputs}
    last: dict[int, int] = {t: n for t in b.outputs}
    for k, op in enumerate(b.ops):
        for t in [*op.inputs, *op.outputs]:
            if t >= 0 and b.tensors[t].const is None:
                first[t] = min(first.get(t, k), k)
                last[t] = max(last.get(t, k), k)
    rows = []
    for k, op in enumerate(b.ops):
        alive = sorted((t for t in first if first[t] <= k <= last[t]),
                       key=lambda t: b.tensors[t].offset)
        spans = {(b.tensors[t].offset, b.tensors[t].nbytes) for t in alive}
        if op.flags & OP_FLAG_IN_PLACE:
            spans.add(op.scratch)
        # Aliased tensors share bytes: count the union of the spans.
        covered, end = 0, 0
        for off, size in sorted(spans):
            if off + size > end:
                covered += off + size - max(off, end)
                end = off + size
        rows.append({"op": k, "kind": op.kind, "in_place": bool(op.flags & OP_FLAG_IN_PLACE),
                     "tensors": alive, "scratch": list(op.scratch), "live_bytes": covered})
    return rows


def describe(buf: bytes) -> dict[str, Any]:
    """A JSON-ready description of a blob."""
    b: Blob = read_blob(buf)
    tensors = []
    for i, t in enumerate(b.tensors):
        tensors.append({
            "index": i,
            "shape": list(t.shape),
            "dtype": t.dtype,
            "packing": t.packing,
            "scale": t.scale,
            "zero_point": t.zero_point,
            "location": "const" if t.const is not None else "arena",
            "offset": t.offset,
            "bytes": t.nbytes,  # as stored (a DUAL16 tensor: 2 per value, rows padded to 4)
        })
    ops = [
        {"index": k, "kind": op.kind, "inputs": op.inputs, "outputs": op.outputs,
         "params": [int(p) for p in op.params if isinstance(p, int)], "macs": _macs(b, op)}
        for k, op in enumerate(b.ops)
    ]
    weight_bytes = sum(t.nbytes for t in b.tensors if t.const is not None)
    live = live_buffers(b)
    peak = max(live, key=lambda r: r["live_bytes"]) if live else {"op": -1}
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
        "macs": sum(op_["macs"] for op_ in ops),
        "peak_op": peak["op"],
        "live": live,
    }


def board_fit(info: dict[str, Any], board: str) -> dict[str, Any]:
    """Whether the model fits a board's typical heap: the arena alone (blob in flash, ROMFS)
    and the arena plus the blob read from a file into RAM."""
    heap = BOARD_HEAP[board]
    arena, blob = info["arena_bytes"], info["blob_bytes"]
    return {"board": board, "heap_bytes": heap, "arena_bytes": arena,
            "romfs_margin_bytes": heap - arena, "file_margin_bytes": heap - arena - blob}


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
