"""Deterministic test clips for the audio front-end (issue 18): one second of 16 kHz int16
audio each, made from a seed, covering what a front-end must get right at the edges of its
fixed-point arithmetic: silence, pure tones from the lowest to the highest filterbank channel,
chirps, white and coloured noise from very quiet to clipping, bursts that switch on and off
(the noise estimate and the gain control must follow), and full-scale square waves."""

from __future__ import annotations

import numpy as np

RATE = 16000


def _tone(f: float, amp: float, n: int = RATE, phase: float = 0.0) -> np.ndarray:
    t = np.arange(n) / RATE
    return amp * np.sin(2 * np.pi * f * t + phase)


def _chirp(f0: float, f1: float, amp: float, n: int = RATE) -> np.ndarray:
    t = np.arange(n) / RATE
    k = (f1 - f0) / (n / RATE)
    return amp * np.sin(2 * np.pi * (f0 * t + 0.5 * k * t * t))


def _as_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def clips(seed: int = 18) -> dict[str, np.ndarray]:
    """Name -> int16 samples (at least 50 clips)."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {"silence": np.zeros(RATE, np.int16)}
    for f in (60, 125, 300, 440, 1000, 2500, 4000, 7000, 7900):
        for amp in (30, 3000, 32000):
            out[f"tone_{f}hz_{amp}"] = _as_int16(_tone(f, amp, phase=rng.uniform(0, 6.3)))
    for i, (f0, f1, amp) in enumerate([(50, 8000, 10000), (8000, 50, 20000), (200, 3000, 500),
                                       (100, 7500, 32767)]):
        out[f"chirp_{i}"] = _as_int16(_chirp(f0, f1, amp))
    for level in (1, 10, 100, 1000, 8000, 30000):
        out[f"white_{level}"] = _as_int16(rng.normal(0, level, RATE))
    for level in (50, 2000):  # brown-ish noise: integrated white noise
        x = np.cumsum(rng.normal(0, 1, RATE))
        x -= np.convolve(x, np.ones(401) / 401, mode="same")
        out[f"brown_{level}"] = _as_int16(x / (np.abs(x).max() + 1e-9) * level)
    for i in range(6):  # tones and noise bursts switching on and off over a noise floor
        env = np.zeros(RATE)
        for _ in range(3):
            a = int(rng.integers(0, RATE - 3000))
            env[a:a + int(rng.integers(1000, 3000))] = 1.0
        sig = _tone(float(rng.uniform(150, 4000)), float(rng.uniform(1000, 20000)))
        if i % 2:
            sig = rng.normal(0, float(rng.uniform(500, 10000)), RATE)
        out[f"burst_{i}"] = _as_int16(env * sig + rng.normal(0, 20, RATE))
    for f in (100, 1000):  # clipped full scale
        out[f"square_{f}hz"] = _as_int16(np.sign(_tone(f, 1.0)) * 40000)
    out["dc_positive"] = np.full(RATE, 12345, np.int16)
    out["extremes"] = np.resize(np.array([-32768, 32767], np.int16), RATE)
    out["impulses"] = np.zeros(RATE, np.int16)
    out["impulses"][::1600] = 32767
    return out
