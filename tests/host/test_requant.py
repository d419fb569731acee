"""The converter's per-channel requantization constants (convert/quantmath.py): TFLite's own,
except that a channel whose multiplier underflows to 0 is stored with DEAD_ROW_SHIFT instead of
TFLite's shift 0, which no output can see (the C core's fast output stage then keeps the
channel's block of rows)."""

from __future__ import annotations

import numpy as np
import pytest

from tinyml_tools.convert import fixedpoint as fp
from tinyml_tools.convert import quantmath as qm

EDGES = np.array([-(1 << 31), -(1 << 31) + 1, -(1 << 30), -65536, -3, -2, -1, 0, 1, 2, 3,
                  65535, 1 << 30, (1 << 31) - 1], np.int64)


@pytest.mark.parametrize("rounding", [qm.SINGLE, qm.DOUBLE, qm.AWAY])
def test_a_zero_multiplier_gives_zero_under_every_shift(rounding: str) -> None:
    rng = np.random.default_rng(7)
    x = np.concatenate([EDGES, rng.integers(-(1 << 31), 1 << 31, 2000)])
    for shift in range(-31, 31):
        assert not np.any(fp.mbqm(x, 0, shift, rounding)), shift
    # and a non-zero multiplier does see the shift: the test above can fail
    assert np.any(fp.mbqm(x, 1 << 30, -2, rounding) != fp.mbqm(x, 1 << 30, 0, rounding))


@pytest.mark.parametrize("rounding", [qm.SINGLE, qm.DOUBLE])
def test_per_channel_requant(rounding: str) -> None:
    # channel 1's scale underflows 2**-31 (TFLite: multiplier 0, shift 0)
    scales = np.array([0.02, 1e-11, 0.75, 3e-12], np.float32)
    assert qm.quantize_multiplier(qm.effective_scale(0.05, 1e-11, 0.1), rounding) == (0, 0)
    mults, shifts = qm.per_channel_requant(0.05, scales, 0.1, rounding)
    want = [qm.quantize_multiplier(qm.effective_scale(0.05, float(s), 0.1), rounding)
            for s in scales]
    assert mults.tolist() == [m for m, _ in want]
    assert mults.tolist()[1] == mults.tolist()[3] == 0
    assert shifts.tolist() == [want[0][1], qm.DEAD_ROW_SHIFT, want[2][1], qm.DEAD_ROW_SHIFT]
    assert mults.dtype == shifts.dtype == np.int32
