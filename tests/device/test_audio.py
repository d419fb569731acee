"""tinyml_audio.Frontend (the device API of the audio front-end, docs/audio.md) on the host
simulator and in MicroPython (the unix port; the native modules leave the front-end out): the
features of clips fed in buffers of odd sizes equal TensorFlow's audio_microfrontend op, value
for value; settings are checked and refused with messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_clips import clips

from runtimes import run_script

tf = pytest.importorskip("tensorflow", reason="the [quantize] extra (TensorFlow) is not installed")
from tensorflow.lite.experimental.microfrontend.python.ops import (  # noqa: E402
    audio_microfrontend_op as frontend_op,
)

CLIPS = clips()
NAMES = ("silence", "tone_440hz_3000", "chirp_0", "white_1000", "burst_1", "square_1000hz")

SCRIPT = """import tinyml_audio
for name in {names!r}:
    fe = tinyml_audio.Frontend({settings})
    data = open(name + ".raw", "rb").read()
    mv = memoryview(data)
    for i in range(0, len(data), {chunk}):
        fe.feed(mv[i:i + {chunk}])
    w = fe.window()
    print(name, fe.count, " ".join(str(v) for v in w))
"""


def _want(name: str, attrs: dict, frames: int) -> list[int]:
    out = frontend_op.audio_microfrontend(tf.constant(CLIPS[name]), out_type=tf.uint16,
                                          **attrs).numpy()
    return [int(v) for v in out[-frames:].ravel()]


@pytest.mark.parametrize("runtime", ["host", "unix", "natmod-fe"])
@pytest.mark.parametrize(("settings", "attrs", "frames", "chunk"), [
    ("", {"window_size": 30, "window_step": 20, "num_channels": 40}, 49, 666),
    ("frames=20, window_size=25, window_step=10, num_channels=32, enable_pcan=False",
     {"enable_pcan": False}, 20, 2 * 333),
], ids=["micro_speech", "op_defaults_without_pcan"])
def test_features_equal_tensorflows(runtime: str, settings: str, attrs: dict, frames: int,
                                    chunk: int, tmp_path: Path) -> None:
    script = tmp_path / "fe.py"
    script.write_text(SCRIPT.format(names=NAMES, settings=settings, chunk=chunk))
    files = {f"{n}.raw": CLIPS[n].astype("<i2").tobytes() for n in NAMES}
    out = run_script(runtime, script, tmp_path / runtime, files)
    for line, name in zip(out.splitlines(), NAMES, strict=True):
        got_name, count, *values = line.split()
        assert got_name == name
        assert int(count) == len(frontend_op.audio_microfrontend(
            tf.constant(CLIPS[name]), **attrs).numpy())
        assert [int(v) for v in values] == _want(name, attrs, frames), name


ERRORS = """import tinyml_audio
from array import array
for make in (lambda: tinyml_audio.Frontend(channels=10),
             lambda: tinyml_audio.Frontend(num_channels=65),
             lambda: tinyml_audio.Frontend(window_size=1),
             lambda: tinyml_audio.Frontend(frames=0)):
    try:
        make()
    except (TypeError, ValueError) as e:
        print(type(e).__name__, e)
fe = tinyml_audio.Frontend()
for bad in (array("f", [0.0] * 4), b"abc"):
    try:
        fe.feed(bad)
    except TypeError as e:
        print(type(e).__name__, e)
print(fe.feed(array("h", [0] * 480)), fe.feed(array("h", [0] * 319)), fe.feed(b"\\0\\0"))
"""


@pytest.mark.parametrize("runtime", ["host", "unix", "natmod-fe"])
def test_settings_and_samples_are_checked(runtime: str, tmp_path: Path) -> None:
    script = tmp_path / "errors.py"
    script.write_text(ERRORS)
    out = run_script(runtime, script, tmp_path / runtime)
    assert out.splitlines() == [
        "TypeError unknown front-end setting 'channels'",
        "ValueError num_channels out of range",
        "ValueError sample rate, window size or window step out of range",
        "ValueError frames must be at least 1",
        "TypeError samples must be array('h') (int16) or bytes of int16 little-endian",
        "TypeError samples must be array('h') (int16) or bytes of int16 little-endian",
        # a 30 ms window (480 samples) makes the first frame; then a 20 ms step (320) each
        "1 0 1",
    ]


def test_a_build_without_the_front_end_says_so(tmp_path: Path) -> None:
    """The native module (no front-end: its .text budget) with the device package beside it,
    as `tinyml install` leaves a board: importing tinyml_audio names what is missing."""
    script = tmp_path / "imp.py"
    script.write_text("try:\n    import tinyml_audio\nexcept ImportError as e:\n    print(e)\n")
    out = run_script("natmod", script, tmp_path / "natmod")
    assert out == ("this build of tinyml has no audio front-end: install _tinyml_fe.mpy "
                   "(tinyml install --frontends; docs/audio.md)\n")
