"""Generate real int8 sample inputs for the MLPerf Tiny keyword-spotting model (DS-CNN).

Each keyword is synthesised with espeak-ng, resampled to 16 kHz, centred in a 1 s clip and
turned into the MFCC features the MLPerf Tiny KWS training pipeline feeds the model
(mlcommons/tiny, benchmark/training/keyword_spotting/get_dataset.py, feature_type "mfcc"),
re-implemented here with numpy. The features are quantised with the model's own input
scale/zero point and written to:

    models/kws/samples.bin   N x 490 int8 bytes, row-major [49 frames][10 coefficients]
    models/kws/samples.txt   one label per line (the spoken word, "silence" or "unknown")

Finally the samples are run through the model with ai-edge-litert and the accuracy printed.

Run from the repository root:  .venv/bin/python models/kws/make_samples.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import tflite  # type: ignore[import-untyped]
from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent
MODEL_PATH = HERE / "kws.tflite"  # MLPerf Tiny's kws_dscnn.tflite, shipped (README.md)
OUT_BIN = HERE / "samples.bin"
OUT_TXT = HERE / "samples.txt"

LABELS: tuple[str, ...] = (
    "down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "silence", "unknown",
)  # fmt: skip
KEYWORDS: tuple[str, ...] = LABELS[:10]

# --- Feature pipeline parameters (MLPerf Tiny KWS defaults, kws_util.py / get_dataset.py) ---
SAMPLE_RATE = 16000  # Hz
CLIP_SAMPLES = 16000  # clip_duration_ms = 1000
FRAME_LENGTH = 480  # window_size_ms = 30
FRAME_STEP = 320  # window_stride_ms = 20
FFT_LENGTH = 512  # tf.signal.stft(fft_length=None) -> next power of two >= 480
NUM_FRAMES = 1 + (CLIP_SAMPLES - FRAME_LENGTH) // FRAME_STEP  # 49 (pad_end=False)
NUM_MEL_BINS = 40
LOWER_EDGE_HZ = 20.0
UPPER_EDGE_HZ = 4000.0
LOG_OFFSET = 1e-6
NUM_MFCC = 10  # dct_coefficient_count

# --- Synthesis parameters ---
ESPEAK_RATE = 22050  # espeak-ng's native output rate
SPEECH_PEAK = 0.5  # peak amplitude of the word in the clip (full scale = 1)
# Background noise std relative to the speech peak (-46 dB). Chosen so that the non-speech
# frames land where they do in real Speech Commands recordings (quantised MFCC-0 of about 50-65,
# cf. the reference input in mlcommons/tiny kws_input_data.cc) instead of pure digital silence.
NOISE_FLOOR = 5e-3
SILENCE_STD = 0.003  # std of the "silence" clips (pure noise; level is normalised away anyway)
SEED = 20240611

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Voice:
    """One espeak-ng voice setting."""

    name: str  # -v argument, e.g. "en-us" or "en-us+f3"
    speed: int  # -s words per minute
    pitch: int  # -p 0..99

    def args(self) -> list[str]:
        return ["-v", self.name, "-s", str(self.speed), "-p", str(self.pitch)]


@dataclass(frozen=True)
class Sample:
    """One clip to generate: what is said (None = silence), its label and the voice."""

    text: str | None
    label: str
    voice: Voice | None


# Two voices per keyword, rotating through a fixed pool so that accents, speeds, pitches and
# male/female variants are all represented.
VOICE_POOL: tuple[Voice, ...] = (
    Voice("en-us", 140, 50),
    Voice("en", 170, 40),
    Voice("en-us+f3", 150, 60),
    Voice("en-gb-x-rp", 140, 45),
    Voice("en-us+m3", 170, 35),
    Voice("en-029", 150, 50),
    Voice("en+f2", 140, 70),
    Voice("en-gb-scotland", 160, 50),
)
UNKNOWN_WORDS: tuple[tuple[str, Voice], ...] = (
    ("cat", Voice("en-us", 150, 50)),
    ("house", Voice("en+f2", 150, 60)),
)


def build_sample_list() -> list[Sample]:
    samples: list[Sample] = []
    for i, word in enumerate(KEYWORDS):
        for j in range(2):
            voice = VOICE_POOL[(2 * i + j) % len(VOICE_POOL)]
            samples.append(Sample(word, word, voice))
    samples.append(Sample(None, "silence", None))
    samples.append(Sample(None, "silence", None))
    samples.extend(Sample(text, "unknown", voice) for text, voice in UNKNOWN_WORDS)
    return samples


# ----------------------------------------------------------------------------- audio


def synthesize(text: str, voice: Voice) -> F64:
    """Speak `text` with espeak-ng; return float samples in [-1, 1] at ESPEAK_RATE."""
    with tempfile.TemporaryDirectory() as tmp:
        wav_path = Path(tmp) / "out.wav"
        subprocess.run(
            ["espeak-ng", *voice.args(), "-w", str(wav_path), text],
            check=True,
            capture_output=True,
        )
        with wave.open(str(wav_path), "rb") as w:
            if w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise RuntimeError(f"unexpected espeak-ng output format: {w.getparams()}")
            if w.getframerate() != ESPEAK_RATE:
                raise RuntimeError(f"unexpected espeak-ng sample rate {w.getframerate()}")
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float64) / 32768.0


def trim(x: F64, rel_threshold: float = 0.02) -> F64:
    """Drop leading/trailing near-silence (espeak pads its output)."""
    active = np.flatnonzero(np.abs(x) > rel_threshold * np.max(np.abs(x)))
    if active.size == 0:
        return x
    return x[active[0] : active[-1] + 1]


def resample(x: F64, rate_in: int, rate_out: int, half_taps: int = 32) -> F64:
    """Band-limited resampling with a Kaiser-windowed sinc kernel."""
    n_out = int(np.floor(len(x) * rate_out / rate_in))
    ratio = rate_out / rate_in
    cutoff = 0.95 * min(1.0, ratio)  # relative to the input Nyquist
    t = np.arange(n_out) * (rate_in / rate_out)  # output instants in input-sample units
    base = np.floor(t).astype(np.int64)
    offsets = np.arange(-half_taps + 1, half_taps + 1)
    idx = base[:, None] + offsets[None, :]  # (n_out, 2*half_taps)
    dist = t[:, None] - idx
    window = np.kaiser(2 * half_taps + 1, 8.0)
    # Evaluate the (continuous) Kaiser window at `dist` by interpolating the sampled one.
    win = np.interp(dist, np.arange(-half_taps, half_taps + 1), window, left=0.0, right=0.0)
    kernel = cutoff * np.sinc(cutoff * dist) * win
    valid = (idx >= 0) & (idx < len(x))
    taps = np.where(valid, x[np.clip(idx, 0, len(x) - 1)], 0.0)
    return np.sum(taps * kernel, axis=1)


def to_int16(x: F64) -> npt.NDArray[np.int16]:
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)


def make_clip(sample: Sample, rng: np.random.Generator) -> npt.NDArray[np.int16]:
    """A 1 s, 16 kHz, int16 clip: the word centred over a quiet noise floor, or just noise."""
    clip = np.zeros(CLIP_SAMPLES, dtype=np.float64)
    if sample.text is not None and sample.voice is not None:
        speech = resample(trim(synthesize(sample.text, sample.voice)), ESPEAK_RATE, SAMPLE_RATE)
        speech *= SPEECH_PEAK / np.max(np.abs(speech))
        if len(speech) > CLIP_SAMPLES:
            start = (len(speech) - CLIP_SAMPLES) // 2
            speech = speech[start : start + CLIP_SAMPLES]
        start = (CLIP_SAMPLES - len(speech)) // 2
        clip[start : start + len(speech)] = speech
        clip += rng.normal(0.0, NOISE_FLOOR * SPEECH_PEAK, CLIP_SAMPLES)
    else:
        clip += rng.normal(0.0, SILENCE_STD, CLIP_SAMPLES)  # low-level background noise only
    return to_int16(clip)


# ----------------------------------------------------------------------------- features


def hertz_to_mel(f: F64 | float) -> F64:
    """HTK mel scale, as used by tf.signal.linear_to_mel_weight_matrix."""
    return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)


def mel_weight_matrix() -> F64:
    """[FFT_LENGTH//2+1, NUM_MEL_BINS] triangular filters, equivalent to
    tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 20.0, 4000.0): triangles in mel
    space, unnormalised (peak 1), and the DC bin gets zero weight."""
    num_bins = FFT_LENGTH // 2 + 1
    freqs = np.linspace(0.0, SAMPLE_RATE / 2.0, num_bins)[1:]  # DC bin excluded
    bins_mel = hertz_to_mel(freqs)[:, None]
    edges = np.linspace(hertz_to_mel(LOWER_EDGE_HZ), hertz_to_mel(UPPER_EDGE_HZ), NUM_MEL_BINS + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.vstack([np.zeros((1, NUM_MEL_BINS)), weights])


def dct_matrix() -> F64:
    """[NUM_MEL_BINS, NUM_MFCC] matrix of tf.signal.mfccs_from_log_mel_spectrograms:
    unnormalised DCT-II (2 * sum x_n cos(pi k (2n+1) / 2N)) times 1/sqrt(2N), i.e.
    sqrt(2/N) * sum x_n cos(...) for every k (k = 0 is *not* given the 1/sqrt(2) factor)."""
    n = np.arange(NUM_MEL_BINS)[:, None]
    k = np.arange(NUM_MFCC)[None, :]
    return np.sqrt(2.0 / NUM_MEL_BINS) * np.cos(np.pi * k * (2 * n + 1) / (2 * NUM_MEL_BINS))


def mfcc(clip: npt.NDArray[np.int16]) -> F64:
    """[NUM_FRAMES, NUM_MFCC] MFCCs of a 16000-sample int16 clip, as in get_dataset.py."""
    x = clip.astype(np.float64)
    x = x / np.max(x)  # get_dataset.py: wav / tf.reduce_max(wav) (the max, not abs-max)
    idx = np.arange(NUM_FRAMES)[:, None] * FRAME_STEP + np.arange(FRAME_LENGTH)[None, :]
    hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(FRAME_LENGTH) / FRAME_LENGTH)  # periodic
    spectrum = np.abs(np.fft.rfft(x[idx] * hann, n=FFT_LENGTH, axis=1))  # magnitude, 257 bins
    log_mel = np.log(spectrum @ mel_weight_matrix() + LOG_OFFSET)  # natural log
    return log_mel @ dct_matrix()


# ----------------------------------------------------------------------------- model


def input_quantization(model_path: Path) -> tuple[float, int]:
    """(scale, zero_point) of the model's first input, read from the flatbuffer."""
    model = tflite.Model.GetRootAsModel(model_path.read_bytes(), 0)
    graph = model.Subgraphs(0)
    tensor = graph.Tensors(graph.Inputs(0))
    quant = tensor.Quantization()
    return float(quant.Scale(0)), int(quant.ZeroPoint(0))


def quantize(features: F64, scale: float, zero_point: int) -> npt.NDArray[np.int8]:
    q = np.round(features / scale) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def classify(model_path: Path, inputs: npt.NDArray[np.int8]) -> list[int]:
    interpreter = Interpreter(model_path=str(model_path))
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    predictions: list[int] = []
    for row in inputs:
        interpreter.set_tensor(inp["index"], row.reshape(inp["shape"]))
        interpreter.invoke()
        predictions.append(int(np.argmax(interpreter.get_tensor(out["index"]))))
    return predictions


def main() -> int:
    scale, zero_point = input_quantization(MODEL_PATH)
    rng = np.random.default_rng(SEED)
    samples = build_sample_list()
    rows = [quantize(mfcc(make_clip(s, rng)), scale, zero_point) for s in samples]
    data = np.stack(rows)  # (N, 49, 10)
    assert data.shape[1:] == (NUM_FRAMES, NUM_MFCC)

    OUT_BIN.write_bytes(data.tobytes())
    OUT_TXT.write_text("".join(f"{s.label}\n" for s in samples))

    predictions = classify(MODEL_PATH, data)
    correct = 0
    for s, pred in zip(samples, predictions, strict=True):
        ok = LABELS[pred] == s.label
        correct += ok
        said = s.text if s.text is not None else "(noise)"
        voice = f"{s.voice.name} -s{s.voice.speed} -p{s.voice.pitch}" if s.voice else "-"
        mark = "ok" if ok else "MISS"
        print(f"{s.label:8s} {said:8s} {voice:28s} -> {LABELS[pred]:8s} {mark}")
    print(f"input quantization: scale={scale:.7f} zero_point={zero_point}")
    print(f"wrote {len(samples)} samples to {OUT_BIN} and {OUT_TXT}")
    print(f"accuracy: {correct}/{len(samples)} = {correct / len(samples):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
