"""NumPy reference of on-device learning (device/tinyml_train.py): the same initialisation,
the same order of updates, float32 storage, float64 arithmetic. Given the same int8 embeddings,
its predictions are the device's.
"""

from __future__ import annotations

import numpy as np

from .blob import Blob


def round_away(v: np.ndarray) -> np.ndarray:
    return np.where(v >= 0, np.floor(v + 0.5), np.ceil(v - 0.5))


class RefTrainer:
    def __init__(self, blob: Blob, mode: str = "head", lr: float = 0.5,
                 momentum: float = 0.0, max_classes: int | None = None) -> None:
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

    def add_class(self, name: str) -> int:
        self.labels.append(name)
        self.fresh[len(self.labels) - 1] = True
        return len(self.labels) - 1

    def deq(self, q: np.ndarray) -> np.ndarray:
        return (q.astype(np.float64) - self.zp_e) * self.s_e

    def add_example(self, q: np.ndarray, y: int) -> None:
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
        for r in np.flatnonzero(self.seen[:n]):
            gc = g[r] * e1
            if self.momentum:
                gc = self.momentum * self.v[r].astype(np.float64) + gc
                self.v[r] = gc.astype(np.float32)
            self.w[r] = (self.w[r].astype(np.float64) - lr * gc).astype(np.float32)
        return loss

    def step(self, q: np.ndarray, y: int) -> float:
        e = self.deq(q)
        self.seen[y] = True
        if self.fresh[y]:
            self.imprint(y, [e])
        return self.sgd(e, y)

    def fit(self, epochs: int = 30) -> dict[str, float]:
        n = len(self.cache)
        for r in range(len(self.labels)):
            if self.fresh[r] and self.seen[r]:
                self.imprint(r, [self.deq(q) for q, y in self.cache if y == r])
        order = list(range(n))
        seed = 1
        for _ in range(epochs):
            for i in range(n - 1, 0, -1):
                seed = (1103515245 * seed + 12345) & 0x7FFFFFFF
                j = seed % (i + 1)
                order[i], order[j] = order[j], order[i]
            for i in order:
                q, y = self.cache[i]
                self.sgd(self.deq(q), y)
        unseen = self.unseen()
        self.gated = bool(unseen)
        if unseen:
            self.thr[:] = np.float32(1e30)
            for q, y in self.cache:
                z = self.logits(self.deq(q))
                self.thr[y] = min(self.thr[y], float(np.float32(z[y] - z[unseen].max())))
        loss, right = 0.0, 0
        for q, y in self.cache:
            z = self.logits(self.deq(q))
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
        return int(np.argmax(self.scores(q)))
