from array import array
from typing import Any

FIELDS: tuple[str, ...]
STATS: tuple[str, ...]
AXIS_NAMES: dict[int, tuple[str, ...]]

class Motion:
    axes: int
    length: int  # frames per window
    hop: int
    bands: int
    rows: int
    size: int  # features per window
    names: tuple[str, ...]
    features: array  # array('i'): a ring of `rows` rows of `size`
    count: int
    def __init__(self, axes: int = 3, window: int = 64, hop: int = 32, bands: int | None = None,
                 rows: int = 1, axis_names: tuple[str, ...] | None = None,
                 **settings: Any) -> None: ...
    def feed(self, samples: array | bytes | bytearray | memoryview) -> int: ...
    def latest(self, out: array | None = None) -> array: ...
    def window(self, out: array | None = None) -> array: ...
    def reset(self) -> None: ...
