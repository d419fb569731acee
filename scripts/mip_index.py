"""Write a static mip index (`make dist`): for each architecture's native module in
build/natmod/, <out>/<arch>/package.json naming tinyml.mpy and the device package's Python
files, copied beside it (urls relative to the package.json, so any static web host serves the
folder as it is); and <out>/package.json with the device API alone, for firmware that has the
C core compiled in; and <out>/<arch>/frontends/package.json with the front-ends' module
(_tinyml_fe.mpy) and their device modules, where it is built.
`mpremote mip install http://HOST/PATH/<arch>/package.json`."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from tinyml_tools.boards.deploy import FIRMWARE_FILES, FRONTENDS_MODULE, TRAINER_FILES

ROOT = Path(__file__).resolve().parents[1]


def write(folder: Path, files: dict[str, Path], version: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, src in files.items():
        shutil.copy(src, folder / name)
    package = {"urls": [[name, name] for name in files], "version": version}
    (folder / "package.json").write_text(json.dumps(package, indent=2) + "\n")


def main() -> None:
    out = Path(sys.argv[1])
    from importlib.metadata import version

    v = version("tinyml")
    device = {name: ROOT / "device" / name for name in TRAINER_FILES}
    write(out, {"tinyml.py": ROOT / "device/tinyml.py", **device}, v)
    for mpy in sorted((ROOT / "build/natmod").glob("*/tinyml.mpy")):
        write(out / mpy.parent.name, {"tinyml.mpy": mpy, **device}, v)
    frontends = {name: ROOT / "device" / name for name in FIRMWARE_FILES}
    for mpy in sorted((ROOT / "build/natmod").glob(f"*/{FRONTENDS_MODULE}")):
        write(out / mpy.parent.name / "frontends", {FRONTENDS_MODULE: mpy, **frontends}, v)


if __name__ == "__main__":
    main()
