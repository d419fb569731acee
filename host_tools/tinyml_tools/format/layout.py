"""The blob schema as the host uses it: record structs, codes, and named parameter words.

Everything here is derived from `schema` (generated from native_modules/tinyml/include/
tml_schema.def, which the C core compiles): no number of the format is written in this file.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import schema

MAGIC: bytes = schema.MAGIC
VERSION: tuple[int, int] = (schema.VERSION_MAJOR, schema.VERSION_MINOR)
HEADER_SIZE: int = schema.HEADER_SIZE
TENSOR_RECORD: int = schema.TENSOR_RECORD
OP_RECORD: int = schema.OP_RECORD
NONE: int = schema.NONE
DATA_ALIGN: int = schema.DATA_ALIGN
OP_MAX_INPUTS: int = schema.OP_MAX_INPUTS
OP_MAX_OUTPUTS: int = schema.OP_MAX_OUTPUTS

OP_CODES: dict[str, int] = {name: code for name, (code, _) in schema.OPS.items()}
OP_NAMES: dict[int, str] = {code: name for name, code in OP_CODES.items()}
DTYPE_CODES: dict[str, int] = {name: code for name, (code, _) in schema.DTYPES.items()}
DTYPE_NAMES: dict[int, str] = {code: name for name, code in DTYPE_CODES.items()}
DTYPE_SIZES: dict[str, int] = {name: size for name, (_, size) in schema.DTYPES.items()}
PACKING_CODES: dict[str, int] = {name.lower(): code for name, code in schema.PACKINGS.items()}
PACKING_NAMES: dict[int, str] = {code: name for name, code in PACKING_CODES.items()}
LOC_ARENA: int = schema.LOCATIONS["ARENA"]
LOC_CONST: int = schema.LOCATIONS["CONST"]
OP_FLAG_DOUBLE_ROUNDING: int = schema.OP_FLAGS["DOUBLE_ROUNDING"]
OP_FLAG_ROUND_AWAY: int = schema.OP_FLAGS["ROUND_AWAY"]
OP_FLAG_IN_PLACE: int = schema.OP_FLAGS["IN_PLACE"]
META_HEAD: int = schema.META_TAGS["HEAD"]
META_SPARSE: int = schema.META_TAGS["SPARSE"]

_STRUCT_CODES = {"U8": "B", "U16": "H", "U32": "I", "I32": "i", "F32": "f"}


class Record:
    """A fixed-size little-endian record (header, tensor, operator) packed and unpacked by
    field name. Array fields take and give sequences; reserved fields are written as zero."""

    def __init__(self, fields: Sequence[tuple[str, int, str, int]], size: int) -> None:
        fmt, pos = "<", 0
        for name, offset, typ, count in fields:
            if offset != pos:
                raise ValueError(f"schema: field {name} at {offset}, expected {pos}")
            code = f"{count}s" if typ == "CHAR" else _STRUCT_CODES[typ] * count
            fmt += code
            pos = offset + struct.calcsize("<" + code)
        self.struct = struct.Struct(fmt)
        if self.struct.size != size:
            raise ValueError(f"schema: record of {self.struct.size} bytes, expected {size}")
        self.fields = tuple((name, typ, count) for name, _, typ, count in fields)
        self.offsets = {name: offset for name, offset, _, _ in fields}
        self.size = size

    def pack(self, **values: Any) -> bytes:
        flat: list[Any] = []
        for name, typ, count in self.fields:
            if name.startswith("reserved"):
                v = values.pop(name, 0)
            elif name not in values:
                raise TypeError(f"record field {name!r} missing")
            else:
                v = values.pop(name)
            if count > 1 and typ != "CHAR":
                seq = list(v)
                if len(seq) != count:
                    raise ValueError(f"record field {name!r} takes {count} values")
                flat += seq
            else:
                flat.append(v)
        if values:
            raise TypeError(f"unknown record fields {sorted(values)}")
        return self.struct.pack(*flat)

    def unpack_from(self, buf: bytes | bytearray | memoryview, offset: int = 0) -> dict[str, Any]:
        flat = self.struct.unpack_from(buf, offset)
        out: dict[str, Any] = {}
        pos = 0
        for name, typ, count in self.fields:
            n = 1 if typ == "CHAR" else count
            out[name] = flat[pos] if n == 1 else tuple(flat[pos : pos + n])
            pos += n
        return out


HEADER = Record(schema.HEADER, HEADER_SIZE)
TENSOR = Record(schema.TENSOR, TENSOR_RECORD)
OP = Record(schema.OP, OP_RECORD)


# ---- parameter words ----


@dataclass(frozen=True)
class ArrayRef:
    """A parameter word that holds the data-section offset of an op's constant array
    (`BOp.arrays[index]`); the writer places the array and puts its offset there."""

    index: int


@dataclass(frozen=True)
class Word:
    name: str  # the schema's field name, lower case (an OFFSET field keeps its "_off")
    type: str  # "INT" or "OFFSET"
    count: int

    @property
    def key(self) -> str:
        """The builder's keyword: an OFFSET field takes the array itself, named without
        "_off" (mult_off -> mult)."""
        return self.name[: -len("_off")] if self.type == "OFFSET" else self.name


def _layout_words(layout: str) -> tuple[Word, ...]:
    base, own = schema.LAYOUTS[layout]
    inherited = _layout_words(base) if base != "NONE" else ()
    return inherited + tuple(Word(n, t, c) for n, t, c in own)


WORDS: dict[str, tuple[Word, ...]] = {
    kind: _layout_words(layout) for kind, (_, layout) in schema.OPS.items()
}
"""Each operator kind's parameter words, in blob order."""


def word_count(kind: str) -> int:
    return sum(w.count for w in WORDS[kind])


def build_params(kind: str, **values: Any) -> tuple[list[int | ArrayRef], list[np.ndarray]]:
    """An operator's parameter words, by name, in the schema's order: every field exactly
    once (a 4-word field takes 4 values; an OFFSET field takes the array the word points
    at). Returns (words, arrays) for BOp.params and BOp.arrays."""
    words: list[int | ArrayRef] = []
    arrays: list[np.ndarray] = []
    for w in WORDS[kind]:
        if w.key not in values:
            raise TypeError(f"{kind}: parameter {w.key!r} missing")
        v = values.pop(w.key)
        if w.type == "OFFSET":
            words.append(ArrayRef(len(arrays)))
            arrays.append(np.asarray(v))
        elif w.count > 1:
            seq = [int(x) for x in v]
            if len(seq) != w.count:
                raise ValueError(f"{kind}: parameter {w.key!r} takes {w.count} values")
            words += seq
        else:
            words.append(int(v))
    if values:
        raise TypeError(f"{kind}: unknown parameters {sorted(values)}")
    return words, arrays


def read_params(kind: str, words: Sequence[int | ArrayRef]) -> dict[str, Any]:
    """An operator's parameter words by name (4-word fields as tuples; OFFSET fields under
    their schema name, e.g. "mult_off", holding the word: a data offset or an ArrayRef)."""
    if len(words) != word_count(kind):
        raise ValueError(f"{kind}: {len(words)} parameter words, the schema has "
                         f"{word_count(kind)}")
    out: dict[str, Any] = {}
    pos = 0
    for w in WORDS[kind]:
        out[w.name] = words[pos] if w.count == 1 else tuple(words[pos : pos + w.count])
        pos += w.count
    return out

