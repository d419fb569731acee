"""On-device learning for tinyml: teach a deployed int8 model new classes, on the board.

    tr = net.trainer(mode="head")      # or "ncm", "bias", "sparse"
    tr.add_class("wave")
    tr.add_example(x, "wave")          # one forward pass up to the embedding, cached
    tr.fit(epochs=30)                  # head: no backbone pass, trains on the cached embeddings
    net.classify(x)                    # now over the grown label set
    tr.save("kws.adapter")             # atomic; the base blob is never written

The embedding is the input of the model's last FULLY_CONNECTED, which the converter records in
the blob (its "trainable head"). This module is the facade; the work is done by
tinyml_head (ncm and the float head), tinyml_backbone (the int8 layers below the head, modes
bias and sparse) and tinyml_adapter (adapter files), over tinyml_num. They read the model only
through Net's public view and never import tinyml. Runs the same on MicroPython (firmware,
.mpy) and on CPython (the host simulator); tinyml_tools.train.reference is the NumPy reference
of the same arithmetic, in the same order.
"""

from tinyml_adapter import MODES, payload_head, read, write
from tinyml_backbone import Backbone, bias_updates
from tinyml_head import FloatHead, Ncm
from tinyml_num import argmax, check_room


class Trainer:
    """Learns on top of a Net: see the module doc. Also the form a loaded adapter takes."""

    def __init__(self, net, mode="head", lr=0.5, momentum=0.0, max_examples=64,
                 ram_budget=None, max_classes=None, layers=2):
        if mode not in MODES:
            raise ValueError("mode must be 'ncm', 'head', 'bias' or 'sparse', got %r" % (mode,))
        head = net.head()
        if head is None:
            raise ValueError("this model records no trainable head: its last layer must be a "
                             "FULLY_CONNECTED with int8 weights (convert it with tinyml 0.1+)")
        if momentum and mode in ("bias", "sparse"):
            raise ValueError("momentum is for head mode only")
        self.net = net
        self.mode = mode
        self.lr = lr
        self.momentum = momentum
        self.rows, self.dim = head.rows, head.cols
        self.max_classes = max_classes if max_classes is not None else self.rows + 3
        if not self.rows <= self.max_classes <= 255:
            raise ValueError("max_classes must be between %d and 255" % self.rows)
        if mode != "ncm" and not 1 <= max_examples <= 65535:
            raise ValueError("max_examples must be between 1 and 65535")
        self.max_examples = max_examples if mode != "ncm" else 0
        self.layers = layers
        self.backbone = None  # bias and sparse: the updated layers below the head
        if mode in ("bias", "sparse"):
            if net.n_inputs != 1:
                raise ValueError("bias and sparse modes need a model with one input")
            self.backbone = Backbone(net, self._updates())
        if mode == "ncm":
            self.head = Ncm(net, self.max_classes)
        else:
            self.head = FloatHead(net, self.max_classes, max_examples, lr, momentum,
                                  self.backbone)
        check_room(self.ram_needed(), ram_budget)
        self.head.alloc()
        if self.backbone is not None:
            self.backbone.alloc()
            self.backbone.attach()

    def _updates(self):
        """(operator, bias?, weight channels) the backbone updates: bias mode, the biases of
        the `layers` - 1 weighted layers below the head; sparse mode, the blob's scheme."""
        net = self.net
        if self.mode == "sparse":
            head_op = net.head().op
            ups = [(u.op, u.bias, u.channels) for u in net.update_scheme() if u.op != head_op]
            if not ups:
                raise ValueError("this blob has no sparse-update scheme below the head: convert "
                                 "it with --sparse-update BUDGET --data CALIB.npz")
            return ups
        if self.layers < 2:
            raise ValueError("layers must be at least 2 (the head and one layer below it)")
        ups = bias_updates(net, self.layers - 1)
        if len(ups) < self.layers - 1:
            raise ValueError("the model has %d layers with a bias below the head; layers=%d "
                             "asks for %d" % (len(ups), self.layers, self.layers - 1))
        return ups

    @property
    def labels(self):
        """The classes: the model's own, then the added ones (a list)."""
        return self.head.labels

    @property
    def n_examples(self):
        return self.head.n_examples

    def attach(self):
        """Put this trainer's layers over the model's (Net.set_adapter calls it)."""
        self.head.attach()

    def detach(self):
        """Give the model its own layers back (Net.set_adapter, clear_adapter)."""
        self.head.detach()

    # ---- memory ----

    def ram_needed(self):
        """Bytes of buffers this trainer allocates (the bound checked before allocating)."""
        return self.head.need + (self.backbone.need if self.backbone is not None else 0)

    def mem_info(self):
        """Extra bytes this trainer holds in buffers, exactly (Python object headers aside)."""
        return self.head.mem + (self.backbone.need if self.backbone is not None else 0)

    # ---- classes and examples ----

    def _class(self, label):
        labels = self.head.labels
        if isinstance(label, int):
            if not 0 <= label < len(labels):
                raise ValueError("label %d out of range (0..%d)" % (label, len(labels) - 1))
            return label
        for i in range(len(labels)):
            if labels[i] == label:
                return i
        raise ValueError("unknown label %r: add it with add_class() first" % (label,))

    def add_class(self, name):
        """A new class; returns its index. Labels grow by one."""
        name = str(name)
        labels = self.head.labels
        if name in labels:
            raise ValueError("class %r exists already" % name)
        if len(labels) >= self.max_classes:
            raise ValueError("no room for another class (max_classes=%d)" % self.max_classes)
        labels.append(name)
        cid = len(labels) - 1
        self.head.fresh[cid] = 1
        self.net.set_adapter(self)
        return cid

    def _raw(self, x):
        """x as the model's int8 input bytes (the device API rule: an itemsize-1 buffer of the
        input's length is raw int8; numbers are quantized)."""
        if not isinstance(x, (list, tuple)):
            b = bytes(x)
            if len(b) == self.head.unit:
                return b
        return self.net.quantize(x)

    def add_example(self, x, label):
        """Record one example: one forward pass to the embedding. ncm: the class mean moves;
        head: the embedding is cached for fit(); bias and sparse: the input is."""
        y = self._class(label)
        raw = self._raw(x) if self.backbone is not None else None
        q = self.head.embed(x)
        self.head.seen[y] = 1
        self.head.add(q, raw, y)
        self.head.n_examples += 1
        self.net.set_adapter(self)

    def step(self, x, label):
        """One SGD step on one sample (one forward pass); returns the loss before the step."""
        if not self.head.trains:
            raise ValueError("step() trains: use add_example() in ncm mode")
        y = self._class(label)
        raw = self._raw(x) if self.backbone is not None else None
        e = self.head.take(x, raw, y)
        self.net.set_adapter(self)
        return self.head.sgd(e, y)

    def fit(self, epochs=30, verbose=False):
        """Train on the cached examples: head mode on the cached embeddings (no backbone
        pass); bias and sparse modes run the backbone on the cached inputs, as its parameters
        change. Returns dict(loss, accuracy) over the cached examples after training. ncm
        learns in add_example, so there it only reports the count. verbose: print each
        epoch's mean loss and accuracy (over its steps, each before its update)."""
        stats = self.head.fit(epochs, verbose)
        if self.head.trains:
            self.net.set_adapter(self)
        return stats

    # ---- prediction ----

    def scores(self, q):
        """Class scores for an int8 embedding, a new array('f') of len(labels); the highest
        wins. head: softmax probabilities. ncm: cosine similarities to the class means.

        While some of the model's own classes have had no example (only new classes were
        taught), a class that has examples must also pass an open-set gate (docs/training.md);
        when the best one does not, the model's own head decides among the classes without
        examples, whose scores are then its probabilities (and -1 for the others)."""
        return self.head.scores(q)

    def evaluate(self, xs, labels):
        """Accuracy (0..1) of the adapted model on inputs xs with labels (ints or names)."""
        if len(xs) != len(labels):
            raise ValueError("xs and labels differ in length")
        right = 0
        for i in range(len(xs)):
            s = self.scores(self.head.embed(xs[i]))
            right += argmax(s, len(s)) == self._class(labels[i])
        return right / len(xs) if xs else 0.0

    # ---- persistence ----

    def save(self, path, fault=None):
        """Save the adapter to path atomically; returns its size. The base blob is never
        written. fault(step) is called before each step of the save (tests)."""
        h = self.head
        payload = payload_head(h.labels, self.dim, self.rows, self.max_classes) + h.payload()
        if self.backbone is not None:
            payload += bytes([self.layers]) + self.backbone.params()
        return write(path, self.mode, self.net.blob_sha256(), payload, fault)

    def _load(self, a, rest):
        h = self.head
        if self.backbone is not None:
            rest += 1 + len(self.backbone.params())
        if len(a.p) - a.pos != rest:
            raise ValueError("invalid adapter payload")
        h.labels = a.labels
        pos = h.load(a.p, a.pos)
        if self.backbone is not None:
            self.backbone.set_params(a.p, pos + 1)
        for r in range(len(a.labels)):
            h.fresh[r] = 0


def load_adapter(net, data):
    """Parse adapter bytes for net; returns a Trainer in the saved state. Raises ValueError
    (and net is left as it was) on any mismatch."""
    a = read(data, net.blob_sha256(), net.head())
    rest = (Ncm if a.mode == "ncm" else FloatHead).payload_size(len(a.labels), a.dim)
    layers = 2
    if a.mode in ("bias", "sparse"):
        if len(a.p) - a.pos < rest + 1:
            raise ValueError("invalid adapter payload")
        layers = a.p[a.pos + rest]
    tr = Trainer(net, a.mode, max_examples=1, max_classes=a.max_classes, layers=layers)
    try:
        tr._load(a, rest)
    except ValueError:
        tr.detach()
        if net.adapter is not None:
            net.adapter.attach()  # the adapter in use stays as it was
        raise
    return tr
