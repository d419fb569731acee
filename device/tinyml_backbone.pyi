"""Type stubs for the layers below the head (tinyml_backbone.py): bias and sparse modes, and
the rules `tinyml convert --sparse-update` asks the device code for."""

from array import array
from collections.abc import Callable, Sequence

from tinyml import Net

CHUNK: int
SUPPORTED: tuple[str, ...]
_Update = tuple[int, bool, tuple[int, ...]]  # (operator, bias updated, weight channels)

def qas_bias(b: array, res: array, i: int, delta: float, lim: int) -> None: ...
def qas_weight(w: bytearray, i: int, delta: float, u: float) -> None: ...
def below_head(net: Net) -> list[tuple[int, int, tuple[int, ...], int]]: ...
def bias_updates(net: Net, n: int) -> list[_Update]: ...
def chain(net: Net, lowest: int) -> list[int]: ...
def candidates(net: Net) -> list[_Update]: ...
def ram_needed(net: Net, updates: Sequence[_Update]) -> int: ...

class Kinds:
    conv: int
    dw: int
    fc: int
    avg: int
    reshape: int
    weighted: tuple[int, ...]
    all: tuple[int, ...]
    def __init__(self, net: Net) -> None: ...

class Layer:
    k: int  # operator index
    kind: int
    x: int  # input tensor
    y: int  # output tensor
    P: int  # positions
    cout: int
    cin: int
    chans: tuple[int, ...]
    upd_bias: bool
    down: bool  # passes the gradient to its input
    bias: array | None  # int32 copy (updated bias)
    res: array | None  # float32 carries
    wq: bytearray | None  # int8 weight copy
    lsb_b: list[float]
    lsb_w: list[float]
    lim: int  # the bias bound (op_info's bias_limit)
    def __init__(self, net: Net, k: int, kinds: Kinds) -> None: ...

class Backbone:
    net: Net
    layers: list[Layer]  # from the lowest updated one up to the head
    updated: list[Layer]  # in the updates' order
    need: int  # bytes alloc() takes
    ga: array
    gb: array
    def __init__(self, net: Net, updates: Sequence[_Update]) -> None: ...
    def alloc(self) -> None: ...
    def params(self) -> bytearray: ...
    def set_params(self, p: memoryview, pos: int) -> int: ...
    def attach(self) -> None: ...
    def detach(self) -> None: ...
    def forward(self, raw: bytes | memoryview) -> bytearray: ...
    def backward(self, eta: float, rng: Callable[[], float]) -> None: ...
