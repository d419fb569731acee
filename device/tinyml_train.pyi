"""Type stubs for on-device learning: the Trainer that Net.trainer() returns (docs/training.md)."""

from array import array
from collections.abc import Callable, Sequence

from tinyml import Net
from tinyml_backbone import Backbone
from tinyml_head import FloatHead, Ncm

_Input = bytes | bytearray | memoryview | array | Sequence[float]

class Trainer:
    """Learns on top of a Net; also the form a loaded adapter takes."""

    net: Net
    mode: str  # "ncm", "head", "bias" or "sparse"
    lr: float
    momentum: float
    rows: int  # the model's own classes
    dim: int  # the embedding's size
    max_classes: int
    max_examples: int  # 0 in ncm mode
    layers: int
    head: Ncm | FloatHead
    backbone: Backbone | None  # bias and sparse: the updated layers below the head
    @property
    def labels(self) -> list[str]: ...
    @property
    def n_examples(self) -> int: ...
    def __init__(
        self,
        net: Net,
        mode: str = "head",
        lr: float = 0.5,
        momentum: float = 0.0,
        max_examples: int = 64,
        ram_budget: int | None = None,
        max_classes: int | None = None,
        layers: int = 2,
    ) -> None: ...
    def add_class(self, name: str) -> int: ...
    def add_example(self, x: _Input, label: int | str) -> None: ...
    def step(self, x: _Input, label: int | str) -> float: ...  # the loss before the step
    # {"loss", "accuracy"} over the cached examples; ncm: {"loss": None, ..., "examples"}
    # verbose: print "epoch k/n: loss L, accuracy A" after each epoch
    def fit(self, epochs: int = 30, verbose: bool = False) -> dict[str, float | int | None]: ...
    def scores(self, q: bytes | bytearray) -> array: ...  # for an int8 embedding
    def evaluate(self, xs: Sequence[_Input], labels: Sequence[int | str]) -> float: ...
    def save(self, path: str, fault: Callable[[str], None] | None = None) -> int: ...
    def ram_needed(self) -> int: ...  # the bound checked before allocating
    def mem_info(self) -> int: ...  # bytes held in buffers, exactly
    def attach(self) -> None: ...  # Net.set_adapter calls these
    def detach(self) -> None: ...

def load_adapter(net: Net, data: bytes | bytearray | memoryview) -> Trainer: ...
