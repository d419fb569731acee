"""256-entry tables for int8 -> int8 element-wise operators.

An int8 unary operator has only 256 possible inputs, so the device runs all of them as one
table lookup (kernel LUT) and the host fills the table with the very arithmetic of TFLite's
reference kernel for that operator (see docs/conformance.md for the sources). Entry i holds the
output for the input byte i, i.e. for int8 value i - 256 * (i >= 128).
"""

from __future__ import annotations

import math

import numpy as np

from . import fixedpoint as fp
from .quantmath import DOUBLE, quantize_multiplier, round_half_away

INPUTS = np.array([i - 256 if i >= 128 else i for i in range(256)], np.int64)
F32 = np.float32


def _table(values: np.ndarray) -> np.ndarray:
    return np.clip(values, -128, 127).astype(np.int8)


def requantize(s_in: float, zp_in: int, s_out: float, zp_out: int, rounding: str) -> np.ndarray:
    """QUANTIZE int8 -> int8: MBQM(q - zp_in) with the double-precision ratio of the scales."""
    m, sh = quantize_multiplier(float(s_in) / float(s_out), rounding)
    return _table(fp.wrap32(fp.mbqm(INPUTS - zp_in, m, sh, rounding) + zp_out))


def relu(kind: str, s_in: float, zp_in: int, s_out: float, zp_out: int,
         rounding: str) -> np.ndarray:
    """RELU, RELU6, RELU_N1_TO_1: requantize (multiplier from a float32 ratio), then clamp."""
    m, sh = quantize_multiplier(float(F32(s_in) / F32(s_out)), rounding)

    def q(f: float) -> int:
        return zp_out + round_half_away(float(F32(f) / F32(s_out)))

    lo = max(-128, q(-1.0 if kind == "RELU_N1_TO_1" else 0.0))
    hi = 127 if kind == "RELU" else min(127, q(1.0 if kind == "RELU_N1_TO_1" else 6.0))
    y = fp.wrap32(fp.mbqm(INPUTS - zp_in, m, sh, rounding) + zp_out)
    return _table(np.clip(y, lo, hi))


def relu6_tflm(s_in: float, zp_in: int) -> np.ndarray:
    """TensorFlow Lite Micro's int8 RELU6: the input codes clamped to [zp_in, q_in(6)], the
    output quantization ignored (LiteRT requantizes: `--rounding tflm` reproduces TFLM)."""
    six = zp_in + round_half_away(float(F32(6.0) / F32(s_in)))
    return _table(np.clip(INPUTS, max(-128, zp_in), min(127, six)))


def leaky_relu(alpha: float, s_in: float, zp_in: int, s_out: float, zp_out: int,
               rounding: str) -> np.ndarray:
    """LEAKY_RELU: identity and alpha multipliers from float32 products."""
    m_id, s_id = quantize_multiplier(float(F32(s_in) / F32(s_out)), rounding)
    m_a, s_a = quantize_multiplier(float(F32(s_in) * F32(alpha) / F32(s_out)), rounding)
    v = INPUTS - zp_in
    if m_a < 0:
        neg = -fp.mbqm(v, -m_a, s_a, rounding)
    else:
        neg = fp.mbqm(v, m_a, s_a, rounding)
    return _table(fp.wrap32(np.where(v >= 0, fp.mbqm(v, m_id, s_id, rounding), neg) + zp_out))


def _float_lut(fn: object, s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite's LUTPopulate for int8: every step in float32 (the function itself is evaluated
    in double and rounded to float32, i.e. correctly rounded)."""
    out = np.empty(256, np.int64)
    inv = F32(1.0) / F32(s_out)
    for i, v in enumerate(INPUTS):
        x = F32(s_in) * F32(int(v) - zp_in)
        y = F32(fn(float(x)))  # type: ignore[operator]
        r = round_half_away(float(F32(y * inv)))
        out[i] = int(F32(r) + F32(zp_out))
    return _table(out)


def logistic(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    def sigmoid(x: float) -> float:
        e = F32(math.exp(-x)) if -x < 88.8 else F32(np.inf)
        return float(F32(1.0) / (F32(1.0) + e))

    return _float_lut(sigmoid, s_in, zp_in, s_out, zp_out)


def tanh(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    return _float_lut(math.tanh, s_in, zp_in, s_out, zp_out)


def _downscale_16(m: int) -> int:
    return 32767 if m >= (1 << 31) - 1 - (1 << 15) else (m + (1 << 15)) >> 16


def hard_swish(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """HARD_SWISH: int16 fixed-point arithmetic with float32-derived multipliers."""
    hires = F32(1.0 / 128.0) * F32(s_in)
    om32, oexp = quantize_multiplier(float(hires / F32(s_out)), DOUBLE)
    rm32, rexp = quantize_multiplier(float(hires / F32(3.0 / 32768.0)), DOUBLE)
    if oexp > 0:
        raise ValueError("HARD_SWISH output multiplier above one")
    om, rm = _downscale_16(om32), _downscale_16(rm32)
    v = INPUTS - zp_in
    hi = v * 128
    pre = fp.srdhm(hi, om, 16)
    r = hi
    if rexp > 0:
        r = fp.sat16(r * (1 << (rexp - 1)))
    r = fp.srdhm(r, rm, 16)
    if rexp > 0:
        r = fp.sat16(r * 2)
    if rexp < 0:
        r = fp.rdbpot(r, -rexp)
    r = (r + 32768) >> 1
    p = np.where((r == -32768) & (pre == -32768), 32767, fp._cdiv(r * pre, 1 << 15))
    return _table(fp.rdbpot(p, -oexp) + zp_out)
