"""Type stubs for the tinyml device API (picked up by Thonny, VS Code and mypy)."""

from array import array
from collections.abc import Sequence

_Buffer = bytes | bytearray | memoryview | array

class Net:
    name: str
    labels: tuple[str, ...]
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    input_quant: tuple[float, int]
    output_quant: tuple[float, int]
    arena_size: int
    ops: int
    def predict(self, x: _Buffer | Sequence[float]) -> array: ...
    def predict_raw(self, x: _Buffer | Sequence[float]) -> bytes: ...
    def predict_into(
        self, x: _Buffer | Sequence[float], out: bytearray | array
    ) -> bytearray | array: ...
    def classify(self, x: _Buffer | Sequence[float]) -> tuple[str | int, float]: ...

def load(src: str | bytes | bytearray | memoryview, arena: bytearray | None = None) -> Net: ...

__version__: str
