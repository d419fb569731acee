"""The device API's type stubs as a stub-only distribution (PEP 561), for editors on a machine
that never installs tinyml's host package: `micropython-tinyml-stubs`, one `<module>-stubs`
package per device module (device/*.pyi), which mypy, Pyright/Pylance (VS Code) and Jedi
(Thonny) find once it is installed in the editor's environment
(`pip install micropython-tinyml-stubs-*.whl`) or in a folder they search
(`pip install --target typings ...`).

    python scripts/stubs_wheel.py OUT_DIR    # writes OUT_DIR/micropython_tinyml_stubs-*.whl
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "micropython-tinyml-stubs"


def project(version: str, modules: list[str]) -> str:
    packages = ", ".join(f'"{m}-stubs"' for m in modules)
    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{NAME}"
version = "{version}"
description = "Type stubs of tinyml's device API (MicroPython) for editors and type checkers"
readme = "README.md"
license = "MIT"

[tool.setuptools]
packages = [{packages}]

[tool.setuptools.package-data]
"*" = ["*.pyi"]
"""


def main(out: Path) -> Path:
    stubs = sorted((ROOT / "device").glob("*.pyi"))
    with tempfile.TemporaryDirectory() as d:
        src = Path(d)
        for stub in stubs:
            pkg = src / f"{stub.stem}-stubs"
            pkg.mkdir()
            shutil.copy(stub, pkg / "__init__.pyi")
        (src / "pyproject.toml").write_text(project(version("tinyml"), [s.stem for s in stubs]))
        (src / "README.md").write_text(
            f"# {NAME}\n\nType stubs of tinyml's device API (`import tinyml` on a MicroPython "
            "board) for editors and type checkers: completion and checks in VS Code (Pylance), "
            "Thonny and mypy. Modules: " + ", ".join(f"`{s.stem}`" for s in stubs) + ".\n")
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                        "--no-build-isolation", "-w", str(out), str(src)], check=True)
    (whl,) = out.glob("micropython_tinyml_stubs-*.whl")
    return whl


if __name__ == "__main__":
    print(main(Path(sys.argv[1])))
