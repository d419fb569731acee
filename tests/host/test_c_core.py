"""C core units that no model exercises alone, built with the host compiler and run."""

from __future__ import annotations

import subprocess
from pathlib import Path

from runtimes import ROOT

CORE = ROOT / "native_modules/tinyml"


def test_integer_dequantization_matches_the_fpu(tmp_path: Path) -> None:
    exe = tmp_path / "dequantize_bits"
    subprocess.run(["gcc", "-std=c99", "-O1", "-Wall", "-Werror", f"-I{CORE}/include",
                    str(ROOT / "tests/c/dequantize_bits.c"), str(CORE / "src/quantize.c"),
                    "-o", str(exe)], check=True)
    p = subprocess.run([str(exe)], capture_output=True, text=True)
    assert p.stdout.strip() == "0 of 5120000 differ", p.stdout
    assert p.returncode == 0


def test_lx106_runtime_helpers_match_the_host(tmp_path: Path) -> None:
    """The division, 64-bit multiply and 64-bit shift helpers linked into the xtensa (ESP8266)
    .mpy."""
    exe = tmp_path / "lx106_runtime"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Werror", "-DTML_LX106_PREFIX=tml_",
                    str(ROOT / "tests/c/lx106_runtime_check.c"),
                    str(ROOT / "native_modules/micropython/lx106_runtime.c"), "-o", str(exe)],
                   check=True)
    p = subprocess.run([str(exe)], capture_output=True, text=True)
    assert p.stdout.strip() == "0 of 2000144 differ", p.stdout
    assert p.returncode == 0
