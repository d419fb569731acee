"""The trainer's head, above the embedding (docs/training.md): `Ncm` (mode "ncm": one mean per
class of the unit embeddings) and `FloatHead` (mode "head": the last layer retrained in float32;
also the head of modes "bias" and "sparse", with a `Backbone` below it).

Both keep the classes (labels, which are new, which have had examples) and write and read their
part of an adapter's payload (tinyml_adapter documents the whole layout).
"""

import math
from array import array

from tinyml_num import Lcg, argmax, copy_into, count, lse, round_away, s8, softmax, zeros

NCM_MAX_EXAMPLES = 258  # per class: 258 unit vectors of |round(127 u)| <= 127 fit an int16 sum


class _Head:
    """What both heads share: the model's head, the classes, the embedding's quantization."""

    def __init__(self, net, max_classes):
        h = net.head()
        self.net = net
        self.rows, self.dim = h.rows, h.cols
        self.emb_scale, self.emb_zp = net.embedding_quant
        self.max_classes = max_classes
        base = net.base_labels
        self.labels = list(base) if base else [str(i) for i in range(self.rows)]
        self.n_examples = 0
        self.mem = 2 * max_classes  # fresh and seen, allocated by alloc()

    def alloc(self):
        self.fresh = bytearray(self.max_classes)  # 1: a new class never trained yet
        self.seen = bytearray(self.max_classes)  # 1: the class has had examples

    def _alloc(self, typecode, n, size):
        self.mem += n * size
        return zeros(typecode, n, size)

    def _read_head(self):
        """The model's own head: int8 weights, float32 row scales, int32 bias (or None)."""
        h = self.net.head()
        wq = bytearray(self.rows * self.dim)
        self.net.read_tensor(h.weights, wq)
        bias = None
        if h.bias >= 0:
            raw = bytearray(4 * self.rows)
            self.net.read_tensor(h.bias, raw)
            bias = array("i", raw)
        return wq, array("f", h.scales), bias

    def attach(self):
        pass

    def detach(self):
        pass

    def embed(self, x):
        self.attach()
        return self.net.embedding(x)

    def deq(self, q, off):
        """The dequantized embedding stored at q[off:off + dim], as a list of floats."""
        s, zp = self.emb_scale, self.emb_zp
        return [(s8(q[off + c]) - zp) * s for c in range(self.dim)]

    def unseen(self):
        """The model's own classes that have had no example."""
        return [r for r in range(self.rows) if not self.seen[r]]


class Ncm(_Head):
    """Nearest class mean: int16 sums of round(127 u) per class, u the unit embedding."""

    trains = False

    def __init__(self, net, max_classes):
        _Head.__init__(self, net, max_classes)
        self.max_examples = 0
        self.has_bias = net.head().bias >= 0
        c, d = max_classes, self.dim
        # The model's own head (int8), kept for the open-set fallback, sums and counts.
        self.need = (self.mem + self.rows * (d + 4 + (4 if self.has_bias else 0)) +
                     2 * c * d + 2 * c)

    def alloc(self):
        _Head.alloc(self)
        self.mem += self.rows * (self.dim + 4 + (4 if self.has_bias else 0))
        self._wq, self._scales, self._bias_q = self._read_head()
        self._sums = self._alloc("h", self.max_classes * self.dim, 2)
        self._counts = self._alloc("H", self.max_classes, 2)

    def add(self, q, raw, y):
        if self._counts[y] >= NCM_MAX_EXAMPLES:
            raise ValueError("class %r has the most examples ncm can hold (%d)" %
                             (self.labels[y], NCM_MAX_EXAMPLES))
        e = self.deq(q, 0)
        n2 = 0.0
        for c in range(self.dim):
            n2 += e[c] * e[c]
        inv = 127 / math.sqrt(n2) if n2 > 0 else 0.0
        row = y * self.dim
        for c in range(self.dim):
            self._sums[row + c] += round_away(e[c] * inv)
        self._counts[y] += 1

    def fit(self, epochs, verbose=False):
        return {"loss": None, "accuracy": None, "examples": self.n_examples}

    def _cosines(self, q, out):
        """Cosine similarity of q's unit embedding to each class mean; -1 for classes without
        examples."""
        e = self.deq(q, 0)
        d = self.dim
        ne = 0.0
        for c in range(d):
            ne += e[c] * e[c]
        for r in range(len(self.labels)):
            out[r] = -1.0
            if not self._counts[r]:
                continue
            dot = 0.0
            n2 = 0.0
            off = r * d
            for c in range(d):
                v = self._sums[off + c]
                dot += e[c] * v
                n2 += v * v
            out[r] = dot / (math.sqrt(ne) * math.sqrt(n2)) if n2 > 0 and ne > 0 else 0.0
        return out

    def _threshold(self, r):
        """2R - 1, R being the mean cosine of class r's own examples to their mean (which is
        |sum of their unit vectors| / count, so the sums alone give it)."""
        n2 = 0.0
        off = r * self.dim
        for c in range(self.dim):
            v = self._sums[off + c]
            n2 += v * v
        return 2 * math.sqrt(n2) / (127 * self._counts[r]) - 1

    def _base_logit(self, r, e):
        """The model's own logit for class r (< rows) on the dequantized embedding e."""
        acc = 0
        off = r * self.dim
        for c in range(self.dim):
            acc += s8(self._wq[off + c]) * e[c]
        bias = self._bias_q[r] * self.emb_scale if self._bias_q else 0.0
        return self._scales[r] * (acc + bias)

    def scores(self, q):
        """Cosines to the class means. While some of the model's own classes have had no
        example, the best taught class must pass the open-set gate; when it does not, the
        model's own head decides among the untaught classes (their probabilities, -1 for the
        others)."""
        n = len(self.labels)
        out = self._cosines(q, zeros("f", n, 4))
        unseen = self.unseen()
        if not unseen:
            return out
        best = -1
        for r in range(n):
            if self._counts[r] and (best < 0 or out[r] > out[best]):
                best = r
        if best >= 0 and out[best] >= self._threshold(best):
            return out
        e = self.deq(q, 0)
        p = softmax([self._base_logit(r, e) for r in unseen])
        for r in range(n):
            out[r] = -1.0
        for i in range(len(unseen)):
            out[unseen[i]] = p[i]
        return out

    # ---- adapter payload: u16 counts, i16 sums ----

    @staticmethod
    def payload_size(n, dim):
        return 2 * n + 2 * n * dim

    def payload(self):
        n = len(self.labels)
        return bytes(self._counts)[:2 * n] + bytes(self._sums)[:2 * n * self.dim]

    def load(self, p, pos):
        n = len(self.labels)
        copy_into(self._counts, array("H", bytes(p[pos:pos + 2 * n])))
        pos += 2 * n
        copy_into(self._sums, array("h", bytes(p[pos:pos + 2 * n * self.dim])))
        for r in range(n):
            self.seen[r] = 1 if self._counts[r] else 0
        return pos + 2 * n * self.dim


class FloatHead(_Head):
    """The last layer in float32, trained by softmax cross-entropy SGD on cached examples:
    int8 embeddings, or (with a backbone below) int8 inputs, since the embeddings change."""

    trains = True

    def __init__(self, net, max_classes, max_examples, lr, momentum, backbone=None):
        _Head.__init__(self, net, max_classes)
        self.max_examples = max_examples
        self.lr, self.momentum = lr, momentum
        self.bb = backbone
        # What a cached example is: the int8 embedding, or the int8 input with a backbone.
        self.unit = self.dim if backbone is None else count(net.input_shape)
        c = max_classes
        w = 4 * c * (self.dim + 1)
        self.need = (self.mem + (2 * w if momentum else w) + 8 * c +
                     max_examples * (self.unit + 1))
        self.gated = False
        self.hit = False

    def alloc(self):
        _Head.alloc(self)
        c, d1 = self.max_classes, self.dim + 1
        self._w = self._alloc("f", c * d1, 4)
        self._v = self._alloc("f", c * d1, 4) if self.momentum else None
        self._z = self._alloc("f", c, 4)
        self._thr = self._alloc("f", c, 4)
        self._cache = self._alloc("b", self.max_examples * self.unit, 1)
        self._cache_y = self._alloc("B", self.max_examples, 1)
        self._init_rows()
        if self.bb is not None:
            self._rng = Lcg(12345)  # the weights' stochastic rounding (sparse)

    def _init_rows(self):
        """The model's own rows, in real units: scale[r] x int8, bias scale[r] x s_e x int32."""
        wq, scales, bias_q = self._read_head()
        s_e = self.emb_scale
        d, d1 = self.dim, self.dim + 1
        for r in range(self.rows):
            sc = scales[r]
            for c in range(d):
                self._w[r * d1 + c] = sc * s8(wq[r * d + c])
            self._w[r * d1 + d] = sc * s_e * bias_q[r] if bias_q else 0.0

    def attach(self):
        if self.bb is not None:
            self.bb.attach()

    def detach(self):
        if self.bb is not None:
            self.bb.detach()

    # ---- examples ----

    def add(self, q, raw, y):
        if self.n_examples >= self.max_examples:
            raise ValueError("example cache full (max_examples=%d)" % self.max_examples)
        u = self.unit
        src = q if self.bb is None else raw
        base = self.n_examples * u
        for c in range(u):
            self._cache[base + c] = s8(src[c])
        self._cache_y[self.n_examples] = y

    def _raw_at(self, i):
        return memoryview(self._cache)[i * self.unit:(i + 1) * self.unit]

    def _cached_e(self, i):
        """Cached example i's dequantized embedding (with a backbone: through it as it is)."""
        if self.bb is None:
            return self.deq(self._cache, i * self.dim)
        return self.deq(self.embed(self._raw_at(i)), 0)

    def _forward(self, raw):
        """Backbone forward pass keeping what the backward pass needs; the int8 embedding."""
        self.attach()
        return self.bb.forward(raw)

    # ---- training ----

    def _logits(self, e):
        d1 = self.dim + 1
        z = self._z
        for r in range(len(self.labels)):
            if self.fresh[r]:
                z[r] = -1e30  # a new class with no examples yet cannot be predicted
                continue
            w = r * d1
            acc = self._w[w + self.dim]
            for c in range(self.dim):
                acc += self._w[w + c] * e[c]
            z[r] = acc
        return z

    def _imprint(self, r, embeddings):
        """A new class's first weights: the mean of its embeddings, scaled to the old rows'
        mean norm; its bias, the old rows' mean bias (weight imprinting)."""
        d, d1 = self.dim, self.dim + 1
        mean = [0.0] * d
        for e in embeddings:
            for c in range(d):
                mean[c] += e[c]
        n2 = 0.0
        for c in range(d):
            n2 += mean[c] * mean[c]
        norms = 0.0
        bias = 0.0
        for o in range(self.rows):
            s = 0.0
            for c in range(d):
                s += self._w[o * d1 + c] * self._w[o * d1 + c]
            norms += math.sqrt(s)
            bias += self._w[o * d1 + d]
        k = (norms / self.rows) / math.sqrt(n2) if n2 > 0 else 0.0
        for c in range(d):
            self._w[r * d1 + c] = mean[c] * k
        self._w[r * d1 + d] = bias / self.rows
        self.fresh[r] = 0

    def sgd(self, e, y):
        """One SGD step of softmax cross-entropy on embedding e (floats), label y, with step
        size lr / (1 + |e|^2); returns the loss before the step. Rows of classes that have
        had no example stay frozen, so the model's own classes are not forgotten when only new
        ones are taught. With a backbone, the gradient then goes down into it."""
        n = len(self.labels)
        z = self._logits(e)
        zmax = z[0]
        for r in range(1, n):
            if z[r] > zmax:
                zmax = z[r]
        total = 0.0
        for r in range(n):
            total += math.exp(z[r] - zmax)
        loss = math.log(total) - (z[y] - zmax)
        self.hit = z[y] >= zmax  # right before the step (fit's running accuracy)
        d, d1 = self.dim, self.dim + 1
        # Normalised step: lr is the share of the loss gradient's logit change taken per
        # step, whatever the embedding's scale (stable where plain SGD would diverge).
        n2 = 1.0
        for c in range(d):
            n2 += e[c] * e[c]
        lr, mom, v = self.lr / n2, self.momentum, self._v
        if self.bb is not None:  # dLoss/d(embedding), with the head as it is before the step
            ga = self.bb.ga
            for c in range(d):
                ga[c] = 0.0
            for r in range(n):
                g = math.exp(z[r] - zmax) / total - (1.0 if r == y else 0.0)
                w = r * d1
                for c in range(d):
                    ga[c] += g * self._w[w + c]
        for r in range(n):
            if not self.seen[r]:
                continue
            g = math.exp(z[r] - zmax) / total - (1.0 if r == y else 0.0)
            w = r * d1
            for c in range(d1):
                gc = g * (e[c] if c < d else 1.0)
                if v is not None:
                    gc = mom * v[w + c] + gc
                    v[w + c] = gc
                self._w[w + c] = self._w[w + c] - lr * gc
        if self.bb is not None:
            self.bb.backward(lr, self._rng.uniform)
        return loss

    def take(self, x, raw, y):
        """The forward half of step(): the example's dequantized embedding (through the
        backbone, keeping what its backward pass needs); a new class is imprinted from it."""
        q = self._forward(raw) if self.bb is not None else self.embed(x)
        e = self.deq(q, 0)
        self.seen[y] = 1
        if self.fresh[y]:
            self._imprint(y, [e])
        return e

    def fit(self, epochs, verbose=False):
        n = self.n_examples
        if n == 0:
            raise ValueError("no examples: add_example() first")
        for r in range(len(self.labels)):
            if self.fresh[r] and self.seen[r]:
                self._imprint(r, [self._cached_e(i) for i in range(n)
                                  if self._cache_y[i] == r])
        order = list(range(n))
        rng = Lcg(1)  # a fixed order: reproducible
        for epoch in range(epochs):
            rng.shuffle(order)
            loss = 0.0
            right = 0
            for i in order:
                if self.bb is not None:
                    e = self.deq(self._forward(self._raw_at(i)), 0)
                else:
                    e = self._cached_e(i)
                loss += self.sgd(e, self._cache_y[i])
                right += self.hit
            if verbose:  # as Keras reports an epoch: the mean over its steps, before each
                print("epoch %d/%d: loss %.4f, accuracy %.3f"
                      % (epoch + 1, epochs, loss / n, right / n))
        self._set_gate()
        loss = 0.0
        right = 0
        for i in range(n):
            z = self._logits(self._cached_e(i))
            y = self._cache_y[i]
            loss += lse(z, len(self.labels)) - z[y]
            right += argmax(z, len(self.labels)) == y
        return {"loss": loss / n, "accuracy": right / n}

    def _set_gate(self):
        """Open-set gate, for when some of the model's own classes have had no example: class
        c is accepted only if its logit beats the best of those classes by at least the
        smallest margin seen on c's own cached examples."""
        unseen = self.unseen()
        self.gated = bool(unseen)
        if not unseen:
            return
        for r in range(len(self.labels)):
            self._thr[r] = 1e30
        for i in range(self.n_examples):
            y = self._cache_y[i]
            z = self._logits(self._cached_e(i))
            margin = z[y] - max(z[r] for r in unseen)
            if margin < self._thr[y]:
                self._thr[y] = margin

    def scores(self, q):
        """Softmax probabilities; behind the open-set gate (set by fit) while some of the
        model's own classes have had no example: when the best taught class does not pass it,
        the untaught classes decide."""
        n = len(self.labels)
        out = zeros("f", n, 4)
        unseen = self.unseen()
        z = self._logits(self.deq(q, 0))
        if unseen and self.gated:
            best = -1
            for r in range(n):
                if self.seen[r] and (best < 0 or z[r] > z[best]):
                    best = r
            top = max(z[r] for r in unseen)
            if best < 0 or z[best] - top < self._thr[best]:
                for r in range(n):
                    if self.seen[r]:
                        z[r] = -1e30
        p = softmax([z[r] for r in range(n)])
        for r in range(n):
            out[r] = p[r]
        return out

    # ---- adapter payload: f32 weights+bias, u8 trained flags, u8 gated, f32 gate ----

    @staticmethod
    def payload_size(n, dim):
        return 4 * n * (dim + 1) + n + 1 + 4 * n

    def payload(self):
        n = len(self.labels)
        return (bytes(self._w)[:4 * n * (self.dim + 1)] + bytes(self.seen)[:n] +
                bytes([1 if self.gated else 0]) + bytes(self._thr)[:4 * n])

    def load(self, p, pos):
        n = len(self.labels)
        k = n * (self.dim + 1)
        copy_into(self._w, array("f", bytes(p[pos:pos + 4 * k])))
        pos += 4 * k
        for r in range(n):
            self.seen[r] = p[pos + r]
        pos += n
        self.gated = p[pos] == 1
        copy_into(self._thr, array("f", bytes(p[pos + 1:pos + 1 + 4 * n])))
        return pos + 1 + 4 * n
