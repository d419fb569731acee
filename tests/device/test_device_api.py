"""The device API, run inside each runtime (host simulator, unix firmware, x64 .mpy)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("runtime", [*RUNTIMES, NOFLOAT])
def test_api(runtime: str, files: dict[str, bytes], host_output: str, tmp_path: Path) -> None:
    out = run_script(runtime, ROOT / "tests/device/api_check.py", tmp_path, files)
    assert "errors: ok" in out
    # Every runtime prints exactly what the host simulator prints.
    assert out == host_output
    lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    assert lines["name"] == "kws"
    assert lines["arena_size"] == "8492 ops 13"
    assert lines["input_shape"] == "(1, 49, 10, 1) output_shape (1, 12)"
    assert lines["input_zp"] == "83 output_zp -128"
    assert lines["classify"].startswith("down ")


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
