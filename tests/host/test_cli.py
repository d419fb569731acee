"""The `tinyml` command line, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tflite_sizes import Model

from runtimes import ROOT

TINYML = [sys.executable, "-m", "tinyml_tools.cli"]
# KWS's figures, derived from its .tflite by the test (tests/tflite_sizes.py): the arena is
# the bound no plan can beat, which the planner reaches.
KWS_TFLITE = (ROOT / "models/kws/kws.tflite").read_bytes()
KWS = Model(KWS_TFLITE)
KWS_ARENA = KWS.arena_lower_bound(in_place=True)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TINYML, *args], capture_output=True, text=True, cwd=ROOT)


def test_convert_and_inspect_json(tmp_path: Path) -> None:
    out = tmp_path / "kws.bin"
    p = run("convert", "models/kws/kws.tflite", "-o", str(out), "--labels",
            "models/kws/labels.txt")
    assert p.returncode == 0, p.stderr
    size = out.stat().st_size
    # The bound, by hand: the first convolution's input (49x10x1, 4-aligned) and output
    # (25x5x64) are alive together and it cannot run in place.
    assert KWS_ARENA == 492 + 25 * 5 * 64
    assert (f"{out}: {size} bytes ({len(KWS_TFLITE)} .tflite), {len(KWS.ops)} ops, "
            f"arena {KWS_ARENA} bytes") in p.stdout
    info = json.loads(run("inspect", str(out), "--json").stdout)
    assert info["arena_bytes"] == KWS_ARENA
    assert info["blob_bytes"] == out.stat().st_size
    assert info["weight_bytes"] == KWS.weight_bytes()
    assert info["name"] == "kws"
    assert info["labels"][:3] == ["down", "go", "left"]
    assert [op["kind"] for op in info["ops"]][:3] == ["CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D"]
    assert info["tensors"][info["inputs"][0]]["shape"] == [1, 49, 10, 1]
    assert info["tensors"][info["inputs"][0]]["zero_point"] == 83


def test_shipped_blobs_are_current(tmp_path: Path) -> None:
    """models/*/*.bin are exactly what the converter makes from the shipped .tflite files."""
    for name, extra in (("kws", ["--labels", "models/kws/labels.txt"]), ("ad", [])):
        out = tmp_path / f"{name}.bin"
        p = run("convert", f"models/{name}/{name}.tflite", "-o", str(out), *extra)
        assert p.returncode == 0, p.stderr
        assert out.read_bytes() == (ROOT / f"models/{name}/{name}.bin").read_bytes(), name


def test_inspect_human_readable(tmp_path: Path) -> None:
    p = run("inspect", "models/kws/kws.bin")
    assert p.returncode == 0
    assert "arena (RAM)" in p.stdout and f"{KWS_ARENA} bytes" in p.stdout


def _with_opcode(model: bytes, old: str, new: str) -> bytes:
    """The model with operator code `old` rewritten in place to `new` (a real .tflite with an
    operator tinyml does not run)."""
    import tflite
    from tflite.BuiltinOperator import BuiltinOperator

    buf = bytearray(model)
    m = tflite.Model.GetRootAsModel(buf, 0)
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        if max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()) == getattr(BuiltinOperator, old):
            code = getattr(BuiltinOperator, new)
            # OperatorCode fields: deprecated_builtin_code (int8, vtable slot 4) and, when
            # present, builtin_code (int32, slot 10).
            buf[oc._tab.Pos + oc._tab.Offset(4)] = code
            if oc._tab.Offset(10):
                pos = oc._tab.Pos + oc._tab.Offset(10)
                buf[pos : pos + 4] = code.to_bytes(4, "little")
            return bytes(buf)
    raise AssertionError(f"no {old} in model")


@pytest.mark.parametrize(
    ("new_op", "message"),
    [
        # An operator tinyml does not run: named, located, with the supported list.
        ("LOG_SOFTMAX", "unsupported operator LOG_SOFTMAX at operator 12 (LOG_SOFTMAX)"),
        ("LOG_SOFTMAX", "supported: ADD, AVERAGE_POOL_2D, CONCATENATION, CONV_2D"),
        # One input where ADD needs two: a clear error, not a traceback.
        ("ADD", "operator 12 (ADD): malformed: inputs [33], outputs [34]"),
    ],
)
def test_convert_time_errors(tmp_path: Path, new_op: str, message: str) -> None:
    """KWS with its SOFTMAX relabelled: conversion fails with a message, writes no blob."""
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(_with_opcode((ROOT / "models/kws/kws.tflite").read_bytes(), "SOFTMAX", new_op))
    p = run("convert", str(bad), "-o", str(tmp_path / "x.bin"))
    assert p.returncode == 1
    assert message in p.stderr
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "x.bin").exists()


def test_not_a_tflite_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"hello world, not a model")
    p = run("convert", str(bad), "-o", str(tmp_path / "x.bin"))
    assert p.returncode == 1
    assert "not a .tflite model (missing TFL3 identifier)" in p.stderr


def test_dynamic_input_shape(tmp_path: Path) -> None:
    """A Keras Conv1D over an unknown length: refused at conversion, with the fix."""
    p = run("convert", "tests/models/unsupported/conv1d_varlen.tflite", "-o",
            str(tmp_path / "x.bin"))
    assert p.returncode == 1
    assert "model input 'serving_default_signal:0' has dynamic shape [-1, -1, 3]" in p.stderr
    assert "export the model with a fixed input size" in p.stderr


def test_inspect_memory_and_board(tmp_path: Path) -> None:
    png = tmp_path / "mem.png"
    p = run("inspect", "models/kws/kws.bin", "--json", "--memory", str(png), "--board", "pico")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    live = [KWS.live_bytes(k) for k in range(len(KWS.ops))]
    assert [r["live_bytes"] for r in info["live"]] == live
    assert (info["arena_bytes"], info["lower_bound_bytes"], info["peak_op"]) == (
        KWS_ARENA, KWS.arena_lower_bound(in_place=False), live.index(max(live)))
    # The depthwise convolution runs in place with one input channel (25x5) of scratch, in
    # the arena apart from the buffer it reads and writes.
    dw = info["live"][1]
    off, size = dw["scratch"]
    buf = info["tensors"][dw["tensors"][0]]
    assert dw["in_place"] and size == (25 * 5 + 3) // 4 * 4
    assert off + size <= buf["offset"] or buf["offset"] + buf["bytes"] <= off
    assert off + size <= KWS_ARENA
    # The board's typical free heap (inspect_blob.BOARD_HEAP) less the arena, and the blob.
    assert info["board"] == {"board": "pico", "heap_bytes": 240000, "arena_bytes": KWS_ARENA,
                             "romfs_margin_bytes": 240000 - KWS_ARENA,
                             "file_margin_bytes": 240000 - KWS_ARENA - info["blob_bytes"]}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    p = run("inspect", "models/ad/ad.bin", "--board", "nucleo-f446re")
    ad = Model((ROOT / "models/ad/ad.tflite").read_bytes()).arena_lower_bound(in_place=True)
    short = (ROOT / "models/ad/ad.bin").stat().st_size + ad - 75_000
    assert f"blob read from a file: does not fit: {short} bytes short" in \
        p.stdout.replace("\n", " ")
