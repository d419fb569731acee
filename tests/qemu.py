"""Emulated boards for device tests: QEMU runs the project's firmware with its serial line on a
pty, and tests talk to it with mpremote, exactly as a user talks to a real board."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from runtimes import ROOT

FW = ROOT / "build/qemu"
ARM = ["qemu-system-arm", "-machine"]
# board -> (QEMU command, firmware)
BOARDS = {
    "qemu-m3": ([*ARM, "mps2-an385"], FW / "m3/firmware.elf"),
    "qemu-m4": ([*ARM, "mps2-an386"], FW / "m4/firmware.elf"),
    "qemu-m7": ([*ARM, "mps2-an500"], FW / "m7/firmware.elf"),
    "qemu-rv32": (["qemu-system-riscv32", "-machine", "virt", "-bios", "none"],
                  FW / "rv32/firmware.elf"),
}
MPREMOTE = [sys.executable, "-m", "mpremote"]


@contextmanager
def board(name: str, stock: bool = False) -> Iterator[str]:
    """Boot the board (its tinyml firmware, or stock firmware without tinyml); yield its serial
    port (/dev/pts/N); power it off afterwards."""
    cmd, fw = BOARDS[name]
    if stock:
        fw = fw.parent.with_name(fw.parent.name + "-stock") / fw.name
    p = subprocess.Popen([*cmd, "-nographic", "-monitor", "null", "-semihosting", "-serial",
                          "pty", "-kernel", str(fw)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert p.stdout is not None
        line = p.stdout.readline()
        m = re.search(r"/dev/pts/\d+", line)
        assert m, f"{name}: no serial port in {line!r}"
        time.sleep(0.3)
        yield m.group(0)
    finally:
        p.kill()
        p.wait()


def mpremote(port: str, *args: str, timeout: float = 600) -> str:
    """Run mpremote against the port (resuming the session: no soft reset); return stdout."""
    p = subprocess.run([*MPREMOTE, "connect", port, "resume", *args], capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0, f"mpremote {args[:2]} failed:\n{p.stdout}\n{p.stderr}"
    return p.stdout


def send_bytes(port: str, name: str, data: bytes, chunk: int = 4096) -> None:
    """Put data into the global `name` on the device (a bytearray), in hex chunks."""
    args = ["exec", f"{name} = bytearray({len(data)})"]
    for i in range(0, len(data), chunk):
        part = data[i : i + chunk]
        args += ["exec", f"{name}[{i}:{i + len(part)}] = bytes.fromhex('{part.hex()}')"]
    mpremote(port, *args)
