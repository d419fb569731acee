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
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..feedback import progress, step
from .fsimage import XIP_BASE, FlashLayout, layout_for
from .fsimage import build as build_fs


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
    # A real chip with this core and its clock, for a time figure that is labelled as assuming
    # one instruction per cycle (QEMU counts instructions, not cycles).
    chip: str
    chip_mhz: int


_CMSDK = "machine.mem32[0x40000008] = -1; machine.mem32[0x40000004] = -1; " \
         "machine.mem32[0x40000000] = 1"
_MPS2_TIMER = dict(timer_read="-machine.mem32[0x40000004]", timer_setup=_CMSDK,
                   instructions_per_tick=1.25)  # CMSDK TIMER0 at 25 MHz, down-counting

EMULATED = {
    "qemu-m3": Emulated(("qemu-system-arm", "-machine", "mps2-an385"), "qemu/m3/firmware.elf",
                        "armv7m", **_MPS2_TIMER,  # type: ignore[arg-type]
                        chip="STM32F103", chip_mhz=72),
    "qemu-m4": Emulated(("qemu-system-arm", "-machine", "mps2-an386"), "qemu/m4/firmware.elf",
                        "armv7emsp", **_MPS2_TIMER,  # type: ignore[arg-type]
                        chip="STM32F405, pyboard", chip_mhz=168),
    "qemu-m7": Emulated(("qemu-system-arm", "-machine", "mps2-an500"), "qemu/m7/firmware.elf",
                        "armv7emsp", **_MPS2_TIMER,  # type: ignore[arg-type]
                        chip="STM32F767", chip_mhz=216),
    # RISC-V virt: the CLINT's mtime at 10 MHz (100 ns per tick = 3.125 instructions).
    "qemu-rv32": Emulated(("qemu-system-riscv32", "-machine", "virt", "-bios", "none"),
                          "qemu/rv32/firmware.elf", "rv32imc",
                          timer_read="machine.mem32[0x0200BFF8]", timer_setup="",
                          instructions_per_tick=3.125, chip="ESP32-C3", chip_mhz=160),
}


# MicroPython's native architecture numbers (sys.implementation._mpy >> 10; .mpy header byte 2
# >> 2) and the native module folder built for each.
NATMOD_ARCHS = {2: "x64", 4: "armv6m", 5: "armv7m", 7: "armv7emsp", 9: "xtensa",
                11: "rv32imc"}
_THUMB = (4, 5, 6, 7, 8)  # armv6m ... armv7emdp: a lower Thumb module loads on a higher core
MPY_VERSION = (6, 3)  # .mpy version and sub-version the modules are built for (MicroPython 1.25)
# The native module for each Raspberry Pi Pico (fsimage.LAYOUTS key): RP2040's Cortex-M0+ and
# RP2350's Cortex-M33.
PICO_NATMOD = {"pico": "armv6m", "pico2": "armv7emsp"}


@dataclass(frozen=True)
class EmulatedPico:
    """A Raspberry Pi Pico on rp2040js (boards/rp2040-emulator/run_pico.mjs), its USB
    serial port bridged to a pty by socat. Files go in as a littlefs image written into the
    flash before boot (fsimage.py), and blobs too large for the heap as raw flash regions the
    board maps with uctypes.bytearray_at; the firmware programs its flash as on the chip
    (qspi_flash.mjs), and run, deploy and install keep the filesystem (board_state)."""

    firmware: str  # under the build directory; "-stock" appended to the folder for stock
    layout: str  # fsimage.LAYOUTS key
    natmod: str
    clock_mhz: int  # clk_sys: the TIMER counts cycles / clock_mhz microseconds


PICOS = {"rp2040": EmulatedPico("rp2/RPI_PICO/firmware.uf2", "pico", PICO_NATMOD["pico"], 125)}
LOCAL = ("host", "unix")
NAMES = (*LOCAL, *EMULATED, *PICOS)


def build_dir() -> Path:
    """$TINYML_BUILD, else ./build, else the build folder of the source tree this package
    runs from (an editable install)."""
    if "TINYML_BUILD" in os.environ:
        return Path(os.environ["TINYML_BUILD"])
    if (Path.cwd() / "build").is_dir():
        return Path.cwd() / "build"
    return Path(__file__).resolve().parents[3] / "build"


def artifact(relative: str) -> Path:
    """A built file (a native module, firmware, the unix port) by its path under the build
    folder: from $TINYML_BUILD if it is there, else from the files an installed wheel carries
    (tinyml_tools/data/, made by `make dist`), else from the build folder (build_dir). The
    path where it would be in the build folder when it is nowhere: the caller says it is
    missing."""
    from importlib.resources import files

    candidates = []
    if "TINYML_BUILD" in os.environ:
        candidates.append(Path(os.environ["TINYML_BUILD"]) / relative)
    candidates.append(Path(str(files("tinyml_tools").joinpath("data", relative))))
    candidates.append(build_dir() / relative)
    return next((c for c in candidates if c.is_file()), candidates[-1])


def firmware_path(relative: str, stock: bool = False) -> Path:
    """A board's firmware under the build directory; the stock build (no tinyml inside) sits
    in the same folder name with "-stock" appended."""
    rel = Path(relative)
    return artifact(str(rel.parent.with_name(rel.parent.name + "-stock") / rel.name)
                    if stock else relative)


def _mpremote(port: str, *args: str, timeout: float = 900,
              echo: Callable[[str], None] | None = None) -> str:
    cmd = [sys.executable, "-m", "mpremote", "connect", port, "resume", *args]
    rc, out, err = _stream(cmd, None, echo, timeout)
    if rc != 0:
        raise BoardError(f"on {port}: {(err or out).strip()[-800:]}")
    return out


def _stream(cmd: list[str], cwd: str | None, echo: Callable[[str], None] | None,
            timeout: float) -> tuple[int, str, str]:
    """Run cmd; with `echo`, pass each line of its output on as it comes (a script's prints
    while it runs, not when it ends). Returns (exit code, stdout, stderr)."""
    if echo is None:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile("w+") as err, subprocess.Popen(
            cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=err, text=True, env=env) as p:
        assert p.stdout is not None
        lines = []
        for line in p.stdout:
            lines.append(line)
            echo(line)
        rc = p.wait(timeout=timeout)
        err.seek(0)
        return rc, "".join(lines), err.read()


class Device:
    """A MicroPython board over a serial line."""

    def __init__(self, port: str) -> None:
        self.port = port

    def mpremote(self, *args: str) -> str:
        """Any mpremote commands (cp, ls, exec, ...) in one session, without a soft reset."""
        return _mpremote(self.port, *args)

    def exec(self, code: str, echo: Callable[[str], None] | None = None) -> str:
        """Run code on the board; its output, passed line by line to `echo` as it comes."""
        return _mpremote(self.port, "exec", code, echo=echo)

    def run(self, script: Path, echo: Callable[[str], None] | None = None) -> str:
        """Run a script on the board; its output, passed line by line to `echo` as it comes."""
        return _mpremote(self.port, "run", str(script), echo=echo)

    @contextmanager
    def _raw_repl(self) -> Iterator[Any]:
        """mpremote's serial transport in this process, in the board's raw REPL without a soft
        reset (as `mpremote resume` is): the globals a command binds stay for the next one."""
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        try:
            t = SerialTransport(self.port, baudrate=115200)
        except (OSError, TransportError) as e:
            raise BoardError(f"on {self.port}: {e}") from e
        try:
            t.enter_raw_repl(soft_reset=False)
            yield t
            t.exit_raw_repl()
        except (OSError, TransportError) as e:
            raise BoardError(f"on {self.port}: {str(e).strip()[-800:]}") from e
        finally:
            t.close()

    def put(self, files: dict[str, bytes]) -> None:
        """Write files (name -> bytes) to the board's current folder, as `mpremote cp` does,
        under one progress bar of their bytes."""
        total = sum(map(len, files.values()))
        with progress(f"copying to {self.port}", total, "B") as advance, \
                self._raw_repl() as t:
            for k, (name, data) in enumerate(files.items()):
                advance(0, f"copying {name}" + (f" ({k + 1}/{len(files)})"
                                                if len(files) > 1 else ""))
                done = 0

                def moved(n: int, _total: int) -> None:
                    nonlocal done
                    advance(n - done)
                    done = n

                t.fs_writefile(name, data, progress_callback=moved)

    def send(self, name: str, data: bytes, chunk: int = 4096) -> None:
        """Bind data (a bytearray) to the global `name` on the board: hex chunks over the REPL,
        so no filesystem is needed."""
        with progress(f"sending {name} to the board", len(data), "B") as advance, \
                self._raw_repl() as t:
            t.exec(f"{name} = bytearray({len(data)})")
            for i in range(0, len(data), chunk):
                part = data[i : i + chunk]
                t.exec(f"{name}[{i}:{i + len(part)}] = bytes.fromhex('{part.hex()}')")
                advance(len(part))


@contextmanager
def emulated(name: str, stock: bool = False, icount: bool = False) -> Iterator[Device]:
    """Boot an emulated board (tinyml firmware, or stock firmware without tinyml); power it off
    afterwards."""
    b = EMULATED[name]
    fw = firmware_path(b.firmware, stock)
    if shutil.which(b.qemu[0]) is None or not fw.exists():
        raise BoardError(f"{name}: needs {b.qemu[0]} and {fw} (run `make setup`)")
    extra = ["-icount", "shift=5,align=off,sleep=off"] if icount else []
    p = subprocess.Popen([*b.qemu, *extra, "-nographic", "-monitor", "null", "-semihosting",
                          "-serial", "pty", "-kernel", str(fw)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with step(f"booting {name} (QEMU)"):
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


# An emulated QEMU board's RAM disk (boards/qemu/ramfs.py) between sessions: its blocks that
# are not all zeros, read out as base64 lines "index data" and written back after the next boot.
_RAMFS_BLOCK = 512
_RAMFS_DUMP = ("import ramfs, binascii\nd = ramfs.disk().data\nz = bytes({n})\n"
               "for i in range(len(d) // {n}):\n"
               "    b = d[i * {n}:(i + 1) * {n}]\n"
               "    if b != z:\n"
               "        print(i, binascii.b2a_base64(b).decode().strip())\n")


@contextmanager
def emulated_kept(name: str, stock: bool = False) -> Iterator[Device]:
    """An emulated QEMU board with its RAM disk mounted at /ram (the working folder) holding
    what the last kept session left there (board_state), kept again at the end."""
    state = board_state(name)
    with emulated(name, stock) as dev:
        blocks = [ln for ln in (state.read_text().splitlines() if state.is_file() else [])
                  if re.fullmatch(r"\d+ \S+", ln)]
        # 128 KB of blocks per script (compiled whole in the board's heap; a file, as it is
        # more than a command line holds), the last one mounting the disk.
        chunks = [blocks[k:k + 256] for k in range(0, len(blocks), 256)] or [[]]
        with (progress(f"restoring {name}'s files", len(blocks) * _RAMFS_BLOCK, "B") if blocks
              else nullcontext(lambda n: None)) as advance:
            with tempfile.TemporaryDirectory() as tmp:
                script = Path(tmp) / "restore.py"
                for k, chunk in enumerate(chunks):
                    code = "".join(f"d[{int(i) * _RAMFS_BLOCK}:{(int(i) + 1) * _RAMFS_BLOCK}]"
                                   f" = a2b({b!r})\n" for i, b in (ln.split() for ln in chunk))
                    last = k == len(chunks) - 1
                    script.write_text("import ramfs\nfrom binascii import a2b_base64 as a2b\n"
                                      "d = ramfs.disk().data\n" + code +
                                      (f"ramfs.mount(format={not blocks})\n" if last else ""))
                    dev.run(script)
                    advance(len(chunk) * _RAMFS_BLOCK)
        try:
            yield dev
        finally:  # a script that failed leaves its files too, as on a board
            try:
                with step(f"keeping {name}'s files"):
                    out = dev.exec(_RAMFS_DUMP.format(n=_RAMFS_BLOCK))
                kept = [ln for ln in out.splitlines() if re.fullmatch(r"\d+ \S+", ln)]
                state.parent.mkdir(parents=True, exist_ok=True)
                state.write_text("".join(f"{ln}\n" for ln in kept))
            except BoardError:
                pass  # the board is not answering: what it kept before stays


def pico_runner() -> Path:
    return Path(__file__).resolve().parents[3] / "boards/rp2040-emulator/run_pico.mjs"


def flash_regions(blobs: dict[str, bytes], layout: FlashLayout,
                  firmware_end: int) -> dict[str, int]:
    """Flash offsets for raw blobs: packed downwards from the filesystem's start, each on a
    256-byte flash page (the unit a UF2 programs; the emulator's flash is written whole before
    boot, so a blob may share a 4 KiB erase sector with the firmware's last page, as it may in
    one UF2 holding both), above the firmware. Raises BoardError when they do not fit."""
    end = layout.offset
    out: dict[str, int] = {}
    for name, data in blobs.items():
        end = (end - len(data)) & ~0xFF
        out[name] = end
    if end < firmware_end:
        raise BoardError(f"{sum(map(len, blobs.values())):,} bytes of blobs do not fit between "
                         f"the firmware (ends at 0x{firmware_end:x}) and the filesystem")
    return out


def uf2_end(uf2: bytes) -> int:
    """The flash offset just past the highest block of a UF2 image."""
    import struct

    top = 0
    for pos in range(0, len(uf2) - 511, 512):
        addr, size = struct.unpack_from("<II", uf2, pos + 12)
        top = max(top, addr + size - XIP_BASE)
    return top


def board_state(name: str) -> Path:
    """Where an emulated board keeps its filesystem between sessions: boards/<name>/fs.bin in
    the build folder (build_dir), or in ~/.cache/tinyml without one (an installed wheel); for
    a QEMU board its RAM disk's used blocks (emulated_kept). $TINYML_BOARD_STATE replaces
    the boards/ folder (the tests' own)."""
    if "TINYML_BOARD_STATE" in os.environ:
        return Path(os.environ["TINYML_BOARD_STATE"]) / name / "fs.bin"
    root = build_dir()
    if not root.is_dir():
        root = Path(os.environ.get("TINYML_CACHE", Path.home() / ".cache/tinyml"))
    return root / "boards" / name / "fs.bin"


def kept_stock_firmware(name: str) -> bool:
    """Whether the emulated Pico's kept filesystem is stock firmware's (deploy and install
    flash stock MicroPython with the native module, as a user of stock firmware does): its
    layout differs from tinyml firmware's (fsimage.LAYOUTS), so a run on that board boots the
    firmware that wrote it, as a real board runs what was last flashed on it."""
    state = board_state(name)
    lay = PICOS[name].layout
    return (state.is_file() and layout_for(lay, True) != layout_for(lay, False)
            and state.stat().st_size == layout_for(lay, True).storage_bytes)


def forget_board(name: str) -> None:
    """Wipe what an emulated board keeps between sessions (--fresh)."""
    if name in PICOS or name in EMULATED:
        board_state(name).unlink(missing_ok=True)


@contextmanager
def emulated_pico(name: str, stock: bool = False, files: dict[str, bytes] | None = None,
                  flash: dict[str, bytes] | None = None,
                  counters: Path | None = None, keep: bool = False) -> Iterator[Device]:
    """Boot an emulated Pico with `files` in its filesystem and `flash` blobs in raw flash,
    each bound on the board as a global of its name (a bytearray over the flash, in place);
    power it off afterwards. `counters`: a file the emulator keeps up to date with its core's
    totals, JSON {"cycles", "instructions", "emulated_us"}. The firmware writes its flash as a
    real Pico does; with `keep`, the filesystem starts as the last kept session left it
    (board_state, `files` added) and is kept again at power-off."""
    b = PICOS[name]
    fw = firmware_path(b.firmware, stock)
    runner = pico_runner()
    missing = [t for t in ("node", "socat") if shutil.which(t) is None]
    if missing or not fw.exists() or not (runner.parent / "node_modules").is_dir():
        raise BoardError(f"{name}: needs node, socat, {fw} and rp2040js (run `make "
                         "firmware-rp2`)")
    layout = layout_for(b.layout, stock)
    regions = flash_regions(flash or {}, layout, uf2_end(fw.read_bytes()))
    state = board_state(name)
    base = None
    if keep and state.is_file() and state.stat().st_size == layout.storage_bytes:
        base = state.read_bytes()
    with tempfile.TemporaryDirectory() as d:
        image = Path(d) / "flash.bin"  # from the lowest raw blob to the end of the filesystem
        start = min(regions.values(), default=layout.offset)
        data = bytearray(b"\xff" * (layout.offset - start)) + build_fs(files or {}, layout, base)
        for blob_name, off in regions.items():
            blob = flash[blob_name]  # type: ignore[index]
            data[off - start : off - start + len(blob)] = blob
        image.write_bytes(data)
        port = Path(d) / "pico"
        cmd = f"node {runner} {fw} --fs {image} --fs-offset {start:#x}"
        if keep:
            cmd += " --save"  # the image file follows what the firmware writes
        if counters is not None:
            cmd += f" --cycles-file {counters}"
        p = subprocess.Popen(["socat", f"PTY,link={port},raw,echo=0", f"EXEC:{cmd}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
        try:
            for _ in range(100):
                if port.exists() or p.poll() is not None:
                    break
                time.sleep(0.1)
            if not port.exists():
                err = p.stderr.read().decode() if p.poll() is not None and p.stderr else ""
                raise BoardError(f"{name}: the emulator did not start: {err.strip()[-400:]}")
            dev = Device(str(port))
            with step(f"booting {name} (the emulated Pico)"):
                _wait_for_repl(dev, name)
            if regions:
                dev.exec("import uctypes; " + "; ".join(
                    f"{n} = uctypes.bytearray_at({XIP_BASE + off:#x}, {len(flash[n])})"  # type: ignore[index]
                    for n, off in regions.items()))
            yield dev
        finally:
            os.killpg(p.pid, 15)
            p.wait()
            if keep:  # the emulator writes the flash out as it quits, after socat's end
                for _ in range(100):
                    try:
                        os.killpg(p.pid, 0)
                    except ProcessLookupError:
                        break
                    time.sleep(0.1)
                state.parent.mkdir(parents=True, exist_ok=True)
                state.write_bytes(image.read_bytes()[layout.offset - start:])


def _wait_for_repl(dev: Device, name: str, seconds: float = 60) -> None:
    """The emulated Pico's USB serial port answers once MicroPython has booted and the host
    side (the emulator's USB device) is configured."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            _mpremote(dev.port, "exec", "pass", timeout=20)
            return
        except (BoardError, subprocess.TimeoutExpired) as e:
            if time.monotonic() > deadline:
                raise BoardError(f"{name}: no REPL after {seconds:.0f} s: {e}") from None
            time.sleep(0.5)


@contextmanager
def connect(board: str, icount: bool = False) -> Iterator[Device]:
    """A serial board by name or port; an emulated one boots empty (run_script and
    with_filesystem give the sessions that keep files)."""
    if board in EMULATED:
        with emulated(board, icount=icount) as dev:
            yield dev
    elif board in PICOS:
        with emulated_pico(board) as dev:
            yield dev
    elif board in LOCAL:
        raise BoardError(f"{board} is not a serial board")
    else:
        port = resolve_port(board)
        windows_com = os.name == "nt" and re.fullmatch(r"COM\d+", port, re.IGNORECASE)
        if not windows_com and not Path(port).exists():
            named = f" ({port})" if port != board else ""
            raise BoardError(f"no board {board!r}{named}: use {', '.join(NAMES)}, a serial "
                             "port or auto (`tinyml boards` lists them)")
        yield Device(port)


# mpremote's short names for serial ports: a0 -> /dev/ttyACM0, u0 -> /dev/ttyUSB0, c0 -> COM0.
_PORT_PREFIXES = {"a": "/dev/ttyACM", "u": "/dev/ttyUSB", "c": "COM"}


def usb_serial_ports() -> list[tuple[str, str]]:
    """(device, description) of each USB serial port, sorted: where `auto` looks, as mpremote's
    does (a port with a USB vendor and product id)."""
    import serial.tools.list_ports

    return [(p.device, f"{p.vid:04x}:{p.pid:04x} {p.manufacturer or ''} {p.product or ''}".strip())
            for p in sorted(serial.tools.list_ports.comports())
            if p.vid is not None and p.pid is not None]


def resolve_port(board: str) -> str:
    """A serial port from what mpremote accepts too: a path or COM name, `auto` (the first USB
    serial board), a0/u0/c0 shorthands, id:SERIAL_NUMBER, port:PATH."""
    if board == "auto":
        usb = usb_serial_ports()
        if not usb:
            raise BoardError("--board auto: no USB serial board connected (plug one in; "
                             "`tinyml boards` lists what is there)")
        return usb[0][0]
    if board.startswith("port:"):
        return board[len("port:"):]
    if board.startswith("id:"):
        import serial.tools.list_ports

        for p in serial.tools.list_ports.comports():
            if p.serial_number == board[len("id:"):]:
                return str(p.device)
        raise BoardError(f"no board with serial number {board[len('id:'):]!r} connected")
    m = re.fullmatch(r"([auc])(\d+)", board)
    return _PORT_PREFIXES[m[1]] + m[2] if m else board


def run_local(board: str, script: Path, files: dict[str, bytes] | None = None,
              echo: Callable[[str], None] | None = None) -> str:
    """Run a device script on the host simulator or the unix port, in a scratch folder; its
    output passed line by line to `echo` as it comes."""
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(script, Path(d) / script.name)
        for name, data in (files or {}).items():
            (Path(d) / name).write_bytes(data)
        if board == "host":
            cmd = [sys.executable, script.name]  # the host package provides tinyml
        else:
            exe = unix_port()
            cmd = [str(exe), script.name]
        rc, out, err = _stream(cmd, d, echo, 3600)
        if rc != 0:
            raise BoardError(f"{board}: {(err or out).strip()[-800:]}")
        return out


def run_script(board: str, script: Path, files: dict[str, bytes] | None = None,
               echo: Callable[[str], None] | None = None) -> str:
    """Run a script on any board with `files` beside it (a scratch folder for host and unix;
    the filesystem of a serial board; a RAM disk on QEMU; the emulated Pico's littlefs), its
    output passed line by line to `echo` as it comes."""
    files = files or {}
    if board in LOCAL:
        return run_local(board, script, files, echo)
    if board in PICOS:
        with emulated_pico(board, stock=kept_stock_firmware(board), files=files,
                           keep=True) as dev:
            return dev.run(script, echo)
    ctx = emulated_kept(board) if board in EMULATED else connect(board)
    with ctx as dev:
        if files:
            dev.put(files)
        return dev.run(script, echo)


def unix_port(stock: bool = False) -> Path:
    """MicroPython's unix port with tinyml compiled in (or stock), ready to run."""
    exe = artifact("unix-stock/micropython" if stock else "unix/micropython")
    if not exe.is_file():
        raise BoardError(f"unix: needs {exe} (run `make setup`)")
    if not os.access(exe, os.X_OK):  # a wheel's data file may lose its executable bit
        exe.chmod(exe.stat().st_mode | 0o111)
    return exe


def natmod_path(arch: str) -> Path:
    """The native module built for an architecture (natmod/<arch>/tinyml.mpy)."""
    mpy = artifact(f"natmod/{arch}/tinyml.mpy")
    if not mpy.is_file():
        raise BoardError(f"{mpy} missing (run `make setup`, or reinstall tinyml)")
    return mpy


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
def with_filesystem(board: str, files: dict[str, bytes] | None = None,
                    stock: bool | None = None) -> Iterator[Device]:
    """A board with a writable filesystem holding `files` (name -> bytes): a serial board as it
    is, the files copied with mpremote cp; an emulated board boots its stock firmware (no
    tinyml inside): QEMU with a RAM disk mounted and the files copied there, the Pico emulator
    with the filesystem it kept and the files added to it at power-on. The emulated Pico
    boots stock firmware when `stock`, tinyml's when not, and with None the firmware that
    wrote the filesystem it kept (kept_stock_firmware; tinyml's for a new board)."""
    files = files or {}
    if board in PICOS:
        if stock is None:
            stock = kept_stock_firmware(board)
        with emulated_pico(board, stock=stock, files=files, keep=True) as dev:
            yield dev
        return
    ctx = emulated_kept(board, stock=True) if board in EMULATED else connect(board)
    with ctx as dev:
        if files:
            dev.put(files)
        yield dev
