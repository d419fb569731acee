"""The fixed-point MFCC front end in the C core (native_modules/tinyml/src/frontend/fe_mfcc.c,
issue 18) against the float feature pipeline of the MLPerf Tiny KWS model that models/kws/
ships (models/kws/make_samples.py's numpy version of TensorFlow's tf.signal pipeline, itself
checked against tf.signal here): int8 features within one code, the model's top-1 labels on
them, any chunking of the samples, the normalization by the clip's peak, the error codes, and a
Cortex-M0+ build without a maths library.

The clips, 139 seconds of 16 kHz int16, need no speech synthesizer: the committed spoken words
of examples/speech/words in background noise at two levels plus noise-only clips
(make_speech.make_clips, 60), the same 28 words over digital silence, and tests/audio_clips.py's
51 synthetic clips (silence, tones, chirps, noise from very quiet to clipping, bursts, squares,
DC, extremes, impulses)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from audio_clips import clips as synthetic_clips

from runtimes import ROOT

pytest.importorskip("tflite", reason="the [quantize] extra (tflite) is not installed")
pytest.importorskip("ai_edge_litert", reason="the [quantize] extra (ai-edge-litert) is missing")
sys.path.insert(0, str(ROOT / "models/kws"))
sys.path.insert(0, str(ROOT / "examples/speech"))
import make_samples  # noqa: E402
import make_speech  # noqa: E402

FRONTEND = ROOT / "native_modules/tinyml/src/frontend"
INCLUDE = ROOT / "native_modules/tinyml/include"
MODEL = ROOT / "models/kws/kws.tflite"
RATE = 16000
FRAMES, COEFS, MELS = 49, 10, 40
SCALE, ZERO_POINT = make_samples.input_quantization(MODEL)
LOG_ZERO = -(2**31)


def _corpus() -> list[tuple[str, np.ndarray]]:
    out = [(f"{label}_{i}", x) for i, (label, x) in enumerate(make_speech.make_clips())]
    for i, w in enumerate(make_speech.words()):  # the same words over digital silence
        x = np.zeros(RATE, np.int16)
        seg = w.samples[:RATE]
        a = (RATE - len(seg)) // 2
        x[a:a + len(seg)] = seg
        out.append((f"bare_{w.text}_{i}", x))
    out.extend(synthetic_clips().items())
    return out


CLIPS = _corpus()


def _log_mel_mfcc(y: np.ndarray) -> np.ndarray:
    """make_samples.mfcc after its division by the maximum: the float pipeline of an already
    normalized clip y."""
    idx = np.arange(FRAMES)[:, None] * make_samples.FRAME_STEP + np.arange(480)[None, :]
    hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(480) / 480)
    spectrum = np.abs(np.fft.rfft(y[idx] * hann, n=512, axis=1))
    return np.log(spectrum @ make_samples.mel_weight_matrix() + 1e-6) @ make_samples.dct_matrix()


def float_mfcc(x: np.ndarray) -> np.ndarray:
    """The float pipeline: make_samples.mfcc, and for a clip whose maximum is 0 (the pipeline
    would divide by 0) the clip as sample / 32768, as tml_mfcc_finish defines it."""
    if x.max() != 0:
        return make_samples.mfcc(x)
    return _log_mel_mfcc(x.astype(np.float64) / 32768.0)


def reference_codes(x: np.ndarray) -> np.ndarray:
    return make_samples.quantize(float_mfcc(x), SCALE, ZERO_POINT).astype(np.int64)


@pytest.fixture(scope="module")
def mfcc_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    exe = tmp_path_factory.mktemp("mfcc") / "mfcc_check"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    f"-I{INCLUDE}", f"-I{FRONTEND}", str(ROOT / "tests/c/mfcc_check.c"),
                    *sorted(str(p) for p in FRONTEND.glob("fe_*.c")), "-o", str(exe)],
                   check=True)
    return exe


def _run(exe: Path, clips: list[np.ndarray], tmp: Path, *flags: str) -> np.ndarray:
    raw = tmp / "clips.raw"
    raw.write_bytes(np.stack(clips).astype("<i2").tobytes())
    p = subprocess.run([str(exe), *flags, str(raw)], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    width = MELS if "--rows" in flags else COEFS
    return np.array([ln.split() for ln in p.stdout.splitlines()],
                    dtype=np.int64).reshape(len(clips), FRAMES, width)


@pytest.fixture(scope="module")
def ours(mfcc_check: Path, tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    return _run(mfcc_check, [x for _, x in CLIPS], tmp_path_factory.mktemp("ours"))


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return np.stack([reference_codes(x) for _, x in CLIPS])


def test_reference_is_tensorflows() -> None:
    """make_samples.py's numpy pipeline is tf.signal's: the mel matrix, the DCT, and whole
    clips through tf.signal.stft, linear_to_mel_weight_matrix and
    mfccs_from_log_mel_spectrograms (float32) give the same int8 codes to within one, nearly
    all equal."""
    tf = pytest.importorskip("tensorflow")
    mel_tf = tf.signal.linear_to_mel_weight_matrix(MELS, 257, RATE, 20.0, 4000.0).numpy()
    assert np.abs(mel_tf - make_samples.mel_weight_matrix()).max() < 1e-5
    logmel = np.random.default_rng(7).normal(0.0, 3.0, (5, MELS))
    dct_tf = tf.signal.mfccs_from_log_mel_spectrograms(tf.constant(logmel)).numpy()[:, :COEFS]
    assert np.abs(dct_tf - logmel @ make_samples.dct_matrix()).max() < 1e-9

    equal = total = 0
    names = ["yes_40", "no_9", "unknown_30", "silence_58", "bare_yes_20", "chirp_2",
             "tone_440hz_3000", "white_100", "burst_3"]
    picked = [(n, x) for n, x in CLIPS if n in names]
    assert len(picked) == len(names)
    for name, x in picked:
        wav = tf.constant(x.astype(np.float32) / 32768.0)
        wav = wav / tf.reduce_max(wav)
        stft = tf.signal.stft(wav, frame_length=480, frame_step=320, fft_length=512,
                              window_fn=tf.signal.hann_window)
        mel = tf.tensordot(tf.abs(stft), tf.constant(mel_tf), 1)
        mfcc = tf.signal.mfccs_from_log_mel_spectrograms(tf.math.log(mel + 1e-6))[:, :COEFS]
        want = make_samples.quantize(mfcc.numpy().astype(np.float64), SCALE, ZERO_POINT)
        got = reference_codes(x)
        assert np.abs(got - want).max() <= 1, name
        equal += int(np.sum(got == want))
        total += got.size
        # and the normalized pipeline equals make_samples.mfcc
        y = x.astype(np.float64) / x.max()
        assert np.allclose(_log_mel_mfcc(y), make_samples.mfcc(x), rtol=0, atol=1e-9)
    assert equal / total >= 0.99, (equal, total)


def test_int8_features_match_the_float_pipeline(ours: np.ndarray,
                                                reference: np.ndarray) -> None:
    """Issue 18's bound, ±1 code on at least 99 % of the values: measured on all 139 clips
    (68,110 values), 100 % are within one code and 99.35 % are equal. The ones that differ
    (by one) are all synthetic: tones at 2.5, 4 and 7 kHz, a chirp and the alternating
    extremes, whose energy mostly lies above the mel bands, so the bands see only leakage at
    the level of the 1e-6 log offset, where the 32-bit FFT's rounding shows."""
    assert len(CLIPS) == 139
    diff = np.abs(ours - reference)
    within = float(np.mean(diff <= 1))
    exact = float(np.mean(diff == 0))
    assert within >= 0.99
    assert (round(100 * within, 2), round(100 * exact, 2)) == (100.0, 99.35), (within, exact)
    speech = slice(0, 88)  # the spoken clips and the noise-only ones: every value equal
    assert CLIPS[87][0].startswith("bare_") and not CLIPS[88][0].startswith("bare_")
    assert np.array_equal(ours[speech], reference[speech])


def _top1(features: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(model_path=str(MODEL),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    labels = []
    for f in features:
        interp.set_tensor(inp["index"], f.astype(np.int8).reshape(inp["shape"]))
        interp.invoke()
        labels.append(int(np.argmax(interp.get_tensor(out["index"]))))
    return np.array(labels)


def test_kws_top1_labels_match_the_float_pipelines(ours: np.ndarray,
                                                   reference: np.ndarray) -> None:
    """The model (TFLite's reference kernels) gives the same top-1 label on our features as on
    the float pipeline's for at least 98 % of the clips: measured, all 139."""
    same = float(np.mean(_top1(ours) == _top1(reference)))
    assert same >= 0.98
    assert round(100 * same, 2) == 100.0, same


@pytest.mark.parametrize("chunk", [1, 160, 333, 4000])
def test_feeding_in_chunks_gives_the_same_features(mfcc_check: Path, ours: np.ndarray,
                                                   chunk: int, tmp_path: Path) -> None:
    picked = range(0, len(CLIPS), 4) if chunk == 1 else range(len(CLIPS))
    got = _run(mfcc_check, [CLIPS[i][1] for i in picked], tmp_path, "--chunk", str(chunk))
    assert np.array_equal(got, ours[list(picked)])


def test_rows_follow_the_level(mfcc_check: Path, tmp_path: Path) -> None:
    """A frame's row is log2 of its mel energies (Q24) of sample / 32768: the clip at twice the
    level gives rows exactly 1.0 higher (block floating point: the same mantissas), and after
    the division by the peak, the same features. Digital silence gives empty bands."""
    names = ["yes_40", "unknown_30", "chirp_2", "white_1000", "bare_no_7"]
    picked = [x // 2 for n, x in CLIPS if n in names]  # halved, so they can be doubled
    assert len(picked) == len(names)
    doubled = [x * np.int16(2) for x in picked]
    rows = _run(mfcc_check, picked + doubled, tmp_path, "--rows")
    low, high = rows[:len(picked)], rows[len(picked):]
    assert np.array_equal(low == LOG_ZERO, high == LOG_ZERO)
    live = low != LOG_ZERO
    assert np.array_equal(high[live] - low[live], np.full(int(live.sum()), 1 << 24))
    assert (~live).any()  # the bare word's silent frames
    feats = _run(mfcc_check, picked + doubled, tmp_path)
    assert np.array_equal(feats[:len(picked)], feats[len(picked):])


def test_normalization_as_a_c0_offset_would_not_do(reference: np.ndarray) -> None:
    """Why the rows are log-mel energies and the peak comes in per band: normalizing after the
    log, as an offset sqrt(2 N) ln(32768 / peak) on c0 only (exact but for the 1e-6 log offset,
    and with frames of digital silence left alone), changes 3.94 % of the int8 values of these
    clips, 1.95 % by more than one code (up to 35): bands far below the frame's peak, between
    the harmonics of quiet tones, sit near the 1e-6."""
    approx = []
    for _, x in CLIPS:
        peak = float(abs(int(x.max()))) or 32768.0
        c = _log_mel_mfcc(x.astype(np.float64) / 32768.0)
        idx = np.arange(FRAMES)[:, None] * 320 + np.arange(1, 480)[None, :]
        silent = ~np.any(x[idx] != 0, axis=1)
        c[~silent, 0] += np.sqrt(2 * MELS) * np.log(32768.0 / peak)
        approx.append(make_samples.quantize(c, SCALE, ZERO_POINT).astype(np.int64))
    diff = np.abs(np.stack(approx) - reference)
    figures = (round(100 * float(np.mean(diff > 0)), 2), round(100 * float(np.mean(diff > 1)), 2),
               int(diff.max()))
    assert figures == (3.94, 1.95, 35), figures


def test_errors_have_codes_and_messages(mfcc_check: Path) -> None:
    p = subprocess.run([str(mfcc_check), "--info"], capture_output=True, text=True, check=True)
    lines = p.stdout.splitlines()
    assert lines[0] == "sizeof(tml_mfcc_t) = 13640 bytes"
    codes = {}
    for ln in lines[1:]:
        what, rest = ln.split(": ", 1)
        codes[what] = int(rest.split()[0])
    assert codes == {
        "process before init": -2, "init NULL": -1, "init frame_length = 1": -3,
        "init frame_length = 513": -3, "init frame_step = 481": -3,
        "init fft_length = 256": -4, "init fft_length = 500": -4,
        "init num_mel_bins = 0": -5, "init num_mel_bins = 65": -5,
        "init upper_edge_hz = 8001.0f": -6, "init lower_edge_hz = -1.0f": -6,
        "init num_coefficients = 14": -7, "init log_offset = 0.0f": -8,
        "init scale = 0.0f": -9, "init zero_point = 128": -9, "init kws": 0,
        "process n < 0": -1, "process NULL row": -1, "finish first out of range": -1,
        "finish no rows": 0,
    }
    assert all(not ln.endswith("unknown MFCC status") for ln in lines)


def test_builds_for_a_cortex_m0_without_a_maths_library(tmp_path: Path) -> None:
    """fe_mfcc.c for the RP2040's core (-Os): it calls nothing but libgcc's helpers, memcpy,
    memmove, memset and the front end's own init maths (tml_fe_cos, tml_fe_log1p,
    tml_fe_floor, tml_fe_isfinitef); floating point appears only in the init's code (each
    function in its own section, so the sections that reference the soft-float helpers are
    named); about 5 KB of code."""
    obj = tmp_path / "fe_mfcc.o"
    subprocess.run(["arm-none-eabi-gcc", "-std=c99", "-Os", "-Wall", "-Wextra", "-Werror",
                    "-mcpu=cortex-m0plus", "-mthumb", "-DTML_HAS_FRONTEND=1",
                    "-ffunction-sections", f"-I{INCLUDE}", f"-I{FRONTEND}", "-c",
                    str(FRONTEND / "fe_mfcc.c"), "-o", str(obj)], check=True)
    undefined = subprocess.run(["arm-none-eabi-nm", "-u", str(obj)], capture_output=True,
                               text=True, check=True).stdout.split()
    undefined = [s for s in undefined if s != "U"]
    allowed = {"memcpy", "memmove", "memset", "tml_fe_cos", "tml_fe_log1p", "tml_fe_floor",
               "tml_fe_isfinitef"}
    assert [s for s in undefined if s not in allowed and not s.startswith("__aeabi_")] == []
    relocs = subprocess.run(["arm-none-eabi-objdump", "-r", str(obj)], capture_output=True,
                            text=True, check=True).stdout
    float_sections = set()
    for block in relocs.split("RELOCATION RECORDS FOR [")[1:]:
        section = block.split("]")[0]
        if re.search(r"__aeabi_(f|d|i2f|ui2f|i2d|ui2d|l2d|l2f)", block):
            float_sections.add(section)
    assert float_sections, "the init uses soft-float helpers"
    assert all(s == ".text.tml_mfcc_init" or s.startswith(".text.mfcc_init_")
               for s in float_sections), float_sections
    size = subprocess.run(["arm-none-eabi-size", str(obj)], capture_output=True, text=True,
                          check=True).stdout.splitlines()[1].split()
    text, data, bss = (int(v) for v in size[:3])
    assert (data, bss) == (0, 0)
    assert text < 6 * 1024, text  # 5,134 bytes with arm-none-eabi-gcc 12.2 (docs/audio.md)
