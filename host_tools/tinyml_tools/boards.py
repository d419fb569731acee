"""Where things run, named one way everywhere (`--board`): `host` (the simulator), `unix`
(build/unix/micropython), an emulated board (`qemu-m3`, `qemu-m4`, `qemu-m7`, `qemu-rv32`:
QEMU with the project's firmware, its serial line on a pty), or a serial port (`/dev/ttyACM0`,
`/dev/pts/3`, ...). Boards are driven with mpremote, exactly as a user drives a real one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class BoardError(RuntimeError):
    """The board cannot be reached or the code on it failed; the message says how."""


@dataclass(frozen=True)
class Emulated:
    qemu: tuple[str, ...]  # command and machine arguments
    firmware: str  # under the build directory
    natmod: str  # the native module architecture that fits the core
    # Instruction counting (QEMU -icount shift=5: 32 ns of virtual time per instruction): a
    # free-running timer read with machine.mem32, its tick in instructions, counting up or down.
    timer_read: str
    timer_setup: str
    instructions_per_tick: float


_CMSDK = "machine.mem32[0x40000008] = -1; machine.mem32[0x40000004] = -1; " \
         "machine.mem32[0x40000000] = 1"
_MPS2_TIMER = dict(timer_read="-machine.mem32[0x40000004]", timer_setup=_CMSDK,
                   instructions_per_tick=1.25)  # CMSDK TIMER0 at 25 MHz, down-counting

EMULATED = {
    "qemu-m3": Emulated(("qemu-system-arm", "-machine", "mps2-an385"), "qemu/m3/firmware.elf",
                        "armv7m", **_MPS2_TIMER),  # type: ignore[arg-type]
    "qemu-m4": Emulated(("qemu-system-arm", "-machine", "mps2-an386"), "qemu/m4/firmware.elf",
                        "armv7emsp", **_MPS2_TIMER),  # type: ignore[arg-type]
    "qemu-m7": Emulated(("qemu-system-arm", "-machine", "mps2-an500"), "qemu/m7/firmware.elf",
                        "armv7emsp", **_MPS2_TIMER),  # type: ignore[arg-type]
    # RISC-V virt: the CLINT's mtime at 10 MHz (100 ns per tick = 3.125 instructions).
    "qemu-rv32": Emulated(("qemu-system-riscv32", "-machine", "virt", "-bios", "none"),
                          "qemu/rv32/firmware.elf", "rv32imc",
                          timer_read="machine.mem32[0x0200BFF8]", timer_setup="",
                          instructions_per_tick=3.125),
}
LOCAL = ("host", "unix")
NAMES = (*LOCAL, *EMULATED)


def build_dir() -> Path:
    """$TINYML_BUILD, else ./build, else the build folder of the source tree this package
    runs from (an editable install)."""
    if "TINYML_BUILD" in os.environ:
        return Path(os.environ["TINYML_BUILD"])
    if (Path.cwd() / "build").is_dir():
        return Path.cwd() / "build"
    return Path(__file__).resolve().parents[2] / "build"


def _mpremote(port: str, *args: str, timeout: float = 900) -> str:
    p = subprocess.run([sys.executable, "-m", "mpremote", "connect", port, "resume", *args],
                       capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise BoardError(f"on {port}: {(p.stderr or p.stdout).strip()[-800:]}")
    return p.stdout


class Device:
    """A MicroPython board over a serial line."""

    def __init__(self, port: str) -> None:
        self.port = port

    def mpremote(self, *args: str) -> str:
        """Any mpremote commands (cp, ls, exec, ...) in one session, without a soft reset."""
        return _mpremote(self.port, *args)

    def exec(self, code: str) -> str:
        return _mpremote(self.port, "exec", code)

    def run(self, script: Path) -> str:
        return _mpremote(self.port, "run", str(script))

    def send(self, name: str, data: bytes, chunk: int = 4096) -> None:
        """Bind data (a bytearray) to the global `name` on the board: hex chunks over the REPL,
        so no filesystem is needed."""
        args = ["exec", f"{name} = bytearray({len(data)})"]
        for i in range(0, len(data), chunk):
            part = data[i : i + chunk]
            args += ["exec", f"{name}[{i}:{i + len(part)}] = bytes.fromhex('{part.hex()}')"]
        _mpremote(self.port, *args)


@contextmanager
def emulated(name: str, stock: bool = False, icount: bool = False) -> Iterator[Device]:
    """Boot an emulated board (tinyml firmware, or stock firmware without tinyml); power it off
    afterwards."""
    b = EMULATED[name]
    fw = build_dir() / b.firmware
    if stock:
        fw = fw.parent.with_name(fw.parent.name + "-stock") / fw.name
    if shutil.which(b.qemu[0]) is None or not fw.exists():
        raise BoardError(f"{name}: needs {b.qemu[0]} and {fw} (run `make setup`)")
    extra = ["-icount", "shift=5,align=off,sleep=off"] if icount else []
    p = subprocess.Popen([*b.qemu, *extra, "-nographic", "-monitor", "null", "-semihosting",
                          "-serial", "pty", "-kernel", str(fw)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert p.stdout is not None
        line = p.stdout.readline()
        m = re.search(r"/dev/pts/\d+", line)
        if not m:
            raise BoardError(f"{name}: QEMU printed no serial port: {line.strip()!r}")
        time.sleep(0.3)
        yield Device(m.group(0))
    finally:
        p.kill()
        p.wait()


@contextmanager
def connect(board: str, icount: bool = False) -> Iterator[Device]:
    """A serial board by name or port."""
    if board in EMULATED:
        with emulated(board, icount=icount) as dev:
            yield dev
    elif board in LOCAL:
        raise BoardError(f"{board} is not a serial board")
    else:
        if not Path(board).exists():
            raise BoardError(f"no board {board!r}: use {', '.join(NAMES)} or a serial port")
        yield Device(board)


def run_local(board: str, script: Path, files: dict[str, bytes] | None = None) -> str:
    """Run a device script on the host simulator or the unix port, in a scratch folder."""
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(script, Path(d) / script.name)
        for name, data in (files or {}).items():
            (Path(d) / name).write_bytes(data)
        if board == "host":
            cmd = [sys.executable, script.name]  # the host package provides tinyml
        else:
            exe = build_dir() / "unix/micropython"
            if not exe.exists():
                raise BoardError(f"unix: needs {exe} (run `make setup`)")
            cmd = [str(exe), script.name]
        p = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
        if p.returncode != 0:
            raise BoardError(f"{board}: {(p.stderr or p.stdout).strip()[-800:]}")
        return p.stdout


# MicroPython's native architecture numbers (sys.implementation._mpy >> 10; .mpy header byte 2
# >> 2) and the native module folder built for each.
NATMOD_ARCHS = {2: "x64", 4: "armv6m", 5: "armv7m", 7: "armv7emsp", 9: "xtensa",
                11: "rv32imc"}
_THUMB = (4, 5, 6, 7, 8)  # armv6m ... armv7emdp: a lower Thumb module loads on a higher core
MPY_VERSION = (6, 3)  # .mpy version and sub-version the modules are built for (MicroPython 1.25)


def pick_natmod(board_mpy: int) -> str:
    """The native module folder that loads on a board reporting sys.implementation._mpy: the
    same .mpy version, and the board's architecture or (Thumb) the highest one below it."""
    version, sub, arch = board_mpy & 0xFF, (board_mpy >> 8) & 3, board_mpy >> 10
    if (version, sub) != MPY_VERSION:
        raise BoardError(f"the board's MicroPython loads .mpy {version}.{sub}; tinyml's native "
                         f"modules are {MPY_VERSION[0]}.{MPY_VERSION[1]} (MicroPython 1.25+)")
    if arch in _THUMB:
        fits = [a for a in NATMOD_ARCHS if a in _THUMB and a <= arch]
        if fits:
            return NATMOD_ARCHS[max(fits)]
    if arch in NATMOD_ARCHS:
        return NATMOD_ARCHS[arch]
    raise BoardError(f"no tinyml native module for this board's architecture (number {arch}); "
                     "build tinyml into its firmware instead (docs/boards.md)")


@contextmanager
def with_filesystem(board: str) -> Iterator[Device]:
    """A board with a writable filesystem: a serial board as it is; an emulated board boots its
    stock firmware (no tinyml inside) with a RAM disk mounted."""
    if board in EMULATED:
        with emulated(board, stock=True) as dev:
            dev.exec("import ramfs; ramfs.mount()")
            yield dev
    else:
        with connect(board) as dev:
            yield dev
