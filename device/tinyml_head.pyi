"""Type stubs for the trainer's head (tinyml_head.py)."""

from array import array

from tinyml import Net
from tinyml_backbone import Backbone

NCM_MAX_EXAMPLES: int

class _Head:
    net: Net
    rows: int
    dim: int
    emb_scale: float
    emb_zp: int
    max_classes: int
    max_examples: int
    labels: list[str]
    n_examples: int
    fresh: bytearray  # per class: 1 while a new class has had no training
    seen: bytearray  # per class: 1 once it has had examples
    need: int  # bytes alloc() takes
    mem: int  # bytes allocated
    trains: bool
    def alloc(self) -> None: ...
    def attach(self) -> None: ...
    def detach(self) -> None: ...
    def embed(self, x: object) -> bytearray: ...
    def deq(self, q: bytes | bytearray | memoryview, off: int) -> list[float]: ...
    def unseen(self) -> list[int]: ...
    def add(self, q: bytearray, raw: bytes | None, y: int) -> None: ...
    def fit(self, epochs: int, verbose: bool = False) -> dict[str, float | int | None]: ...
    def scores(self, q: bytes | bytearray) -> array: ...
    # The head's part of an adapter's payload (tinyml_adapter documents the layout).
    @staticmethod
    def payload_size(n: int, dim: int) -> int: ...
    def payload(self) -> bytes: ...
    def load(self, p: memoryview, pos: int) -> int: ...

class Ncm(_Head):
    def __init__(self, net: Net, max_classes: int) -> None: ...

class FloatHead(_Head):
    lr: float
    momentum: float
    bb: Backbone | None
    unit: int  # bytes of a cached example: the embedding, or the input with a backbone
    gated: bool
    hit: bool  # the last sgd step's example was right before it
    def __init__(
        self,
        net: Net,
        max_classes: int,
        max_examples: int,
        lr: float,
        momentum: float,
        backbone: Backbone | None = None,
    ) -> None: ...
    def take(self, x: object, raw: bytes | None, y: int) -> list[float]: ...
    def sgd(self, e: list[float], y: int) -> float: ...
