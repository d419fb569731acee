"""TFLite's integer primitives on numpy int64 arrays, for tables the host computes once (LUT
operators) with exactly the arithmetic of the reference kernel they replace.

Each function mirrors the C primitive of the same name in native_modules/tinyml/src/kernels/
fixedpoint.h; C's truncating division is spelled out where Python's floor division differs.
"""

from __future__ import annotations

import numpy as np

from .quantmath import AWAY, SINGLE

I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def _cdiv(a: np.ndarray, d: int) -> np.ndarray:
    """C integer division (truncates toward zero)."""
    q = np.abs(a) // d
    return np.where(a < 0, -q, q)


def srdhm(a: np.ndarray, b: int, bits: int = 32) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul on int32 (bits=32) or int16 (bits=16)."""
    a = np.asarray(a, np.int64)
    lo = -(1 << (bits - 1))
    ab = a * int(b)
    nudge = np.where(ab >= 0, 1 << (bits - 2), 1 - (1 << (bits - 2)))
    out = _cdiv(ab + nudge, 1 << (bits - 1))
    return np.where((a == lo) & (b == lo), (1 << (bits - 1)) - 1, out)


def rdbpot(x: np.ndarray, exponent: int) -> np.ndarray:
    """RoundingDivideByPOT: x / 2^exponent, ties away from zero."""
    x = np.asarray(x, np.int64)
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def wrap32(x: np.ndarray) -> np.ndarray:
    return ((np.asarray(x, np.int64) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def mbqm(x: np.ndarray, mult: int, shift: int, rounding: str) -> np.ndarray:
    """MultiplyByQuantizedMultiplier(int32 x, mult, shift) in either rounding mode."""
    x = np.asarray(x, np.int64)
    if rounding in (SINGLE, AWAY):
        total = 31 - shift
        prod = x * mult
        r = (prod + (1 << (total - 1))) >> total
        if rounding == AWAY:
            r = np.where(prod < 0, -((-prod + (1 << (total - 1))) >> total), r)
        return np.clip(r, I32_MIN, I32_MAX)
    left = max(shift, 0)
    right = max(-shift, 0)
    return rdbpot(srdhm(wrap32(x << left), mult), right)


def sat16(x: np.ndarray) -> np.ndarray:
    return np.clip(x, -32768, 32767)
