"""littlefs images of a board's filesystem, built on the host.

`tinyml fs-image` bakes models, the native module and the device package into the exact image
MicroPython's rp2 port mounts at `/` (its `_boot.py`: littlefs v2 on `rp2.Flash()`, programmed
in 256-byte pages). Written at the filesystem's flash offset with `picotool load`, it fills a
whole classroom of Picos without a REPL session per board; the RP2040 emulator, which cannot
program flash, boots with it already in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from littlefs import LittleFS
from littlefs.errors import LittleFSError


@dataclass(frozen=True)
class FlashLayout:
    """Where a board's MicroPython keeps its filesystem (ports/rp2/rp2_flash.c:
    MICROPY_HW_FLASH_STORAGE_BYTES at the end of the flash)."""

    board: str
    flash_bytes: int
    storage_bytes: int
    block_size: int = 4096  # the flash's erase sector
    prog_size: int = 256  # _boot.py mounts with progsize=256 (a flash page)
    read_size: int = 32  # VfsLfs2's defaults
    lookahead_size: int = 32

    @property
    def offset(self) -> int:
        """Byte offset of the filesystem in flash (add 0x10000000, XIP, for picotool)."""
        return self.flash_bytes - self.storage_bytes

    @property
    def block_count(self) -> int:
        return self.storage_bytes // self.block_size


# The filesystems of tinyml's firmware (scripts/build_rp2.sh builds RPI_PICO with this size).
# On a 2 MB Pico it is 128 KB smaller than stock MicroPython's 1408 KB: that flash goes to
# models read in place from raw flash, between the firmware and the filesystem
# (docs/boards.md). The Pico 2's 4 MB leave room without.
LAYOUTS = {
    "pico": FlashLayout("RPI_PICO", 2 * 1024 * 1024, 1280 * 1024),
    "pico2": FlashLayout("RPI_PICO2", 4 * 1024 * 1024, 3 * 1024 * 1024),
}
# Stock MicroPython's (ports/rp2: MICROPY_HW_FLASH_STORAGE_BYTES), where the native module runs.
STOCK_LAYOUTS = {
    "pico": FlashLayout("RPI_PICO", 2 * 1024 * 1024, 1408 * 1024),
    "pico2": LAYOUTS["pico2"],
}


def layout_for(name: str, stock: bool) -> FlashLayout:
    """The filesystem layout of a Pico (LAYOUTS key) with tinyml's firmware or stock."""
    return (STOCK_LAYOUTS if stock else LAYOUTS)[name]
XIP_BASE = 0x10000000
_DISK_VERSION = 0x00020001  # what MicroPython 1.25's littlefs (2.8) writes


def _littlefs(layout: FlashLayout, mount: bool) -> LittleFS:
    """A RAM-backed littlefs with the board's geometry: formatted and mounted, or blank."""
    return LittleFS(block_size=layout.block_size, block_count=layout.block_count,
                    read_size=layout.read_size, prog_size=layout.prog_size,
                    lookahead_size=layout.lookahead_size, disk_version=_DISK_VERSION,
                    mount=mount)


def build(files: dict[str, bytes], layout: FlashLayout, base: bytes | None = None,
          written: Callable[[str, int], None] | None = None) -> bytes:
    """The whole filesystem region: `files` (path -> bytes; folders are made) in littlefs,
    a new one, or `base` (an image of this layout: what a board wrote) with them added;
    written(path, size) is told of each file once it is in.

    Raises ValueError when the files do not fit."""
    fs = _littlefs(layout, mount=base is None)
    if base is not None:
        fs.context.buffer[:] = base
        fs.mount()
    for path, data in files.items():
        parts = [p for p in path.split("/") if p]
        if not parts:
            raise ValueError(f"{path!r}: not a file path")
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            try:
                fs.mkdir(folder)
            except FileExistsError:
                pass
        try:
            with fs.open("/".join(parts), "wb") as f:
                f.write(data)
        except LittleFSError as e:
            if e.code != LittleFSError.Error.LFS_ERR_NOSPC:
                raise
            total = sum(len(d) for d in files.values())
            raise ValueError(f"{total:,} bytes of files do not fit the {layout.board} "
                             f"filesystem ({layout.storage_bytes:,} bytes)") from None
        if written is not None:
            written(path, len(data))
    return bytes(fs.context.buffer)


def read(image: bytes, layout: FlashLayout) -> dict[str, bytes]:
    """Every file in an image, path -> bytes: to check what a board will see."""
    fs = _littlefs(layout, mount=False)
    fs.context.buffer[:] = image
    fs.mount()
    out: dict[str, bytes] = {}
    for root, _dirs, names in fs.walk("/"):
        for name in names:
            path = f"{root.rstrip('/')}/{name}".lstrip("/")
            with fs.open(path, "rb") as f:
                out[path] = f.read()
    return out


# UF2 (the Pico's drag-and-drop format): 512-byte blocks of 256 payload bytes each.
_UF2_MAGIC = (0x0A324655, 0x9E5D5157, 0x0AB16F30)
_UF2_FAMILY_PRESENT = 0x2000
UF2_FAMILY = {"RPI_PICO": 0xE48BFF56, "RPI_PICO2": 0xE48BFF59}  # rp2040, rp2350 Arm secure


def to_uf2(data: bytes, address: int, family: int) -> bytes:
    """`data` to be written at flash `address` (XIP), as UF2 blocks for the BOOTSEL drive."""
    import struct

    n = (len(data) + 255) // 256
    out = bytearray()
    for i in range(n):
        chunk = data[i * 256 : (i + 1) * 256]
        out += struct.pack("<8I", _UF2_MAGIC[0], _UF2_MAGIC[1], _UF2_FAMILY_PRESENT,
                           address + i * 256, 256, i, n, family)
        out += chunk.ljust(476, b"\0") + struct.pack("<I", _UF2_MAGIC[2])
    return bytes(out)
