"""Inputs that cannot be misread (issue 17, item 3), on the host simulator: NumPy arrays of any
float dtype and shape, and nested lists, are the same numbers as a flat float32 array; unsigned
bytes are refused with the message naming tinyml.from_u8, which maps pixel p to p - 128; a
wrong length names the shape wanted. The same rules on the boards: tests/device/api_check.py."""

from __future__ import annotations

from array import array

import numpy as np
import pytest

import tinyml
from runtimes import ROOT

KWS = ROOT / "models/kws/kws.bin"
SHAPE = " for shape (1, 49, 10, 1)"


@pytest.fixture(scope="module")
def net() -> tinyml.Net:
    return tinyml.load(str(KWS))


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return np.random.default_rng(17).normal(0, 20, (1, 49, 10, 1))


def test_numpy_float_dtypes_and_shapes(net: tinyml.Net, x: np.ndarray) -> None:
    want = net.predict_raw(x.astype(np.float32).ravel())
    assert net.predict_raw(x) == want  # float64, 4-D: NumPy's default
    assert net.predict_raw(x.reshape(49, 10)) == want
    assert net.predict_raw(x.ravel().tolist()) == want
    assert net.predict_raw(x.reshape(49, 10).tolist()) == want  # nested lists
    assert net.predict_raw(tuple(map(tuple, x.reshape(49, 10)))) == want
    h = x.astype(np.float16)
    assert net.predict_raw(h) == net.predict_raw(h.astype(np.float32))
    # float64 values are rounded to float32 first, as TFLite's float input would be
    assert net.predict(x) == net.predict(x.astype(np.float32))


def test_int8_stays_raw(net: tinyml.Net) -> None:
    q = np.random.default_rng(3).integers(-128, 128, 490, dtype=np.int8)
    want = net.predict_raw(q.tobytes())
    for variant in (q, q.reshape(1, 49, 10, 1), bytearray(q.tobytes()), array("b", q.tobytes()),
                    memoryview(q.tobytes())):
        assert net.predict_raw(variant) == want


@pytest.mark.parametrize("u8", [array("B", bytes(490)), np.zeros(490, np.uint8),
                                np.zeros((49, 10), np.uint8)], ids=["array", "numpy", "numpy2d"])
def test_unsigned_bytes_are_refused(net: tinyml.Net, u8: object) -> None:
    with pytest.raises(TypeError) as e:
        net.predict(u8)
    assert str(e.value) == "input is uint8: use tinyml.from_u8(x)"


def test_from_u8(net: tinyml.Net) -> None:
    pixels = np.arange(490, dtype=np.int64) % 256
    want = net.predict_raw((pixels - 128).astype(np.int8))
    for u8 in (pixels.astype(np.uint8), pixels.astype(np.uint8).reshape(49, 10),
               array("B", pixels.astype(np.uint8).tobytes()), pixels.tolist()):
        assert net.predict_raw(tinyml.from_u8(u8)) == want
    out = bytearray(4)
    assert tinyml.from_u8(bytes([0, 127, 128, 255]), out) is out
    assert out == bytes([0x80, 0xFF, 0x00, 0x7F])  # -128, -1, 0, 127


@pytest.mark.parametrize(("bad", "got"), [(np.zeros(100), 100), (np.zeros((8, 8)), 64),
                                          ([[0.0] * 8] * 8, 64), (bytes(100), 100)])
def test_wrong_length_names_the_shape(net: tinyml.Net, bad: object, got: int) -> None:
    with pytest.raises(ValueError) as e:
        net.predict(bad)
    assert str(e.value) == f"wrong input length: got {got} values, expected 490{SHAPE}"


def test_other_dtypes_are_refused(net: tinyml.Net) -> None:
    for bad in (np.zeros(490, np.int32), np.zeros(490, ">f8"), array("i", [0] * 490)):
        with pytest.raises(TypeError) as e:
            net.predict(bad)
        assert str(e.value) == ("input must be a bytes-like int8 buffer or a sequence of "
                                "numbers")
