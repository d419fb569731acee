"""Putting tinyml on a board: `tinyml install` (the native module that fits it), `tinyml deploy`
(blobs as files or as a ROMFS image, each checked to load there) and `tinyml fs-image` (a
Pico's whole filesystem baked on the host). The command line only parses and prints; every
failure is a BoardError whose message says what went wrong."""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..feedback import progress
from .devices import (
    EMULATED,
    LOCAL,
    PICO_NATMOD,
    PICOS,
    BoardError,
    Device,
    kept_stock_firmware,
    natmod_path,
    pick_natmod,
    with_filesystem,
)
from .fsimage import UF2_FAMILY, XIP_BASE, FlashLayout, layout_for, to_uf2
from .fsimage import build as build_fs
from .romfs import build as build_romfs

# On-device learning (net.trainer): plain Python modules beside the native module (frozen into
# firmware by device/manifest.py instead).
TRAINER_FILES = ("tinyml_train.py", "tinyml_head.py", "tinyml_backbone.py", "tinyml_adapter.py",
                 "tinyml_num.py")
# Device modules over the front-ends' C (audio and motion, tml_config.h): frozen into firmware
# and listed in package.json; on stock firmware copied with the front-ends' own native module,
# _tinyml_fe.mpy, by `install --frontends`.
FIRMWARE_FILES = ("tinyml_audio.py", "tinyml_motion.py")
FRONTENDS_MODULE = "_tinyml_fe.mpy"


# The cores it is built for: those with floating point (its settings and the audio front-end's
# init are floating point; Armv6-M's and the ESP8266's modules have no float support).
FRONTENDS_ARCHS = ("x64", "armv7m", "armv7emsp", "rv32imc")


def frontends_path(arch: str) -> Path:
    """The front-ends' native module for an architecture; BoardError where there is none."""
    if arch not in FRONTENDS_ARCHS:
        raise BoardError(f"no front-ends module for {arch} (built for "
                         f"{', '.join(FRONTENDS_ARCHS)}: the cores with floating point); "
                         f"tinyml's firmware for the board has the front-ends built in")
    mpy = natmod_path(arch).with_name(FRONTENDS_MODULE)
    if not mpy.is_file():
        raise BoardError(f"{mpy} missing (run `make setup`, or reinstall tinyml)")
    return mpy


def device_file(name: str) -> Path:
    """A file of the device package, wherever the host package was installed from."""
    spec = importlib.util.find_spec(name.removesuffix(".py"))
    if spec is None or spec.origin is None:
        raise BoardError(f"{name} not found (reinstall tinyml)")
    return Path(spec.origin)


def board_natmod(dev: Device) -> str:
    """The native module folder that fits the board, from its sys.implementation._mpy."""
    return pick_natmod(int(dev.exec("import sys; print(sys.implementation._mpy)").split()[-1]))


@dataclass(frozen=True)
class Installed:
    arch: str  # the native module folder copied
    module: Path  # its file on this machine
    version: str  # what `tinyml.__version__` says on the board


def _module_files(arch: str, frontends: bool) -> dict[str, bytes]:
    """What install copies for an architecture: the native module and on-device learning (plain
    Python next to it); with `frontends`, the front-ends' module and their device modules."""
    files = {"tinyml.mpy": natmod_path(arch).read_bytes(),
             **{name: device_file(name).read_bytes() for name in TRAINER_FILES}}
    if frontends:
        files[FRONTENDS_MODULE] = frontends_path(arch).read_bytes()
        files |= {name: device_file(name).read_bytes() for name in FIRMWARE_FILES}
    return files


def install(board: str, frontends: bool = False) -> Installed:
    """Copy the native module that fits the board (asked for its architecture and .mpy ABI)
    and the on-device learning module to its filesystem, and check that tinyml imports; with
    `frontends`, the front-ends' module too, checked by importing tinyml_audio and
    tinyml_motion."""
    if board in LOCAL:
        raise BoardError(f"{board} needs no install")
    # The emulated Pico takes its files at power-on: the module its core needs, which the board
    # then has to confirm like any other.
    pico = PICOS[board].natmod if board in PICOS else None
    files = _module_files(pico, frontends) if pico else {}
    with with_filesystem(board, files, stock=True) as dev:
        arch = board_natmod(dev)
        if pico and arch != pico:
            raise BoardError(f"{board} reports another architecture than {pico}")
        if not pico:
            dev.put(_module_files(arch, frontends))
        check = "import tinyml; print(tinyml.__version__)"
        if frontends:
            check = "import tinyml_audio, tinyml_motion\n" + check
        version = dev.exec(check).split()[-1]
    return Installed(arch, natmod_path(arch), version)


# What a deployed blob costs in RAM once loaded: in place from ROMFS, only the arena.
_LOAD_REPORT = ("import gc, tinyml; net = None; gc.collect(); free = gc.mem_free(); "
                "net = tinyml.load({path!r}); gc.collect(); "
                "print(repr(net) + ', heap used %d B' % (free - gc.mem_free()))")


def check_blob(path: Path) -> None:
    """Raise BoardError unless `path` holds a blob tinyml's loader accepts (the host's copy of
    the C core: the same checks the board makes), with what to do instead."""
    from _tinyml import Model

    data = path.read_bytes()
    try:
        Model(data)
    except ValueError as e:
        hint = ""
        if data[4:8] == b"TFL3":
            hint = f": a .tflite model; convert it first: tinyml convert {path} -o " \
                   f"{path.with_suffix('.bin').name}"
        raise BoardError(f"{path}: not a blob tinyml loads ({e}){hint}") from e


def deploy(blobs: tuple[Path, ...], board: str, romfs: bool) -> Iterator[str]:
    """Put blobs on a board (file copies, or a ROMFS image) and check that each loads there.
    Yields one line per blob as it loads: where it went and what loading it cost."""
    if board in LOCAL:
        raise BoardError(f"{board} reads files from this machine: nothing to deploy")
    names = [b.name for b in blobs]
    if len(set(names)) != len(names):
        raise BoardError("two blobs with the same file name")
    for b in blobs:  # refused here, before anything is uploaded, as the board would refuse it
        check_blob(b)
    files = {} if romfs else {b.name: b.read_bytes() for b in blobs}
    # The emulated Pico keeps the firmware it last had (install flashes stock MicroPython with
    # the module, else it has tinyml's), files at power-on: with stock, the module goes too.
    if board in PICOS and kept_stock_firmware(board):
        files["tinyml.mpy"] = natmod_path(PICOS[board].natmod).read_bytes()
    with with_filesystem(board, files) as dev:
        paths = _deploy_romfs(dev, blobs) if romfs else names
        if board in EMULATED:  # stock firmware: the module too
            if romfs:  # the soft reset emptied the RAM disk
                dev.exec("import ramfs; ramfs.mount()")
            dev.put({"tinyml.mpy": natmod_path(board_natmod(dev)).read_bytes()})
        for blob, path in zip(blobs, paths, strict=True):
            out = dev.exec(_LOAD_REPORT.format(path=path)).strip().splitlines()[-1]
            yield f"{blob.name} -> :{path}; {out}"


def _deploy_romfs(dev: Device, blobs: tuple[Path, ...]) -> list[str]:
    """Write the blobs as the board's ROMFS image (files 16-byte aligned, romfs.py) with
    `mpremote romfs deploy`, soft-reset so the board mounts it, and return their paths."""
    image = build_romfs({b.name: b.read_bytes() for b in blobs})
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "tinyml.romfs"
        path.write_bytes(image)
        dev.mpremote("romfs", "deploy", str(path))
    listed = dev.mpremote("soft-reset", "exec", "import os; print(os.listdir('/rom'))")
    if repr([b.name for b in blobs]) not in listed:
        raise BoardError(f"the board did not mount the ROMFS image at /rom: {listed.strip()}")
    return [f"/rom/{b.name}" for b in blobs]


@dataclass(frozen=True)
class FsImage:
    data: bytes  # the image: UF2 blocks, or the raw filesystem region
    address: int  # where the filesystem region goes in the board's address space
    layout: FlashLayout
    files: dict[str, bytes]  # what it holds


def fs_image(files: dict[str, bytes], layout: str, with_module: bool, uf2: bool) -> FsImage:
    """The littlefs filesystem MicroPython mounts at / on a Pico (`layout`: fsimage.LAYOUTS),
    holding `files` and, with_module, the native module for the board's core and the device
    package, for stock firmware (its layout: fsimage.STOCK_LAYOUTS), else for tinyml's; as UF2
    blocks or raw bytes. Raises ValueError when the files do not fit."""
    contents = dict(files)
    if with_module:
        contents["tinyml.mpy"] = natmod_path(PICO_NATMOD[layout]).read_bytes()
        for name in TRAINER_FILES:
            contents[name] = device_file(name).read_bytes()
    lay = layout_for(layout, stock=with_module)
    with progress(f"writing a littlefs image for {lay.board}",
                  sum(map(len, contents.values())), "B") as advance:
        image = build_fs(contents, lay, written=lambda path, n: advance(n, f"wrote {path}"))
    address = XIP_BASE + lay.offset
    if uf2:
        image = to_uf2(image, address, UF2_FAMILY[lay.board])
    return FsImage(image, address, lay, contents)
