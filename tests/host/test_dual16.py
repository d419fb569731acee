"""Blob 1.2's DUAL16 weight packing (docs/blob-format.md): the converter packs the hidden
FULLY_CONNECTED layers of `--weights dual16`, the host simulator gives TFLite's bytes from the
packed blob, and the C loader refuses every packing it cannot run, with its message."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from opcheck import random_inputs, reference, tinyml
from tflite_builder import ModelBuilder, two_layer_mlp

from tinyml_tools.convert import convert_model, pack_weights
from tinyml_tools.convert.packing import dual16_layers
from tinyml_tools.format.blob import (
    PACKING_CODES,
    Blob,
    pack_dual16,
    read_blob,
    unpack_dual16,
    write_blob,
)
from tinyml_tools.format.layout import OP_FLAG_IN_PLACE, TENSOR
from tinyml_tools.format.schema import DUAL16_MAX_ROW

MODELS = Path(__file__).resolve().parents[1] / "models/keras"


def _packed(tfl: bytes) -> Blob:
    _, blob = convert_model(tfl, "mlp", weights="dual16")
    return blob


@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (5, 7), (2, 3, 9), (16, 640)])
def test_pack_dual16_round_trip_and_order(shape: tuple[int, ...]) -> None:
    v = np.random.default_rng(len(shape)).integers(-128, 128, shape).astype(np.int8)
    data = pack_dual16(v)
    rows, last = int(np.prod(shape[:-1])), shape[-1]
    assert len(data) == rows * ((last + 3) // 4) * 8
    stored = np.frombuffer(data, "<i2").reshape(rows, -1, 4)
    first = v.reshape(rows, last)
    want = [first[0, i] if i < last else 0 for i in (0, 2, 1, 3)]
    assert stored[0, 0].tolist() == want  # w0 w2 w1 w3, the padding 0
    assert (unpack_dual16(data, shape) == v).all()


def test_dual16_packs_the_hidden_layer_and_keeps_tflite_bytes() -> None:
    tfl = two_layer_mlp()
    plain, _ = convert_model(tfl, "mlp")
    blob = _packed(tfl)
    assert blob.head is not None and blob.head[0] == 1
    assert dual16_layers(blob) == []  # already packed: nothing left to choose
    w0, w1 = (blob.tensors[op.inputs[1]] for op in blob.ops)
    assert (w0.packing, w1.packing) == ("dual16", "plain")  # the head stays int8 for learning
    assert w0.nbytes == 19 * 24 * 2
    data = write_blob(blob)
    assert read_blob(data).version == (1, 2)
    assert len(data) - len(plain) == 19 * 24 * 2 - 432  # 19 x 22 bytes, 16-aligned: 432
    for xs in random_inputs(tfl, np.random.default_rng(3), 4):
        assert tinyml(data, xs) == reference(tfl, xs) == tinyml(plain, xs)


@pytest.mark.parametrize("batch", [2, 3])
def test_dual16_batches_and_every_row_length(batch: int) -> None:
    """Batches of two go through the kernel's second input; a batch makes the last layer no
    head, so both layers pack; depths around every remainder mod 4 and the 640 limit."""
    for depth in (1, 2, 3, 4, 5, 63, DUAL16_MAX_ROW):
        tfl = two_layer_mlp(depth=depth, batch=batch)
        blob = _packed(tfl)
        assert [blob.tensors[op.inputs[1]].packing for op in blob.ops] == ["dual16"] * 2
        data = write_blob(blob)
        for xs in random_inputs(tfl, np.random.default_rng(depth), 2):
            assert tinyml(data, xs) == reference(tfl, xs), depth


def test_rows_longer_than_the_limit_stay_int8() -> None:
    blob = _packed(two_layer_mlp(depth=DUAL16_MAX_ROW + 1, batch=2))
    assert [blob.tensors[op.inputs[1]].packing for op in blob.ops] == ["plain", "dual16"]


def _loader_error(blob: Blob) -> str:
    from _tinyml import Model

    with pytest.raises(ValueError) as e:
        Model(write_blob(blob))
    return str(e.value)


def _set_record(data: bytes, tensor: int, **fields: int) -> bytes:
    """data with tensor record fields replaced, CRC mended."""
    import zlib

    from tinyml_tools.format.layout import HEADER

    buf = bytearray(data)
    off = HEADER.unpack_from(buf, 0)["tensors_off"] + tensor * 32
    rec = TENSOR.unpack_from(buf, off)
    rec.update(fields)
    buf[off:off + 32] = TENSOR.pack(**rec)
    struct.pack_into("<I", buf, 12, zlib.crc32(bytes(buf[16:])))
    return bytes(buf)


def test_loader_refuses_values_outside_int8() -> None:
    blob = _packed(two_layer_mlp())
    w = blob.tensors[blob.ops[0].inputs[1]]
    w.const = struct.pack("<h", 128) + w.const[2:]
    assert _loader_error(blob) == "invalid operator parameters (operator 0)"


def test_loader_refuses_dual16_on_the_head() -> None:
    """The trainable head is read and rewritten by on-device learning as plain int8."""
    blob = _packed(two_layer_mlp())
    head_w = blob.tensors[blob.ops[1].inputs[1]]
    head_w.const, head_w.packing = pack_dual16(head_w.values()), "dual16"
    assert _loader_error(blob) == "invalid metadata"


def test_writer_refuses_dual16_in_a_sparse_update_scheme() -> None:
    blob = _packed(two_layer_mlp())
    blob.sparse_update = ((0, True, (1,)),)
    with pytest.raises(ValueError, match="operator 0's weights are not plain int8 constants"):
        write_blob(blob)


def test_loader_refuses_bad_packing_records() -> None:
    from _tinyml import Model

    tfl = two_layer_mlp()
    data = write_blob(_packed(tfl))
    b = read_blob(data)
    w, bias, x = b.ops[0].inputs[1], b.ops[0].inputs[2], b.ops[0].inputs[0]
    cases = {
        "unknown packing": _set_record(data, w, packing=2),
        "int32 bias packed": _set_record(data, bias, packing=PACKING_CODES["dual16"]),
        "activation packed": _set_record(data, x, packing=PACKING_CODES["dual16"]),
        "size of the int8 rows": _set_record(data, w, size=19 * 22),
    }
    for what, bad in cases.items():
        with pytest.raises(ValueError) as e:
            Model(bad)
        assert str(e.value).startswith("invalid tensor record"), what


def _conv(cin: int, k: int = 1, depthwise: bool = False) -> bytes:
    """One CONV_2D (or DEPTHWISE_CONV_2D) k x k over 3 x 3 x cin to 4 channels (cin: depthwise)."""
    rng = np.random.default_rng(1)
    m = ModelBuilder()
    cout = cin if depthwise else 4
    x = m.tensor((1, 3, 3, cin), scale=0.05, zero_point=1)
    y = m.tensor((1, 3, 3, cout), scale=0.1, zero_point=0)
    shape = (1, k, k, cout) if depthwise else (cout, k, k, cin)
    w = m.const(rng.integers(-127, 128, shape), "int8", scale=[0.01] * cout,
                zero_point=0, quantized_dim=3 if depthwise else 0)
    b = m.const(rng.integers(-100, 100, cout), "int32", scale=[0.0005] * cout, zero_point=0)
    if depthwise:
        m.op("DEPTHWISE_CONV_2D", [x, w, b], [y], ("DepthwiseConv2DOptions", {
            "Padding": 0, "StrideH": 1, "StrideW": 1, "DepthMultiplier": 1}))
    else:
        m.op("CONV_2D", [x, w, b], [y], ("Conv2DOptions", {"Padding": 0, "StrideH": 1,
                                                           "StrideW": 1}))
    return m.build([x], [y])


@pytest.mark.parametrize(("what", "tfl"), [
    ("Ci not a multiple of 4", lambda: _conv(6)),
    ("a row of 3 x 3 x 72 = 648 > 640 weights", lambda: _conv(72, 3)),
    ("a depthwise filter", lambda: _conv(8, 3, depthwise=True)),
])
def test_loader_refuses_dual16_where_no_kernel_reads_it(what: str, tfl: Any) -> None:
    """CONV_2D filters only where each output channel's row is whole groups of four and at
    most 640 long; never DEPTHWISE_CONV_2D's. The converter does not choose them."""
    model = tfl()
    _, blob = convert_model(model, "conv")
    assert dual16_layers(blob) == [], what
    f = blob.tensors[blob.ops[0].inputs[1]]
    f.const, f.packing = pack_dual16(f.values()), "dual16"
    assert _loader_error(blob) == "invalid operator parameters (operator 0)", what


@pytest.mark.parametrize(("name", "packed"), [
    ("conv_zoo", [1, 2, 4]), ("decoder", [6, 7, 18]), ("wide_conv", [0]),
])
def test_dual16_convolutions_keep_tflite_bytes(name: str, packed: list[int]) -> None:
    """The conformance models' CONV_2D layers whose filters qualify are stored DUAL16 (wide_conv's
    3 x 3 x 72 = 648-weight rows stay int8; its 324-weight ones take the long patches' path);
    every output byte stays TFLite's, in place or not."""
    tfl = (MODELS / f"{name}.tflite").read_bytes()
    plain, _ = convert_model(tfl, name)
    data, blob = convert_model(tfl, name, weights="dual16")
    convs = [k for k, op in enumerate(blob.ops)
             if op.kind == "CONV_2D" and blob.tensors[op.inputs[1]].packing == "dual16"]
    assert convs == packed
    for k in convs:
        w = blob.tensors[blob.ops[k].inputs[1]]
        assert w.shape[-1] % 4 == 0 and w.nbytes == 2 * int(np.prod(w.shape))
    for xs in random_inputs(tfl, np.random.default_rng(7), 3):
        assert tinyml(data, xs) == reference(tfl, xs) == tinyml(plain, xs), name


def test_dual16_convolution_in_place() -> None:
    """A 1x1 convolution the planner runs in place over its input keeps its bytes DUAL16."""
    tfl = _conv(8)
    data, blob = convert_model(tfl, "conv", weights="dual16")
    assert blob.ops[0].flags & OP_FLAG_IN_PLACE
    assert blob.tensors[blob.ops[0].inputs[1]].packing == "dual16"
    for xs in random_inputs(tfl, np.random.default_rng(2), 3):
        assert tinyml(data, xs) == reference(tfl, xs)


def test_pack_weights_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError, match="weights must be one of int8, dual16"):
        pack_weights(_packed(two_layer_mlp()), "int4")


def test_cli_convert_weights_dual16(tmp_path: Path) -> None:
    model = tmp_path / "mlp.tflite"
    model.write_bytes(two_layer_mlp(batch=2))
    out = tmp_path / "mlp.bin"
    tinyml = [sys.executable, "-m", "tinyml_tools.cli"]
    p = subprocess.run([*tinyml, "convert", str(model), "-o", str(out), "--weights", "dual16"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([*tinyml, "inspect", str(out), "--json"], capture_output=True, text=True)
    info = json.loads(p.stdout)
    packed = [t["index"] for t in info["tensors"] if t["packing"] == "dual16"]
    assert packed == [info["ops"][0]["inputs"][1], info["ops"][1]["inputs"][1]]
    assert info["version"] == "1.2"
