from array import array
from typing import Any, Protocol

from tinyml import Net

FIELDS: tuple[str, ...]
MFCC_SETTINGS: tuple[str, ...]

class Frontend:
    channels: int
    frames: int
    int8: bool
    rate: int
    window_ms: int
    step_ms: int
    features: array  # a ring of `frames` rows of `channels`: array('H'), or array('b') for int8
    count: int
    def __init__(self, frames: int = 49, int8: bool = False, **settings: Any) -> None: ...
    @property
    def step(self) -> int: ...
    def feed(self, samples: array | bytes | bytearray | memoryview) -> int: ...
    def window(self, out: array | None = None) -> array: ...
    def reset(self) -> None: ...

class Mfcc:
    int8: bool
    channels: int
    frames: int
    rate: int
    step: int
    window_ms: int
    step_ms: int
    count: int
    def __init__(self, frames: int = 49, **settings: Any) -> None: ...
    def feed(self, samples: array | bytes | bytearray | memoryview) -> int: ...
    def window(self, out: array | bytearray | None = None) -> array: ...
    def peak(self) -> int: ...
    def reset(self) -> None: ...

class _Source(Protocol):
    def readinto(self, buf: Any, /) -> int | None: ...

class WavReader:
    rate: int
    frames: int
    def __init__(self, f: str | Any) -> None: ...
    def readinto(self, buf: bytearray | array | memoryview) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> WavReader: ...
    def __exit__(self, *exc: object) -> None: ...

Detection = tuple[str, float, int]

class KeywordSpotter:
    net: Net
    frontend: Frontend | Mfcc
    labels: tuple[str, ...]
    every: int
    average_ms: int
    threshold: float
    suppression_ms: int
    min_count: int
    results: int
    def __init__(self, net: Net, frontend: Frontend | Mfcc | None = None, every: int = 1,
                 average_ms: int = 200, threshold: float = 0.65, suppression_ms: int = 1500,
                 min_count: int = 3, ignore: tuple[str, ...] = ...) -> None: ...
    def reset(self) -> None: ...
    def time_ms(self) -> int: ...
    def feed(self, samples: array | bytes | bytearray | memoryview) -> Detection | None: ...
    def run(self, source: _Source, buf: array | bytearray | None = None,
            on_detect: Any | None = None) -> list[Detection]: ...
