"""Weight packing per layer (blob 1.2): which constant weights the converter stores DUAL16.

DUAL16 stores a layer's int8 weights as int16, in the order a dual 16-bit multiply-accumulate
(Armv7E-M's SMLAD: Cortex-M4, M7, M33) takes them, so the device skips the sign extension each
weight word otherwise costs there (for a convolution, two of the 13 instructions its four-pixel
kernel spends on 16 multiply-accumulates). It doubles those weights' flash and gains nothing on
other cores, so it is the user's choice per target (`tinyml convert --weights dual16`), and the
converter applies it layer by layer where it is allowed:

- FULLY_CONNECTED layers with symmetric weights (filter zero point 0, as TensorFlow's
  converter emits) and rows of at most DUAL16_MAX_ROW (640) weights (the format's limit: the
  device widens the input whole on its stack);
- CONV_2D layers whose input channels are a multiple of 4 (each output channel's KH x KW x Ci
  row is then whole groups of four), at most DUAL16_MAX_ROW weights a row (a patch the device
  gathers whole), in place or not;
- weights used by no other operator, not the trainable head, nor a layer of the sparse-update
  scheme: on-device learning reads and rewrites those weights as plain int8.
"""

from __future__ import annotations

import numpy as np

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
        if op.kind not in ("FULLY_CONNECTED", "CONV_2D") or k in kept:
            continue
        w = blob.tensors[op.inputs[1]]
        if (w.const is None or w.dtype != "int8" or w.packing != "plain"
                or users[op.inputs[1]] != 1):
            continue
        if op.kind == "FULLY_CONNECTED":
            ok = op.p["filter_offset"] == 0 and w.shape[-1] <= DUAL16_MAX_ROW
        else:
            ok = w.shape[-1] % 4 == 0 and int(np.prod(w.shape[1:])) <= DUAL16_MAX_ROW
        if ok:
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
