"""Spoken test data for the keyword spotter (docs/audio.md), made with Debian's espeak-ng and
sox, deterministic from a seed.

    python examples/speech/make_speech.py words            # re-make the committed word clips
    python examples/speech/make_speech.py clips DIR        # 1 s labelled clips (+ labels.txt)
    python examples/speech/make_speech.py stream OUT.wav   # a stream with keywords in noise

`words` needs espeak-ng and sox; it writes examples/speech/words/<label>_<n>.wav (16 kHz,
16-bit mono, trimmed to the word) for micro_speech's keywords (yes, no) and for other words
(unknown), each spoken by several voices at several speeds and pitches, and
examples/speech/kws_words/<word>_<n>.wav for the other eight keywords of the MLPerf Tiny KWS
model (models/kws: up, down, left, right, on, off, stop, go), three voices each. The other
two commands use only those committed clips and numpy, so their output is the same on every
machine:
`clips` centres each word in a second of background noise at two levels, plus silence clips;
`stream` lays keywords and other words out over a minute of noise and writes the truth beside
the WAV (OUT.txt: label, start ms, end ms per word).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORDS = HERE / "words"
KWS_WORDS = HERE / "kws_words"
RATE = 16000
GAIN_DB = -6.0  # the words' gains in a stream: -6..0 dB, at random
KEYWORDS = ("yes", "no")
# Other words, spoken as "unknown": ones micro_speech tells apart from its keywords (it takes
# "left" for yes and "go" for no, as a model with two keywords and little data would).
OTHERS = ("cat", "dog", "seven", "house", "bird", "tree")
# The KWS model's keywords besides yes and no (its labels: models/kws/labels.txt).
KWS_KEYWORDS = ("up", "down", "left", "right", "on", "off", "stop", "go")
# (espeak-ng voice, words per minute, pitch 0..99, sox tempo factor)
VOICES = (
    ("en-us", 140, 50, 1.0), ("en", 170, 40, 0.9), ("en-us+f3", 150, 60, 1.1),
    ("en-gb-x-rp", 140, 45, 1.0), ("en-us+m3", 170, 35, 1.1), ("en-029", 150, 50, 0.9),
    ("en+f2", 140, 70, 1.0), ("en-gb-scotland", 160, 50, 1.1),
)  # fmt: skip


@dataclass(frozen=True)
class Word:
    label: str  # micro_speech's label: yes, no or unknown
    text: str
    samples: np.ndarray  # int16 at RATE


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, RATE):
            raise ValueError(f"{path}: not 16 kHz 16-bit mono")
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").copy()


def write_wav(path: Path, x: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.asarray(x, "<i2").tobytes())


def speak(text: str, voice: tuple[str, int, int, float], tmp: Path) -> np.ndarray:
    """text spoken by espeak-ng, through sox: tempo changed, resampled to 16 kHz without
    dither, trimmed to the word, peak at -6 dBFS."""
    name, wpm, pitch, tempo = voice
    raw, out = tmp / "espeak.wav", tmp / "sox.wav"
    subprocess.run(["espeak-ng", "-v", name, "-s", str(wpm), "-p", str(pitch), "-w", str(raw),
                    text], check=True, capture_output=True)
    subprocess.run(["sox", "-D", str(raw), "-r", str(RATE), "-b", "16", str(out),
                    "tempo", str(tempo), "silence", "1", "0.01", "1%", "reverse",
                    "silence", "1", "0.01", "1%", "reverse", "gain", "-n", "-6"],
                   check=True, capture_output=True)
    return read_wav(out)


def make_words() -> None:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (Debian: apt-get install espeak-ng sox)")
    WORDS.mkdir(exist_ok=True)
    for old in WORDS.glob("*.wav"):
        old.unlink()
    with tempfile.TemporaryDirectory() as t:
        n = 0
        for word in KEYWORDS:
            for i, voice in enumerate(VOICES):
                write_wav(WORDS / f"{word}_{i}.wav", speak(word, voice, Path(t)))
                n += 1
        for i, word in enumerate(OTHERS):  # each other word in two voices
            for j in (i % len(VOICES), (i + 3) % len(VOICES)):
                write_wav(WORDS / f"unknown_{word}_{j}.wav", speak(word, VOICES[j], Path(t)))
                n += 1
    print(f"{n} clips in {WORDS}")
    make_kws_words()


def make_kws_words() -> None:
    KWS_WORDS.mkdir(exist_ok=True)
    for old in KWS_WORDS.glob("*.wav"):
        old.unlink()
    with tempfile.TemporaryDirectory() as t:
        for i, word in enumerate(KWS_KEYWORDS):  # three voices each
            for j in (i % len(VOICES), (i + 3) % len(VOICES), (i + 6) % len(VOICES)):
                write_wav(KWS_WORDS / f"{word}_{j}.wav", speak(word, VOICES[j], Path(t)))
    print(f"{3 * len(KWS_KEYWORDS)} clips in {KWS_WORDS}")


def words(folder: Path = WORDS) -> list[Word]:
    """The committed word clips, in name order: micro_speech's (WORDS), or with KWS_WORDS the
    KWS model's other keywords."""
    out = []
    for p in sorted(folder.glob("*.wav")):
        parts = p.stem.split("_")
        out.append(Word(parts[0], parts[1] if parts[0] == "unknown" else parts[0], read_wav(p)))
    if not out:
        raise FileNotFoundError(f"no word clips in {folder} (make them: make_speech.py words)")
    return out


def noise(rng: np.random.Generator, n: int, level: float) -> np.ndarray:
    """Background noise at an RMS of `level`: white noise plus a low rumble (integrated white
    noise, its slow drift removed), as a room and a cheap microphone give."""
    white = rng.normal(0.0, 1.0, n)
    brown = np.cumsum(rng.normal(0.0, 1.0, n))
    brown -= np.convolve(brown, np.ones(801) / 801, mode="same")
    brown /= brown.std() + 1e-12
    x = 0.6 * white + 0.8 * brown
    return x / x.std() * level


def _int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def make_clips(seed: int = 18, vocabulary: str = "micro_speech") -> list[tuple[str, np.ndarray]]:
    """(label, one second of int16) for micro_speech: each word centred in noise at two levels,
    and silence clips (noise alone, quiet to loud). With vocabulary="kws", the KWS model's
    other eight keywords (KWS_WORDS) the same way, labelled by the word, and no silence."""
    rng = np.random.default_rng(seed)
    out = []
    for w in words(KWS_WORDS if vocabulary == "kws" else WORDS):
        for level in (30.0, 300.0):
            x = noise(rng, RATE, level)
            a = max(0, (RATE - len(w.samples)) // 2)
            seg = w.samples[:RATE].astype(np.float64)
            x[a:a + len(seg)] += seg
            out.append((w.label, _int16(x)))
    if vocabulary == "kws":
        return out
    for level in (3.0, 30.0, 300.0, 1000.0):
        out.append(("silence", _int16(noise(rng, RATE, level))))
    return out


def make_stream(seed: int = 60, seconds: int = 60, keywords: int = 20, others: int = 5,
                level: float = 60.0, vocabulary: str = "micro_speech",
                ) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """A stream of background noise with `keywords` yes/no words (with vocabulary="kws": any of
    the KWS model's ten keywords) and `others` other words at random gains (-6..0 dB), at
    least 1.8 s apart, none in the first second; returns the int16 samples and the truth:
    (label, start ms, end ms) per word, in time order."""
    rng = np.random.default_rng(seed)
    ws = words()
    keys = [w for w in ws if w.label in KEYWORDS]
    if vocabulary == "kws":
        keys += words(KWS_WORDS)
    unknown = [w for w in ws if w.label == "unknown"]
    picks = [keys[i] for i in rng.permutation(len(keys))[:keywords]]
    while len(picks) < keywords:
        picks.append(keys[int(rng.integers(len(keys)))])
    picks += [unknown[i] for i in rng.permutation(len(unknown))[:others]]
    order = rng.permutation(len(picks))
    n = seconds * RATE
    slot = (n - RATE) // len(picks)  # one word per slot, placed at random inside it
    x = noise(rng, n, level)
    truth = []
    for k, i in enumerate(order):
        w = picks[i]
        room = slot - len(w.samples) - int(0.8 * RATE)
        start = RATE + k * slot + int(rng.integers(max(room, 1)))
        gain = 10.0 ** (rng.uniform(GAIN_DB, 0.0) / 20.0)
        x[start:start + len(w.samples)] += gain * w.samples
        truth.append((w.label, start * 1000 // RATE, (start + len(w.samples)) * 1000 // RATE))
    return _int16(x), truth


def score(found: list[tuple[str, float, int]], truth: list[tuple[str, int, int]],
          tolerance_ms: int) -> tuple[int, int]:
    """A spotter's detections (label, score, ms) against a stream's truth: (keywords found
    within tolerance_ms of their word, each word counted once; false alarms)."""
    used: set[int] = set()
    hits = 0
    for label, _, ms in found:
        near = [i for i, (lb, a, b) in enumerate(truth)
                if lb == label and i not in used and a - tolerance_ms <= ms <= b + tolerance_ms]
        if near:
            used.add(near[0])
            hits += 1
    return hits, len(found) - hits


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("words", help="re-make the committed word clips (espeak-ng, sox)")
    vocabulary = {"choices": ("micro_speech", "kws"), "default": "micro_speech",
                  "help": "micro_speech's keywords (yes, no) or the KWS model's ten"}
    c = sub.add_parser("clips", help="1 s labelled clips into a folder")
    c.add_argument("out", type=Path)
    c.add_argument("--vocabulary", **vocabulary)  # type: ignore[arg-type]
    s = sub.add_parser("stream", help="a stream with keywords in noise, and its truth")
    s.add_argument("out", type=Path)
    s.add_argument("--vocabulary", **vocabulary)  # type: ignore[arg-type]
    s.add_argument("--seconds", type=int, default=60)
    s.add_argument("--keywords", type=int, default=20)
    s.add_argument("--seed", type=int, default=60)
    a = ap.parse_args(argv)
    if a.cmd == "words":
        make_words()
    elif a.cmd == "clips":
        a.out.mkdir(parents=True, exist_ok=True)
        labels = []
        for i, (label, x) in enumerate(make_clips(vocabulary=a.vocabulary)):
            write_wav(a.out / f"{i:03d}_{label}.wav", x)
            labels.append(label)
        (a.out / "labels.txt").write_text("\n".join(labels) + "\n")
        print(f"{len(labels)} clips in {a.out}")
    else:
        x, truth = make_stream(a.seed, a.seconds, a.keywords, vocabulary=a.vocabulary)
        write_wav(a.out, x)
        a.out.with_suffix(".txt").write_text("".join(f"{lb} {s} {e}\n" for lb, s, e in truth))
        print(f"{a.out}: {a.seconds} s, {len(truth)} words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
