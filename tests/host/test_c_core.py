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
