"""On-device learning for tinyml: teach a deployed int8 model new classes, on the board.

    tr = net.trainer(mode="head")      # or "ncm"
    tr.add_class("wave")
    tr.add_example(x, "wave")          # one forward pass up to the embedding, cached
    tr.fit(epochs=30)                  # no backbone pass: trains on the cached embeddings
    net.classify(x)                    # now over the grown label set
    tr.save("kws.adapter")             # atomic; the base blob is never written

The embedding is the input of the model's last FULLY_CONNECTED, which the converter records in
the blob (its "trainable head"). Runs the same on MicroPython (firmware, .mpy) and on CPython
(the host simulator); host_tools/tinyml_tools/train_ref.py is the NumPy reference of the same
arithmetic, in the same order.
"""

import math
from array import array
from struct import pack, unpack_from

from tinyml import _count, _f32, _quantize, _round_away

MAGIC = b"TMLA"
VERSION = 1
MODES = {"ncm": 1, "head": 2, "bias": 3, "sparse": 4}
_HEADER = 44  # magic, version, mode, reserved, SHA-256 of the base blob, payload length


def _zeros(typecode, n, size):
    return array(typecode, bytes(n * size))


def _crc32(data, crc=0):
    import binascii

    return binascii.crc32(data, crc) & 0xFFFFFFFF


def _sync():
    try:
        import os

        os.sync()
    except (ImportError, AttributeError, OSError):
        pass  # ports without os.sync: flush and close are all there is


def atomic_write(path, data, fault=None):
    """Write data to path so that path holds either its old contents or all of data, never a
    mix: temporary file, flush, sync, read back and compare, then rename over path.
    fault(step) is called before each step (fault injection in tests)."""
    import os

    tmp = path + ".tmp"
    step = fault or (lambda name: None)
    step("open")
    with open(tmp, "wb") as f:
        for i in range(0, len(data), 512):
            step("write")
            f.write(data[i:i + 512])
        step("flush")
        f.flush()
    step("sync")
    _sync()
    step("verify")
    with open(tmp, "rb") as f:
        if f.read() != data:
            raise OSError("adapter file did not read back as written")
    step("rename")
    os.rename(tmp, path)
    step("renamed")
    _sync()


class Trainer:
    """Learns on top of a Net: see the module doc. Also the form a loaded adapter takes."""

    def __init__(self, net, mode="head", lr=0.5, momentum=0.0, max_examples=64,
                 ram_budget=None, max_classes=None, layers=2):
        if mode not in MODES:
            raise ValueError("mode must be 'ncm', 'head', 'bias' or 'sparse', got %r" % (mode,))
        head = net._head_info
        if head is None:
            raise ValueError("this model records no trainable head: its last layer must be a "
                             "FULLY_CONNECTED with int8 weights (convert it with tinyml 0.1+)")
        if momentum and mode in ("bias", "sparse"):
            raise ValueError("momentum is for head mode only")
        self.net = net
        self.mode = mode
        self.lr = lr
        self.momentum = momentum
        (self._op, self._emb, w_t, b_t, _out, self.rows, self.dim, scales) = head
        self._emb_scale, self._emb_zp = net._emb_q
        self._has_bias = b_t >= 0
        self.max_classes = max_classes if max_classes is not None else self.rows + 3
        if not self.rows <= self.max_classes <= 255:
            raise ValueError("max_classes must be between %d and 255" % self.rows)
        self._float_head = mode != "ncm"
        self.max_examples = max_examples if self._float_head else 0
        if self._float_head and not 1 <= max_examples <= 65535:
            raise ValueError("max_examples must be between 1 and 65535")
        self.layers = layers
        self._bb = None
        # What a cached example is: the int8 embedding (head), or the int8 input (bias and
        # sparse: the layers below the head change, so fit() runs them again).
        self._unit = self.dim
        if mode in ("bias", "sparse"):
            if net.n_inputs != 1:
                raise ValueError("bias and sparse modes need a model with one input")
            self._unit = _count(net.input_shape)
            self._bb = _Backbone(net, self._updates(), self._op, self._emb, self.dim)
        need = self.ram_needed()
        _check_room(need, ram_budget)
        base = net._base_labels
        self.labels = list(base) if base else [str(i) for i in range(self.rows)]
        self._wq = bytearray(self.rows * self.dim)  # int8 weights, read from the blob
        net._model.read_tensor(w_t, self._wq)
        self._mem = 2 * self.max_classes  # _fresh and _seen, below
        self._scales = array("f", scales)
        self._bias_q = None
        if b_t >= 0:
            raw = bytearray(4 * self.rows)
            net._model.read_tensor(b_t, raw)
            self._bias_q = array("i", raw)
        if mode == "ncm":  # kept for the model's own logits; head mode folds them into _w
            self._mem += self.rows * (self.dim + 4 + (4 if b_t >= 0 else 0))
        if mode == "ncm":
            self._sums = self._alloc("h", self.max_classes * self.dim, 2)
            self._counts = self._alloc("H", self.max_classes, 2)
        else:
            self._w = self._alloc("f", self.max_classes * (self.dim + 1), 4)
            self._v = self._alloc("f", self.max_classes * (self.dim + 1), 4) if momentum else None
            self._z = self._alloc("f", self.max_classes, 4)
            self._thr = self._alloc("f", self.max_classes, 4)
            self._cache = self._alloc("b", self.max_examples * self._unit, 1)
            self._cache_y = self._alloc("B", self.max_examples, 1)
            self._init_head_rows()
        if self._bb is not None:
            self._bb.alloc()
            self._mem += self._bb.need
            self._bb.attach()
            self._seed = 12345  # the weights' stochastic rounding (sparse)
        self._gated = False
        self._fresh = bytearray(self.max_classes)  # 1: a new class never trained yet
        self._seen = bytearray(self.max_classes)  # 1: the class has had examples
        self.n_examples = 0
        # Bytes copied out of the blob only while setting up (weights above) are not kept:
        if self._float_head:
            self._wq = self._scales = self._bias_q = None

    def _updates(self):
        """(operator, bias?, weight channels) the backbone updates: bias mode, the biases of
        the `layers` - 1 weighted layers below the head; sparse mode, the blob's scheme."""
        m = self.net._model
        if self.mode == "sparse":
            ups = [u for u in m.update_scheme() if u[0] != self._op]
            if not ups:
                raise ValueError("this blob has no sparse-update scheme below the head: convert "
                                 "it with --sparse-update BUDGET --data CALIB.npz")
            return ups
        if self.layers < 2:
            raise ValueError("layers must be at least 2 (the head and one layer below it)")
        ups = bias_updates(m, self._op, self._emb, self.layers - 1)
        if len(ups) < self.layers - 1:
            raise ValueError("the model has %d layers with a bias below the head; layers=%d "
                             "asks for %d" % (len(ups), self.layers, self.layers - 1))
        return ups

    def _attach(self):
        if self._bb is not None:
            self._bb.attach()

    def _detach(self):
        if self._bb is not None:
            self._bb.detach()

    # ---- memory ----

    def ram_needed(self):
        """Bytes of buffers this trainer allocates (the bound checked before allocating)."""
        c, d = self.max_classes, self.dim
        if self.mode == "ncm":
            return 2 * c * d + 2 * c + self.rows * (d + 4 + (4 if self._has_bias else 0)) + 2 * c
        w = 4 * c * (d + 1)
        need = (2 * w if self.momentum else w) + 8 * c + self.max_examples * (self._unit + 1)
        return need + 2 * c + (self._bb.need if self._bb is not None else 0)

    def _alloc(self, typecode, n, size):
        self._mem += n * size
        return _zeros(typecode, n, size)

    def mem_info(self):
        """Extra bytes this trainer holds in buffers, exactly (Python object headers aside)."""
        return self._mem

    # ---- classes and examples ----

    def _class(self, label):
        if isinstance(label, int):
            if not 0 <= label < len(self.labels):
                raise ValueError("label %d out of range (0..%d)" % (label, len(self.labels) - 1))
            return label
        for i in range(len(self.labels)):
            if self.labels[i] == label:
                return i
        raise ValueError("unknown label %r: add it with add_class() first" % (label,))

    def add_class(self, name):
        """A new class; returns its index. Labels grow by one."""
        name = str(name)
        if name in self.labels:
            raise ValueError("class %r exists already" % name)
        if len(self.labels) >= self.max_classes:
            raise ValueError("no room for another class (max_classes=%d)" % self.max_classes)
        self.labels.append(name)
        cid = len(self.labels) - 1
        self._fresh[cid] = 1
        self.net._set_adapter(self)
        return cid

    def _embed(self, x):
        self._attach()
        return self.net.embedding(x)

    def _raw(self, x):
        """x as the model's int8 input bytes (the device API rule: an itemsize-1 buffer of the
        input's length is raw int8; numbers are quantized)."""
        if not isinstance(x, (list, tuple)):
            b = bytes(x)
            if len(b) == self._unit:
                return b
        scale, zp = self.net.input_quant
        return _quantize(x, self._unit, scale, zp)

    def _raw_at(self, i):
        return memoryview(self._cache)[i * self._unit:(i + 1) * self._unit]

    def _cached_e(self, i):
        """Cached example i's dequantized embedding (bias/sparse: through the current
        backbone)."""
        if self._bb is None:
            return self._deq(self._cache, i * self.dim)
        return self._deq(self._embed(self._raw_at(i)), 0)

    def _forward(self, raw):
        """Backbone forward pass keeping what the backward pass needs; the int8 embedding."""
        self._attach()
        self.net._set_inputs(raw)
        self._bb.forward(self._op)
        q = bytearray(self.dim)
        self.net._model.read_tensor(self._emb, q)
        return q

    def _rand(self):
        self._seed = (1103515245 * self._seed + 12345) & 0x7FFFFFFF
        return self._seed / 2147483648.0

    def add_example(self, x, label):
        """Record one example: one forward pass to the embedding. ncm: the class mean moves;
        head: the embedding is cached for fit()."""
        y = self._class(label)
        if self._bb is not None:
            raw = self._raw(x)
        q = self._embed(x)
        self._seen[y] = 1
        if self.mode == "ncm":
            if self._counts[y] >= 258:
                raise ValueError("class %r has the most examples ncm can hold (258)" %
                                 self.labels[y])
            e = self._deq(q, 0)
            n2 = 0.0
            for c in range(self.dim):
                n2 += e[c] * e[c]
            inv = 127 / math.sqrt(n2) if n2 > 0 else 0.0
            row = y * self.dim
            for c in range(self.dim):
                self._sums[row + c] += _round_away(e[c] * inv)
            self._counts[y] += 1
        else:
            if self.n_examples >= self.max_examples:
                raise ValueError("example cache full (max_examples=%d)" % self.max_examples)
            u = self._unit
            src = q if self._bb is None else raw
            base = self.n_examples * u
            for c in range(u):
                self._cache[base + c] = _s8(src[c])
            self._cache_y[self.n_examples] = y
        self.n_examples += 1
        self.net._set_adapter(self)

    # ---- ncm ----

    def _ncm_scores(self, q, out):
        """Cosine similarity of q's unit embedding to each class mean; -1 for classes without
        examples."""
        e = self._deq(q, 0)
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

    def _ncm_threshold(self, r):
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
            acc += _s8(self._wq[off + c]) * e[c]
        bias = self._bias_q[r] * self._emb_scale if self._bias_q else 0.0
        return self._scales[r] * (acc + bias)

    # ---- head ----

    def _init_head_rows(self):
        s_e = self._emb_scale
        d1 = self.dim + 1
        for r in range(self.rows):
            sc = self._scales[r]
            for c in range(self.dim):
                self._w[r * d1 + c] = sc * _s8(self._wq[r * self.dim + c])
            self._w[r * d1 + self.dim] = sc * s_e * self._bias_q[r] if self._bias_q else 0.0

    def _deq(self, q, off):
        """The dequantized embedding stored at q[off:off + dim], as a list of floats."""
        s, zp = self._emb_scale, self._emb_zp
        return [(_s8(q[off + c]) - zp) * s for c in range(self.dim)]

    def _logits(self, e):
        d1 = self.dim + 1
        z = self._z
        for r in range(len(self.labels)):
            if self._fresh[r]:
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
        self._fresh[r] = 0

    def _sgd(self, e, y):
        """One SGD step of softmax cross-entropy on embedding e (floats), label y, with step
        size lr / (1 + |e|^2); returns the loss before the step. Rows of classes that have
        had no example stay frozen, so the model's own classes are not forgotten when only new
        ones are taught."""
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
        d, d1 = self.dim, self.dim + 1
        # Normalised step: lr is the share of the loss gradient's logit change taken per
        # step, whatever the embedding's scale (stable where plain SGD would diverge).
        n2 = 1.0
        for c in range(d):
            n2 += e[c] * e[c]
        lr, mom, v = self.lr / n2, self.momentum, self._v
        if self._bb is not None:  # dLoss/d(embedding), with the head as it is before the step
            ga = self._bb.ga
            for c in range(d):
                ga[c] = 0.0
            for r in range(n):
                g = math.exp(z[r] - zmax) / total - (1.0 if r == y else 0.0)
                w = r * d1
                for c in range(d):
                    ga[c] += g * self._w[w + c]
        for r in range(n):
            if not self._seen[r]:
                continue
            g = math.exp(z[r] - zmax) / total - (1.0 if r == y else 0.0)
            w = r * d1
            for c in range(d1):
                gc = g * (e[c] if c < d else 1.0)
                if v is not None:
                    gc = mom * v[w + c] + gc
                    v[w + c] = gc
                self._w[w + c] = self._w[w + c] - lr * gc
        if self._bb is not None:
            self._bb.backward(lr, self._rand)
        return loss

    def step(self, x, label):
        """One SGD step on one sample (one forward pass); returns the loss before the step."""
        if self.mode == "ncm":
            raise ValueError("step() trains: use add_example() in ncm mode")
        y = self._class(label)
        q = self._forward(self._raw(x)) if self._bb is not None else self._embed(x)
        e = self._deq(q, 0)
        self._seen[y] = 1
        if self._fresh[y]:
            self._imprint(y, [e])
        self.net._set_adapter(self)
        return self._sgd(e, y)

    def fit(self, epochs=30):
        """Train on the cached examples: head mode on the cached embeddings (no backbone
        pass); bias and sparse modes run the backbone on the cached inputs, as its parameters
        change. Returns dict(loss, accuracy) over the cached examples after training. ncm
        learns in add_example, so there it only reports the count."""
        n = self.n_examples
        if self.mode == "ncm":
            return {"loss": None, "accuracy": None, "examples": n}
        if n == 0:
            raise ValueError("no examples: add_example() first")
        for r in range(len(self.labels)):
            if self._fresh[r] and self._seen[r]:
                self._imprint(r, [self._cached_e(i) for i in range(n)
                                  if self._cache_y[i] == r])
        order = list(range(n))
        seed = 1
        for _ in range(epochs):
            for i in range(n - 1, 0, -1):  # Fisher-Yates with a fixed LCG: reproducible
                seed = (1103515245 * seed + 12345) & 0x7FFFFFFF
                j = seed % (i + 1)
                order[i], order[j] = order[j], order[i]
            for i in order:
                if self._bb is not None:
                    e = self._deq(self._forward(self._raw_at(i)), 0)
                else:
                    e = self._cached_e(i)
                self._sgd(e, self._cache_y[i])
        self._set_gate()
        loss = 0.0
        right = 0
        for i in range(n):
            e = self._cached_e(i)
            z = self._logits(e)
            y = self._cache_y[i]
            loss += _lse(z, len(self.labels)) - z[y]
            right += _argmax(z, len(self.labels)) == y
        self.net._set_adapter(self)
        return {"loss": loss / n, "accuracy": right / n}

    def _set_gate(self):
        """Open-set gate of head mode, for when some of the model's own classes have had no
        example: class c is accepted only if its logit beats the best of those classes by at
        least the smallest margin seen on c's own cached examples."""
        unseen = self._unseen()
        self._gated = bool(unseen)
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

    # ---- prediction ----

    def _unseen(self):
        """The model's own classes that have had no example."""
        return [r for r in range(self.rows) if not self._seen[r]]

    def scores(self, q):
        """Class scores for an int8 embedding, a new array('f') of len(labels); the highest
        wins. head: softmax probabilities. ncm: cosine similarities to the class means.

        While some of the model's own classes have had no example (only new classes were
        taught), a class that has examples must also pass an open-set gate (docs/training.md);
        when the best one does not, the model's own head decides among the classes without
        examples, whose scores are then its probabilities (and -1 for the others)."""
        n = len(self.labels)
        out = _zeros("f", n, 4)
        unseen = self._unseen()
        if self.mode == "ncm":
            self._ncm_scores(q, out)
            if not unseen:
                return out
            best = -1
            for r in range(n):
                if self._counts[r] and (best < 0 or out[r] > out[best]):
                    best = r
            if best >= 0 and out[best] >= self._ncm_threshold(best):
                return out
            e = self._deq(q, 0)
            z = [self._base_logit(r, e) for r in unseen]
            for r in range(n):
                out[r] = -1.0
            p = _softmax(z)
            for i in range(len(unseen)):
                out[unseen[i]] = p[i]
            return out
        z = self._logits(self._deq(q, 0))
        if unseen and self._gated:
            best = -1
            for r in range(n):
                if self._seen[r] and (best < 0 or z[r] > z[best]):
                    best = r
            top = max(z[r] for r in unseen)
            if best < 0 or z[best] - top < self._thr[best]:
                for r in range(n):
                    if self._seen[r]:
                        z[r] = -1e30
        p = _softmax([z[r] for r in range(n)])
        for r in range(n):
            out[r] = p[r]
        return out

    def evaluate(self, xs, labels):
        """Accuracy (0..1) of the adapted model on inputs xs with labels (ints or names)."""
        if len(xs) != len(labels):
            raise ValueError("xs and labels differ in length")
        right = 0
        for i in range(len(xs)):
            s = self.scores(self._embed(xs[i]))
            right += _argmax(s, len(s)) == self._class(labels[i])
        return right / len(xs) if xs else 0.0

    # ---- persistence ----

    def _payload(self):
        out = bytearray()
        n = len(self.labels)
        out += pack("<HHHH", n, self.dim, self.rows, self.max_classes)
        for s in self.labels:
            b = s.encode()
            out += bytes([len(b)]) + b
        if self.mode == "ncm":
            out += bytes(self._counts)[:2 * n]
            out += bytes(self._sums)[:2 * n * self.dim]
        else:
            out += bytes(self._w)[:4 * n * (self.dim + 1)]
            out += bytes(self._seen)[:n]
            out += bytes([1 if self._gated else 0])
            out += bytes(self._thr)[:4 * n]
        if self._bb is not None:
            out += bytes([self.layers])
            out += self._bb.params()
        return out

    def save(self, path, fault=None):
        """Save the adapter to path atomically. The base blob is never written."""
        payload = self._payload()
        head = bytearray(MAGIC) + pack("<HBB", VERSION, MODES[self.mode], 0)
        head += self.net.blob_sha256() + pack("<I", len(payload))
        data = head + payload
        data += pack("<I", _crc32(data))
        atomic_write(path, bytes(data), fault)
        return len(data)



# ---- bias and sparse modes: the int8 layers below the head ----

_CONV, _DW, _FC, _AVG, _RESHAPE = 1, 2, 3, 4, 5
_KINDS = {1: "CONV_2D", 2: "DEPTHWISE_CONV_2D", 3: "FULLY_CONNECTED", 4: "AVERAGE_POOL_2D",
          5: "RESHAPE"}
_CHUNK = 128  # bytes per read of an arena tensor while the forward pass keeps what it needs


def qas_bias(b, res, i, delta, lim):
    """Add delta (in LSB of the int32 bias, any real value) to b[i]; the part below one LSB is
    carried in res[i] so that small steps add up. Saturates at +-lim (the C core's bound for
    that layer), where the carry is dropped."""
    t = res[i] + delta
    n = _round_away(t)
    v = b[i] + n
    if v > lim or v < -lim:
        v = lim if v > 0 else -lim
        t = n
    b[i] = v
    res[i] = t - n


def qas_weight(w, i, delta, u):
    """Add delta (in LSB of the int8 weight) to w[i] (a bytearray) with stochastic rounding:
    floor(delta + u), u uniform in [0, 1), so that the change is delta on average. Saturates
    at +-127 (symmetric weights)."""
    v = _s8(w[i]) + math.floor(delta + u)
    w[i] = (127 if v > 127 else (-127 if v < -127 else v)) & 0xFF


class _Layer:
    """One operator on the path from the updated layers to the head (op_info in the C core)."""

    def __init__(self, m, k):
        kind, ins, out, amin, amax, _geo, rq = m.op_info(k)
        if kind not in _KINDS:
            raise ValueError("cannot backpropagate through operator %d (kind %d): bias and "
                             "sparse modes support %s" % (k, kind, ", ".join(
                                 _KINDS[i] for i in sorted(_KINDS))))
        self.k, self.kind, self.x, self.y = k, kind, ins[0], out
        self.amin, self.amax = amin, amax
        ish, sx, self.zx = m.tensor_info(self.x)
        osh, sy, self.zy = m.tensor_info(out)
        self.sx, self.sy = _f32(sx), _f32(sy)
        self.n_in, self.n_out = _count(ish), _count(osh)
        self.chans = ()
        self.upd_bias = False
        self.bias = self.res = self.wq = self.xs = self.sel = self.mask = None
        self.w_t = self.b_t = -1
        self.P = 1
        if kind == _AVG:
            self.P = self.n_in // self.n_out
            if self.n_out != osh[-1] or self.n_in != self.P * self.n_out:
                raise ValueError("operator %d: only a global AVERAGE_POOL_2D (to 1x1) can be "
                                 "backpropagated" % k)
            self.cout = self.n_out
        if kind not in (_CONV, _DW, _FC):
            return
        self.w_t = ins[1]
        self.b_t = ins[2] if len(ins) > 2 else -1
        wsh = m.tensor_info(self.w_t)[0]
        self.w_size = _count(wsh)
        self.cout = wsh[3] if kind == _DW else wsh[0]
        self.cin = wsh[-1]
        self.P = self.n_out // self.cout
        if kind == _FC and self.n_in != self.cin:
            raise ValueError("operator %d: FULLY_CONNECTED on a batch of one only" % k)
        if kind == _CONV and (wsh[1] != 1 or wsh[2] != 1 or self.n_in != self.P * self.cin):
            raise ValueError("operator %d: only 1x1 CONV_2D with stride 1 can be "
                             "backpropagated" % k)
        n = len(rq) // 8
        mult = []
        for c in range(self.cout):
            a, s = unpack_from("<ii", rq, 8 * (c if n > 1 else 0))
            mult.append(a * 2.0 ** (s - 31))  # s_x * s_w[c] / s_y, as the kernel applies it
        # One LSB of the int32 bias is s_x * s_w[c] = s_y * mult[c]; of the weight, s_w[c].
        self.lsb_b = [self.sy * v for v in mult]
        self.lsb_w = [self.sy * v / self.sx for v in mult]
        terms = self.cin if kind == _FC else (wsh[1] * wsh[2] * (1 if kind == _DW else
                                                                   self.cin))
        self.lim = 2147483647 - terms * (65536 if kind == _FC else 32768)


def below_head(m, head_op, emb):
    """The operators under the head, from the top down: the one computing the embedding, then
    the one computing its first input, and so on. A list of (op, kind, inputs, output)."""
    out = []
    t = emb
    for k in range(head_op - 1, -1, -1):
        kind, ins, o = m.op_info(k)[:3]
        if o == t:
            out.append((k, kind, ins, o))
            t = ins[0]
    return out


def bias_updates(m, head_op, emb, n):
    """Bias mode's updates: the biases of the first n layers with one under the head, in
    operator order (fewer if the model has fewer)."""
    ups = [(k, True, ()) for k, kind, ins, _ in below_head(m, head_op, emb)
           if kind in (_CONV, _DW, _FC) and len(ins) > 2 and ins[2] >= 0][:n]
    ups.reverse()
    return ups


def chain(m, head_op, emb, lowest):
    """The operators from `lowest` (an op index) up to the head, in operator order;
    ValueError if `lowest` is not under the head or another operator reads a tensor on that
    path (a branch the gradient would miss)."""
    path = [k for k, _, _, _ in below_head(m, head_op, emb) if k >= lowest]
    if not path or path[-1] != lowest:
        raise ValueError("operator %d does not feed the head through its first inputs" % lowest)
    path.reverse()
    outs = [m.op_info(k)[2] for k in path]
    for k in range(lowest, head_op):
        if k in path:
            continue
        for t in m.op_info(k)[1]:
            if t in outs:
                raise ValueError("the path to the head branches at operator %d: bias and "
                                 "sparse modes need a plain chain" % k)
    return path


class _Backbone:
    """The updated int8 layers: RAM copies of their biases (and, in sparse mode, weights) put
    over the blob's with Model.set_const; a forward pass that keeps, per layer, the bits of its
    output inside the activation range and the chosen input channels; and the backward pass
    with QAS updates. See docs/training.md for the memory it takes."""

    def __init__(self, net, updates, head_op, emb, dim):
        m = net._model
        self.m = m
        lowest = min(u[0] for u in updates)
        self.layers = [_Layer(m, k) for k in chain(m, head_op, emb, lowest)]
        by_op = {}
        for L in self.layers:
            by_op[L.k] = L
        self.updated = []
        for op, bias, chans in updates:
            L = by_op.get(op)
            if L is None or L.w_t < 0:
                raise ValueError("operator %d cannot be updated: it is not a CONV_2D, "
                                 "DEPTHWISE_CONV_2D or FULLY_CONNECTED on the path to the head"
                                 % op)
            if bias and L.b_t < 0:
                raise ValueError("operator %d has no bias to update" % op)
            if chans and L.kind == _DW:
                raise ValueError("operator %d: DEPTHWISE_CONV_2D weights are not updated, only "
                                 "its bias" % op)
            L.upd_bias = bool(bias)
            L.chans = tuple(chans)
            self.updated.append(L)
        # Layers above the lowest updated one pass the gradient down to their input.
        self.need = 0
        grad = dim
        for i in range(len(self.layers)):
            L = self.layers[i]
            L.down = i > 0
            if L.down and L.kind == _DW:
                raise ValueError("operator %d: cannot backpropagate through DEPTHWISE_CONV_2D "
                                 "(update only layers above it, or its bias as the lowest)"
                                 % L.k)
            if L.w_t >= 0:
                self.need += (L.P * L.cout + 7) // 8  # output mask
                if L.upd_bias:
                    self.need += 8 * L.cout  # int32 bias copy + float32 carry
                if L.chans or L.down:
                    self.need += L.w_size  # weight copy (updated, or read for the gradient)
                if L.chans:
                    self.need += L.P * len(L.chans) + L.cin  # kept input channels, channel map
                if L.down:
                    grad = max(grad, L.n_in)
        self.grad = grad
        self.need += 8 * grad + _CHUNK  # two float32 gradient buffers, the read buffer

    def alloc(self):
        m = self.m
        for L in self.layers:
            if L.w_t < 0:
                continue
            L.mask = bytearray((L.P * L.cout + 7) // 8)
            if L.upd_bias:
                raw = bytearray(4 * L.cout)
                m.read_tensor(L.b_t, raw)
                L.bias = array("i", raw)
                L.res = _zeros("f", L.cout, 4)
            if L.chans or L.down:
                L.wq = bytearray(L.w_size)
                m.read_tensor(L.w_t, L.wq)
            if L.chans:
                L.xs = bytearray(L.P * len(L.chans))
                L.sel = bytearray(L.cin)
                for j in range(len(L.chans)):
                    L.sel[L.chans[j]] = j + 1
        self.ga = _zeros("f", self.grad, 4)
        self.gb = _zeros("f", self.grad, 4)
        self.buf = bytearray(_CHUNK)

    def params(self):
        """The updated parameters as they are now (the adapter's backbone part)."""
        out = bytearray()
        for L in self.updated:
            if L.upd_bias:
                out += bytes(L.bias)
            if L.chans:
                out += L.wq
        return out

    def set_params(self, p, pos):
        for L in self.updated:
            if L.upd_bias:
                _copy(L.bias, array("i", bytes(p[pos:pos + 4 * L.cout])))
                pos += 4 * L.cout
            if L.chans:
                L.wq[:] = p[pos:pos + L.w_size]
                pos += L.w_size
        return pos

    def attach(self):
        for L in self.updated:
            if L.upd_bias:
                self.m.set_const(L.b_t, L.bias)
            if L.chans:
                self.m.set_const(L.w_t, L.wq)

    def detach(self):
        for L in self.updated:
            if L.upd_bias:
                self.m.set_const(L.b_t, None)
            if L.chans:
                self.m.set_const(L.w_t, None)

    def _scan(self, t, n, fn):
        """Call fn(i, byte) over arena tensor t's n bytes, read _CHUNK at a time."""
        buf, m = self.buf, self.m
        off = 0
        while off < n:
            k = n - off if n - off < _CHUNK else _CHUNK
            view = memoryview(buf)[:k]
            m.read_tensor(t, view, off)
            for j in range(k):
                fn(off + j, buf[j])
            off += k

    def forward(self, end):
        """Run the model (inputs set) up to operator end, keeping what backward() needs."""
        m = self.m
        done = 0
        for L in self.layers:
            m.invoke(done, L.k)
            if L.chans:
                xs, sel, cin, nch = L.xs, L.sel, L.cin, len(L.chans)

                def keep(i, b, xs=xs, sel=sel, cin=cin, nch=nch):
                    s = sel[i % cin]
                    if s:
                        xs[(i // cin) * nch + s - 1] = b
                self._scan(L.x, L.n_in, keep)
            m.invoke(L.k, L.k + 1)
            done = L.k + 1
            if L.mask is not None:
                mask, lo, hi = L.mask, L.amin, L.amax
                for i in range(len(mask)):
                    mask[i] = 0

                def inside(i, b, mask=mask, lo=lo, hi=hi):
                    v = b - 256 if b > 127 else b
                    if lo < v < hi:
                        mask[i >> 3] |= 1 << (i & 7)
                self._scan(L.y, L.n_out, inside)
        m.invoke(done, end)

    def backward(self, eta, rng):
        """self.ga holds dLoss/d(embedding) (real units); propagate it down the layers and
        update the chosen parameters by QAS steps of eta * gradient. rng() gives uniform
        [0, 1) draws for the weights' stochastic rounding. Input gradients use the weights as
        they were before this step."""
        g, other = self.ga, self.gb
        bc = 0  # > 0: g holds one value per channel, spread evenly over bc positions
        for idx in range(len(self.layers) - 1, -1, -1):
            L = self.layers[idx]
            if L.kind == _RESHAPE:
                continue
            if L.kind == _AVG:
                bc = L.P
                continue
            P, co, ci = L.P, L.cout, L.cin
            nch = len(L.chans)
            gbias = [0.0] * co
            gw = [0.0] * (co * nch)
            if L.down:
                for i in range(P * ci):
                    other[i] = 0.0
            mask, xs, wq, zx, sx = L.mask, L.xs, L.wq, L.zx, L.sx
            for p in range(P):
                for c in range(co):
                    bit = p * co + c
                    if not (mask[bit >> 3] >> (bit & 7)) & 1:
                        continue
                    gy = g[c] / bc if bc else g[bit]
                    if gy == 0.0:
                        continue
                    gbias[c] += gy
                    for j in range(nch):
                        gw[c * nch + j] += gy * (_s8(xs[p * nch + j]) - zx) * sx
                    if L.down:
                        f = gy * L.lsb_w[c]
                        row, base = c * ci, p * ci
                        for i in range(ci):
                            other[base + i] += f * _s8(wq[row + i])
            if L.upd_bias:
                for c in range(co):
                    qas_bias(L.bias, L.res, c, -eta * gbias[c] / L.lsb_b[c], L.lim)
            for c in range(co):
                for j in range(nch):
                    i = c * ci + L.chans[j]
                    qas_weight(wq, i, -eta * gw[c * nch + j] / L.lsb_w[c], rng())
            if not L.down:
                break
            g, other = other, g
            bc = 0


def load_adapter(net, data):
    """Parse adapter bytes for net; returns a Trainer in the saved state. Raises ValueError
    (and net is left as it was) on any mismatch."""
    if len(data) < _HEADER + 4 or bytes(data[:4]) != MAGIC:
        raise ValueError("not a tinyml adapter")
    version = unpack_from("<H", data, 4)[0]
    if version != VERSION:
        raise ValueError("unsupported adapter version %d (this reader supports %d)" %
                         (version, VERSION))
    size = _HEADER + unpack_from("<I", data, 40)[0] + 4
    if len(data) < size:
        raise ValueError("truncated adapter: %d bytes, expected %d" % (len(data), size))
    if _crc32(bytes(data[:size - 4])) != unpack_from("<I", data, size - 4)[0]:
        raise ValueError("adapter CRC mismatch: file corrupted")
    if bytes(data[8:40]) != net.blob_sha256():
        raise ValueError("adapter was trained for another model (SHA-256 of the blob differs)")
    mode = None
    for k in MODES:
        if MODES[k] == data[6]:
            mode = k
    if mode is None:
        raise ValueError("unknown adapter mode %d" % data[6])
    p = memoryview(data)[_HEADER:size - 4]
    n, dim, rows, max_classes = unpack_from("<HHHH", p, 0)
    if net._head_info is None or dim != net._head_info[6] or rows != net._head_info[5]:
        raise ValueError("adapter does not fit this model's head")
    if not rows <= n <= max_classes <= 255 or n == 0:
        raise ValueError("invalid adapter payload")
    pos = 8
    labels = []
    for _ in range(n):
        if pos >= len(p) or pos + 1 + p[pos] > len(p):
            raise ValueError("invalid adapter payload")
        ln = p[pos]
        labels.append(str(bytes(p[pos + 1:pos + 1 + ln]), "utf-8"))
        pos += 1 + ln
    rest = 2 * n + 2 * n * dim if mode == "ncm" else 4 * n * (dim + 1) + n + 1 + 4 * n
    layers = 2
    if mode in ("bias", "sparse"):
        if len(p) - pos < rest + 1:
            raise ValueError("invalid adapter payload")
        layers = p[pos + rest]
    tr = Trainer(net, mode, max_examples=1, max_classes=max_classes, layers=layers)
    try:
        _fill(tr, p, pos, labels, rest)
    except ValueError:
        tr._detach()
        if net._adapter is not None:
            net._adapter._attach()  # the adapter in use stays as it was
        raise
    return tr


def _fill(tr, p, pos, labels, rest):
    n, dim, mode = len(labels), tr.dim, tr.mode
    if tr._bb is not None:
        rest += 1 + len(tr._bb.params())
    if len(p) - pos != rest:
        raise ValueError("invalid adapter payload")
    tr.labels = labels
    if mode == "ncm":
        _copy(tr._counts, array("H", bytes(p[pos:pos + 2 * n])))
        pos += 2 * n
        _copy(tr._sums, array("h", bytes(p[pos:pos + 2 * n * dim])))
        for r in range(n):
            tr._seen[r] = 1 if tr._counts[r] else 0
    else:
        k = n * (dim + 1)
        _copy(tr._w, array("f", bytes(p[pos:pos + 4 * k])))
        pos += 4 * k
        for r in range(n):
            tr._seen[r] = p[pos + r]
        pos += n
        tr._gated = p[pos] == 1
        _copy(tr._thr, array("f", bytes(p[pos + 1:pos + 1 + 4 * n])))
        pos += 1 + 4 * n
        if tr._bb is not None:
            tr._bb.set_params(p, pos + 1)
    for r in range(n):
        tr._fresh[r] = 0


def _copy(dst, src):
    for i in range(len(src)):
        dst[i] = src[i]


def _check_room(need, budget):
    if budget is not None and need > budget:
        raise MemoryError("trainer needs %d bytes, ram_budget is %d" % (need, budget))
    try:
        import gc

        gc.collect()
        free = gc.mem_free()
    except (ImportError, AttributeError):
        return  # CPython: no heap limit to check
    if need > free:
        raise MemoryError("trainer needs %d bytes, %d available" % (need, free))


def _s8(b):
    return b - 256 if b > 127 else b


def _argmax(v, n):
    best = 0
    for i in range(1, n):
        if v[i] > v[best]:
            best = i
    return best


def _softmax(z):
    zmax = max(z)
    ex = [math.exp(v - zmax) for v in z]
    total = sum(ex)
    return [v / total for v in ex]


def _lse(z, n):
    zmax = z[_argmax(z, n)]
    total = 0.0
    for r in range(n):
        total += math.exp(z[r] - zmax)
    return zmax + math.log(total)
