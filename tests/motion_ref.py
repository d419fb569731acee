"""The motion front-end's features (native_modules/tinyml/src/motion/mo_motion.h) computed
independently with NumPy, from the header's definitions: vectorized int64 arithmetic, the
DFT as integer matrix products over tables made with NumPy's cos and sin. And the test streams:
edge cases (full scale, constants, alternating extremes, impulses) and random ones (sines,
random walks, noise), all deterministic. Shared by tests/host/test_motion.py (the C core) and
tests/device/test_motion_device.py (tinyml_motion on the host simulator and the unix port)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_AXES = 9
STATS = ("mean", "std", "min", "max", "rms")


@dataclass(frozen=True)
class Config:
    """A configuration as tml_mo_config_t holds it (defaults tml_mo_config_default's)."""

    axes: int = 3
    window: int = 64
    hop: int = 32
    stats: int = 31
    bands: int = 4
    band_lo: int = 1
    band_hi: int = 0
    hann: int = 1
    edges: tuple[int, ...] = field(default=())

    def flags(self) -> list[str]:
        """mo_check's options for this configuration."""
        out = ["--axes", str(self.axes), "--window", str(self.window), "--hop", str(self.hop),
               "--stats", str(self.stats), "--bands", str(self.bands), "--band-lo",
               str(self.band_lo), "--band-hi", str(self.band_hi), "--hann", str(self.hann)]
        return out + (["--edges", ",".join(map(str, self.edges))] if self.edges else [])

    def band_edges(self) -> np.ndarray:
        if self.edges:
            return np.array(self.edges, dtype=np.int64)
        lo, hi = self.band_lo, self.band_hi or self.window // 2
        b = np.arange(self.bands + 1, dtype=np.int64)
        return lo + b * (hi - lo + 1) // max(self.bands, 1)


def twiddles(n: int) -> tuple[np.ndarray, np.ndarray]:
    """C[m] = round(32768 cos(2 pi m / n)), S[m] likewise with sin (no value lies near a
    half, so NumPy's rounding of halves to even never decides one)."""
    m = np.arange(n)
    c = np.round(32768 * np.cos(2 * np.pi * m / n)).astype(np.int64)
    s = np.round(32768 * np.sin(2 * np.pi * m / n)).astype(np.int64)
    return c, s


def isqrt(v: np.ndarray) -> np.ndarray:
    """The largest r with r * r <= v, elementwise, for 0 <= v < 2^52: a float square root and
    an exact integer correction."""
    r = np.floor(np.sqrt(v.astype(np.float64))).astype(np.int64)
    r = np.where(r * r > v, r - 1, r)
    return np.where((r + 1) * (r + 1) <= v, r + 1, r)


def features(frames: np.ndarray, cfg: Config) -> np.ndarray:
    """Every window's features, one row per window: frames is (count, axes) int16."""
    n, axes = cfg.window, cfg.axes
    x = np.asarray(frames, dtype=np.int64).reshape(-1, axes)
    starts = np.arange(0, len(x) - n + 1, cfg.hop)
    per_axis = bin(cfg.stats).count("1") + cfg.bands
    if len(starts) == 0:
        return np.zeros((0, axes * per_axis), dtype=np.int64)
    w = x[starts[:, None] + np.arange(n)[None, :]]  # (windows, n, axes)
    s = w.sum(axis=1)
    q = (w * w).sum(axis=1)
    out = []
    if cfg.stats & 1:
        out.append(np.sign(s) * ((2 * np.abs(s) + n) // (2 * n)))
    if cfg.stats & 2:
        out.append((isqrt(4 * (n * q - s * s) // (n * n)) + 1) // 2)
    if cfg.stats & 4:
        out.append(w.min(axis=1))
    if cfg.stats & 8:
        out.append(w.max(axis=1))
    if cfg.stats & 16:
        out.append((isqrt(4 * q // n) + 1) // 2)
    if cfg.bands:
        c, sn = twiddles(n)
        win = 32768 - c if cfg.hann else np.full(n, 65536, dtype=np.int64)
        edges = cfg.band_edges()
        bins = np.arange(edges[0], edges[-1])
        idx = np.outer(np.arange(n), bins) % n  # (n, bins)
        xw = (w * win[None, :, None]).transpose(0, 2, 1)  # (windows, axes, n)
        re = (xw @ c[idx] + (1 << 25)) >> 26
        im = (xw @ sn[idx] + (1 << 25)) >> 26
        power = re * re + im * im  # (windows, axes, bins)
        d = n * n << 10
        for b in range(cfg.bands):
            lo, hi = edges[b] - edges[0], edges[b + 1] - edges[0]
            p = power[:, :, lo:hi].sum(axis=2)
            out.append(np.minimum((p + d // 2) // d, 2**31 - 1))
    # out: per feature (windows, axes) -> rows of axis after axis, the features in order
    return np.stack(out, axis=2).reshape(len(starts), axes * per_axis)


def streams(count: int = 1200) -> dict[str, np.ndarray]:
    """Named (count, 9) int16 streams: the edge cases, then random ones from fixed seeds."""
    t = np.arange(count)[:, None]
    ax = np.arange(MAX_AXES)[None, :]
    ones = np.ones((count, MAX_AXES), dtype=np.int64)
    out: dict[str, np.ndarray] = {
        "zeros": 0 * ones,
        "min": -32768 * ones,
        "max": 32767 * ones,
        "alternating": np.where((t + ax) % 2 == 0, -32768, 32767) * ones,
        "constants": (ax * 8191 - 32768) * ones,
        "impulses": np.where(t % 37 == ax, 32767, 0) * ones,
        "negative_impulses": np.where(t % 53 == 3 * ax, -32768, 0) * ones,
        "square": np.where((t // (ax + 2)) % 2 == 0, 32767, -32768) * ones,
        "sine_full": np.round(32767 * np.sin(2 * np.pi * t * (ax + 1) / 64)),
        "sine_odd": np.round(20000 * np.sin(2 * np.pi * t * (ax + 0.37) / 29 + ax)),
        "chirp": np.round(30000 * np.sin(np.pi * t * t * (ax + 1) / (8 * count))),
    }
    for seed in range(6):
        rng = np.random.default_rng(seed)
        walk = np.cumsum(rng.integers(-900, 901, size=(count, MAX_AXES)), axis=0)
        out[f"walk_{seed}"] = np.clip(walk, -32768, 32767)
        out[f"noise_{seed}"] = rng.integers(-32768, 32768, size=(count, MAX_AXES))
        gravity = np.array([0, 0, 16384, 0, 0, 0, 20, -30, 45])[None, :]
        tone = 3000 * np.sin(2 * np.pi * t * rng.uniform(0.5, 12, MAX_AXES) / 100)
        out[f"imu_{seed}"] = np.round(gravity + tone + rng.normal(0, 60, (count, MAX_AXES)))
    return {k: np.clip(v, -32768, 32767).astype(np.int16) for k, v in out.items()}
