"""tinyml's ROMFS images: every file's data aligned, and MicroPython's own VfsRom (the unix
port) lists and reads them, and tinyml.load uses a ROMFS file in place."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tflite_sizes import Model

from runtimes import ROOT
from tinyml_tools.boards.romfs import build, files_of, varuint

KWS = (ROOT / "models/kws/kws.bin").read_bytes()
# The arena derived from the .tflite (tests/tflite_sizes.py), the bound the planner reaches.
KWS_ARENA = Model((ROOT / "models/kws/kws.tflite").read_bytes()).arena_lower_bound(True)
FILES = {"a.txt": b"x", "kws.bin": KWS, "empty": b"", "odd.bin": bytes(range(7)) * 41}


def test_varuint() -> None:
    assert varuint(0) == b"\x00"
    assert varuint(127) == b"\x7f"
    assert varuint(128) == b"\x81\x00"
    assert varuint(300, 4) == b"\x80\x80\x82\x2c"
    with pytest.raises(ValueError):
        varuint(1 << 21, 2)


@pytest.mark.parametrize("align", [1, 4, 16, 64])
def test_files_are_aligned_and_whole(align: int) -> None:
    image = build(FILES, align)
    assert image[:3] == b"\xd2\xcd\x31" and len(image) % 2 == 0
    where = files_of(image)
    assert list(where) == list(FILES)
    for name, (offset, length) in where.items():
        assert offset % align == 0
        assert image[offset : offset + length] == FILES[name]


def test_names_must_be_plain() -> None:
    for bad in ("", "dir/kws.bin", "ü.bin"):
        with pytest.raises(ValueError, match="plain ASCII file name"):
            build({bad: b""})


def test_micropython_reads_the_image(tmp_path: Path) -> None:
    """MicroPython's VfsRom mounts the image; tinyml.load('/rom/kws.bin') is the ROMFS file's
    memory (memoryview(file)), so the heap grows by the arena and Net objects, not the blob."""
    (tmp_path / "t.romfs").write_bytes(build(FILES))
    (tmp_path / "check.py").write_text(
        "import gc, os, vfs, tinyml\n"
        "vfs.mount(vfs.VfsRom(open('t.romfs', 'rb').read()), '/rom')\n"
        "print(sorted(os.listdir('/rom')))\n"
        "for n in sorted(os.listdir('/rom')):\n"
        "    print(n, len(open('/rom/' + n, 'rb').read()))\n"
        "print(open('/rom/odd.bin', 'rb').read() == bytes(range(7)) * 41)\n"
        "gc.collect(); free = gc.mem_free()\n"
        "net = tinyml.load('/rom/kws.bin')\n"
        "gc.collect(); print(net.arena_size, free - gc.mem_free() < net.arena_size + 2048)\n"
        "print(net.predict_raw(bytes(490)).hex())\n")
    p = subprocess.run([str(ROOT / "build/unix/micropython"), "check.py"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    import tinyml

    want = tinyml.load(KWS).predict_raw(bytes(490)).hex()
    assert p.stdout.splitlines() == [
        "['a.txt', 'empty', 'kws.bin', 'odd.bin']", "a.txt 1", "empty 0",
        f"kws.bin {len(KWS)}", "odd.bin 287", "True", f"{KWS_ARENA} True", want]
