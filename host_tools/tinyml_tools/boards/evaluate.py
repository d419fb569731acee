"""`tinyml eval` and `tinyml verify --data`: a labelled (or unlabelled) data set run on a board
and on the host simulator, sample by sample, with the accuracy and confusion matrix of the
model's first output.

Inputs come from a .npy file (a single-input model: [samples, *input shape]) or a .npz file (one
array per input, in input order). int8 arrays are the model's raw input bytes; float arrays are
quantized with the input's scale and zero point exactly as the board's `net.quantize` does
(the host simulator's own function). Unsigned or wider integer data is refused: an image of
uint8 pixels is not an int8 tensor, and reinterpreting it would silently change every value
above 127.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bench import device_outputs, host_outputs
from .devices import BoardError


def _arrays(path: Path) -> list[np.ndarray]:
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise BoardError(f"{path}: not a .npy/.npz array file ({e})") from e
    if isinstance(data, np.lib.npyio.NpzFile):
        return [data[k] for k in data.files]
    return [data]


def data_inputs(blob: bytes, path: Path) -> list[list[bytes]]:
    """Each sample's input bytes (one bytes object per model input) from an array file."""
    import tinyml

    net = tinyml.load(blob)
    arrays = _arrays(path)
    if len(arrays) != len(net.input_shapes):
        raise BoardError(f"{path}: {len(arrays)} arrays for a model with "
                         f"{len(net.input_shapes)} inputs (a .npz holds one per input)")
    per_input = []
    for i, (a, shape) in enumerate(zip(arrays, net.input_shapes, strict=True)):
        n = int(np.prod(shape))
        if a.ndim < 1 or a.size != len(a) * n or len(a) == 0:
            raise BoardError(f"{path}: input {i} needs samples of shape {tuple(shape)} "
                             f"({n} values each), got an array of shape {a.shape}")
        if a.dtype == np.int8:
            per_input.append([x.tobytes() for x in a.reshape(len(a), n)])
        elif np.issubdtype(a.dtype, np.floating):
            per_input.append([bytes(net.quantize([float(v) for v in x], i))
                              for x in a.reshape(len(a), n)])
        else:
            raise BoardError(
                f"{path}: input {i} is {a.dtype}; give int8 (the model's raw input bytes) or "
                "floats (quantized with the input's scale). For uint8 pixels of a model trained "
                "on [0, 1] inputs with zero point -128, pass (pixels - 128) as int8")
    if len({len(p) for p in per_input}) != 1:
        raise BoardError(f"{path}: every input needs the same number of samples")
    return [list(xs) for xs in zip(*per_input, strict=True)]


def read_labels(path: Path, n: int) -> np.ndarray:
    """Class indices [n] from a .npy of integers (or one-hot rows)."""
    (y,) = _arrays(path)[:1] or [np.zeros(0)]
    if y.ndim == 2:
        y = y.argmax(axis=1)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or len(y) != n:
        raise BoardError(f"{path}: need {n} integer class labels (or one-hot rows), got an "
                         f"array of shape {y.shape} and type {y.dtype}")
    return y.astype(np.int64)


@dataclass
class Evaluation:
    board: str
    samples: int
    classes: list[str]
    predicted: np.ndarray  # the board's top class per sample
    labels: np.ndarray
    mismatches: int  # samples whose output bytes differ between the board and the host

    @property
    def correct(self) -> int:
        return int((self.predicted == self.labels).sum())

    def confusion(self) -> np.ndarray:
        """[true class, predicted class] counts."""
        k = len(self.classes)
        m = np.zeros((k, k), np.int64)
        np.add.at(m, (self.labels, self.predicted), 1)
        return m


def _top(line: str) -> int:
    """The top class of a sample's first output (int8: the largest byte is the largest real
    value, the scale being positive)."""
    return int(np.frombuffer(bytes.fromhex(line.split()[0]), np.int8).argmax())


def evaluate(board: str, blob: bytes, data: Path, labels: Path) -> Evaluation:
    import tinyml

    net = tinyml.load(blob)
    samples = data_inputs(blob, data)
    y = read_labels(labels, len(samples))
    n_classes = int(np.prod(net.output_shapes[0]))
    if y.min() < 0 or y.max() >= n_classes:
        raise BoardError(f"{labels}: labels must lie in 0..{n_classes - 1} (the model's "
                         f"{n_classes} outputs)")
    want = host_outputs(blob, samples)
    got = want if board == "host" else device_outputs(board, blob, samples)
    if len(got) != len(want):
        raise BoardError(f"{board}: {len(got)} results for {len(want)} samples")
    classes = list(net.labels) if len(net.labels) == n_classes else [
        str(c) for c in range(n_classes)]
    return Evaluation(board, len(samples), classes, np.array([_top(g) for g in got]), y,
                      sum(1 for g, w in zip(got, want, strict=True) if g != w))
