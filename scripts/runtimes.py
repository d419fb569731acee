"""Run a device script on each of tinyml's three runtimes, exactly as a user would:

- host:    the host simulator (CPython + the `_tinyml` extension), `python script.py`
- unix:    build/unix/micropython, tinyml compiled in and the device package frozen
- natmod:  a stock unix MicroPython (no tinyml inside) with build/natmod/x64/tinyml.mpy
           copied next to the script
- natmod-fe: the same with the front-ends' module, build/natmod/x64/_tinyml_fe.mpy, beside it
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIMES = ("host", "unix", "natmod")
# The x64 module built without floats, as the armv6m one is: tinyml.py does the float edges.
NOFLOAT = "natmod-nofloat"
# The native modules with the front-ends' own beside them (tinyml install --frontends).
FE = "natmod-fe"
UNIX = ROOT / "build/unix/micropython"
STOCK = ROOT / "build/unix-stock/micropython"
NATMOD = ROOT / "build/natmod/x64/tinyml.mpy"


def run_script(runtime: str, script: Path, workdir: Path, files: dict[str, bytes] | None = None,
               timeout: float = 300, heap: str | None = None) -> str:
    """Copy script and files into workdir, run the script there, return its stdout.

    Raises AssertionError with the output if the script fails."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(script, workdir / script.name)
    for name, data in (files or {}).items():
        (workdir / name).write_bytes(data)
    if runtime == "host":
        cmd = [sys.executable, script.name]
    elif runtime == "unix":
        cmd = [str(UNIX), *(["-X", f"heapsize={heap}"] if heap else []), script.name]
    elif runtime in ("natmod", NOFLOAT, FE):
        src = ROOT / "build/natmod/x64-nofloat/tinyml.mpy" if runtime == NOFLOAT else NATMOD
        shutil.copy(src, workdir / "tinyml.mpy")
        if runtime == FE:
            shutil.copy(NATMOD.with_name("_tinyml_fe.mpy"), workdir / "_tinyml_fe.mpy")
        for f in (ROOT / "device").glob("tinyml_*.py"):  # on-device learning, beside the .mpy
            shutil.copy(f, workdir / f.name)
        cmd = [str(STOCK), *(["-X", f"heapsize={heap}"] if heap else []), script.name]
    else:
        raise ValueError(runtime)
    p = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"{runtime} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
    return p.stdout
