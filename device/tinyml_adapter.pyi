"""Type stubs for adapter files (tinyml_adapter.py)."""

from collections.abc import Callable

from tinyml import Head

MAGIC: bytes
VERSION: int
MODES: dict[str, int]
HEADER: int

def atomic_write(path: str, data: bytes, fault: Callable[[str], None] | None = None) -> None: ...
def payload_head(labels: list[str], dim: int, rows: int, max_classes: int) -> bytearray: ...
def write(
    path: str, mode: str, sha: bytes, payload: bytes, fault: Callable[[str], None] | None = None
) -> int: ...

class Parsed:
    mode: str
    p: memoryview
    labels: list[str]
    dim: int
    rows: int
    max_classes: int
    pos: int
    def __init__(self, mode: str, p: memoryview, labels: list[str], dim: int, rows: int,
                 max_classes: int, pos: int) -> None: ...

def read(data: bytes | bytearray | memoryview, sha: bytes, head: Head | None) -> Parsed: ...
