"""`tinyml convert`: .tflite bytes in, blob bytes out."""

from __future__ import annotations

from pathlib import Path

from .blob import Blob, write_blob
from .lower import lower
from .tflite_reader import read_tflite


def convert_model(tflite: bytes, name: str, labels: list[str] | None = None,
                  rounding: str = "tflite", reuse_memory: bool = True) -> tuple[bytes, Blob]:
    graph = read_tflite(tflite)
    blob = lower(graph, name, labels or [], rounding, reuse_memory)
    return write_blob(blob), blob


def read_labels(path: Path) -> list[str]:
    return [s.strip() for s in path.read_text().splitlines() if s.strip()]
