"""On-device sparse-update support in the C core: Model.op_info, constant overrides
(Model.set_const) and the sparse-update scheme record (blob metadata tag 2), on the host
simulator, the unix firmware and the x64 native modules (tests/device/overrides_check.py), with
every expectation computed here from the blob through tinyml_tools.format.blob."""

from __future__ import annotations

import dataclasses
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import _tinyml
import numpy as np
import pytest

import tinyml
import tinyml_tools.format.blob as blobmod
from runtimes import NOFLOAT, ROOT, RUNTIMES, run_script
from tinyml_tools.convert import convert_model, read_labels
from tinyml_tools.format import schema
from tinyml_tools.format.blob import Blob, read_blob, write_blob

KWS = (ROOT / "models/kws/kws.bin").read_bytes()
SCRIPT = ROOT / "tests/device/overrides_check.py"
# Operator 0 (CONV_2D, weights [64, 10, 4, 1]), 1 (DEPTHWISE_CONV_2D, [1, 3, 3, 64]) and 11
# (FULLY_CONNECTED, [12, 64]) of KWS.
SCHEME = ((0, True, (0,)), (1, False, (3, 5)), (11, True, (1, 2, 63)))
META_ERROR = "ValueError: invalid metadata"


def recrc(b: bytearray) -> bytes:
    struct.pack_into("<I", b, 12, zlib.crc32(bytes(b[16:])))
    return bytes(b)


def with_const(blob: bytes, tensor: int, data: bytes) -> bytes:
    """The blob with constant tensor's bytes replaced in place (located by the blob reader)."""
    t = read_blob(blob).tensors[tensor]
    assert t.const is not None and len(data) == len(t.const)
    data_off = struct.unpack_from("<I", blob, 52)[0]
    b = bytearray(blob)
    b[data_off + t.offset : data_off + t.offset + len(data)] = data
    return recrc(b)


def _words(data: bytes, off: int, n: int) -> tuple[int, ...]:
    return struct.unpack_from(f"<{n}i", data, off)


INT32_MAX = 0x7FFFFFFF


def expected_op_info(blob: bytes) -> list[dict[str, object]]:
    """What Model.op_info must return for every operator, by field name, from
    docs/blob-format.md's words and the tensors' shapes."""
    b = read_blob(blob)
    data_off, data_size = struct.unpack_from("<II", blob, 52)
    data = blob[data_off : data_off + data_size]
    out = []
    for op in b.ops:
        w = [int(v) for v in op.params]  # type: ignore[arg-type]
        info: dict[str, object] = {
            "kind": blobmod.OP_CODES[op.kind], "inputs": tuple(op.inputs),
            "output": op.outputs[0], "act_min": -128, "act_max": 127,
            **dict.fromkeys(["stride_h", "stride_w", "dilation_h", "dilation_w", "pad_h",
                             "pad_w", "filter_h", "filter_w", "depth_mult", "bias_limit"], 0),
        }
        requant = None
        if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            dw = op.kind == "DEPTHWISE_CONV_2D"
            _, kh, kw, ci = b.tensors[op.inputs[1]].shape
            info.update(stride_h=w[0], stride_w=w[1], dilation_h=w[2], dilation_w=w[3],
                        pad_h=w[4], pad_w=w[5], filter_h=kh, filter_w=kw,
                        depth_mult=w[12] if dw else 1, act_min=w[8], act_max=w[9],
                        # kh * kw (* ci) products of |input - zp| <= 256 and |weight| <= 128
                        bias_limit=INT32_MAX - kh * kw * (1 if dw else ci) * 256 * 128)
            requant = (w[10], w[11], b.tensors[op.outputs[0]].shape[3])
        elif op.kind == "FULLY_CONNECTED":
            units, depth = b.tensors[op.inputs[1]].shape
            info.update(act_min=w[3], act_max=w[4], bias_limit=INT32_MAX - depth * 256 * 256)
            requant = (w[5], w[6], units if w[7] else 1)
        elif op.kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            info.update(stride_h=w[0], stride_w=w[1], filter_h=w[2], filter_w=w[3], pad_h=w[4],
                        pad_w=w[5], dilation_h=1, dilation_w=1, act_min=w[6], act_max=w[7])
        elif op.kind == "ADD":
            info.update(act_min=w[22], act_max=w[23])
        elif op.kind == "MUL":
            info.update(act_min=w[17], act_max=w[18])
        q = b""
        if requant:
            mult, shift, n = requant
            q = b"".join(struct.pack("<ii", m, s) for m, s in
                         zip(_words(data, mult, n), _words(data, shift, n), strict=True))
        info["requant"] = q
        out.append(info)
    return out


def op_info(m: _tinyml.Model, k: int) -> dict[str, object]:
    """The raw Model's op_info tuple by the field names its module exports."""
    return dict(zip(_tinyml.OP_INFO_FIELDS.split(), m.op_info(k), strict=True))


@pytest.fixture(scope="module")
def kws_blob() -> Blob:
    labels = read_labels(ROOT / "models/kws/labels.txt")
    return convert_model((ROOT / "models/kws/kws.tflite").read_bytes(), "kws", labels)[1]


def _entry(op: int, flags: int, channels: tuple[int, ...], reserved: int = 0,
           pad: int = 0) -> bytes:
    b = struct.pack(f"<4H{len(channels)}H", op, flags, len(channels), reserved, *channels)
    return b + (struct.pack("<H", pad) if len(channels) % 2 else b"")


def _record(entries: list[bytes], n: int | None = None, reserved: int = 0,
            length: int | None = None, tag: int = blobmod.META_SPARSE) -> bytes:
    payload = struct.pack("<HH", len(entries) if n is None else n, reserved) + b"".join(entries)
    return struct.pack("<HH", tag, len(payload) if length is None else length) + payload


VALID = [_entry(0, 1, (0,)), _entry(1, 0, (3, 5)), _entry(11, 1, (1, 2, 63))]
BAD_RECORDS = {
    "bad_op_range": _record([*VALID[:2], _entry(13, 1, (1,))]),  # KWS has 13 operators
    "bad_kind": _record([*VALID[:2], _entry(12, 0, (1,))]),  # SOFTMAX
    "bad_kind_pool": _record([_entry(9, 0, (1,))]),  # AVERAGE_POOL_2D
    "bad_op_order": _record([VALID[1], VALID[0]]),
    "bad_op_twice": _record([VALID[1], VALID[1]]),
    "bad_channel_range": _record([_entry(1, 0, (3, 64))]),
    "bad_channel_range_conv": _record([_entry(0, 0, (1,))]),  # weights [64, 10, 4, 1]
    "bad_channel_order": _record([_entry(1, 0, (5, 3))]),
    "bad_channel_twice": _record([_entry(1, 0, (3, 3))]),
    "bad_nothing": _record([_entry(1, 0, ())]),
    "bad_flags": _record([_entry(1, 2, (3,))]),
    "bad_entry_reserved": _record([_entry(1, 0, (3,), reserved=1)]),
    "bad_reserved": _record(VALID, reserved=1),
    "bad_padding": _record([_entry(1, 0, (3,), pad=1)]),
    "bad_length_short": _record(VALID, length=42),
    "bad_count_high": _record(VALID, n=4),
    "bad_count_low": _record(VALID, n=2),
    "bad_twice": _record(VALID) + _record(VALID),
}


def _with_records(blob: Blob, records: bytes) -> bytes:
    """The blob with these bytes as its sparse-scheme records, bypassing the writer's checks."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(blobmod, "_sparse_bytes", lambda _b: records)
        return write_blob(blob)


@pytest.fixture(scope="module")
def sparse_files(kws_blob: Blob) -> dict[str, bytes]:
    files = {"sparse.bin": write_blob(dataclasses.replace(kws_blob, sparse_update=SCHEME))}
    files.update({f"{name}.bin": _with_records(kws_blob, rec)
                  for name, rec in BAD_RECORDS.items()})
    # An operator without a bias: the flag is refused, channels alone are fine.
    ops = list(kws_blob.ops)
    ops[1] = dataclasses.replace(ops[1], inputs=ops[1].inputs[:2])
    no_bias = dataclasses.replace(kws_blob, ops=ops)
    files["bad_bias.bin"] = _with_records(no_bias, _record([_entry(1, 1, (3,))]))
    files["no_bias.bin"] = write_blob(dataclasses.replace(no_bias,
                                                          sparse_update=((1, False, (3,)),)))
    # A record tag this reader does not know is skipped (how a 1.1 reader without the scheme
    # treats tag 2).
    files["unknown_tag.bin"] = _with_records(kws_blob, _record(VALID, tag=77))
    return files


@pytest.fixture(scope="module")
def files(sparse_files: dict[str, bytes]) -> dict[str, bytes]:
    b = read_blob(KWS)
    k = b.head[0] if b.head else -1
    bias_t, weights_t = b.ops[k].inputs[2], b.ops[2].inputs[1]
    bias = np.frombuffer(b.tensors[bias_t].const or b"", "<i4")
    plus = (bias + 400 * (np.arange(len(bias)) % 5 - 2)).astype("<i4").tobytes()
    w = np.frombuffer(b.tensors[weights_t].const or b"", np.int8).reshape(64, 64).copy()
    w[:8] = np.clip(-w[:8].astype(np.int32), -127, 127)  # negate output channels 0..7
    return {
        "kws.bin": KWS,
        "samples.bin": (ROOT / "models/kws/samples.bin").read_bytes(),
        "bias_plus.bin": plus,
        "kws_bias_plus.bin": with_const(KWS, bias_t, plus),
        "weights.bin": w.tobytes(),
        "kws_weights.bin": with_const(KWS, weights_t, w.tobytes()),
        "sparse_cases.txt": "\n".join(sorted(sparse_files)).encode(),
        **sparse_files,
    }


def _lines(out: str) -> Iterator[tuple[str, str]]:
    for line in out.splitlines():
        key, _, rest = line.partition(" ")
        yield key, rest


@pytest.fixture(scope="module")
def host_output(files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> str:
    return run_script("host", SCRIPT, tmp_path_factory.mktemp("host"), files)


def test_op_info_matches_the_blob(host_output: str) -> None:
    ops = [rest for key, rest in _lines(host_output) if key == "op_info"]
    want = expected_op_info(KWS)
    assert len(ops) == len(want) == 13
    for k, (line, info) in enumerate(zip(ops, want, strict=True)):
        shown = {**info, "requant": info["requant"].hex()}  # type: ignore[union-attr]
        assert line == f"{k} " + " ".join(f"{n}={shown[n]}" for n in schema.OP_INFO_FIELDS)
    got = [dict(f.split("=") for f in line.replace(", ", ",").split()[1:]) for line in ops]
    geometry = ["stride_h", "stride_w", "dilation_h", "dilation_w", "pad_h", "pad_w",
                "depth_mult"]
    # By hand: the first convolution, a 10x4 kernel at stride 2 with SAME padding over 49x10,
    # pads 9 rows and 2 columns in all, the top and left getting the smaller half.
    assert [got[0][n] for n in ["kind", "inputs", "output", "act_min", "act_max"]] == \
        ["1", "(0,1,2)", "3", "-128", "127"]
    assert [got[0][n] for n in geometry] == ["2", "2", "1", "1", "4", "1", "1"]
    assert (got[0]["filter_h"], got[0]["filter_w"]) == ("10", "4")
    assert got[1]["kind"] == "2" and [got[1][n] for n in geometry] == ["1"] * 7  # 3x3 depthwise
    assert (got[1]["filter_h"], got[1]["filter_w"]) == ("3", "3")
    # The global average pool: stride and filter 25x5, no padding.
    assert [got[9][n] for n in ["stride_h", "stride_w", "filter_h", "filter_w", "pad_h",
                                "pad_w", "depth_mult"]] == ["25", "5", "25", "5", "0", "0", "0"]
    assert [got[11][n] for n in ["kind", "inputs", "output"]] == ["3", "(29,30,31)", "32"]
    assert len(got[11]["requant"]) == 16  # one pair: per-tensor
    # FULLY_CONNECTED [12, 64]: 64 products of magnitude <= 256 * 256 each.
    assert got[11]["bias_limit"] == str(0x7FFFFFFF - 64 * 65536)


@pytest.mark.parametrize("name", ["activations", "tensor_ops", "se_block", "conv_zoo"])
def test_op_info_of_every_kind(name: str) -> None:
    blob = convert_model((ROOT / f"tests/models/keras/{name}.tflite").read_bytes(), name)[0]
    m = tinyml.load(blob)._model
    for k, want in enumerate(expected_op_info(blob)):
        assert op_info(m, k) == want
    with pytest.raises(IndexError, match="^operator index out of range$"):
        m.op_info(-1)


def test_sparse_scheme_round_trip(kws_blob: Blob, sparse_files: dict[str, bytes]) -> None:
    blob = sparse_files["sparse.bin"]
    assert read_blob(blob).sparse_update == SCHEME
    assert read_blob(blob).head == kws_blob.head  # the head record is still there
    assert tinyml.load(blob)._model.update_scheme() == SCHEME
    assert read_blob(write_blob(kws_blob)).sparse_update == ()
    assert len(blob) - len(write_blob(kws_blob)) == 48  # the record: 4 + 44 bytes


@pytest.mark.parametrize("scheme, message", [
    (((13, False, (1,)),), "operator 13 out of range"),
    (((12, False, (1,)),), "operator 12 is a SOFTMAX"),
    (((1, False, (3,)), (1, False, (5,))), "operator 1 out of range or not increasing"),
    (((1, False, (64,)),), "channels must be strictly increasing and below 64"),
    (((1, False, (5, 3)),), "channels must be strictly increasing"),
    (((1, False, ()),), "operator 1 updates nothing"),
])
def test_writer_refuses_what_the_loader_would(kws_blob: Blob, scheme: tuple,
                                              message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_blob(dataclasses.replace(kws_blob, sparse_update=scheme))


def test_writer_refuses_a_bias_flag_without_a_bias(kws_blob: Blob) -> None:
    ops = list(kws_blob.ops)
    ops[1] = dataclasses.replace(ops[1], inputs=ops[1].inputs[:2])
    with pytest.raises(ValueError, match="operator 1 has no bias"):
        write_blob(dataclasses.replace(kws_blob, ops=ops, sparse_update=((1, True, ()),)))


def check_output(out: str, runtime: str) -> None:
    """Every line the script prints, against what the blob says."""
    lines = dict(_lines(out))
    base = lines["base"]
    assert lines["same_bias"] == "True"
    assert lines["bias_plus"] == lines["bias_plus_blob"] != base
    assert lines["removed"] == "True"
    too_big = "ValueError: constant override: invalid operator parameters (operator 11)"
    assert lines["set_too_big"] == too_big
    assert lines["after_refusal"] == "True"
    assert lines["invoke_too_big"] == too_big
    assert lines["valid_again"] == lines["bias_plus"]
    assert lines["weights"] == lines["weights_blob"] != base
    assert lines["not_const"] == "ValueError: constant override: tensor 32 is not a constant"
    assert lines["size"] == "ValueError: constant override: tensor 31 has 48 bytes, got 47"
    assert lines["align"] == "ValueError: constant override: buffer not 4-byte aligned"
    assert lines["index"] == "IndexError: tensor index out of range"
    assert lines["type"] == ("TypeError: constant must be a buffer (bytearray, array, "
                             "memoryview) or None")
    assert lines["kept_alive"] == lines["bias_plus"]
    assert lines["resize"] == ("BufferError" if runtime == "host" else
                               "ValueError: constant override: tensor 31 has 48 bytes, got 52")
    assert lines["after_resize"] == "True"
    assert lines["replace_when_full"] == "no error"
    assert lines["full"] == "ValueError: constant override: at most 8 tensors"
    assert lines["eight_overrides"] == lines["none_left"] == "True"
    sparse = dict(line.split(" ", 1) for _, line in _lines(out) if _ == "sparse")
    assert sparse.pop("sparse.bin") == str(SCHEME)
    assert sparse.pop("no_bias.bin") == "((1, False, (3,)),)"
    assert sparse.pop("unknown_tag.bin") == "()"
    assert sparse == {f"{name}.bin": META_ERROR for name in [*BAD_RECORDS, "bad_bias"]}
    assert lines["no_scheme"] == "()"


def test_host(host_output: str) -> None:
    check_output(host_output, "host")


@pytest.mark.parametrize("runtime", [r for r in [*RUNTIMES, NOFLOAT] if r != "host"])
def test_micropython(runtime: str, files: dict[str, bytes], host_output: str,
                     tmp_path: Path) -> None:
    out = run_script(runtime, SCRIPT, tmp_path, files)
    check_output(out, runtime)
    # Line for line what the host simulator prints, but for how a resize is refused.
    differ = [(a, b) for a, b in zip(out.splitlines(), host_output.splitlines(), strict=True)
              if a != b]
    assert [a.split()[0] for a, _ in differ] == ["resize"]
