"""The fast int8 kernels against the reference kernels (src/kernels/ref/, TFLite's reference
loops), output byte by output byte: tests/c/kernel_check.c draws seeded random shapes, strides,
padding, dilation, depth multipliers, quantization parameters and data, including the shapes
each fast path special-cases (1x1, 3x3 interiors, channel counts around multiples of 4, patches
past the im2col buffer, depthwise rows past the row buffer, in-place variants), and checks the
requantization fast path over the edges of every shift.

On the host the checker is built under AddressSanitizer and UBSan three times: natively (the
vectorized x86-64 loops), with -DTML_ARCH_GENERIC (the loops the Cortex-M3 runs) and with the
RISC-V register blocking added to those (-DTML_DOT_2X4_TEST); hypothesis picks the seeds.
Inside each emulated core it runs as a native module (build/kernel_check/<arch>/
kernel_check.mpy, compiled as tinyml.mpy is) on the stock firmware, so each core checks its own
fast path (Armv7E-M DSP on the M4, Armv6-M on the Pico, the RISC-V blocking on rv32), and it
must compare exactly the cases the host compares for the same seed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtimes import ROOT, STOCK
from tinyml_tools.boards.devices import EMULATED, emulated_pico, with_filesystem

CORE = ROOT / "native_modules/tinyml"
KERNELS = tuple((CORE / "src/kernels/hot_kernels.txt").read_text().split())
V6M_ROW = "-DTML_DW_ROW_BYTES=TML_DW_ROW_BYTES_V6M"
BUILDS = {"native": [], "generic": ["-DTML_ARCH_GENERIC"],
          "generic-2x4": ["-DTML_ARCH_GENERIC", "-DTML_DOT_2X4_TEST"],
          # Armv6-M's smaller depthwise plane buffer (tml_config.h), which also shapes the
          # checker's wide-row cases: the host build the RP2040 is compared with.
          "generic-v6m": ["-DTML_ARCH_GENERIC", V6M_ROW],
          # Armv6-M's requantization from 32-bit products (tml_requantize_split) on the host.
          "generic-split": ["-DTML_ARCH_GENERIC", "-DTML_RQ_SPLIT_TEST"],
          # Armv6-M's two-input kernel on folded biases (m0_pairs16's C form) on the host.
          "generic-pairs16": ["-DTML_ARCH_GENERIC", "-DTML_DOT_PAIRS16_TEST"]}
# The host build whose case count each board must reproduce (the native one otherwise).
HOST_BUILD = {"rp2040": "generic-v6m"}
CASES = 300  # per hypothesis seed
LONG = (20240601, 30000)  # the fixed long run: seed, cases
# Cases whose shapes fit the checker's buffers; the others (an empty output) are skipped.
MIN_FRACTION = 0.85

# Each core on its stock firmware (no tinyml inside), the module its architecture loads, and
# the cases it runs: the Pico emulator is about 100 times slower than QEMU.
DEVICE_SEED = 16
DEVICES = {"unix": ("x64", 10000), "qemu-m3": ("armv7m", 10000),
           "qemu-m4": ("armv7emsp", 10000), "qemu-rv32": ("rv32imc", 10000),
           "rp2040": ("armv6m", 1000)}
DEVICE_RUN = ("import kernel_check\n"
              "ok, compared, message = kernel_check.run(%d, %d)\n"
              "print(ok, compared)\n"
              "print(message)\n")


@pytest.fixture(scope="module")
def checkers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The host runner of kernel_check.c per build, with the sanitizers."""
    out = tmp_path_factory.mktemp("kernel_check")
    sources = [ROOT / "tests/c/kernel_check.c", ROOT / "tests/c/kernel_check_main.c",
               *(CORE / f"src/kernels/{k}.c" for k in KERNELS),
               *sorted((CORE / "src/kernels/ref").glob("*.c"))]
    exes = {name: out / f"kernel_check_{name}" for name in BUILDS}
    builds = [subprocess.Popen(["gcc", "-std=c99", "-O2", "-g", "-Wall", "-Werror",
                                "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                                *flags, f"-I{CORE}/include", f"-I{CORE}/src",
                                f"-I{CORE}/src/kernels", f"-I{ROOT}/tests/c",
                                *map(str, sources), "-o", str(exes[name])])
              for name, flags in BUILDS.items()]
    assert [b.wait() for b in builds] == [0] * len(builds)
    return exes


def _host(exe: Path, seed: int, cases: int) -> int:
    """Cases compared by the host checker; fails with its report on any difference."""
    p = subprocess.run([str(exe), str(seed), str(cases)], capture_output=True, text=True,
                       timeout=600)
    m = re.fullmatch(r"ok: (\d+) cases\n", p.stdout)
    assert p.returncode == 0 and m and not p.stderr, f"{exe.name}: {p.stdout}{p.stderr}"
    return int(m.group(1))


@settings(max_examples=25, derandomize=True, deadline=None)
@given(seed=st.integers(1, 2**32 - 1))
def test_host_random_seeds(checkers: dict[str, Path], seed: int) -> None:
    # Builds with the same buffers draw the same cases: the same count.
    counts = {}
    for name, exe in checkers.items():
        counts.setdefault(V6M_ROW in BUILDS[name], set()).add(
            _host(exe, seed, CASES))
    for same in counts.values():
        assert len(same) == 1 and same.pop() >= MIN_FRACTION * CASES, counts


@pytest.mark.parametrize("build", sorted(BUILDS))
def test_host_long_run(checkers: dict[str, Path], build: str) -> None:
    seed, cases = LONG
    assert _host(checkers[build], seed, cases) >= MIN_FRACTION * cases


def _device(board: str, mpy: bytes, script: str, tmp_path: Path) -> str:
    if board == "unix":
        (tmp_path / "kernel_check.mpy").write_bytes(mpy)
        p = subprocess.run([str(STOCK), "-c", script], cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)
        assert p.returncode == 0, p.stdout + p.stderr
        return p.stdout
    if board in EMULATED:
        with with_filesystem(board, {"kernel_check.mpy": mpy}) as dev:
            return dev.exec(script)
    with emulated_pico(board, stock=True, files={"kernel_check.mpy": mpy}) as dev:
        return dev.exec(script)


@pytest.mark.parametrize("board", list(DEVICES))
def test_inside_each_core(checkers: dict[str, Path], board: str, tmp_path: Path) -> None:
    """The stock firmware loads kernel_check.mpy from its filesystem and runs the same seed:
    every case agrees, and the cases compared are the host's."""
    arch, cases = DEVICES[board]
    if board in EMULATED:
        assert EMULATED[board].natmod == arch
    want = _host(checkers[HOST_BUILD.get(board, "native")], DEVICE_SEED, cases)
    assert want >= MIN_FRACTION * cases
    mpy = (ROOT / f"build/kernel_check/{arch}/kernel_check.mpy").read_bytes()
    out = _device(board, mpy, DEVICE_RUN % (DEVICE_SEED, cases), tmp_path)
    lines = out.replace("\r", "").split("\n")
    assert lines[:2] == [f"True {want}", ""], out
