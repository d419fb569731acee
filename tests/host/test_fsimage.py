"""`tinyml fs-image`: the littlefs a Pico's MicroPython mounts, as raw image and as UF2."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from runtimes import ROOT
from tinyml_tools.boards.deploy import TRAINER_FILES
from tinyml_tools.boards.fsimage import LAYOUTS, STOCK_LAYOUTS, build, read, to_uf2

KWS = (ROOT / "models/kws/kws.bin").read_bytes()


def test_layouts_match_the_rp2_port() -> None:
    """ports/rp2: MICROPY_HW_FLASH_STORAGE_BYTES at the end of 2 MB (Pico) or 4 MB (Pico 2);
    tinyml's Pico firmware keeps 128 KB less (boards/rp2/RPI_PICO), as its build says."""
    assert (STOCK_LAYOUTS["pico"].offset, STOCK_LAYOUTS["pico"].block_count) == (0xA0000, 352)
    assert (LAYOUTS["pico"].offset, LAYOUTS["pico"].block_count) == (0xC0000, 320)
    assert LAYOUTS["pico2"] == STOCK_LAYOUTS["pico2"]
    assert (LAYOUTS["pico2"].offset, LAYOUTS["pico2"].block_count) == (0x100000, 768)
    flags = ROOT / "build/rp2/RPI_PICO/CMakeFiles/firmware.dir/flags.make"
    if flags.exists():
        assert f"MICROPY_HW_FLASH_STORAGE_BYTES={LAYOUTS['pico'].storage_bytes}" in (
            flags.read_text())


def test_image_round_trip() -> None:
    files = {"kws.bin": KWS, "lib/util.py": b"X = 1\n", "lib/more.py": b""}
    image = build(files, LAYOUTS["pico"])
    assert len(image) == 1280 * 1024
    assert read(image, LAYOUTS["pico"]) == files


def test_too_much_for_the_filesystem() -> None:
    with pytest.raises(ValueError, match=r"^1,500,000 bytes of files do not fit the RPI_PICO "
                       r"filesystem \(1,310,720 bytes\)$"):
        build({"big.bin": bytes(1_500_000)}, LAYOUTS["pico"])


def test_uf2_blocks_carry_the_image_at_the_filesystem_address() -> None:
    data = bytes(range(256)) * 3 + b"tail"
    uf2 = to_uf2(data, 0x100A0000, 0xE48BFF56)
    assert len(uf2) == 4 * 512
    got = bytearray()
    for i in range(4):
        block = uf2[i * 512 : (i + 1) * 512]
        m0, m1, flags, addr, size, no, n, family = struct.unpack_from("<8I", block)
        assert (m0, m1, struct.unpack_from("<I", block, 508)[0]) == (
            0x0A324655, 0x9E5D5157, 0x0AB16F30)
        assert (flags, addr, size, no, n, family) == (0x2000, 0x100A0000 + 256 * i, 256, i, 4,
                                                     0xE48BFF56)
        got += block[32 : 32 + size]
    assert bytes(got[: len(data)]) == data and not any(got[len(data) :])


def test_cli(tmp_path: Path) -> None:
    out = tmp_path / "fs.bin"
    p = subprocess.run([sys.executable, "-m", "tinyml_tools.cli", "fs-image",
                        "models/kws/kws.bin", "--with-module", "-o", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    mpy = (ROOT / "build/natmod/armv6m/tinyml.mpy").read_bytes()
    files = read(out.read_bytes(), STOCK_LAYOUTS["pico"])  # the module is for stock firmware
    assert sorted(files) == sorted(["kws.bin", "tinyml.mpy", *TRAINER_FILES])
    assert files["kws.bin"] == KWS and files["tinyml.mpy"] == mpy
    total = sum(map(len, files.values()))
    assert p.stdout == (f"{out}: {2 + len(TRAINER_FILES)} files, {total:,} bytes in a 1408 KiB "
                        "littlefs for RPI_PICO; picotool load -t bin fs.bin -o 0x100a0000\n")
