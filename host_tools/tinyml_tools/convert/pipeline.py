"""`tinyml convert`: .tflite bytes in, blob bytes out."""

from __future__ import annotations

import struct
from pathlib import Path

from ..format.blob import Blob, write_blob
from .lower import lower
from .lowering import ConversionError
from .packing import pack_weights
from .tflite_reader import ModelFormatError, read_tflite


def convert_model(tflite: bytes, name: str, labels: list[str] | None = None,
                  rounding: str = "tflite", reuse_memory: bool = True,
                  weights: str = "int8") -> tuple[bytes, Blob]:
    """The blob for a .tflite model, its weights packed as `weights` says (packing.py).
    Raises ModelFormatError (not a readable .tflite) or ConversionError (cannot run on
    tinyml), never anything else, and never returns a blob that tinyml's loader would refuse:
    the C core validates it here, as the device will."""
    try:
        graph = read_tflite(tflite)
        blob = lower(graph, name, labels or [], rounding, reuse_memory)
        pack_weights(blob, weights)
        data = write_blob(blob)
    except (ModelFormatError, ConversionError):
        raise
    except (ValueError, struct.error, IndexError, KeyError, TypeError, ArithmeticError) as e:
        # Inconsistent fields that the reader could parse: shapes, options, indices.
        raise ConversionError(f"malformed model: {type(e).__name__}: {e}") from e
    from _tinyml import Model

    try:
        Model(data)
    except ValueError as e:
        raise ConversionError(
            f"tinyml's loader refuses the result ({e}): the model's shapes or parameters are "
            "outside what tinyml runs"
        ) from e
    return data, blob


def read_labels(path: Path) -> list[str]:
    return [s.strip() for s in path.read_text().splitlines() if s.strip()]
