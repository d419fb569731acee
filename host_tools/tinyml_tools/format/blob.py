"""The tinyml blob format, version 1: the single writer, and a reader for inspection and tests.

The numbers of the format come from the schema (layout.py over the generated schema.py, from
native_modules/tinyml/include/tml_schema.def); docs/blob-format.md explains them. The C core's
loader (native_modules/tinyml/src/validate.c and metadata.c) validates what this module
writes. All integers are little-endian.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .layout import (
    DATA_ALIGN,
    DTYPE_CODES,
    DTYPE_NAMES,
    DTYPE_SIZES,
    HEADER,
    HEADER_SIZE,
    LOC_ARENA,
    LOC_CONST,
    MAGIC,
    META_HEAD,
    META_SPARSE,
    NONE,
    OP,
    OP_CODES,
    OP_FLAG_DOUBLE_ROUNDING,
    OP_FLAG_IN_PLACE,
    OP_FLAG_ROUND_AWAY,
    OP_MAX_INPUTS,
    OP_MAX_OUTPUTS,
    OP_NAMES,
    OP_RECORD,
    PACKING_CODES,
    PACKING_NAMES,
    TENSOR,
    TENSOR_RECORD,
    VERSION,
    ArrayRef,
    build_params,
    read_params,
)

__all__ = [
    "DATA_ALIGN", "DTYPE_CODES", "DTYPE_NAMES", "DTYPE_SIZES", "HEADER_SIZE", "LOC_ARENA",
    "LOC_CONST", "MAGIC", "META_HEAD", "META_SPARSE", "NONE", "OP_CODES",
    "OP_FLAG_DOUBLE_ROUNDING", "OP_FLAG_IN_PLACE", "OP_FLAG_ROUND_AWAY", "OP_NAMES",
    "OP_RECORD", "PACKING_CODES", "TENSOR_RECORD", "VERSION", "ArrayRef", "BTensor", "BOp", "Blob",
    "BlobFormatError", "find_head", "pack_dual16", "read_blob", "unpack_dual16", "write_blob",
]


class BlobFormatError(ValueError):
    """A blob that this reader cannot parse."""


# DUAL16 (1.2): the order of a group of four int8 weights as stored (w0 w2 w1 w3), the pairs
# a dual 16-bit multiply-accumulate takes against a widened input word.
_DUAL16_ORDER = (0, 2, 1, 3)


def pack_dual16(values: np.ndarray) -> bytes:
    """int8 values (rows along the last axis) stored DUAL16: each row zero-padded to a multiple
    of 4, each group of four as little-endian int16 in the order w0 w2 w1 w3."""
    v = np.asarray(values).astype(np.int16)
    rows = v.reshape(-1, v.shape[-1])
    pad = -rows.shape[1] % 4
    groups = np.pad(rows, ((0, 0), (0, pad))).reshape(rows.shape[0], -1, 4)
    return groups[:, :, _DUAL16_ORDER].astype("<i2").tobytes()


def unpack_dual16(data: bytes, shape: tuple[int, ...]) -> np.ndarray:
    """The int8 values of a DUAL16 tensor of the given (logical) shape."""
    last = shape[-1]
    groups = np.frombuffer(data, "<i2").reshape(-1, (last + 3) // 4, 4)
    rows = np.empty_like(groups)
    rows[:, :, _DUAL16_ORDER] = groups
    return rows.reshape(groups.shape[0], -1)[:, :last].astype(np.int8).reshape(shape)


@dataclass
class BTensor:
    name: str
    dtype: str
    shape: tuple[int, ...]
    scale: float = 0.0
    zero_point: int = 0
    const: bytes | None = None  # constant contents as stored; None for arena tensors
    offset: int = -1  # arena offset (arena tensors) or data-section offset (after writing)
    packing: str = "plain"  # how a constant is stored: "plain" or "dual16" (PACKING_CODES)

    @property
    def nbytes(self) -> int:
        """Bytes as stored."""
        if self.packing == "dual16":
            rows = int(np.prod(self.shape[:-1], dtype=np.int64))
            return rows * ((self.shape[-1] + 3) // 4) * 4 * 2
        return int(np.prod(self.shape, dtype=np.int64)) * DTYPE_SIZES[self.dtype]

    def values(self) -> np.ndarray:
        """A constant's values in its logical shape and dtype, whatever its packing."""
        if self.const is None:
            raise ValueError(f"tensor {self.name} is not a constant")
        if self.packing == "dual16":
            return unpack_dual16(self.const, self.shape)
        dt = np.int8 if self.dtype == "int8" else np.dtype("<i4")
        return np.frombuffer(self.const, dt).reshape(self.shape)


@dataclass
class BOp:
    kind: str
    inputs: list[int]  # -1 for an omitted optional input
    outputs: list[int]
    params: list[int | ArrayRef] = field(default_factory=list)
    arrays: list[np.ndarray] = field(default_factory=list)  # int32/int8 arrays named by ArrayRef
    scratch: tuple[int, int] = (0, 0)  # (arena offset, bytes)
    flags: int = 0  # OP_FLAG_*
    # FULLY_CONNECTED with symmetric weights: real weight[r] = weight_scales[r] * int8
    weight_scales: tuple[float, ...] = ()

    @classmethod
    def build(cls, kind: str, inputs: list[int], outputs: list[int],
              weight_scales: tuple[float, ...] = (), **params: Any) -> BOp:
        """An operator with its parameter words given by name (the schema's field names;
        an array-offset field takes the array: `mult=...` for MULT_OFF)."""
        words, arrays = build_params(kind, **params)
        return cls(kind, inputs, outputs, words, arrays, weight_scales=weight_scales)

    @property
    def p(self) -> dict[str, Any]:
        """The parameter words by the schema's field names."""
        return read_params(self.kind, self.params)


@dataclass
class Blob:
    name: str
    labels: list[str]
    tensors: list[BTensor]
    ops: list[BOp]
    inputs: list[int]
    outputs: list[int]
    arena_size: int
    flags: int = 0
    version: tuple[int, int] = VERSION
    # The trainable head (1.1): (index of the last FULLY_CONNECTED, float32 scale per row)
    head: tuple[int, tuple[float, ...]] | None = None
    # The sparse-update scheme (1.1): which parameters on-device training updates, per entry
    # (operator index, bias updated, channels: indices into the weights' last dimension)
    sparse_update: tuple[tuple[int, bool, tuple[int, ...]], ...] = ()


# The CRC covers the blob from the header's flags field on (magic, version, size and the CRC
# itself are checked apart).
_CRC_START = HEADER.offsets["flags"]


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


SPARSE_KINDS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def find_head(ops: list[BOp], tensors: list[BTensor]) -> tuple[int, tuple[float, ...]] | None:
    """The model's last FULLY_CONNECTED, if it can be the trainable head of a classifier:
    symmetric int8 weights (scales recorded), a batch of one, at most 255 classes (a wider
    layer, e.g. an autoencoder's output, is not recorded: its scales would only cost flash)."""
    for k in range(len(ops) - 1, -1, -1):
        op = ops[k]
        if op.kind == "FULLY_CONNECTED":
            rows, cols = tensors[op.inputs[1]].shape
            if (not op.weight_scales or rows > 255 or tensors[op.inputs[0]].nbytes != cols
                    or tensors[op.inputs[1]].packing != "plain"
                    or not all(0.0 < s < float("inf") for s in op.weight_scales)):
                return None
            scales = op.weight_scales
            return k, (scales * rows if len(scales) == 1 else scales)
    return None


def _head_bytes(head: tuple[int, tuple[float, ...]] | None) -> bytes:
    if head is None:
        return b""
    k, scales = head
    payload = struct.pack(f"<HH{len(scales)}f", k, 0, *scales)
    return struct.pack("<HH", META_HEAD, len(payload)) + payload


def _sparse_bytes(blob: Blob) -> bytes:
    """The sparse-update scheme record, checked as the C loader checks it."""
    if not blob.sparse_update:
        return b""
    payload = bytearray(struct.pack("<HH", len(blob.sparse_update), 0))
    prev = -1
    for k, bias, channels in blob.sparse_update:
        if not prev < k < len(blob.ops):
            raise ValueError(f"sparse update: operator {k} out of range or not increasing")
        op = blob.ops[k]
        if op.kind not in SPARSE_KINDS:
            raise ValueError(f"sparse update: operator {k} is a {op.kind}, not one of "
                             f"{', '.join(SPARSE_KINDS)}")
        w = blob.tensors[op.inputs[1]]
        if w.dtype != "int8" or w.const is None or w.packing != "plain":
            raise ValueError(f"sparse update: operator {k}'s weights are not plain int8 "
                             "constants")
        if bias and (len(op.inputs) < 3 or op.inputs[2] < 0):
            raise ValueError(f"sparse update: operator {k} has no bias")
        if not bias and not channels:
            raise ValueError(f"sparse update: operator {k} updates nothing")
        if list(channels) != sorted(set(channels)) or any(
                not 0 <= c < w.shape[-1] for c in channels):
            raise ValueError(f"sparse update: operator {k}'s channels must be strictly "
                             f"increasing and below {w.shape[-1]}")
        payload += struct.pack(f"<HHHH{len(channels)}H", k, int(bool(bias)), len(channels), 0,
                               *channels)
        payload += b"\0\0" * (len(channels) % 2)
        prev = k
    if len(payload) > 0xFFFF:
        raise ValueError(f"sparse update: the scheme takes {len(payload)} bytes, at most 65535")
    return struct.pack("<HH", META_SPARSE, len(payload)) + bytes(payload)


def _read_sparse(p: bytes) -> tuple[tuple[int, bool, tuple[int, ...]], ...]:
    (n,) = struct.unpack_from("<H", p, 0)
    pos, out = 4, []
    for _ in range(n):
        k, flags, n_ch, _r = struct.unpack_from("<HHHH", p, pos)
        out.append((k, bool(flags & 1), struct.unpack_from(f"<{n_ch}H", p, pos + 8)))
        pos += 8 + 2 * (n_ch + n_ch % 2)
    return tuple(out)


def _meta_bytes(name: str, labels: list[str]) -> bytes:
    out = bytearray()
    for s in [name]:
        b = s.encode()
        out += struct.pack("<H", len(b)) + b
    out += struct.pack("<H", len(labels))
    for s in labels:
        b = s.encode()
        if len(b) > 0xFFFF:
            raise ValueError("label too long")
        out += struct.pack("<H", len(b)) + b
    return bytes(out)


def _array_bytes(a: np.ndarray) -> bytes:
    """int8 arrays (tables) as bytes; everything else as little-endian int32."""
    a = np.asarray(a)
    return a.tobytes() if a.dtype == np.int8 else a.astype("<i4").tobytes()


def write_blob(blob: Blob) -> bytes:
    """Serialise a planned model. Arena offsets must already be set on arena tensors."""
    data = bytearray()

    def put(b: bytes, align: int = DATA_ALIGN) -> int:
        data.extend(b"\0" * (_align(len(data), align) - len(data)))
        off = len(data)
        data.extend(b)
        return off

    t_offsets = []
    for t in blob.tensors:
        if t.const is not None:
            if len(t.const) != t.nbytes:
                raise ValueError(f"tensor {t.name}: {len(t.const)} bytes for shape {t.shape}")
            t_offsets.append(put(t.const))
        else:
            if t.offset < 0:
                raise ValueError(f"tensor {t.name} has no arena offset")
            t_offsets.append(t.offset)
    op_params: list[tuple[int, int]] = []
    for op in blob.ops:
        arr_offs = [put(_array_bytes(a), 4) for a in op.arrays]
        words = [arr_offs[w.index] if isinstance(w, ArrayRef) else int(w) for w in op.params]
        p = struct.pack(f"<{len(words)}i", *words)
        op_params.append((put(p, 4) if words else 0, len(p)))

    tensors = bytearray()
    for t, off in zip(blob.tensors, t_offsets, strict=True):
        dims = list(t.shape) + [0] * (4 - len(t.shape))
        if not 1 <= len(t.shape) <= 4 or any(not 0 < d <= 0xFFFF for d in t.shape):
            raise ValueError(f"tensor {t.name}: shape {t.shape} not representable")
        tensors += TENSOR.pack(
            dtype=DTYPE_CODES[t.dtype], rank=len(t.shape),
            location=LOC_CONST if t.const is not None else LOC_ARENA,
            packing=PACKING_CODES[t.packing], dims=dims, offset=off,
            size=t.nbytes, scale=float(t.scale), zero_point=int(t.zero_point),
        )
    ops = bytearray()
    for op, (p_off, p_size) in zip(blob.ops, op_params, strict=True):
        ins = [NONE if i < 0 else i for i in op.inputs]
        ops += OP.pack(
            kind=OP_CODES[op.kind], n_in=len(op.inputs), n_out=len(op.outputs), flags=op.flags,
            inputs=ins + [NONE] * (OP_MAX_INPUTS - len(ins)),
            outputs=list(op.outputs) + [NONE] * (OP_MAX_OUTPUTS - len(op.outputs)),
            params_off=p_off, params_size=p_size, scratch_off=op.scratch[0],
            scratch_size=op.scratch[1],
        )
    io = struct.pack(f"<{len(blob.inputs) + len(blob.outputs)}H", *blob.inputs, *blob.outputs)
    meta = _meta_bytes(blob.name, blob.labels) + _head_bytes(blob.head) + _sparse_bytes(blob)

    t_off = HEADER_SIZE
    o_off = t_off + len(tensors)
    io_off = o_off + len(ops)
    meta_off = _align(io_off + len(io), 4)
    data_off = _align(meta_off + len(meta), DATA_ALIGN)
    total = _align(data_off + len(data), 4)
    body = bytearray(total)
    body[t_off:o_off] = tensors
    body[o_off:io_off] = ops
    body[io_off : io_off + len(io)] = io
    body[meta_off : meta_off + len(meta)] = meta
    body[data_off : data_off + len(data)] = data
    header = dict(
        magic=MAGIC, major=blob.version[0], minor=blob.version[1], total_size=total, crc=0,
        flags=blob.flags, arena_size=blob.arena_size, n_tensors=len(blob.tensors),
        n_ops=len(blob.ops), n_inputs=len(blob.inputs), n_outputs=len(blob.outputs),
        tensors_off=t_off, ops_off=o_off, io_off=io_off, meta_off=meta_off,
        meta_size=len(meta), data_off=data_off, data_size=len(data),
    )
    body[:HEADER_SIZE] = HEADER.pack(**header)
    struct.pack_into("<I", body, HEADER.offsets["crc"], zlib.crc32(bytes(body[_CRC_START:])))
    return bytes(body)


def read_blob(buf: bytes) -> Blob:
    """Parse a blob (checking magic, version, size and CRC) back into a Blob."""
    if len(buf) < HEADER_SIZE:
        raise BlobFormatError("truncated: shorter than a blob header")
    h = HEADER.unpack_from(buf, 0)
    major, minor, total = h["major"], h["minor"], h["total_size"]
    if h["magic"] != MAGIC:
        raise BlobFormatError("bad magic: not a tinyml blob")
    if major != VERSION[0]:
        raise BlobFormatError(f"unsupported blob version {major}.{minor}")
    if total > len(buf):
        raise BlobFormatError(f"truncated: blob header says {total} bytes, got {len(buf)}")
    if zlib.crc32(buf[_CRC_START:total]) != h["crc"]:
        raise BlobFormatError("CRC mismatch: blob corrupted")
    data = buf[h["data_off"] : h["data_off"] + h["data_size"]]
    tensors = []
    for i in range(h["n_tensors"]):
        t = TENSOR.unpack_from(buf, h["tensors_off"] + i * TENSOR_RECORD)
        dtype = DTYPE_NAMES.get(t["dtype"], f"dtype{t['dtype']}")
        off = t["offset"]
        const = bytes(data[off : off + t["size"]]) if t["location"] == LOC_CONST else None
        tensors.append(BTensor(f"t{i}", dtype, t["dims"][: t["rank"]], t["scale"],
                               t["zero_point"], const, off,
                               PACKING_NAMES.get(t["packing"], f"packing{t['packing']}")))
    ops = []
    for k in range(h["n_ops"]):
        r = OP.unpack_from(buf, h["ops_off"] + k * OP_RECORD)
        ins = [-1 if i == NONE else i for i in r["inputs"][: r["n_in"]]]
        outs = list(r["outputs"][: r["n_out"]])
        p_off, p_size = r["params_off"], r["params_size"]
        params = list(struct.unpack_from(f"<{p_size // 4}i", data, p_off)) if p_size else []
        ops.append(BOp(OP_NAMES.get(r["kind"], f"op{r['kind']}"), ins, outs, params, [],
                       (r["scratch_off"], r["scratch_size"]), r["flags"]))
    n_in, n_out = h["n_inputs"], h["n_outputs"]
    io = struct.unpack_from(f"<{n_in + n_out}H", buf, h["io_off"])
    meta = buf[h["meta_off"] : h["meta_off"] + h["meta_size"]]
    pos = 0
    (nlen,) = struct.unpack_from("<H", meta, pos)
    name = bytes(meta[2 : 2 + nlen]).decode()
    pos = 2 + nlen
    (nlab,) = struct.unpack_from("<H", meta, pos)
    pos += 2
    labels = []
    for _ in range(nlab):
        (ln,) = struct.unpack_from("<H", meta, pos)
        labels.append(bytes(meta[pos + 2 : pos + 2 + ln]).decode())
        pos += 2 + ln
    head = None
    sparse: tuple[tuple[int, bool, tuple[int, ...]], ...] = ()
    while pos + 4 <= len(meta):
        tag, ln = struct.unpack_from("<HH", meta, pos)
        if tag == 0:
            break
        if tag == META_HEAD:
            (k,) = struct.unpack_from("<H", meta, pos + 4)
            head = (k, struct.unpack_from(f"<{(ln - 4) // 4}f", meta, pos + 8))
        elif tag == META_SPARSE:
            sparse = _read_sparse(bytes(meta[pos + 4 : pos + 4 + ln]))
        pos += 4 + ln
    return Blob(name, labels, tensors, ops, list(io[:n_in]), list(io[n_in:]), h["arena_size"],
                h["flags"], (major, minor), head, sparse)
