"""NumPy reference of on-device learning (device/tinyml_train.py): the same initialisation,
the same order of updates, float32 storage, float64 arithmetic. Given the same int8 embeddings,
its ncm and head predictions are the device's.

bias and sparse modes also update int8 layers below the head. Their forward pass is the C core's
(the host simulator, `tinyml`, with the updated parameters put over the blob's), and the
backward pass and QAS updates are vectorised NumPy here: the device sums in another order and
keeps some sums in float32, so the two agree in accuracy rather than bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..format.blob import Blob

CONV, DW, FC, AVG, RESHAPE = 1, 2, 3, 4, 5


def round_away(v: np.ndarray) -> np.ndarray:
    return np.where(v >= 0, np.floor(v + 0.5), np.ceil(v - 0.5))


class RefTrainer:
    def __init__(self, blob: Blob, mode: str = "head", lr: float = 0.5,
                 momentum: float = 0.0, max_classes: int | None = None,
                 model: bytes | None = None, layers: int = 2) -> None:
        if blob.head is None:
            raise ValueError("the blob records no trainable head")
        k, scales = blob.head
        op = blob.ops[k]
        emb, wt = blob.tensors[op.inputs[0]], blob.tensors[op.inputs[1]]
        self.rows, self.dim = wt.shape
        assert wt.const is not None
        self.wq = np.frombuffer(wt.const, np.int8).reshape(self.rows, self.dim).astype(np.int64)
        bias = np.zeros(self.rows)
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            bt = blob.tensors[op.inputs[2]]
            assert bt.const is not None
            bias = np.frombuffer(bt.const, "<i4").astype(np.float64)
        self.s_e = float(np.float32(emb.scale))
        self.zp_e = emb.zero_point
        self.mode, self.lr, self.momentum = mode, lr, momentum
        self.max_classes = max_classes if max_classes is not None else self.rows + 3
        self.labels = list(blob.labels) or [str(i) for i in range(self.rows)]
        c, d = self.max_classes, self.dim
        sc = np.asarray(scales, np.float32).astype(np.float64)
        self.scales = sc
        self.bias = bias
        self.w = np.zeros((c, d + 1), np.float32)
        self.w[: self.rows, :d] = (sc[:, None] * self.wq).astype(np.float32)
        self.w[: self.rows, d] = (sc * self.s_e * bias).astype(np.float32)
        self.v = np.zeros_like(self.w)
        self.sums = np.zeros((c, d), np.int64)
        self.counts = np.zeros(c, np.int64)
        self.fresh = np.zeros(c, bool)
        self.seen = np.zeros(c, bool)
        self.cache: list[tuple[np.ndarray, int]] = []
        self.thr = np.full(c, 1e30)
        self.gated = False
        self.bb: RefBackbone | None = None
        if mode in ("bias", "sparse"):
            if model is None:
                raise ValueError("bias and sparse modes need the blob's bytes (model=)")
            self.bb = RefBackbone(model, k, emb_index(blob, k), mode=mode, layers=layers)

    def add_class(self, name: str) -> int:
        self.labels.append(name)
        self.fresh[len(self.labels) - 1] = True
        return len(self.labels) - 1

    def deq(self, q: np.ndarray) -> np.ndarray:
        return (q.astype(np.float64) - self.zp_e) * self.s_e

    def add_example(self, q: np.ndarray, y: int) -> None:
        """q: the int8 embedding; in bias and sparse modes, the int8 input."""
        self.seen[y] = True
        if self.mode == "ncm":
            e = self.deq(q)
            n2 = float(e @ e)
            inv = 127 / np.sqrt(n2) if n2 > 0 else 0.0
            self.sums[y] += round_away(e * inv).astype(np.int64)
            self.counts[y] += 1
        else:
            self.cache.append((q.copy(), y))

    # ---- head ----

    def logits(self, e: np.ndarray) -> np.ndarray:
        n, d = len(self.labels), self.dim
        w = self.w[:n].astype(np.float64)
        z = w[:, d] + w[:, :d] @ e
        z[self.fresh[:n]] = -1e30
        return z.astype(np.float32).astype(np.float64)  # the device keeps logits in float32

    def imprint(self, r: int, es: list[np.ndarray]) -> None:
        d = self.dim
        mean = np.sum(es, axis=0)
        n2 = float(mean @ mean)
        old = self.w[: self.rows].astype(np.float64)
        norm = float(np.sum(np.sqrt(np.sum(old[:, :d] ** 2, axis=1)))) / self.rows
        k = norm / np.sqrt(n2) if n2 > 0 else 0.0
        self.w[r, :d] = (mean * k).astype(np.float32)
        self.w[r, d] = np.float32(float(np.sum(old[:, d])) / self.rows)
        self.fresh[r] = False

    def sgd(self, e: np.ndarray, y: int) -> float:
        n = len(self.labels)
        z = self.logits(e)
        zmax = z.max()
        ex = np.exp(z - zmax)
        total = float(ex.sum())
        loss = float(np.log(total) - (z[y] - zmax))
        g = ex / total
        g[y] -= 1.0
        e1 = np.append(e, 1.0)
        lr = self.lr / (1.0 + float(e @ e))
        ge = (g @ self.w[:n, :self.dim].astype(np.float64)).astype(np.float32)
        for r in np.flatnonzero(self.seen[:n]):
            gc = g[r] * e1
            if self.momentum:
                gc = self.momentum * self.v[r].astype(np.float64) + gc
                self.v[r] = gc.astype(np.float32)
            self.w[r] = (self.w[r].astype(np.float64) - lr * gc).astype(np.float32)
        if self.bb is not None:
            self.bb.backward(ge.astype(np.float64), lr)
        return loss

    def emb(self, q: np.ndarray) -> np.ndarray:
        """The dequantized embedding of a cached example (bias/sparse: q is the input)."""
        return self.deq(q if self.bb is None else self.bb.embedding(q))

    def step(self, q: np.ndarray, y: int) -> float:
        e = self.deq(q if self.bb is None else self.bb.forward(q))
        self.seen[y] = True
        if self.fresh[y]:
            self.imprint(y, [e])
        return self.sgd(e, y)

    def fit(self, epochs: int = 30) -> dict[str, float]:
        n = len(self.cache)
        for r in range(len(self.labels)):
            if self.fresh[r] and self.seen[r]:
                self.imprint(r, [self.emb(q) for q, y in self.cache if y == r])
        order = list(range(n))
        seed = 1
        for _ in range(epochs):
            for i in range(n - 1, 0, -1):
                seed = (1103515245 * seed + 12345) & 0x7FFFFFFF
                j = seed % (i + 1)
                order[i], order[j] = order[j], order[i]
            for i in order:
                q, y = self.cache[i]
                self.sgd(self.deq(q) if self.bb is None else self.deq(self.bb.forward(q)), y)
        unseen = self.unseen()
        self.gated = bool(unseen)
        if unseen:
            self.thr[:] = np.float32(1e30)
            for q, y in self.cache:
                z = self.logits(self.emb(q))
                self.thr[y] = min(self.thr[y], float(np.float32(z[y] - z[unseen].max())))
        loss, right = 0.0, 0
        for q, y in self.cache:
            z = self.logits(self.emb(q))
            zmax = z.max()
            loss += float(zmax + np.log(np.sum(np.exp(z - zmax))) - z[y])
            right += int(np.argmax(z) == y)
        return {"loss": loss / n, "accuracy": right / n}

    # ---- prediction ----

    def unseen(self) -> list[int]:
        return [r for r in range(self.rows) if not self.seen[r]]

    def scores(self, q: np.ndarray) -> np.ndarray:
        n = len(self.labels)
        unseen = self.unseen()
        e = self.deq(q)
        if self.mode == "ncm":
            out = np.full(n, -1.0)
            ne = float(e @ e)
            for r in np.flatnonzero(self.counts[:n]):
                vec = self.sums[r].astype(np.float64)
                n2 = float(vec @ vec)
                out[r] = float(e @ vec) / (np.sqrt(ne) * np.sqrt(n2)) if n2 > 0 and ne > 0 else 0.0
            if not unseen:
                return out
            have = np.flatnonzero(self.counts[:n])
            if len(have):
                best = have[np.argmax(out[have])]
                thr = 2 * np.sqrt(float(self.sums[best] @ self.sums[best])) / (
                    127 * self.counts[best]) - 1
                if out[best] >= thr:
                    return out
            z = self.scales[unseen] * (self.wq[unseen] @ e + self.bias[unseen] * self.s_e)
            out[:] = -1.0
            ex = np.exp(z - z.max())
            out[unseen] = ex / ex.sum()
            return out
        z = self.logits(e)
        if unseen and self.gated:
            seen = np.flatnonzero(self.seen[:n])
            if len(seen) == 0 or (z[seen].max() - z[unseen].max()
                                  < self.thr[seen[np.argmax(z[seen])]]):
                z[self.seen[:n]] = -1e30
        ex = np.exp(z - z.max())
        return ex / ex.sum()

    def predict(self, q: np.ndarray) -> int:
        """q: the int8 embedding; bias/sparse: the int8 input."""
        return int(np.argmax(self.scores(q if self.bb is None else self.bb.embedding(q))))


def emb_index(blob: Blob, head_op: int) -> int:
    return blob.ops[head_op].inputs[0]


def s8(b: bytes) -> np.ndarray:
    return np.frombuffer(b, np.int8).astype(np.int64)


class RefLayer:
    def __init__(self, m: Any, k: int) -> None:  # noqa: ANN401 - the simulator's Model
        kind, ins, out, self.amin, self.amax, _geo, rq = m.op_info(k)
        if kind not in (CONV, DW, FC, AVG, RESHAPE):
            raise ValueError(f"operator {k} (kind {kind}) cannot be backpropagated")
        self.k, self.kind, self.x, self.y = k, kind, ins[0], out
        ish, sx, self.zx = m.tensor_info(self.x)
        osh, sy, self.zy = m.tensor_info(out)
        self.sx, self.sy = float(sx), float(sy)
        self.n_in, self.n_out = int(np.prod(ish)), int(np.prod(osh))
        self.chans: tuple[int, ...] = ()
        self.upd_bias = False
        self.down = False
        self.P = self.n_in // self.n_out if kind == AVG else 1
        self.w_t = self.b_t = -1
        if kind not in (CONV, DW, FC):
            return
        self.w_t, self.b_t = ins[1], (ins[2] if len(ins) > 2 else -1)
        wsh = m.tensor_info(self.w_t)[0]
        self.wshape = wsh
        self.cout = wsh[3] if kind == DW else wsh[0]
        self.cin = wsh[-1]
        self.P = self.n_out // self.cout
        pairs = np.frombuffer(rq, "<i4").reshape(-1, 2).astype(np.float64)
        mult = pairs[:, 0] * 2.0 ** (pairs[:, 1] - 31)
        mult = np.broadcast_to(mult, (self.cout,))
        self.lsb_b = self.sy * mult
        self.lsb_w = self.sy * mult / self.sx
        terms = self.cin if kind == FC else wsh[1] * wsh[2] * (1 if kind == DW else self.cin)
        self.lim = 2147483647 - terms * (65536 if kind == FC else 32768)
        raw = bytearray(int(np.prod(wsh)))
        m.read_tensor(self.w_t, raw)
        self.wq = s8(bytes(raw)).reshape(self.cout, -1) if kind != DW else s8(bytes(raw))
        self.bias = np.zeros(self.cout, np.int64)
        if self.b_t >= 0:
            b = bytearray(4 * self.cout)
            m.read_tensor(self.b_t, b)
            self.bias = np.frombuffer(bytes(b), "<i4").astype(np.int64)
        self.res = np.zeros(self.cout, np.float32)
        self.mask = np.zeros((self.P, self.cout), bool)
        self.xs = np.zeros((self.P, 0))


class RefBackbone:
    """The backbone of bias and sparse modes: the C core runs it (host simulator) with the
    updated parameters; gradients and QAS updates in NumPy."""

    def __init__(self, model: bytes, head_op: int, emb: int, mode: str = "sparse",
                 layers: int = 2, updates: list[tuple[int, bool, tuple[int, ...]]] | None = None
                 ) -> None:
        import tinyml  # the host simulator (device/tinyml.py over the C core)
        from tinyml_train import bias_updates, chain  # which layers: the device's own choice

        self.net = tinyml.load(model)
        m = self.net._model
        self.m, self.head_op = m, head_op
        if updates is None:
            updates = ([u for u in m.update_scheme() if u[0] != head_op] if mode == "sparse"
                       else bias_updates(m, head_op, emb, layers - 1))
        lowest = min(u[0] for u in updates)
        self.layers = [RefLayer(m, k) for k in chain(m, head_op, emb, lowest)]
        by = {L.k: L for L in self.layers}
        for op, bias, chans in updates:
            by[op].upd_bias, by[op].chans = bool(bias), tuple(chans)
        for i, L in enumerate(self.layers):
            L.down = i > 0
        self.seed = 12345
        self.bufs: dict[int, bytearray] = {}

    def rand(self) -> float:
        self.seed = (1103515245 * self.seed + 12345) & 0x7FFFFFFF
        return self.seed / 2147483648.0

    def _install(self) -> None:
        for L in self.layers:
            if L.upd_bias:
                self.bufs[L.b_t] = bytearray(L.bias.astype("<i4").tobytes())
                self.m.set_const(L.b_t, self.bufs[L.b_t])
            if L.chans:
                self.bufs[L.w_t] = bytearray(L.wq.astype(np.int8).tobytes())
                self.m.set_const(L.w_t, self.bufs[L.w_t])

    def _read(self, t: int, n: int) -> np.ndarray:
        b = bytearray(n)
        self.m.read_tensor(t, b)
        return s8(bytes(b))

    def forward(self, q: np.ndarray) -> np.ndarray:
        """Run on int8 input q, keeping masks and chosen input channels; the int8 embedding."""
        self._install()
        m = self.m
        m.set_input(q.astype(np.int8).tobytes())
        done = 0
        for L in self.layers:
            m.invoke(done, L.k)
            if L.chans:
                x = self._read(L.x, L.n_in).reshape(L.P, L.cin)
                L.xs = x[:, list(L.chans)]
            m.invoke(L.k, L.k + 1)
            done = L.k + 1
            if L.w_t >= 0:
                y = self._read(L.y, L.n_out).reshape(L.P, L.cout)
                L.mask = (y > L.amin) & (y < L.amax)
        m.invoke(done, self.head_op)
        return self._read(self.layers[-1].y, self.layers[-1].n_out)

    def embedding(self, q: np.ndarray) -> np.ndarray:
        return self.forward(q)

    def grads(self, g: np.ndarray) -> list[tuple[RefLayer, np.ndarray, np.ndarray]]:
        """dLoss/d(bias) and dLoss/d(chosen weight columns) of each layer from the top down,
        in real units, for dLoss/d(embedding) g (after forward())."""
        out = []
        bc = 0
        for L in reversed(self.layers):
            if L.kind == RESHAPE:
                continue
            if L.kind == AVG:
                bc = L.P
                continue
            gy = np.broadcast_to(g / bc, (L.P, L.cout)) if bc else g.reshape(L.P, L.cout)
            gy = np.where(L.mask, gy, 0.0)
            gx = None
            if L.down:  # with the weights as they were before this step
                gx = (gy @ (L.lsb_w[:, None] * L.wq)).astype(np.float32).astype(np.float64)
            gw = gy.T @ ((L.xs - L.zx) * L.sx) if L.chans else np.zeros((L.cout, 0))
            out.append((L, gy.sum(0), gw))
            if gx is None:
                break
            g, bc = gx.ravel(), 0
        return out

    def backward(self, g: np.ndarray, eta: float) -> None:
        """QAS steps of eta * gradient on the chosen parameters."""
        for L, gb, gw in self.grads(g):
            if L.upd_bias:
                t = L.res.astype(np.float64) - eta * gb / L.lsb_b
                n = round_away(t)
                v = L.bias + n.astype(np.int64)
                sat = np.abs(v) > L.lim
                L.bias = np.clip(v, -L.lim, L.lim)
                L.res = np.where(sat, 0.0, t - n).astype(np.float32)
            if L.chans:
                delta = -eta * gw / L.lsb_w[:, None]
                u = np.array([self.rand() for _ in range(delta.size)]).reshape(delta.shape)
                cols = list(L.chans)
                L.wq[:, cols] = np.clip(L.wq[:, cols] + np.floor(delta + u), -127, 127)
