"""The motion front-end in the C core (native_modules/tinyml/src/motion, issue 18's "Motion")
against an independent NumPy reference of its definitions (tests/motion_ref.py): every feature
of every window equal, on edge-case and random streams, for configurations from a one-frame
window to nine axes of 512 frames; fed all at once and in buffers of 1, 7 and 100 frames (the
same windows); the DFT's integer tables equal NumPy's rounded cos and sin for every window
length; the configuration is checked; everything under ASan and UBSan, and the code needs no
floating point on a Cortex-M0+."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from motion_ref import Config, features, streams, twiddles

from runtimes import ROOT

MOTION = ROOT / "native_modules/tinyml/src/motion"
INCLUDE = ROOT / "native_modules/tinyml/include"
STREAMS = streams()
CONFIGS = {
    "default": Config(),
    "one_frame_windows": Config(axes=1, window=1, hop=1, bands=0),
    "hop_is_window_no_hann": Config(axes=6, window=50, hop=50, bands=5, hann=0),
    "stats_only_subset": Config(axes=2, window=20, hop=7, stats=0b10101, bands=0),
    "bands_only_edges": Config(axes=3, window=100, hop=25, stats=0,
                               bands=5, edges=(0, 1, 3, 7, 15, 51)),
    "odd_window_from_dc": Config(axes=1, window=7, hop=3, bands=3, band_lo=0),
    "band_range": Config(axes=3, window=128, hop=64, stats=0b01110, bands=8, band_lo=2,
                         band_hi=40),
    "two_frames": Config(axes=4, window=2, hop=1, bands=1),
    "largest": Config(axes=9, window=512, hop=128, bands=16),
}


@pytest.fixture(scope="module")
def mo_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    exe = tmp_path_factory.mktemp("mo") / "mo_check"
    subprocess.run(["gcc", "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    f"-I{MOTION}", f"-I{INCLUDE}", str(ROOT / "tests/c/mo_check.c"),
                    *sorted(str(p) for p in MOTION.glob("mo_*.c")), "-o", str(exe)],
                   check=True)
    return exe


def _run(exe: Path, x: np.ndarray, cfg: Config, tmp: Path, chunk: int = 0) -> np.ndarray:
    raw = tmp / "frames.raw"
    raw.write_bytes(np.ascontiguousarray(x[:, :cfg.axes]).astype("<i2").tobytes())
    p = subprocess.run([str(exe), *cfg.flags(), "--chunk", str(chunk), str(raw)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    rows = [[int(v) for v in ln.split()] for ln in p.stdout.splitlines()]
    per_axis = bin(cfg.stats).count("1") + cfg.bands
    return np.array(rows, dtype=np.int64).reshape(-1, cfg.axes * per_axis)


def test_tables_equal_numpys_cos_and_sin(mo_check: Path) -> None:
    """Every window length 1..512: the tables mo_twiddle.c computes in integers."""
    out = subprocess.run([str(mo_check), "--tables"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(out) == 2 * 512
    for n in range(1, 513):
        c, s = twiddles(n)
        assert out[2 * n - 2] == " ".join(["cos", str(n), *map(str, c)]), n
        assert out[2 * n - 1] == " ".join(["sin", str(n), *map(str, s)]), n


def test_state_size_is_the_documented_one(mo_check: Path) -> None:
    size = subprocess.run([str(mo_check), "--sizeof"], capture_output=True, text=True,
                          check=True).stdout
    assert int(size) == 15436  # mo_motion.h, docs/motion.md
    assert "15,436 bytes" in (ROOT / "docs/motion.md").read_text()


@pytest.mark.parametrize("name", CONFIGS)
def test_features_equal_the_numpy_reference(mo_check: Path, name: str, tmp_path: Path) -> None:
    cfg = CONFIGS[name]
    differ = []
    for stream, x in STREAMS.items():
        got, want = _run(mo_check, x, cfg, tmp_path), features(x[:, :cfg.axes], cfg)
        assert len(want) == (len(x) - cfg.window) // cfg.hop + 1
        if got.shape != want.shape or not np.array_equal(got, want):
            differ.append(stream)
    assert differ == [], f"{name}: {len(differ)} of {len(STREAMS)} streams differ: {differ}"


def test_the_features_span_their_ranges(mo_check: Path, tmp_path: Path) -> None:
    """The edge streams reach the extremes the definitions allow, worked out by hand: a mean of
    -32768, a std and an rms of 32768, a band energy of 2^30 (full scale at DC); halves
    rounded away from zero (the mean -0.5) or up (std 32767.5, energy ...56.5)."""
    cfg = Config(axes=1, window=16, hop=16, bands=1, band_lo=0, band_hi=8, hann=0)
    low = _run(mo_check, STREAMS["min"], cfg, tmp_path)[0]
    assert low.tolist() == [-32768, 0, -32768, -32768, 32768, 2**30]
    # -32768, 32767, ...: DC |X0|^2 = 8^2, Nyquist |X8|^2 = (8 * 65535)^2; / 16^2
    alt = _run(mo_check, STREAMS["alternating"], cfg, tmp_path)[0]
    assert alt.tolist() == [-1, 32768, -32768, 32767, 32768, 1073709057]


@pytest.mark.parametrize("chunk", [1, 7, 100])
@pytest.mark.parametrize("name", ["default", "hop_is_window_no_hann", "bands_only_edges",
                                  "one_frame_windows"])
def test_feeding_in_buffers_gives_the_same_windows(mo_check: Path, name: str, chunk: int,
                                                    tmp_path: Path) -> None:
    cfg = CONFIGS[name]
    for stream in ("sine_odd", "walk_0", "imu_1"):
        whole = _run(mo_check, STREAMS[stream], cfg, tmp_path)
        parts = _run(mo_check, STREAMS[stream], cfg, tmp_path, chunk)
        assert len(whole) > 0 and np.array_equal(whole, parts), (name, stream, chunk)


STATS_MSG = ("stats must be a mask of mean 1, std 2, min 4, max 8, rms 16, and a window needs "
             "at least one feature")
BANDS_MSG = ("bands out of range (0..16), or band_lo..band_hi not within bins 0..window/2 with a "
             "bin per band")
EDGES_MSG = "band edges must be bands + 1 increasing bins from 0 up to window/2 + 1"


@pytest.mark.parametrize(("flags", "message"), [
    (["--axes", "0"], "axes out of range (1..9)"),
    (["--axes", "10"], "axes out of range (1..9)"),
    (["--window", "0"], "window out of range (1..512 frames)"),
    (["--window", "513"], "window out of range (1..512 frames)"),
    (["--hop", "0"], "hop out of range (1..window)"),
    (["--window", "16", "--hop", "17"], "hop out of range (1..window)"),
    (["--stats", "32"], STATS_MSG),
    (["--stats", "-1"], STATS_MSG),
    (["--stats", "0", "--bands", "0"], STATS_MSG),
    (["--bands", "17"], BANDS_MSG),
    (["--bands", "-1"], BANDS_MSG),
    (["--window", "8", "--hop", "4", "--bands", "5"], BANDS_MSG),  # bins 1..4
    (["--band-hi", "33"], BANDS_MSG),
    (["--band-lo", "-1"], BANDS_MSG),
    (["--window", "1", "--hop", "1"], BANDS_MSG),  # no bin but DC, 4 bands
    (["--bands", "2", "--edges", "1,5,34"], EDGES_MSG),  # beyond bin 32 + 1
    (["--bands", "2", "--edges", "1,5,5"], EDGES_MSG),
    (["--bands", "2", "--edges", "-1,5,9"], EDGES_MSG),
    (["--bands", "2", "--edges", "1,5"], EDGES_MSG),  # one edge short
    (["--bands", "2", "--edges", "1,5,9,12"], EDGES_MSG),  # one edge too many
    (["--bands", "0", "--edges", "1,5"], EDGES_MSG),
    (["--hann", "2"], "hann must be 0 or 1"),
])
def test_configurations_are_checked(mo_check: Path, flags: list[str], message: str) -> None:
    p = subprocess.run([str(mo_check), *flags, "x.raw"], capture_output=True, text=True)
    assert (p.returncode, p.stderr) == (2, f"init: {message}\n")


def test_motion_builds_for_a_cortex_m0_without_floating_point(tmp_path: Path) -> None:
    """Every motion file compiles for the RP2040's core, warning-free, and calls neither libm
    nor a floating-point helper: only libgcc's integer division and 64-bit multiply."""
    for src in sorted(MOTION.glob("mo_*.c")):
        obj = tmp_path / f"{src.stem}.o"
        subprocess.run(["arm-none-eabi-gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                        "-mcpu=cortex-m0plus", "-mthumb", "-DTML_HAS_MOTION=1",
                        f"-I{MOTION}", f"-I{INCLUDE}", "-c", str(src), "-o", str(obj)],
                       check=True)
        undefined = subprocess.run(["arm-none-eabi-nm", "-u", str(obj)], capture_output=True,
                                   text=True, check=True).stdout.split()
        names = [u for u in undefined if u != "U"]
        assert set(names) <= {"memset", "memcpy", "__aeabi_idiv", "__aeabi_idivmod",
                              "__aeabi_uidiv", "__aeabi_uidivmod", "__aeabi_ldivmod",
                              "__aeabi_uldivmod", "__aeabi_lmul", "tml_mo_twiddles",
                              "tml_mo_bands", "tml_mo_isqrt"}, (src, names)
