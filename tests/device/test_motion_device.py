"""tinyml_motion.Motion (the device API of the motion front-end, docs/motion.md) on the host
simulator and in MicroPython (the unix port; the native modules leave it out): the features of
streams fed in buffers of odd sizes equal the NumPy reference of tests/motion_ref.py, value for
value; names, rows and reset behave; settings and samples are checked and refused with exact
messages. (Named apart from tests/host/test_motion.py, the C core's test: pytest needs unique
module names.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from motion_ref import Config, features, streams

from runtimes import run_script

STREAMS = streams(600)
NAMES = ("imu_0", "walk_1", "sine_odd", "alternating", "min", "noise_2")

SCRIPT = """import tinyml_motion
for name in {names!r}:
    m = tinyml_motion.Motion({settings})
    data = open(name + ".raw", "rb").read()
    mv = memoryview(data)
    step = {chunk} * 2 * m.axes
    for i in range(0, len(data), step):
        m.feed(mv[i:i + step])
    print(name, m.count, m.size, " ".join(str(v) for v in m.window()))
"""

# (Motion's arguments, the reference's configuration, rows kept, frames per feed)
CASES = {
    "defaults": ("rows=17", Config(), 17, 10),
    "imu_6_axes": ("axes=6, window=100, hop=50, bands=4, rows=11", Config(axes=6, window=100,
                                                                          hop=50), 11, 7),
    "edges_no_hann_stats": ("window=50, hop=50, rows=12, hann=False, stats=('std', 'rms'), "
                            "edges=(0, 1, 4, 26)",
                            Config(window=50, hop=50, hann=0, stats=0b10010, bands=3,
                                   edges=(0, 1, 4, 26)), 12, 33),
    "one_axis_band_range": ("axes=1, window=33, hop=5, bands=3, rows=114, band_lo=2, "
                            "band_hi=11, stats=5",
                            Config(axes=1, window=33, hop=5, bands=3, band_lo=2, band_hi=11,
                                   stats=5), 114, 1),
}


@pytest.mark.parametrize("runtime", ["host", "unix", "natmod-fe"])
@pytest.mark.parametrize("case", CASES)
def test_features_equal_the_numpy_reference(runtime: str, case: str, tmp_path: Path) -> None:
    settings, cfg, rows, chunk = CASES[case]
    script = tmp_path / "mo.py"
    script.write_text(SCRIPT.format(names=NAMES, settings=settings, chunk=chunk))
    files = {f"{n}.raw": STREAMS[n][:, :cfg.axes].astype("<i2").tobytes() for n in NAMES}
    out = run_script(runtime, script, tmp_path / runtime, files)
    for line, name in zip(out.splitlines(), NAMES, strict=True):
        got_name, count, size, *values = line.split()
        want = features(STREAMS[name][:, :cfg.axes], cfg)
        assert got_name == name
        assert (int(count), int(size)) == want.shape
        assert int(count) == rows  # the ring holds exactly the stream's windows
        assert np.array_equal(np.array(values, dtype=np.int64).reshape(want.shape), want), name


API = """import tinyml_motion
from array import array
m = tinyml_motion.Motion(axes=2, window=4, hop=2, bands=1, rows=2, stats=("min", "max"))
print(" ".join(m.names), m.size, len(m.features))
print(m.feed(array("h", [1, -1, 2, -2, 3, -3])), list(m.latest()))
print(m.feed(b"\\x04\\x00\\xfc\\xff"), list(m.latest()))
print(m.feed(array("h", [5, -5, 6, -6, 7, -7])), list(m.latest()), list(m.window()), m.count)
out = array("i", [0] * 6)
print(m.latest(out) is out, list(out))
m.reset()
print(m.count, list(m.window()), m.feed(array("h", [9, 9] * 3)))
six = tinyml_motion.Motion(axes=6, bands=0, stats=31)
print(" ".join(six.names))
print(" ".join(tinyml_motion.Motion(axes=4, bands=0, stats=1).names))
print(" ".join(tinyml_motion.Motion(axes=1, bands=2, stats=0, axis_names=("t",)).names))
"""


@pytest.mark.parametrize("runtime", ["host", "unix", "natmod-fe"])
def test_rows_names_and_reset(runtime: str, tmp_path: Path) -> None:
    script = tmp_path / "api.py"
    script.write_text(API)
    out = run_script(runtime, script, tmp_path / runtime).splitlines()
    x = np.arange(1, 8)
    rows = features(np.stack([x, -x], axis=1), Config(axes=2, window=4, hop=2, bands=1,
                                                      stats=0b1100))
    # By hand: the first window's x, Hann-windowed, is (0, 1, 3, 2): bin 1 is -3 + i, and
    # 10 / 4^2 rounds to 1; the second's is (0, 2, 5, 3): 26 / 16 rounds to 2.
    assert rows.tolist() == [[1, 4, 1, -4, -1, 1], [3, 6, 2, -6, -3, 2]]
    first, second = (str(r) for r in rows.tolist())
    assert out == [
        "x_min x_max x_band0 y_min y_max y_band0 6 12",
        "0 [0, 0, 0, 0, 0, 0]",  # 3 frames: no window yet
        f"1 {first}",  # the 4th frame completes frames 1..4
        f"1 {second} {str(rows.ravel().tolist())} 2",  # frames 3..6; 7 is held
        f"True {second}",
        "0 [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] 0",
        "ax_mean ax_std ax_min ax_max ax_rms ay_mean ay_std ay_min ay_max ay_rms az_mean az_std "
        "az_min az_max az_rms gx_mean gx_std gx_min gx_max gx_rms gy_mean gy_std gy_min gy_max "
        "gy_rms gz_mean gz_std gz_min gz_max gz_rms",
        "a0_mean a1_mean a2_mean a3_mean",
        "t_band0 t_band1",
    ]


ERRORS = """import tinyml_motion
from array import array
for make in (lambda: tinyml_motion.Motion(axis=3),
             lambda: tinyml_motion.Motion(window=16, hop=8, bands=2, foo=1),
             lambda: tinyml_motion.Motion(axes=10),
             lambda: tinyml_motion.Motion(window=513),
             lambda: tinyml_motion.Motion(window=8, hop=9),
             lambda: tinyml_motion.Motion(window=8, hop=4, bands=5),
             lambda: tinyml_motion.Motion(stats=("mean", "median")),
             lambda: tinyml_motion.Motion(stats=(), bands=0),
             lambda: tinyml_motion.Motion(edges=(1, 5, 40)),
             lambda: tinyml_motion.Motion(bands=3, edges=(1, 5, 9)),
             lambda: tinyml_motion.Motion(edges=(1, 5.5)),
             lambda: tinyml_motion.Motion(edges=5),
             lambda: tinyml_motion.Motion(hann=3),
             lambda: tinyml_motion.Motion(rows=0),
             lambda: tinyml_motion.Motion(axes=2, axis_names=("x",))):
    try:
        make()
        print("made")
    except (TypeError, ValueError) as e:
        print(type(e).__name__, e)
m = tinyml_motion.Motion(axes=3, window=4, hop=4, bands=0)
for bad in (array("f", [0.0] * 3), b"abc", array("h", [1, 2, 3, 4])):
    try:
        m.feed(bad)
    except (TypeError, ValueError) as e:
        print(type(e).__name__, e)
for out in (array("i", [0] * 14), array("i", [0] * 16)):
    try:
        m.latest(out)
        m.window(out)
    except ValueError as e:
        print(type(e).__name__, e)
print(m.feed(array("h", [0] * 9)), m.feed(b"\\0\\0" * 3), m.count)
"""


@pytest.mark.parametrize("runtime", ["host", "unix", "natmod-fe"])
def test_settings_and_samples_are_checked(runtime: str, tmp_path: Path) -> None:
    script = tmp_path / "errors.py"
    script.write_text(ERRORS)
    out = run_script(runtime, script, tmp_path / runtime)
    bands = ("ValueError bands out of range (0..16), or band_lo..band_hi not within bins "
             "0..window/2 with a bin per band")
    edges = "ValueError band edges must be bands + 1 increasing bins from 0 up to window/2 + 1"
    assert out.splitlines() == [
        "TypeError unknown motion setting 'axis'",
        "TypeError unknown motion setting 'foo'",
        "ValueError axes out of range (1..9)",
        "ValueError window out of range (1..512 frames)",
        "ValueError hop out of range (1..window)",
        bands,
        "ValueError unknown statistic 'median' (one of mean, std, min, max, rms)",
        "ValueError stats must be a mask of mean 1, std 2, min 4, max 8, rms 16, and a window "
        "needs at least one feature",
        edges,  # bin 40 is beyond 64 // 2 + 1
        "ValueError edges must hold bands + 1 bins",
        "TypeError edges must be a sequence of at most 17 ints",
        "TypeError edges must be a sequence of at most 17 ints",
        "ValueError hann must be 0 or 1",
        "ValueError rows must be at least 1",
        "ValueError axis_names must name the 2 axes",
        "TypeError samples must be array('h') (int16) or bytes of int16 little-endian",
        "TypeError samples must be array('h') (int16) or bytes of int16 little-endian",
        "ValueError samples must be whole frames (a multiple of axes values)",
        "ValueError out must hold 15 values",
        "ValueError out must hold 15 values",
        # 9 values: 3 frames of a 4-frame window, then one more completes it
        "0 1 1",
    ]


def test_a_build_without_the_motion_front_end_says_so(tmp_path: Path) -> None:
    """The native module (no motion front-end: its .text budget) with the device package beside
    it, as `tinyml install` leaves a board: importing tinyml_motion names what is missing."""
    script = tmp_path / "imp.py"
    script.write_text("try:\n    import tinyml_motion\nexcept ImportError as e:\n    print(e)\n")
    out = run_script("natmod", script, tmp_path / "natmod")
    assert out == ("this build of tinyml has no motion front-end: install _tinyml_fe.mpy "
                   "(tinyml install --frontends; docs/motion.md)\n")
