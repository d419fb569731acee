"""NumPy reference of on-device learning (device/tinyml_train.py, tinyml_head.py,
tinyml_backbone.py), written from docs/training.md, that the tests hold the device to bit for
bit: the updated parameters and every prediction.

To agree bit for bit it keeps the device's order of operations and its storage precisions:
float32 where the device keeps float32 arrays (head weights, logits, gradient buffers, bias
carries, scores), float64 arithmetic elsewhere (MicroPython's float is a double on the
runtimes tested), sums accumulated in the device's loop order (`seqsum`: np.cumsum adds one
term at a time), math.exp and math.log as the device's math module.

Its own parts: the int8 forward pass (int8.Int8Forward, TFLite's integer arithmetic in NumPy,
not the C core), the choice of layers (from the blob, by the rule docs/training.md states),
the backward pass and the QAS steps. Shared with the device, as rules rather than results:
each layer's bias bound (the C core's load check, `op_info(k).bias_limit` through the host
binding) and the fixed pseudo-random sequence of shuffles and stochastic rounding
(tinyml_num.Lcg).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tinyml_num import Lcg  # the device's pseudo-random sequence (a rule, shared)

from ..format.blob import Blob, read_blob
from .int8 import Int8Forward

F32 = np.float32
WEIGHTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
Update = tuple[int, bool, tuple[int, ...]]  # (operator, bias updated, weight channels)


def seqsum(a: np.ndarray, axis: int = -1, start: float = 0.0) -> np.ndarray | float:
    """start + a[0] + a[1] + ... along axis, one rounding per addition, in index order (as a
    device loop adds)."""
    a = np.moveaxis(np.asarray(a, np.float64), axis, 0)
    s = np.cumsum(np.concatenate([np.full((1, *a.shape[1:]), start), a]), axis=0)[-1]
    return float(s) if s.ndim == 0 else s


def round_away(v: np.ndarray) -> np.ndarray:
    """To the nearest integer, halves away from zero, as the device computes it: the integer
    part, then the fraction compared with 0.5 (no v + 0.5, which can round)."""
    t = np.trunc(v)
    f = v - t
    return np.where(f >= 0.5, t + 1, np.where(f <= -0.5, t - 1, t))


def softmax(z: Sequence[float]) -> np.ndarray:
    zmax = max(z)
    ex = [math.exp(v - zmax) for v in z]
    total = seqsum(np.array(ex))
    return np.array([v / total for v in ex])


class RefTrainer:
    """The trainer of one mode on a blob (its bytes): add_class, add_example, step, fit,
    predict, as tinyml_train.Trainer; examples are int8 inputs (bytes or an int8 array)."""

    def __init__(self, model: bytes, mode: str = "head", lr: float = 0.5,
                 momentum: float = 0.0, max_classes: int | None = None, layers: int = 2) -> None:
        blob = read_blob(model)
        if blob.head is None:
            raise ValueError("the blob records no trainable head")
        self.head_op, scales = blob.head
        op = blob.ops[self.head_op]
        self.emb_t = op.inputs[0]
        emb, wt = blob.tensors[op.inputs[0]], blob.tensors[op.inputs[1]]
        self.rows, self.dim = wt.shape
        assert wt.const is not None
        self.wq = np.frombuffer(wt.const, np.int8).reshape(self.rows, self.dim).astype(np.int64)
        self.bias_q: np.ndarray | None = None
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            bt = blob.tensors[op.inputs[2]]
            assert bt.const is not None
            self.bias_q = np.frombuffer(bt.const, "<i4").astype(np.int64)
        self.s_e = float(F32(emb.scale))
        self.zp_e = emb.zero_point
        self.mode, self.lr, self.momentum = mode, lr, momentum
        self.max_classes = max_classes if max_classes is not None else self.rows + 3
        self.labels = list(blob.labels) or [str(i) for i in range(self.rows)]
        c, d = self.max_classes, self.dim
        self.scales = np.asarray(scales, F32).astype(np.float64)
        # The float head: the model's rows in real units (scale x int8; scale x s_e x bias).
        self.w = np.zeros((c, d + 1), F32)
        self.w[: self.rows, :d] = (self.scales[:, None] * self.wq).astype(F32)
        if self.bias_q is not None:
            self.w[: self.rows, d] = (self.scales * self.s_e * self.bias_q).astype(F32)
        self.v = np.zeros_like(self.w)
        self.thr = np.zeros(c, F32)
        self.gated = False
        self.sums = np.zeros((c, d), np.int64)
        self.counts = np.zeros(c, np.int64)
        self.fresh = np.zeros(c, bool)
        self.seen = np.zeros(c, bool)
        self.cache: list[tuple[np.ndarray, int]] = []  # embeddings; bias/sparse: inputs
        self.fwd = Int8Forward(model, blob)
        self.bb: RefBackbone | None = None
        if mode in ("bias", "sparse"):
            ups = sparse_updates(blob) if mode == "sparse" else bias_updates(blob, layers - 1)
            self.bb = RefBackbone(model, ups, blob, self.fwd)

    def embedding(self, x: bytes | np.ndarray) -> np.ndarray:
        """The int8 embedding of input x (with the updated layers in bias and sparse modes)."""
        if self.bb is not None:
            return self.bb.forward(x)
        return self.fwd.run(_int8(x), self.head_op)[self.emb_t].ravel()

    def deq(self, q: np.ndarray) -> np.ndarray:
        return (q.astype(np.int64) - self.zp_e) * self.s_e

    def add_class(self, name: str) -> int:
        self.labels.append(name)
        self.fresh[len(self.labels) - 1] = True
        return len(self.labels) - 1

    def add_example(self, x: bytes | np.ndarray, y: int) -> None:
        self.seen[y] = True
        if self.mode == "ncm":
            e = self.deq(self.embedding(x))
            n2 = seqsum(e * e)
            inv = 127 / math.sqrt(n2) if n2 > 0 else 0.0
            self.sums[y] += round_away(e * inv).astype(np.int64)
            self.counts[y] += 1
        else:
            self.cache.append((_int8(x) if self.bb is not None else self.embedding(x), y))

    # ---- the float head ----

    def logits(self, e: np.ndarray) -> np.ndarray:
        """float32 logits (as float64) of the classes so far; new classes at -1e30."""
        n, d = len(self.labels), self.dim
        w = self.w[:n].astype(np.float64)
        # Per row: its bias, then + w[c] x e[c] in c order.
        z = np.cumsum(np.concatenate([w[:, d:], w[:, :d] * e], axis=1), axis=1)[:, -1]
        return np.where(self.fresh[:n], -1e30, z).astype(F32).astype(np.float64)

    def imprint(self, r: int, es: list[np.ndarray]) -> None:
        d = self.dim
        mean = seqsum(np.array(es), axis=0)
        n2 = seqsum(mean * mean)
        old = self.w[: self.rows].astype(np.float64)
        norms = seqsum(np.sqrt(seqsum(old[:, :d] * old[:, :d], axis=1)))
        bias = seqsum(old[:, d])
        k = (norms / self.rows) / math.sqrt(n2) if n2 > 0 else 0.0
        self.w[r, :d] = (mean * k).astype(F32)
        self.w[r, d] = F32(bias / self.rows)
        self.fresh[r] = False

    def sgd(self, e: np.ndarray, y: int) -> float:
        n, d = len(self.labels), self.dim
        z = self.logits(e)
        zmax = float(np.max(z))
        ex = [math.exp(float(v) - zmax) for v in z]
        total = seqsum(np.array(ex))
        loss = math.log(total) - (float(z[y]) - zmax)
        self.hit = float(z[y]) >= zmax
        lr = self.lr / seqsum(e * e, start=1.0)
        g = [ex[r] / total - (1.0 if r == y else 0.0) for r in range(n)]
        ga = np.zeros(d, F32)
        if self.bb is not None:  # dLoss/d(embedding), with the head before the step
            for r in range(n):
                ga = (ga.astype(np.float64) + g[r] * self.w[r, :d].astype(np.float64)).astype(F32)
        e1 = np.append(e, 1.0)
        for r in range(n):
            if not self.seen[r]:
                continue
            gc = g[r] * e1
            if self.momentum:
                gc = self.momentum * self.v[r].astype(np.float64) + gc
                self.v[r] = gc.astype(F32)
            self.w[r] = (self.w[r].astype(np.float64) - lr * gc).astype(F32)
        if self.bb is not None:
            self.bb.backward(ga.astype(np.float64), lr)
        return loss

    def emb(self, item: np.ndarray) -> np.ndarray:
        """A cached example's dequantized embedding (bias/sparse: through the backbone now)."""
        return self.deq(item if self.bb is None else self.bb.forward(item))

    def step(self, x: bytes | np.ndarray, y: int) -> float:
        e = self.deq(self.embedding(x))
        self.seen[y] = True
        if self.fresh[y]:
            self.imprint(y, [e])
        return self.sgd(e, y)

    def fit(self, epochs: int = 30) -> None:
        n = len(self.cache)
        for r in range(len(self.labels)):
            if self.fresh[r] and self.seen[r]:
                self.imprint(r, [self.emb(q) for q, y in self.cache if y == r])
        order = list(range(n))
        rng = Lcg(1)
        self.epochs: list[tuple[float, float]] = []  # (mean loss, accuracy) over each epoch's
        for _ in range(epochs):                       # steps, each before its update
            rng.shuffle(order)
            loss, right = 0.0, 0
            for i in order:
                q, y = self.cache[i]
                loss += self.sgd(self.emb(q), y)
                right += self.hit
            self.epochs.append((loss / n, right / n))
        unseen = self.unseen()
        self.gated = bool(unseen)
        if unseen:
            self.thr[: len(self.labels)] = F32(1e30)
            for q, y in self.cache:
                z = self.logits(self.emb(q))
                margin = float(z[y]) - float(np.max(z[unseen]))
                if margin < float(self.thr[y]):
                    self.thr[y] = F32(margin)

    # ---- prediction ----

    def unseen(self) -> list[int]:
        return [r for r in range(self.rows) if not self.seen[r]]

    def scores(self, q: np.ndarray) -> np.ndarray:
        """float32 class scores for an int8 embedding q (as the device's Trainer.scores)."""
        n = len(self.labels)
        unseen = self.unseen()
        e = self.deq(q)
        if self.mode == "ncm":
            return self._ncm_scores(e, n, unseen)
        z = self.logits(e)
        if unseen and self.gated:
            seen = [r for r in range(n) if self.seen[r]]
            best = seen[int(np.argmax(z[seen]))] if seen else -1
            if best < 0 or float(z[best]) - float(np.max(z[unseen])) < float(self.thr[best]):
                z[self.seen[:n]] = float(F32(-1e30))
        return softmax([float(v) for v in z]).astype(F32)

    def _ncm_scores(self, e: np.ndarray, n: int, unseen: list[int]) -> np.ndarray:
        ne = seqsum(e * e)
        out = np.full(n, -1.0)
        for r in np.flatnonzero(self.counts[:n]):
            vec = self.sums[r]
            n2 = seqsum(vec * vec)
            out[r] = (seqsum(e * vec) / (math.sqrt(ne) * math.sqrt(n2))
                      if n2 > 0 and ne > 0 else 0.0)
        out = out.astype(F32)
        if not unseen:
            return out
        have = [r for r in range(n) if self.counts[r]]
        if have:
            best = have[int(np.argmax(out[have]))]
            s = self.sums[best]
            thr = 2 * math.sqrt(seqsum(s * s)) / (127 * int(self.counts[best])) - 1
            if float(out[best]) >= thr:
                return out
        z = []
        for r in unseen:
            bias = float(self.bias_q[r]) * self.s_e if self.bias_q is not None else 0.0
            z.append(float(self.scales[r]) * (seqsum(self.wq[r] * e) + bias))
        out = np.full(n, -1.0)
        out[unseen] = softmax(z)
        return out.astype(F32)

    def predict(self, x: bytes | np.ndarray) -> int:
        """The predicted class of input x (the first of the highest scores)."""
        return int(np.argmax(self.scores(self.embedding(x))))


def _int8(x: bytes | np.ndarray) -> np.ndarray:
    if isinstance(x, bytes | bytearray):
        return np.frombuffer(x, np.int8).astype(np.int64)
    return np.asarray(x).astype(np.int64).ravel()


# ---- which layers: the rule of docs/training.md, read from the blob ----


def below_head(blob: Blob) -> list[int]:
    """The operators under the head from the top down: the one computing the embedding, then
    the one computing its first input, and so on."""
    assert blob.head is not None
    k_head = blob.head[0]
    out, t = [], blob.ops[k_head].inputs[0]
    for k in range(k_head - 1, -1, -1):
        if blob.ops[k].outputs[0] == t:
            out.append(k)
            t = blob.ops[k].inputs[0]
    return out


def bias_updates(blob: Blob, n: int) -> list[Update]:
    """Bias mode: the biases of the first n weighted layers with a bias under the head, in
    operator order."""
    ks = [k for k in below_head(blob) if blob.ops[k].kind in WEIGHTED and
          len(blob.ops[k].inputs) > 2 and blob.ops[k].inputs[2] >= 0][:n]
    return [(k, True, ()) for k in reversed(ks)]


def sparse_updates(blob: Blob) -> list[Update]:
    """Sparse mode: the blob's scheme, below the head."""
    assert blob.head is not None
    return [(k, b, tuple(c)) for k, b, c in blob.sparse_update if k != blob.head[0]]


def bias_limits(model: bytes) -> dict[int, int]:
    """Each operator's bias bound, the C core's load-check rule (op_info's bias_limit)."""
    import tinyml  # the host simulator: the device API over the C core

    net = tinyml.load(model)
    return {k: net.op_info(k).bias_limit for k in range(net.ops)}


class RefLayer:
    """One operator on the path from the lowest updated layer to the head."""

    def __init__(self, blob: Blob, fwd: Int8Forward, k: int, lim: int) -> None:
        op = blob.ops[k]
        self.k, self.kind = k, op.kind
        self.x, self.y = op.inputs[0], op.outputs[0]
        tx, ty = blob.tensors[self.x], blob.tensors[self.y]
        self.sx, self.zx = float(F32(tx.scale)), tx.zero_point
        self.sy = float(F32(ty.scale))
        self.n_in, self.n_out = int(np.prod(tx.shape)), int(np.prod(ty.shape))
        self.chans: tuple[int, ...] = ()
        self.upd_bias = self.down = False
        self.P = self.n_in // self.n_out if op.kind == "AVERAGE_POOL_2D" else 1
        self.w_t = self.b_t = -1
        self.mask = np.zeros((0, 0), bool)
        self.xs = np.zeros((0, 0), np.int64)
        if op.kind not in WEIGHTED:
            return
        p = op.p
        self.amin, self.amax = p["act_min"], p["act_max"]
        self.w_t = op.inputs[1]
        self.b_t = op.inputs[2] if len(op.inputs) > 2 else -1
        self.wshape = blob.tensors[self.w_t].shape
        dw = op.kind == "DEPTHWISE_CONV_2D"
        self.cout = self.wshape[3] if dw else self.wshape[0]
        self.cin = self.wshape[-1]
        self.P = self.n_out // self.cout
        if op.kind == "CONV_2D":
            assert self.wshape[1] == self.wshape[2] == 1 and self.n_in == self.P * self.cin
        w = fwd.const(self.w_t, {})
        self.wq = w.reshape(-1) if dw else w.reshape(self.cout, -1)
        self.xs = np.zeros((self.P, 0), np.int64)
        self.bias = (fwd.const(self.b_t, {}) if self.b_t >= 0 else np.zeros(self.cout, np.int64))
        self.res = np.zeros(self.cout, F32)
        mult, shift = fwd.requant(k)
        m = np.broadcast_to(mult * 2.0 ** (shift - 31), (self.cout,))  # s_x s_w[c] / s_y
        self.lsb_b = self.sy * m  # one LSB of the int32 bias in real units
        self.lsb_w = self.sy * m / self.sx  # of an int8 weight
        self.lim = lim


class RefBackbone:
    """The updated layers of bias and sparse modes: the reference's own copies of their
    parameters, the NumPy int8 forward pass over them, gradients and QAS steps."""

    def __init__(self, model: bytes, updates: Sequence[Update], blob: Blob | None = None,
                 fwd: Int8Forward | None = None) -> None:
        self.blob = blob if blob is not None else read_blob(model)
        self.fwd = fwd if fwd is not None else Int8Forward(model, self.blob)
        assert self.blob.head is not None
        self.head_op = self.blob.head[0]
        self.emb_t = self.blob.ops[self.head_op].inputs[0]
        lowest = min(u[0] for u in updates)
        path = [k for k in below_head(self.blob) if k >= lowest]
        assert path and path[-1] == lowest, f"operator {lowest} does not feed the head"
        lims = bias_limits(model)
        self.layers = [RefLayer(self.blob, self.fwd, k, lims[k]) for k in reversed(path)]
        by = {L.k: L for L in self.layers}
        self.updated = []
        for op, bias, chans in updates:
            by[op].upd_bias, by[op].chans = bool(bias), tuple(chans)
            self.updated.append(by[op])
        for i, L in enumerate(self.layers):
            L.down = i > 0
        self.rng = Lcg(12345)

    def params(self) -> bytes:
        """The updated parameters, as the device's Backbone.params() lays them out."""
        out = b""
        for L in self.updated:
            if L.upd_bias:
                out += L.bias.astype("<i4").tobytes()
            if L.chans:
                out += L.wq.astype(np.int8).tobytes()
        return out

    def forward(self, x: bytes | np.ndarray) -> np.ndarray:
        """The int8 embedding of input x with the updated parameters; keeps, per layer, where
        its output lay inside the activation range and the chosen input channels."""
        over = {}
        for L in self.updated:
            if L.upd_bias:
                over[L.b_t] = L.bias
            if L.chans:
                over[L.w_t] = L.wq.reshape(self.blob.tensors[L.w_t].shape)
        env = self.fwd.run(_int8(x), self.head_op, over)
        for L in self.layers:
            if L.w_t < 0:
                continue
            y = env[L.y].reshape(L.P, L.cout)
            L.mask = (y > L.amin) & (y < L.amax)
            if L.chans:
                L.xs = env[L.x].reshape(L.P, L.cin)[:, list(L.chans)]
        return env[self.emb_t].ravel()

    def grads(self, g: np.ndarray) -> list[tuple[RefLayer, np.ndarray, np.ndarray]]:
        """dLoss/d(bias) and dLoss/d(chosen weight columns) of each layer from the top down,
        in real units, for dLoss/d(embedding) g (after forward()), summed in the device's
        order; the gradient passed down is kept in float32, as the device's buffers."""
        out = []
        bc = 0  # > 0: g holds one value per channel, spread evenly over bc positions
        for L in reversed(self.layers):
            if L.kind == "RESHAPE":
                continue
            if L.kind == "AVERAGE_POOL_2D":
                bc = L.P
                continue
            P, co = L.P, L.cout
            gy = np.broadcast_to(g[:co] / bc, (P, co)) if bc else g[: P * co].reshape(P, co)
            active = L.mask & (gy != 0.0)
            gy = np.where(active, gy, 0.0)
            gbias = seqsum(gy, axis=0)
            gw = seqsum((gy[:, :, None] * (L.xs[:, None, :] - L.zx)) * L.sx, axis=0)
            out.append((L, gbias, gw))
            if not L.down:
                break
            # Wᵀ·g, with the weights before this step; one float32 rounding per addition.
            down = np.zeros((P, L.cin), F32)
            f = gy * L.lsb_w
            for c in range(co):
                if active[:, c].any():
                    add = (down.astype(np.float64) + f[:, c, None] * L.wq[c]).astype(F32)
                    down = np.where(active[:, c, None], add, down)
            g, bc = down.ravel().astype(np.float64), 0
        return out

    def backward(self, g: np.ndarray, eta: float) -> None:
        """QAS steps of eta x gradient on the chosen parameters, layer by layer from the top:
        int32 biases with their float32 carries, int8 weights by stochastic rounding."""
        for L, gb, gw in self.grads(g):
            if L.upd_bias:
                t = L.res.astype(np.float64) + (-eta * gb) / L.lsb_b
                n = round_away(t)
                v = L.bias + n.astype(np.int64)
                sat = (v > L.lim) | (v < -L.lim)
                L.bias = np.where(sat, np.where(v > 0, L.lim, -L.lim), v)
                L.res = (np.where(sat, n, t) - n).astype(F32)
            if L.chans:
                delta = (-eta * gw) / L.lsb_w[:, None]
                u = np.array([self.rng.uniform() for _ in range(delta.size)]).reshape(delta.shape)
                cols = list(L.chans)
                L.wq[:, cols] = np.clip(L.wq[:, cols] + np.floor(delta + u), -127, 127)
