"""Type stubs for the tinyml device API (picked up by Thonny, VS Code and mypy).

On-device learning: net.trainer() returns a tinyml_train.Trainer (tinyml_train.pyi)."""

from array import array
from collections.abc import Sequence
from typing import NamedTuple

from tinyml_train import Trainer

_Buffer = bytes | bytearray | memoryview | array
_Input = _Buffer | Sequence[float]
_Inputs = _Input | tuple[_Input, ...] | list[_Input]
_Out = bytearray | array

# Exported by the C core's binding, from the blob format's schema (tml_schema.def).
OP_NAMES: str  # the operator kinds' names separated by spaces, indexed by code ("-" at 0)
H_TOTAL_SIZE: int  # blob header byte offset of the u32 total size
H_ARENA_SIZE: int  # blob header byte offset of the u32 arena size
HEAD_FIELDS: str  # the field names of Model.head()'s tuple, separated by spaces
OP_INFO_FIELDS: str  # of Model.op_info(k)'s
UPDATE_FIELDS: str  # of each entry of Model.update_scheme()

class Head(NamedTuple):
    """The trainable head: the model's last FULLY_CONNECTED, as the blob records it."""

    op: int  # its operator index
    embedding: int  # tensor: its input, the embedding
    weights: int  # tensor: int8 [rows, cols]
    bias: int  # tensor: int32 [rows], or -1
    output: int  # tensor
    rows: int  # the model's classes
    cols: int  # the embedding's size
    scales: bytes  # float32 per row (little-endian): real weight = scale x int8

class OpInfo(NamedTuple):
    """One operator, as the C core validated it."""

    kind: int  # OP_NAMES.split()[kind] is its name
    inputs: tuple[int, ...]  # tensors, -1 where an optional one is omitted
    output: int
    act_min: int  # the fused activation's int8 range
    act_max: int
    stride_h: int  # convolutions and pools, else 0
    stride_w: int
    dilation_h: int  # 1 for pools
    dilation_w: int
    pad_h: int  # top
    pad_w: int  # left
    filter_h: int  # the kernel size of convolutions (the filter tensor's) and pools, else 0
    filter_w: int
    depth_mult: int  # DEPTHWISE_CONV_2D's multiplier, 1 for CONV_2D, else 0
    requant: bytes  # per channel the int32 multiplier then the int32 shift (little-endian)
    bias_limit: int  # the largest |int32 bias| the operator's load check accepts, 0: no bias

class Update(NamedTuple):
    """One entry of the blob's sparse-update scheme."""

    op: int
    bias: bool  # its int32 bias is updated
    channels: tuple[int, ...]  # the updated input channels of its weights (last dimension)

class Net:
    name: str
    labels: tuple[str, ...]  # the adapter's while one is in use
    base_labels: tuple[str, ...]  # the blob's
    n_inputs: int
    n_outputs: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    input_shapes: tuple[tuple[int, ...], ...]
    output_shapes: tuple[tuple[int, ...], ...]
    input_quant: tuple[float, int]
    output_quant: tuple[float, int]
    embedding_quant: tuple[float, int] | None  # (scale, zero point); None without a head
    arena_size: int
    ops: int
    adapter: Trainer | None  # what predict and classify go through, if anything
    def __init__(self, model: Model, blob: _Buffer) -> None: ...  # use load()
    # Several inputs: a tuple of them; several outputs: a tuple is returned / passed.
    def predict(self, x: _Inputs) -> array | tuple[array, ...]: ...
    def predict_raw(self, x: _Inputs) -> bytes | tuple[bytes, ...]: ...
    def predict_into(
        self, x: _Inputs, out: _Out | tuple[_Out, ...]
    ) -> _Out | tuple[_Out, ...]: ...
    def classify(self, x: _Inputs) -> tuple[str | int, float]: ...
    # On-device learning (docs/training.md).
    def embedding(self, x: _Inputs) -> bytearray: ...
    def trainer(
        self,
        mode: str = "head",  # "ncm", "head", "bias" or "sparse"
        lr: float = 0.5,
        momentum: float = 0.0,
        max_examples: int = 64,
        ram_budget: int | None = None,
        max_classes: int | None = None,
        layers: int = 2,  # bias mode: the head and layers - 1 layers below it
    ) -> Trainer: ...
    def load_adapter(self, path: str) -> None: ...
    def clear_adapter(self) -> None: ...
    def set_adapter(self, adapter: Trainer) -> None: ...
    def blob_sha256(self) -> bytes: ...
    # The model's inside, for the trainer and the host's sparse-update chooser.
    def head(self) -> Head | None: ...
    def op_info(self, k: int) -> OpInfo: ...
    def op_kind(self, name: str) -> int: ...  # its code, from the binding's OP_NAMES
    def update_scheme(self) -> tuple[Update, ...]: ...
    def tensor_info(self, t: int) -> tuple[tuple[int, ...], float, int]: ...
    def read_tensor(
        self, t: int, buf: bytearray | memoryview, offset: int | None = None
    ) -> None: ...
    def set_const(self, t: int, buf: _Buffer | None) -> None: ...
    def set_inputs(self, x: _Inputs) -> None: ...
    def invoke(self, first: int, end: int) -> None: ...  # operators [first, end)
    def quantize(self, x: Sequence[float], i: int = 0) -> bytearray: ...

class Model:
    """The C core's model (low level; `Net` wraps it and names its records)."""

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
    def read_tensor(self, i: int, out: bytearray | memoryview, offset: int = ...) -> None: ...
    # None, or a tuple in HEAD_FIELDS order (Net.head() names it: Head)
    def head(self) -> tuple[int, int, int, int, int, int, int, bytes] | None: ...
    # A tuple in OP_INFO_FIELDS order (Net.op_info(k) names it: OpInfo)
    def op_info(self, k: int) -> tuple: ...
    # Read buf (exactly the tensor's bytes, 4-byte aligned; kept referenced) instead of a
    # constant tensor's bytes in the blob; None goes back to the blob's. Checked by the
    # operators reading it, now and at every invoke: ValueError if they refuse it.
    def set_const(self, tensor: int, buf: _Buffer | None) -> None: ...
    # The blob's sparse-update scheme: tuples in UPDATE_FIELDS order, () without one
    def update_scheme(self) -> tuple[tuple[int, bool, tuple[int, ...]], ...]: ...

def load(src: str | bytes | bytearray | memoryview, arena: bytearray | None = None) -> Net: ...

# Unsigned bytes (pixels 0..255) as int8 input bytes: each value minus 128, exact for a model
# whose input scale is 1/255 and zero point -128; into out (a new bytearray when None)
def from_u8(x: _Buffer | Sequence[int], out: bytearray | None = None) -> bytearray: ...

__version__: str
