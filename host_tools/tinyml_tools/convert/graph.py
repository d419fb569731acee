"""The converter's graph IR: a TFLite subgraph reduced to what lowering needs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy dtype name: "int8", "int32", "float32", ...
    scale: np.ndarray  # float32, one per tensor or per channel; empty if not quantized
    zero_point: np.ndarray  # int64, same length as scale
    quantized_dim: int = 0
    data: np.ndarray | None = None  # constant contents, or None for activations
    signature: tuple[int, ...] = ()  # shape with -1 for dynamic dimensions, if the file has it

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass
class Op:
    kind: str  # TFLite builtin name, e.g. "CONV_2D"
    inputs: list[int]  # tensor indices; -1 for an omitted optional input
    outputs: list[int]
    options: dict[str, object] = field(default_factory=dict)
    index: int = -1  # position in the .tflite graph, for messages


@dataclass
class Graph:
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    description: str = ""
