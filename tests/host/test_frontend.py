"""The audio front-end in the C core (native_modules/tinyml/src/frontend, issue 18) against
TensorFlow's `audio_microfrontend` op, the features TensorFlow Lite Micro's micro_speech model is
trained on: every value of every frame equal, on the deterministic clips of tests/audio_clips.py,
for the op's default configuration, micro_speech's (30 ms window, 20 ms stride, 40 channels), and
with PCAN gain control or the log scale switched off; fed all at once as the op is, and in odd
chunks as a microphone delivers them (the same frames)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from audio_clips import clips

from runtimes import ROOT

tf = pytest.importorskip("tensorflow", reason="the [quantize] extra (TensorFlow) is not installed")
from tensorflow.lite.experimental.microfrontend.python.ops import (  # noqa: E402
    audio_microfrontend_op as frontend_op,
)

FRONTEND = ROOT / "native_modules/tinyml/src/frontend"
INCLUDE = ROOT / "native_modules/tinyml/include"
CLIPS = clips()
MICRO_SPEECH = {"window_size": 30, "window_step": 20, "num_channels": 40}
# (name, the op's attributes, fe_check's flags)
CONFIGS = [
    ("op_defaults", {}, []),
    ("micro_speech", MICRO_SPEECH, ["--micro-speech"]),
    ("micro_speech_no_pcan", {**MICRO_SPEECH, "enable_pcan": False},
     ["--micro-speech", "--enable-pcan", "0"]),
    ("micro_speech_no_log", {**MICRO_SPEECH, "enable_log": False},
     ["--micro-speech", "--enable-log", "0"]),
    ("wideband_64", {"sample_rate": 16000, "window_size": 64, "window_step": 16,
                     "num_channels": 64, "lower_band_limit": 60.0, "upper_band_limit": 7900.0},
     ["--window-size", "64", "--window-step", "16", "--num-channels", "64",
      "--lower-band-limit", "60", "--upper-band-limit", "7900"]),
]


@pytest.fixture(scope="module")
def fe_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    exe = tmp_path_factory.mktemp("fe") / "fe_check"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    f"-I{FRONTEND}", f"-I{INCLUDE}", str(ROOT / "tests/c/fe_check.c"),
                    *sorted(str(p) for p in FRONTEND.glob("fe_*.c")), "-lm", "-o", str(exe)],
                   check=True)
    return exe


def _ours(exe: Path, x: np.ndarray, flags: list[str], tmp: Path) -> np.ndarray:
    raw = tmp / "clip.raw"
    raw.write_bytes(x.astype("<i2").tobytes())
    p = subprocess.run([str(exe), *flags, str(raw)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    return np.array([[int(v) for v in ln.split()] for ln in p.stdout.splitlines()],
                    dtype=np.int64)


@pytest.mark.parametrize(("config", "attrs", "flags"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_features_equal_tensorflows(fe_check: Path, config: str, attrs: dict,
                                    flags: list[str], tmp_path: Path) -> None:
    assert len(CLIPS) >= 50
    differ = []
    for name, x in CLIPS.items():
        want = frontend_op.audio_microfrontend(tf.constant(x), out_scale=1,
                                               out_type=tf.uint16, **attrs).numpy()
        got = _ours(fe_check, x, flags, tmp_path)
        if got.shape != want.shape or not np.array_equal(got, want.astype(np.int64)):
            differ.append(name)
    assert differ == [], f"{config}: {len(differ)} of {len(CLIPS)} clips differ: {differ}"


@pytest.mark.parametrize("chunk", [1, 160, 333, 4000])
def test_streaming_in_chunks_gives_the_same_frames(fe_check: Path, chunk: int,
                                                   tmp_path: Path) -> None:
    for name in ("silence", "chirp_0", "burst_1", "white_1000"):
        whole = _ours(fe_check, CLIPS[name], ["--micro-speech"], tmp_path)
        parts = _ours(fe_check, CLIPS[name], ["--micro-speech", "--chunk", str(chunk)],
                      tmp_path)
        assert np.array_equal(whole, parts), (name, chunk)
        assert whole.shape == (49, 40)  # micro_speech's 49 frames of 40 channels per second


def test_fft_equals_kiss_fft(tmp_path: Path) -> None:
    """The int16 real FFT alone (fe_fft.c) on 2,000 frames per size from 64 to 1024 points,
    edge frames first (all -32768, all 32767, alternations, impulses): the checksums of every
    output equal those of KISS FFT 1.3.0 in fixed point (what TensorFlow's op links), the
    twiddles equal KISS's double-precision formula, and the outputs stay within a few units of
    the exact DFT / N; under ASan and UBSan."""
    exe = tmp_path / "fe_fft_check"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    f"-I{FRONTEND}", f"-I{INCLUDE}", str(ROOT / "tests/c/fe_fft_check.c"),
                    str(FRONTEND / "fe_fft.c"), "-lm", "-o", str(exe)], check=True)
    p = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "sizeof(tml_fe_fft_t) = 2576 bytes"
    assert [ln.split()[1] for ln in lines[1:6]] == ["64", "128", "256", "512", "1024"]
    assert all(ln.endswith("= KISS FFT's") for ln in lines[1:6]), lines
    assert lines[-1] == "ok"


def test_front_end_builds_for_a_cortex_m0(tmp_path: Path) -> None:
    """Every front-end file compiles for the RP2040's core, warning-free; the FFT, the log scale
    and the pipeline call no floating-point helper (only the stages' table-building inits, in
    the other files, use floats)."""
    for src in sorted(FRONTEND.glob("fe_*.c")):
        obj = tmp_path / f"{src.stem}.o"
        subprocess.run(["arm-none-eabi-gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                        "-mcpu=cortex-m0plus", "-mthumb", "-DTML_HAS_FRONTEND=1",
                        f"-I{FRONTEND}", f"-I{INCLUDE}", "-c", str(src),
                        "-o", str(obj)], check=True)
        undefined = subprocess.run(["arm-none-eabi-nm", "-u", str(obj)], capture_output=True,
                                   text=True, check=True).stdout.split()
        defined = subprocess.run(["arm-none-eabi-nm", "--defined-only", str(obj)],
                                 capture_output=True, text=True, check=True).stdout
        # the code itself, not an empty file (fe_mfcc.c's functions are tml_mfcc_*)
        assert " T tml_fe_" in defined or " T tml_mfcc_" in defined, src.name
        floats = [s for s in undefined if s.startswith(("__aeabi_f", "__aeabi_d", "__aeabi_i2f",
                                                        "__aeabi_ui2f"))]
        if src.stem in ("fe_fft", "fe_log", "fe_frontend"):
            assert floats == [], (src.name, floats)
