"""Every counter `tinyml bench` reads is checked against a loop of known length: two
instructions per iteration in the core's inline assembler (asm_thumb on the Arm cores, asm_rv32
on RISC-V; a C loop on unix, where MicroPython has no inline assembler), timed exactly as bench
times a model, two lengths differenced. The error is computed exactly (timer ticks ×
instructions per tick against the known count) and must stay below 0.1 %."""

from __future__ import annotations

from fractions import Fraction

import pytest

from tinyml_tools.boards.bench import CALIBRATION_LOOPS, calibrate

N1, N2 = CALIBRATION_LOOPS
# Cortex-M0+ (its technical reference manual): SUBS 1 cycle, a taken conditional branch 2.
PICO = {"instructions": 2 * (N2 - N1), "cycles": 3 * (N2 - N1)}


@pytest.mark.parametrize("board", ["unix", "qemu-m3", "qemu-m4", "qemu-m7", "qemu-rv32",
                                   "rp2040"])
def test_counter_counts_a_known_loop(board: str) -> None:
    results = calibrate(board)
    want = PICO if board == "rp2040" else {"instructions": 2 * (N2 - N1)}
    assert {c.counter: c.known for c in results} == want
    for c in results:
        assert isinstance(c.measured, Fraction)
        assert abs(c.measured - c.known) < Fraction(c.known, 1000), (board, c)
