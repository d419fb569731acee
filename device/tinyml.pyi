"""Type stubs for the tinyml device API (picked up by Thonny, VS Code and mypy)."""

from array import array
from collections.abc import Sequence

_Buffer = bytes | bytearray | memoryview | array
_Input = _Buffer | Sequence[float]
_Inputs = _Input | tuple[_Input, ...] | list[_Input]
_Out = bytearray | array

class Net:
    name: str
    labels: tuple[str, ...]
    n_inputs: int
    n_outputs: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    input_shapes: tuple[tuple[int, ...], ...]
    output_shapes: tuple[tuple[int, ...], ...]
    input_quant: tuple[float, int]
    output_quant: tuple[float, int]
    arena_size: int
    ops: int
    # Several inputs: a tuple of them; several outputs: a tuple is returned / passed.
    def predict(self, x: _Inputs) -> array | tuple[array, ...]: ...
    def predict_raw(self, x: _Inputs) -> bytes | tuple[bytes, ...]: ...
    def predict_into(
        self, x: _Inputs, out: _Out | tuple[_Out, ...]
    ) -> _Out | tuple[_Out, ...]: ...
    def classify(self, x: _Inputs) -> tuple[str | int, float]: ...

def load(src: str | bytes | bytearray | memoryview, arena: bytearray | None = None) -> Net: ...

__version__: str
