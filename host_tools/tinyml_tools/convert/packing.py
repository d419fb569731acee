"""Weight packing per layer (blob 1.2): which constant weights the converter stores DUAL16.

DUAL16 stores a FULLY_CONNECTED layer's int8 weights as int16, in the order a dual 16-bit
multiply-accumulate (Armv7E-M's SMLAD: Cortex-M4, M7, M33) takes them, so the device skips the
sign extension each weight word otherwise costs there. It doubles those weights' flash and
gains nothing on other cores, so it is the user's choice per target (`tinyml convert --weights
dual16`), and the converter applies it layer by layer where it is worth it and allowed:

- FULLY_CONNECTED layers (CONV_2D reuses each weight across pixels, so its extension is
  already cheap), with symmetric weights (filter zero point 0, as TensorFlow's converter
  emits) used by no other operator, and rows of at most DUAL16_MAX_ROW (640) weights (the
  format's limit: the device widens the input whole on its stack);
- not the trainable head, nor a layer of the sparse-update scheme: on-device learning reads
  and rewrites those weights as plain int8.
"""

from __future__ import annotations

from ..format.blob import Blob, pack_dual16
from ..format.schema import DUAL16_MAX_ROW

WEIGHT_PACKINGS = ("int8", "dual16")


def dual16_layers(blob: Blob) -> list[int]:
    """The operators whose weights `--weights dual16` stores DUAL16."""
    kept = {k for k, _, _ in blob.sparse_update}
    if blob.head is not None:
        kept.add(blob.head[0])
    users: dict[int, int] = {}
    for op in blob.ops:
        for i in op.inputs:
            users[i] = users.get(i, 0) + 1
    chosen = []
    for k, op in enumerate(blob.ops):
        if op.kind != "FULLY_CONNECTED" or k in kept:
            continue
        w = blob.tensors[op.inputs[1]]
        if (w.const is not None and w.dtype == "int8" and w.packing == "plain"
                and users[op.inputs[1]] == 1 and op.p["filter_offset"] == 0
                and w.shape[-1] <= DUAL16_MAX_ROW):
            chosen.append(k)
    return chosen


def pack_weights(blob: Blob, weights: str) -> list[int]:
    """Store the weights of the layers `weights` selects ("int8": none; "dual16":
    dual16_layers) packed, in place in `blob`; returns those layers."""
    if weights not in WEIGHT_PACKINGS:
        raise ValueError(f"weights must be one of {', '.join(WEIGHT_PACKINGS)}, not {weights!r}")
    if weights == "int8":
        return []
    layers = dual16_layers(blob)
    for k in layers:
        w = blob.tensors[blob.ops[k].inputs[1]]
        w.const, w.packing = pack_dual16(w.values()), "dual16"
    return layers
