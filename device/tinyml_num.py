"""Number helpers of on-device learning (tinyml_train and its modules): the leaf they share.

Imports nothing of tinyml: the trainer modules get the model through Net's public view, and
tinyml.py (merged alone into the native .mpy) keeps its own two-line helpers.
"""

import math
from array import array


def count(shape):
    """Elements in a tensor of this shape."""
    n = 1
    for d in shape:
        n *= d
    return n


def round_away(v):
    """v rounded to the nearest int, halves away from zero (the C core's rounding)."""
    t = int(v)
    f = v - t
    return t + 1 if f >= 0.5 else (t - 1 if f <= -0.5 else t)


def s8(b):
    """A byte (0..255) read as int8."""
    return b - 256 if b > 127 else b


def zeros(typecode, n, size):
    """array(typecode) of n zeros, size bytes each."""
    return array(typecode, bytes(n * size))


def copy_into(dst, src):
    for i in range(len(src)):
        dst[i] = src[i]


class Lcg:
    """The fixed pseudo-random sequence of training, the same on every port and in the NumPy
    reference: seed' = (1103515245 * seed + 12345) mod 2^31."""

    def __init__(self, seed):
        self.seed = seed

    def next(self):
        self.seed = (1103515245 * self.seed + 12345) & 0x7FFFFFFF
        return self.seed

    def uniform(self):
        """A draw in [0, 1)."""
        return self.next() / 2147483648.0

    def shuffle(self, order):
        """Fisher-Yates over the list order, in place."""
        for i in range(len(order) - 1, 0, -1):
            j = self.next() % (i + 1)
            order[i], order[j] = order[j], order[i]


def argmax(v, n):
    """Index of the first largest of v[0:n]."""
    best = 0
    for i in range(1, n):
        if v[i] > v[best]:
            best = i
    return best


def softmax(z):
    zmax = max(z)
    ex = [math.exp(v - zmax) for v in z]
    total = 0.0
    for v in ex:  # in order, one rounding per addition (CPython 3.12's sum() compensates)
        total += v
    return [v / total for v in ex]


def lse(z, n):
    """log(sum(exp(z[0:n])))."""
    zmax = z[argmax(z, n)]
    total = 0.0
    for r in range(n):
        total += math.exp(z[r] - zmax)
    return zmax + math.log(total)


def check_room(need, budget):
    """MemoryError when need bytes exceed budget (if given) or the free heap (MicroPython)."""
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
