"""KWS on emulated MCU firmware with tinyml compiled in, driven over the serial line with
mpremote: every output byte equals the host simulator's (itself TFLite's, see conformance)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import tinyml
from qemu import BOARDS, board, mpremote, send_bytes
from runtimes import ROOT

RUN = """
import tinyml
net = tinyml.load(blob)
n = 490
out = bytearray(12)
for i in range(len(xs) // n):
    net.predict_into(memoryview(xs)[i * n:(i + 1) * n], out)
    print(out.hex())
"""


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_kws_bit_exact_on_emulated_firmware(name: str) -> None:
    cmd, fw = BOARDS[name]
    if shutil.which(cmd[0]) is None or not fw.exists():
        pytest.fail(f"{name}: {cmd[0]} or {fw} missing (run scripts/setup.sh)")
    blob = (ROOT / "models/kws/kws.bin").read_bytes()
    xs = np.fromfile(ROOT / "models/kws/samples.bin", np.int8)
    host = tinyml.load(blob)
    want = [host.predict_raw(x.tobytes()).hex() for x in xs.reshape(-1, 490)]
    with board(name) as port:
        send_bytes(port, "blob", blob)
        send_bytes(port, "xs", xs.tobytes())
        got = mpremote(port, "exec", RUN).split()
    assert got == want
