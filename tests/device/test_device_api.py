"""The device API, run inside each runtime (host simulator, unix firmware, x64 .mpy)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from opcheck import reference
from tflite_sizes import Model

from runtimes import NOFLOAT, ROOT, RUNTIMES, run_script
from tinyml_tools.convert import convert_model, read_labels

LABELS = read_labels(ROOT / "models/kws/labels.txt")


def _recrc(b: bytearray) -> bytes:
    struct.pack_into("<I", b, 12, zlib.crc32(bytes(b[16:])))
    return bytes(b)


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    blob, model = convert_model((ROOT / "models/kws/kws.tflite").read_bytes(), "kws", LABELS)
    bad_magic = bytearray(blob)
    bad_magic[0:4] = b"TFL3"
    bad_version = bytearray(blob)
    struct.pack_into("<HH", bad_version, 4, 2, 0)  # version 2.0
    bad_crc = bytearray(blob)
    bad_crc[-1] ^= 0x55
    # A stride of 0 in the first convolution, with a valid CRC: only the validator can catch it.
    bad_params = bytearray(blob)
    data_off = struct.unpack_from("<I", blob, 52)[0]
    ops_off = struct.unpack_from("<I", blob, 36)[0]
    params_off = struct.unpack_from("<I", blob, ops_off + 16)[0]
    struct.pack_into("<i", bad_params, data_off + params_off, 0)
    return {
        "kws.bin": blob,
        "samples.bin": (ROOT / "models/kws/samples.bin").read_bytes(),
        "bad_magic.bin": bytes(bad_magic),
        "bad_version.bin": _recrc(bad_version),
        "bad_crc.bin": bytes(bad_crc),
        "bad_params.bin": _recrc(bad_params),
    }


@pytest.fixture(scope="module")
def host_output(files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> str:
    return run_script("host", ROOT / "tests/device/api_check.py",
                      tmp_path_factory.mktemp("host"), files)


@pytest.fixture(scope="module")
def want() -> dict[str, str]:
    """What api_check.py must print, from outside tinyml: TFLite's reference kernels on the
    first recording (its raw output and classify's label and score), the arena from the
    .tflite (tests/tflite_sizes.py) and its operator count."""
    tfl = (ROOT / "models/kws/kws.tflite").read_bytes()
    x = np.fromfile(ROOT / "models/kws/samples.bin", np.int8)[:490]
    (raw,) = reference(tfl, [x])
    q = np.frombuffer(raw, np.int8)
    top = int(np.argmax(q))
    assert np.count_nonzero(q == q[top]) == 1  # one class on top: classify has one answer
    model = Model(tfl)
    # classify's score is (q - zp) * scale = (q + 128) / 256; api_check prints score * 256.
    return {"raw": raw.hex(), "classify": f"{LABELS[top]} {int(q[top]) + 128}",
            "arena_size": f"{model.arena_lower_bound(in_place=True)} ops {len(model.ops)}"}


@pytest.mark.parametrize("runtime", [*RUNTIMES, NOFLOAT])
def test_api(runtime: str, files: dict[str, bytes], host_output: str, want: dict[str, str],
             tmp_path: Path) -> None:
    out = run_script(runtime, ROOT / "tests/device/api_check.py", tmp_path, files)
    assert "errors: ok" in out
    lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    # The outputs are TFLite's, on every runtime (the host simulator included).
    assert lines["raw"] == want["raw"]
    assert lines["classify"] == want["classify"]
    # The other runtimes print exactly what the host simulator prints (not compared with
    # itself: its figures are checked above and below).
    if runtime != "host":
        assert out == host_output
    assert lines["name"] == "kws"
    assert lines["arena_size"] == want["arena_size"]
    assert lines["input_shape"] == "(1, 49, 10, 1) output_shape (1, 12)"
    assert lines["input_zp"] == "83 output_zp -128"


@pytest.mark.parametrize("runtime", ["unix", "natmod"])
def test_model_too_big_for_the_heap(runtime: str, tmp_path: Path) -> None:
    """KWS (8.5 KB arena) with the heap filled down to about half of that: load fails with
    the figures."""
    blob, b = convert_model((ROOT / "models/kws/kws.tflite").read_bytes(), "kws")
    out = run_script(runtime, ROOT / "tests/device/too_big.py", tmp_path, {"model.bin": blob},
                     heap="256k")
    assert out.startswith(f"MemoryError: model needs {b.arena_size} bytes of arena, ")
    free = int(out.split(", ")[1].split()[0])
    assert 0 < free < b.arena_size
