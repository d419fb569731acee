"""The few-shot task of the on-device learning tests and docs: scikit-learn's bundled digits.

A backbone is trained on digits 0-5 (tests/models/fewshot/make_digits.py); the board is then
taught digits 6-9 from a few examples each. Two flows: "classroom" (examples recorded for every
class, old and new) and "new-only" (examples for the new classes only).
"""

from __future__ import annotations

import numpy as np

OLD_CLASSES = [0, 1, 2, 3, 4, 5]
NEW_CLASSES = [6, 7, 8, 9]
SHOTS = 10


def digits_split() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(train, test): images as float32 [n, 8, 8, 1] in [0, 1] and int labels; a fixed
    half/half split."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 8, 8, 1)
    order = np.random.default_rng(0).permutation(len(y))
    half = len(y) // 2
    tr, te = order[:half], order[half:]
    return (x[tr], y[tr]), (x[te], y[te])


def shots(labels: np.ndarray, classes: list[int], k: int = SHOTS) -> list[int]:
    """Indices of the first k examples of each class, class by class."""
    out: list[int] = []
    for c in classes:
        out += [int(i) for i in np.flatnonzero(labels == c)[:k]]
    return out
