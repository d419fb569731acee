"""The C core's validator against corrupted blobs (through the host simulator): every blob it
accepts runs without crashing, and every rejection is a ValueError with a message."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

import tinyml
from runtimes import ROOT

BLOB = (ROOT / "models/kws/kws.bin").read_bytes()


def recrc(b: bytearray) -> bytes:
    struct.pack_into("<I", b, 12, zlib.crc32(bytes(b[16:])))
    return bytes(b)


def test_rejects_every_truncation_length() -> None:
    for n in range(0, len(BLOB), 97):
        with pytest.raises(ValueError):
            tinyml.load(BLOB[:n])


def _blob(name: str) -> bytes:
    if name == "kws":
        return BLOB
    from tinyml_tools.convert import convert_model

    return convert_model((ROOT / f"tests/models/keras/{name}.tflite").read_bytes(), name)[0]


# KWS, and models that between them use every kernel kind.
@pytest.mark.parametrize("name", ["kws", "activations", "tensor_ops", "se_block", "conv_zoo"])
def test_structured_mutations_with_valid_crc(name: str) -> None:
    """Mutate header and record fields (and the parameters, tables and maps after them) and
    fix the CRC so only the validator stands between the bytes and the kernels."""
    blob = _blob(name)
    rng = np.random.default_rng(7)
    data_off = struct.unpack_from("<I", blob, 52)[0]
    accepted = rejected = 0
    sizes = [int(np.prod(s)) for s in tinyml.load(blob).input_shapes]
    x = tuple(bytes(n) for n in sizes) if len(sizes) > 1 else bytes(sizes[0])
    for _ in range(3000):
        b = bytearray(blob)
        for _ in range(int(rng.integers(1, 4))):
            # header, records, meta, then parameters / tables / maps (and some weights)
            pos = int(rng.integers(16, min(len(blob), data_off + 2048)))
            b[pos] = int(rng.integers(0, 256))
        try:
            net = tinyml.load(recrc(b))
        except ValueError as e:
            assert str(e)
            rejected += 1
            continue
        accepted += 1
        net.predict_raw(x)  # must not crash, whatever it computes
    assert rejected > 100 and accepted > 100


def test_misaligned_blob_is_rejected() -> None:
    buf = bytearray(len(BLOB) + 1)
    buf[1:] = BLOB
    with pytest.raises(ValueError, match="buffer not 4-byte aligned"):
        tinyml.load(memoryview(buf)[1:])


def test_trainable_head_record() -> None:
    """Blob 1.1's head record (after the labels): the loader checks it against the operator it
    names; an unknown record tag is skipped."""
    from tinyml_tools.format.blob import read_blob

    blob = read_blob(BLOB)
    assert blob.version == (1, 2) and blob.head is not None
    k, scales = blob.head
    assert blob.ops[k].kind == "FULLY_CONNECTED" and len(scales) == 12
    head = tinyml.load(BLOB).head()._asdict()
    assert {n: head[n] for n in ["op", "embedding", "weights", "bias", "output", "rows",
                                 "cols"]} == dict(op=11, embedding=29, weights=30, bias=31,
                                                  output=32, rows=12, cols=64)
    assert head["scales"] == b"".join(struct.pack("<f", s) for s in scales)
    meta_off, meta_size = struct.unpack_from("<II", BLOB, 44)
    rec = meta_off + meta_size - (8 + 4 * 12)  # the record closes the metadata
    assert struct.unpack_from("<HHHH", BLOB, rec) == (1, 4 + 4 * 12, 11, 0)

    def patched(fmt: str, off: int, *v: float) -> bytes:
        b = bytearray(BLOB)
        struct.pack_into(fmt, b, rec + off, *v)
        return recrc(b)

    for fmt, off, value in [("<H", 4, 0),  # operator 0 is a CONV_2D
                            ("<H", 4, 13),  # no operator 13
                            ("<H", 2, 4 + 4 * 11),  # one scale short
                            ("<H", 2, 4 + 4 * 13),  # runs past the metadata
                            ("<H", 6, 1),  # reserved
                            ("<f", 8, float("nan")),
                            ("<f", 12, 0.0),
                            ("<f", 16, -0.5)]:
        with pytest.raises(ValueError, match=r"^invalid metadata$"):
            tinyml.load(patched(fmt, off, value))
    unknown = tinyml.load(patched("<H", 0, 7))  # a later minor version's record
    assert unknown._model.head() is None
    with pytest.raises(ValueError, match="^this model records no trainable head$"):
        unknown.embedding(bytes(490))
