"""From raw audio to a label on the device (issue 18, docs/audio.md): TensorFlow Lite Micro's
micro_speech model (models/micro_speech) fed by tinyml_audio's front-end gives, on every spoken
clip of examples/speech, the very bytes of TensorFlow's pipeline (its audio_microfrontend op,
TensorFlow Lite Micro's int8 feature scaling, TFLite's reference kernels), on the host simulator
and in MicroPython; and the KeywordSpotter finds the keywords of a minute-long stream, the same
detections on both."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from runtimes import ROOT, run_script

tf = pytest.importorskip("tensorflow", reason="the [quantize] extra (TensorFlow) is not installed")
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402
from tensorflow.lite.experimental.microfrontend.python.ops import (  # noqa: E402
    audio_microfrontend_op as frontend_op,
)

sys.path.insert(0, str(ROOT / "examples/speech"))
import make_speech  # noqa: E402

MODEL = ROOT / "models/micro_speech"
LABELS = (MODEL / "labels.txt").read_text().split()
CLIPS = make_speech.make_clips()

CLIP_SCRIPT = """import tinyml, tinyml_audio
net = tinyml.load("micro_speech.bin")
fe = tinyml_audio.Frontend(int8=True)
x = fe.window()
out = bytearray(4)
with open("clips.raw", "rb") as f:
    while True:
        clip = f.read(32000)
        if not clip:
            break
        fe.reset()
        fe.feed(clip)
        net.predict_into(fe.window(x), out)
        print(" ".join(str(b - 256 if b > 127 else b) for b in out))
"""

STREAM_SCRIPT = """import tinyml, tinyml_audio
net = tinyml.load("micro_speech.bin")
ks = tinyml_audio.KeywordSpotter(net)
with tinyml_audio.WavReader("stream.wav") as w:
    for label, score, ms in ks.run(w):
        print(label, "%.4f" % score, ms)
print("results", ks.results)
"""


def _tensorflow(clip: np.ndarray, interp: Interpreter) -> list[int]:
    """TensorFlow's pipeline: the op (micro_speech's settings), TFLM's int8 scaling, TFLite's
    reference kernels."""
    feats = frontend_op.audio_microfrontend(tf.constant(clip), window_size=30, window_step=20,
                                            num_channels=40, out_type=tf.uint16).numpy()
    x = np.clip((feats.astype(np.int32) * 256 + 333) // 666 - 128, -128, 127).astype(np.int8)
    interp.set_tensor(interp.get_input_details()[0]["index"], x.reshape(1, -1))
    interp.invoke()
    return [int(v) for v in interp.get_tensor(interp.get_output_details()[0]["index"])[0]]


@pytest.fixture(scope="module")
def tensorflow_outputs() -> list[list[int]]:
    interp = Interpreter(str(MODEL / "micro_speech.tflite"),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    return [_tensorflow(x, interp) for _, x in CLIPS]


def test_clips_cover_every_label() -> None:
    counts = {lb: sum(1 for c, _ in CLIPS if c == lb) for lb in LABELS}
    assert counts == {"silence": 4, "unknown": 24, "yes": 16, "no": 16}


@pytest.mark.parametrize("runtime", ["host", "unix", "natmod-fe"])
def test_labels_from_raw_audio_equal_tensorflows(runtime: str, tmp_path: Path,
                                                tensorflow_outputs: list[list[int]]) -> None:
    script = tmp_path / "clips.py"
    script.write_text(CLIP_SCRIPT)
    files = {"micro_speech.bin": (MODEL / "micro_speech.bin").read_bytes(),
             "clips.raw": b"".join(x.astype("<i2").tobytes() for _, x in CLIPS)}
    out = run_script(runtime, script, tmp_path / runtime, files)
    got = [[int(v) for v in ln.split()] for ln in out.splitlines()]
    assert got == tensorflow_outputs  # every score byte of every clip
    right = sum(LABELS[int(np.argmax(o))] == lb for o, (lb, _) in zip(got, CLIPS, strict=True))
    # The accuracy docs/audio.md reports: micro_speech, trained on recorded speech, on
    # espeak-ng's voices (it takes some "house" and "bird" for "no").
    assert (right, len(CLIPS)) == (56, 60)


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[tuple[str, int, int]]]:
    x, truth = make_speech.make_stream()
    path = tmp_path_factory.mktemp("stream") / "stream.wav"
    make_speech.write_wav(path, x)
    return path.read_bytes(), truth


@pytest.mark.parametrize("runtime", ["host", "unix"])
def test_spotter_finds_the_keywords_of_a_stream(runtime: str, tmp_path: Path, stream: tuple[
        bytes, list[tuple[str, int, int]]]) -> None:
    wav, truth = stream
    script = tmp_path / "spot.py"
    script.write_text(STREAM_SCRIPT)
    files = {"micro_speech.bin": (MODEL / "micro_speech.bin").read_bytes(), "stream.wav": wav}
    out = run_script(runtime, script, tmp_path / runtime, files).splitlines()
    assert out[-1] == "results 2951"  # one model run per 20 ms stride once a second is in
    found = [(lb, float(s), int(ms)) for lb, s, ms in (ln.split() for ln in out[:-1])]
    assert all(lb in ("yes", "no") for lb, _, _ in found)
    keywords = sum(1 for lb, _, _ in truth if lb in ("yes", "no"))
    assert keywords == 20
    # The figures docs/audio.md reports (the target, 18 of 20 within 250 ms with at
    # most 2 false alarms, is not met by micro_speech on these voices: see there).
    assert make_speech.score(found, truth, 250) == STREAM_FIGURES[0]
    assert make_speech.score(found, truth, 1000) == STREAM_FIGURES[1]


STREAM_FIGURES = ((14, 5), (18, 1))
