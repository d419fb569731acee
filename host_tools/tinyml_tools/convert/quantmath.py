"""Host-side requantization constants, computed exactly as TFLite's kernels prepare them.

The device only ever sees the integers produced here, so these functions decide bit-exactness
as much as the C kernels do. Scales are float32 in the model and are widened to double before
any arithmetic, as TFLite does.
"""

from __future__ import annotations

import math

import numpy as np

SINGLE = "single"  # TFLite reference kernels (TFLITE_SINGLE_ROUNDING)
DOUBLE = "double"  # gemmlowp-style doubling high multiply, as TensorFlow Lite Micro
AWAY = "away"  # one rounding, ties away from zero: LiteRT's float FULLY_CONNECTED requantization


def quantize_multiplier(m: float, rounding: str = SINGLE) -> tuple[int, int]:
    """A real multiplier as (q, shift) with m ~= q * 2**(shift - 31), q in [2**30, 2**31)."""
    if m == 0.0:
        return 0, 0
    frac, shift = math.frexp(m)
    q = round_half_away(frac * (1 << 31))
    if q == 1 << 31:
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if rounding in (SINGLE, AWAY) and shift > 30:
        return (1 << 31) - 1, 30
    return q, shift


# The shift stored for a channel whose multiplier is 0: the largest the C core's one-multiply
# output stage takes (its shift <= -2 rule, tml_dot_init's hi_rows).
DEAD_ROW_SHIFT = -2


def per_channel_requant(input_scale: float, filter_scales: np.ndarray, output_scale: float,
                        rounding: str) -> tuple[np.ndarray, np.ndarray]:
    """A weighted layer's (mult, shift) per output channel, as TFLite prepares them, with one
    change that no output can see: a channel whose multiplier is 0 (its scale underflows
    2**-31, as near-dead channels of trained models do; TFLite stores (0, 0)) gets the shift
    DEAD_ROW_SHIFT instead of 0. Every rounding requantizes any sum to exactly 0 with a zero
    multiplier, whatever the shift: the doubling high multiply of x * 0 is 0 (the nudge alone
    is below 2**31 in magnitude and the quotient truncates to 0) and 0 divided by any power of
    two is 0; the single roundings add 2**(30 - shift) < 2**(31 - shift) to 0 before their right
    shift by 31 - shift, which gives 0 too. A zero channel then no longer takes its whole block
    of rows out of the device's fast output stage (shift 0 is outside it)."""
    mults, shifts = [], []
    for ws in filter_scales:
        q, shift = quantize_multiplier(effective_scale(input_scale, float(ws), output_scale),
                                       rounding)
        mults.append(q)
        shifts.append(DEAD_ROW_SHIFT if q == 0 else shift)
    return np.array(mults, np.int32), np.array(shifts, np.int32)


def round_half_away(x: float) -> int:
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def effective_scale(input_scale: float, filter_scale: float, output_scale: float) -> float:
    return float(input_scale) * float(filter_scale) / float(output_scale)


def activation_range(activation: str, scale: float, zero_point: int) -> tuple[int, int]:
    """TFLite's CalculateActivationRangeQuantized for int8 outputs."""

    def q(f: float) -> int:
        # float32 division, then std::round, as the reference does.
        return int(zero_point) + round_half_away(float(np.float32(f) / np.float32(scale)))

    lo, hi = -128, 127
    if activation == "NONE":
        return lo, hi
    if activation == "RELU":
        return max(lo, q(0.0)), hi
    if activation == "RELU6":
        return max(lo, q(0.0)), min(hi, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(lo, q(-1.0)), min(hi, q(1.0))
    raise ValueError(f"unsupported fused activation {activation}")


SOFTMAX_DIFF_INTEGER_BITS = 5


def softmax_params(
    beta: float, input_scale: float, rounding: str = SINGLE
) -> tuple[int, int, int]:
    """(input_multiplier, input_left_shift, diff_min) as TFLite's SoftmaxPrepare computes them."""
    max_real = float((1 << 30) - 1) if rounding in (SINGLE, AWAY) else float((1 << 31) - 1)
    real = min(
        float(beta) * float(input_scale) * float(1 << (31 - SOFTMAX_DIFF_INTEGER_BITS)), max_real
    )
    mult, shift = quantize_multiplier(real, rounding)
    radius = math.floor(
        1.0
        * ((1 << SOFTMAX_DIFF_INTEGER_BITS) - 1)
        * (1 << (31 - SOFTMAX_DIFF_INTEGER_BITS))
        / (1 << shift)
    )
    return mult, shift, -radius


def same_padding(in_size: int, filter_size: int, stride: int, dilation: int) -> tuple[int, int]:
    """(output size, leading pad) for TFLite SAME padding."""
    eff = (filter_size - 1) * dilation + 1
    out = (in_size + stride - 1) // stride
    total = max(0, (out - 1) * stride + eff - in_size)
    return out, total // 2


def valid_output(in_size: int, filter_size: int, stride: int, dilation: int) -> int:
    eff = (filter_size - 1) * dilation + 1
    return (in_size - eff + stride) // stride
