"""`tinyml convert --sparse-update BUDGET --data CALIB.npz`: which parameters below the head the
board updates in `sparse` mode (docs/training.md), chosen on the host as in MIT's Tiny Training
Engine: the parameters whose gradients matter most per byte of RAM, within a budget.

Candidates are the bias and each input channel of the weights (a column of a FULLY_CONNECTED or
1x1 CONV_2D; the bias only of a DEPTHWISE_CONV_2D) of the layers on the plain chain below the
trainable head. Each is scored by its mean squared gradient over the calibration samples (the
first-order loss decrease of an SGD step), with the model's own head and labels, and ranked by
score per byte it adds; they are then taken in that order while the board's exact memory bound
for the updated layers stays within BUDGET.

What the board can update and what it costs are the device's own rules, asked through its
public API: tinyml_backbone.candidates(net) and tinyml_backbone.ram_needed(net, updates) (the
figure Trainer.mem_info() includes), over the host simulator's Net. The gradients come from the
NumPy reference (reference.RefBackbone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..format.blob import Blob
from .reference import RefBackbone

Scheme = tuple[tuple[int, bool, tuple[int, ...]], ...]


class SparseUpdateError(ValueError):
    """No scheme can be chosen for this model, data or budget."""


@dataclass
class Choice:
    scheme: Scheme
    ram_bytes: int  # the backbone part of the sparse trainer's RAM, exactly
    biases: int = 0
    channels: int = 0
    scores: dict[tuple[int, int], float] = field(default_factory=dict)  # (op, -1 | channel)


def _quantize_inputs(net, x: np.ndarray) -> np.ndarray:  # noqa: ANN001
    n = int(np.prod(net.input_shape))
    if x.dtype == np.int8:
        return x.reshape(len(x), n)
    scale, zp = net.input_quant
    q = np.where(x >= 0, np.floor(x / scale + 0.5), np.ceil(x / scale - 0.5)) + zp
    return np.clip(q, -128, 127).astype(np.int8).reshape(len(x), n)


def choose(model: bytes, blob: Blob, x: np.ndarray, y: np.ndarray, budget: int) -> Choice:
    """The sparse-update scheme for `model` (blob bytes; `blob` parsed) from calibration inputs
    x (float, or int8 already quantized) and labels y (the model's own classes)."""
    import tinyml
    from tinyml_backbone import candidates, ram_needed

    if blob.head is None:
        raise SparseUpdateError("the model records no trainable head (its last layer must be a "
                                "FULLY_CONNECTED classifier)")
    net = tinyml.load(model)
    head = net.head()
    head_op, rows, dim = head.op, head.rows, head.cols
    if len(x) != len(y) or len(x) == 0:
        raise SparseUpdateError("--data needs arrays x (inputs) and y (labels) of one length")
    if np.any((y < 0) | (y >= rows)):
        raise SparseUpdateError(f"labels must be the model's classes, 0..{rows - 1}")
    cands = candidates(net)
    if not cands:
        raise SparseUpdateError("no layer below the head can be updated (supported: "
                                "FULLY_CONNECTED, 1x1 CONV_2D, a DEPTHWISE_CONV_2D's bias)")
    # The model's own head in real units, for the loss.
    op = blob.ops[head_op]
    wq = np.frombuffer(blob.tensors[op.inputs[1]].const or b"", np.int8).reshape(rows, dim)
    scales = np.asarray(blob.head[1], np.float64)
    w_real = scales[:, None] * wq
    b_real = np.zeros(rows)
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b_real = scales * net.embedding_quant[0] * np.frombuffer(
            blob.tensors[op.inputs[2]].const or b"", "<i4")
    ref = RefBackbone(model, cands)
    sq: dict[tuple[int, int], float] = {}
    s_e, zp_e = net.embedding_quant
    for q, label in zip(_quantize_inputs(net, x), y, strict=True):
        e = (ref.forward(q).astype(np.float64) - zp_e) * s_e
        z = w_real @ e + b_real
        g = np.exp(z - z.max())
        g /= g.sum()
        g[int(label)] -= 1.0  # dLoss/dlogits of softmax cross-entropy
        for L, gb, gw in ref.grads(g @ w_real):
            if L.upd_bias:
                sq[L.k, -1] = sq.get((L.k, -1), 0.0) + float(gb @ gb)
            for j, ch in enumerate(L.chans):
                sq[L.k, ch] = sq.get((L.k, ch), 0.0) + float(gw[:, j] @ gw[:, j])
    scores = {u: v / len(x) for u, v in sq.items()}
    layers = {L.k: L for L in ref.layers}

    def own_bytes(u: tuple[int, int]) -> int:
        L = layers[u[0]]
        return 8 * L.cout if u[1] < 0 else L.P + int(np.prod(L.wshape)) // L.cin

    ranked = sorted(scores, key=lambda u: (-scores[u] / own_bytes(u), u))
    chosen: dict[int, tuple[bool, list[int]]] = {}
    need = 0
    for u in ranked:
        trial = {k: (b, list(c)) for k, (b, c) in chosen.items()}
        b, c = trial.get(u[0], (False, []))
        trial[u[0]] = (True, c) if u[1] < 0 else (b, sorted([*c, u[1]]))
        scheme = _scheme(trial)
        try:
            n = ram_needed(net, list(scheme))
        except ValueError:
            continue
        if n <= budget:
            chosen, need = trial, n
    if not chosen:
        raise SparseUpdateError(f"a budget of {budget} bytes holds nothing: the smallest "
                                "update needs more")
    scheme = _scheme(chosen)
    return Choice(scheme, need, sum(1 for _, b, _ in scheme if b),
                  sum(len(c) for _, _, c in scheme), scores)


def _scheme(chosen: dict[int, tuple[bool, list[int]]]) -> Scheme:
    return tuple((k, b, tuple(c)) for k, (b, c) in sorted(chosen.items()))


def with_scheme(blob: Blob, scheme: Scheme) -> bytes:
    """The blob again, with the scheme recorded (metadata tag 2). `blob` is the converter's
    (convert_model's second result), which the writer lays out again."""
    from _tinyml import Model

    from ..format.blob import write_blob

    blob.sparse_update = scheme
    data = write_blob(blob)
    Model(data)  # the C core's loader accepts it, as the board's will
    return data
