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
