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

class Model:
    """The C core's model (low level; `Net` wraps it). Used by on-device training."""

    def __init__(self, blob: _Buffer, arena: bytearray | None = None) -> None: ...
    # (name, labels, arena_size, n_ops, n_inputs, n_outputs)
    def info(self) -> tuple[str, tuple[str, ...], int, int, int, int]: ...
    # (shape, scale, zero_point); a float-free build gives the scale's IEEE bits as an int
    def input_info(self, i: int) -> tuple[tuple[int, ...], float | int, int]: ...
    def output_info(self, i: int) -> tuple[tuple[int, ...], float | int, int]: ...
    def tensor_info(self, i: int) -> tuple[tuple[int, ...], float | int, int]: ...
    def set_input(self, x: _Input, i: int = 0) -> None: ...
    def invoke(self, first: int = 0, end: int = ...) -> None: ...  # operators [first, end)
    def get_output(self, out: _Out, i: int = 0) -> None: ...
    def read_tensor(self, i: int, out: bytearray, offset: int = ...) -> None: ...
    # None, or (op, embedding, weights, bias or -1, output, rows, cols, f32 scale bytes)
    def head(self) -> tuple[int, int, int, int, int, int, int, bytes] | None: ...
    # (kind, inputs (-1: none), output, act_min, act_max, geometry, requant): geometry is
    # stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w, depth_multiplier for
    # convolutions, stride_h, stride_w, filter_h, filter_w, pad_h, pad_w, 0 for pools, else 0s
    # (pads: top/left); requant holds per channel the int32 multiplier then the int32 shift
    # (little-endian), empty for kinds without one.
    def op_info(
        self, k: int
    ) -> tuple[int, tuple[int, ...], int, int, int, tuple[int, ...], bytes]: ...
    # Read buf (exactly the tensor's bytes, 4-byte aligned; kept referenced) instead of a
    # constant tensor's bytes in the blob; None goes back to the blob's. Checked by the
    # operators reading it, now and at every invoke: ValueError if they refuse it.
    def set_const(self, tensor: int, buf: _Buffer | None) -> None: ...
    # The blob's sparse-update scheme: ((op, bias updated, channels), ...), () without one
    def update_scheme(self) -> tuple[tuple[int, bool, tuple[int, ...]], ...]: ...

def load(src: str | bytes | bytearray | memoryview, arena: bytearray | None = None) -> Net: ...

__version__: str
