"""The audio front-end's own maths (native_modules/tinyml/src/frontend/fe_math.c: cos, log1p,
powf and floor without libm, for bare-metal boards) against glibc's, which TensorFlow's
audio_microfrontend op uses: tests/c/fe_math_check.c compares the window coefficients, mel values
and PCAN gain tables built with each, and the functions themselves on 10^7 arguments and more.
The results do not depend on the compiler fusing multiply-adds."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from runtimes import ROOT

FRONTEND = ROOT / "native_modules/tinyml/src/frontend"
INCLUDE = ROOT / "native_modules/tinyml/include"
SUMMARY = re.compile(r"fe_math_check: ok, digest ([0-9a-f]{16})")
# glibc on x86-64 picks FMA builds of cos, log1p and powf on CPUs with FMA; this selects the
# generic ones, whose log1p fe_math.c reproduces bit for bit.
GENERIC_GLIBC = "glibc.cpu.hwcaps=-AVX2,-FMA"


def _build(tmp: Path, cc: str, flags: list[str]) -> Path:
    exe = tmp / f"fe_math_check_{cc}_{len(flags)}"
    subprocess.run([cc, "-std=c99", "-O2", *flags, "-Wall", "-Wextra", "-Werror",
                    f"-I{INCLUDE}", f"-I{FRONTEND}", str(ROOT / "tests/c/fe_math_check.c"),
                    str(FRONTEND / "fe_math.c"), "-lm", "-o", str(exe)], check=True)
    return exe


def _run(exe: Path, env: dict[str, str] | None = None) -> list[str]:
    p = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout.splitlines()


def _line(lines: list[str], prefix: str) -> str:
    found = [ln for ln in lines if ln.startswith(prefix)]
    assert len(found) == 1, (prefix, lines)
    return found[0]


def _numbers(line: str) -> list[int]:
    return [int(n) for n in re.findall(r"(?<![\w.])\d+(?![\w.])", line)]


@pytest.fixture(scope="module")
def gcc_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("fe_math"), "gcc", [])


@pytest.fixture(scope="module")
def gcc_lines(gcc_check: Path) -> list[str]:
    return _run(gcc_check)


def test_tables_equal_glibcs(gcc_lines: list[str]) -> None:
    """Every window coefficient, every mel value and the PCAN tables of the usual settings are
    glibc's; cos and powf are correctly rounded, so they differ from glibc's only where glibc's
    are not (the check's verdict, reported in its last line)."""
    assert SUMMARY.fullmatch(gcc_lines[-1]), gcc_lines
    window = _line(gcc_lines, "window:")
    assert window.startswith("window: 524800 coefficients, 0 differ (tml_fe_window_init: 0)")
    for prefix in ("log1p grid:", "log1p random:"):
        count, differ, _ = _numbers(_line(gcc_lines, prefix))
        assert count >= 5_000_000 and differ == 0, gcc_lines
    pairs, wrong, _, glibc_differ, glibc_misrounded = _numbers(_line(gcc_lines, "powf:"))
    assert pairs >= 10_000_000 and wrong == 0 and glibc_differ == glibc_misrounded, gcc_lines
    assert _numbers(_line(gcc_lines, "powf exact midpoints:"))[1] == 0
    tables, differ = _numbers(_line(gcc_lines, "pcan defaults and grid:"))
    assert tables > 5000 and differ == 0, gcc_lines
    tables, differ, _, explained = _numbers(_line(gcc_lines, "pcan random:"))
    assert tables >= 50_000 and differ == explained, gcc_lines
    assert _numbers(_line(gcc_lines, "floor:"))[1] == 0
    assert _numbers(_line(gcc_lines, "isfinitef:"))[1] == 0


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64")
                    or platform.libc_ver()[0] != "glibc", reason="x86-64 glibc's tunable")
def test_log1p_is_generic_glibcs_bit_for_bit(gcc_check: Path) -> None:
    lines = _run(gcc_check, {**os.environ, "GLIBC_TUNABLES": GENERIC_GLIBC})
    for prefix in ("log1p grid:", "log1p random:"):
        assert _numbers(_line(lines, prefix))[2] == 0, lines


def _cpu_has(*flags: str) -> bool:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    words = set(info.split())
    return all(f in words for f in flags)


@pytest.mark.parametrize(("cc", "flags"), [
    ("clang", ["-ffp-contract=fast"]),
    ("gcc", ["-march=haswell", "-ffp-contract=fast"]),
], ids=["clang_contract_fast", "gcc_haswell_fma"])
def test_same_results_when_multiply_adds_fuse(gcc_lines: list[str], cc: str, flags: list[str],
                                              tmp_path: Path) -> None:
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} is not installed")
    if "-march=haswell" in flags and not _cpu_has("fma", "avx2"):
        pytest.skip("this CPU cannot run Haswell code")
    lines = _run(_build(tmp_path, cc, flags))
    assert lines[-1] == gcc_lines[-1], (lines[-1], gcc_lines[-1])
