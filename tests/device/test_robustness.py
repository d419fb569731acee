"""Untrusted use of the device API, inside each runtime (tests/device/robustness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtimes import ROOT, RUNTIMES, run_script
from tinyml_tools.convert import convert_model

SMALL = ROOT / "tests/models/keras/se_block.tflite"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_robustness(runtime: str, tmp_path: Path) -> None:
    blob, _ = convert_model(SMALL.read_bytes(), "se_block")
    out = run_script(runtime, ROOT / "tests/device/robustness.py", tmp_path,
                     {"model.bin": (ROOT / "models/kws/kws.bin").read_bytes(), "other.bin": blob})
    assert out.split("\n")[:5] == ["canaries ok", "gc ok", "after exception ok", "other model ok",
                                   "versions ok"]
    assert "cycles ok 10000" in out


def test_non_contiguous_memoryview_is_refused() -> None:
    """CPython can make strided views; the host binding refuses them with the type message,
    as for any other buffer it cannot read in place (the input's, then the output's)."""
    import tinyml

    net = tinyml.load((ROOT / "models/kws/kws.bin").read_bytes())
    with pytest.raises(TypeError) as e:
        net.predict_raw(memoryview(bytes(980))[::2])
    assert str(e.value) == "input must be a bytes-like int8 buffer or a sequence of numbers"
    with pytest.raises(TypeError) as e:
        net.predict_into(bytes(490), memoryview(bytearray(24))[::2])
    assert str(e.value) == "output must be a writable bytearray/array('b') or array('f')"
