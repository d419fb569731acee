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
                    f"-I{FRONTEND}", str(ROOT / "tests/c/fe_check.c"),
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
