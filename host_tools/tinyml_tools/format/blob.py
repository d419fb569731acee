"""The tinyml blob format, version 1: the single writer, and a reader for inspection and tests.

docs/blob-format.md is normative; the C reader (native_modules/tinyml/src/model.c) validates
what this module writes. All integers are little-endian.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"TMLB"
VERSION = (1, 1)
HEADER_SIZE = 64
TENSOR_RECORD = 32
OP_RECORD = 32
NONE = 0xFFFF
DATA_ALIGN = 16
OP_FLAG_DOUBLE_ROUNDING = 1
OP_FLAG_ROUND_AWAY = 2
OP_FLAG_IN_PLACE = 4

OP_CODES = {
    "CONV_2D": 1,
    "DEPTHWISE_CONV_2D": 2,
    "FULLY_CONNECTED": 3,
    "AVERAGE_POOL_2D": 4,
    "RESHAPE": 5,
    "SOFTMAX": 6,
    "ADD": 7,
    "MUL": 8,
    "MINIMUM": 9,
    "MAXIMUM": 10,
    "MAX_POOL_2D": 11,
    "LUT": 12,
    "CONCAT": 13,
    "PAD": 14,
    "STRIDED_COPY": 15,
    "RESIZE_NEAREST": 16,
    "PRELU": 17,
    "MEAN": 18,
}
OP_NAMES = {v: k for k, v in OP_CODES.items()}
DTYPE_CODES = {"int8": 1, "int32": 2}
DTYPE_NAMES = {v: k for k, v in DTYPE_CODES.items()}
DTYPE_SIZES = {"int8": 1, "int32": 4}
LOC_ARENA, LOC_CONST = 0, 1

_HEADER = struct.Struct("<4sHHIIIIHHHHIIIIIIII")
_TENSOR = struct.Struct("<BBBB4HIIfiI")
_OP = struct.Struct("<BBBB4H2HIIII")
assert _HEADER.size == HEADER_SIZE and _TENSOR.size == TENSOR_RECORD and _OP.size == OP_RECORD


class BlobFormatError(ValueError):
    """A blob that this reader cannot parse."""


@dataclass
class ArrayRef:
    """A parameter word that holds the data-section offset of an op's constant int32 array."""

    index: int


@dataclass
class BTensor:
    name: str
    dtype: str
    shape: tuple[int, ...]
    scale: float = 0.0
    zero_point: int = 0
    const: bytes | None = None  # constant contents; None for arena tensors
    offset: int = -1  # arena offset (arena tensors) or data-section offset (after writing)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * DTYPE_SIZES[self.dtype]


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


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


META_HEAD = 1  # metadata record tag: the trainable head
META_SPARSE = 2  # metadata record tag: the sparse-update scheme
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
        if w.dtype != "int8" or w.const is None:
            raise ValueError(f"sparse update: operator {k}'s weights are not int8 constants")
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
        loc = LOC_CONST if t.const is not None else LOC_ARENA
        tensors += _TENSOR.pack(
            DTYPE_CODES[t.dtype], len(t.shape), loc, 0, *dims, off, t.nbytes,
            float(t.scale), int(t.zero_point), 0,
        )
    ops = bytearray()
    for op, (p_off, p_size) in zip(blob.ops, op_params, strict=True):
        ins = [NONE if i < 0 else i for i in op.inputs] + [NONE] * (4 - len(op.inputs))
        outs = list(op.outputs) + [NONE] * (2 - len(op.outputs))
        ops += _OP.pack(
            OP_CODES[op.kind], len(op.inputs), len(op.outputs), op.flags, *ins, *outs,
            p_off, p_size, *op.scratch,
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
    header = _HEADER.pack(
        MAGIC, blob.version[0], blob.version[1], total, 0, blob.flags, blob.arena_size,
        len(blob.tensors), len(blob.ops), len(blob.inputs), len(blob.outputs),
        t_off, o_off, io_off, meta_off, len(meta), data_off, len(data), 0,
    )
    body[:HEADER_SIZE] = header
    crc = zlib.crc32(bytes(body[16:]))
    struct.pack_into("<I", body, 12, crc)
    return bytes(body)


def read_blob(buf: bytes) -> Blob:
    """Parse a blob (checking magic, version, size and CRC) back into a Blob."""
    if len(buf) < HEADER_SIZE:
        raise BlobFormatError("truncated: shorter than a blob header")
    h = _HEADER.unpack_from(buf, 0)
    (magic, major, minor, total, crc, flags, arena, n_t, n_o, n_in, n_out,
     t_off, o_off, io_off, meta_off, meta_size, data_off, data_size, _res) = h
    if magic != MAGIC:
        raise BlobFormatError("bad magic: not a tinyml blob")
    if major != VERSION[0]:
        raise BlobFormatError(f"unsupported blob version {major}.{minor}")
    if total > len(buf):
        raise BlobFormatError(f"truncated: blob header says {total} bytes, got {len(buf)}")
    if zlib.crc32(buf[16:total]) != crc:
        raise BlobFormatError("CRC mismatch: blob corrupted")
    data = buf[data_off : data_off + data_size]
    tensors = []
    for i in range(n_t):
        f = _TENSOR.unpack_from(buf, t_off + i * TENSOR_RECORD)
        dtype_c, rank, loc, _r, d0, d1, d2, d3, off, size, scale, zp, _r2 = f
        dtype = DTYPE_NAMES.get(dtype_c, f"dtype{dtype_c}")
        shape = tuple([d0, d1, d2, d3][:rank])
        const = bytes(data[off : off + size]) if loc == LOC_CONST else None
        tensors.append(BTensor(f"t{i}", dtype, shape, scale, zp, const, off))
    ops = []
    for k in range(n_o):
        f = _OP.unpack_from(buf, o_off + k * OP_RECORD)
        kind, nin, nout, oflags, i0, i1, i2, i3, o0, o1, p_off, p_size, s_off, s_size = f
        ins = [-1 if i == NONE else i for i in (i0, i1, i2, i3)[:nin]]
        outs = [o for o in (o0, o1)[:nout]]
        params = list(struct.unpack_from(f"<{p_size // 4}i", data, p_off)) if p_size else []
        ops.append(BOp(OP_NAMES.get(kind, f"op{kind}"), ins, outs, params, [], (s_off, s_size),
                       oflags))
    io = struct.unpack_from(f"<{n_in + n_out}H", buf, io_off)
    meta = buf[meta_off : meta_off + meta_size]
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
    return Blob(name, labels, tensors, ops, list(io[:n_in]), list(io[n_in:]), arena, flags,
                (major, minor), head, sparse)
