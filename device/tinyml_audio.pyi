from array import array
from typing import Any

FIELDS: tuple[str, ...]

class Frontend:
    channels: int
    frames: int
    features: array  # array('H'): a ring of `frames` rows of `channels`
    count: int
    def __init__(self, frames: int = 49, **settings: Any) -> None: ...
    def feed(self, samples: array | bytes | bytearray | memoryview) -> int: ...
    def window(self, out: array | None = None) -> array: ...
    def reset(self) -> None: ...
