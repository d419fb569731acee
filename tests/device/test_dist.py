"""What a user installs without building anything (issue 17): `make dist`'s wheel, installed
into a clean virtual environment and used from a folder outside the checkout, with no build
folder (the emulated boards' firmware alone is lent through $TINYML_BUILD, as a real board would
be plugged in); and its static mip index, served over HTTP on 127.0.0.1 and installed with
`mpremote mip install` onto a board running stock MicroPython."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from qemu import board
from runtimes import ROOT
from tinyml_tools.boards.deploy import FIRMWARE_FILES, FRONTENDS_ARCHS, TRAINER_FILES

KWS = ROOT / "models/kws"
DIST = ROOT / "build/dist"


@pytest.fixture(scope="module")
def wheel() -> Path:
    p = subprocess.run([str(ROOT / "scripts/dist.sh")], capture_output=True, text=True,
                       cwd=ROOT, timeout=900)
    assert p.returncode == 0, p.stderr
    (whl,) = DIST.glob("tinyml-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    v = tmp_path_factory.mktemp("venv")
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(v)], check=True, timeout=300)
    p = subprocess.run([str(v / "bin/pip"), "install", "-q", str(wheel)], capture_output=True,
                       text=True, timeout=900)
    assert p.returncode == 0, p.stderr
    return v


def test_the_wheel_carries_every_artifact(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    archs = sorted(p.parent.name for p in (ROOT / "build/natmod").glob("*/tinyml.mpy"))
    assert {"armv6m", "armv7emsp", "armv7m", "rv32imc", "x64", "xtensa"} <= set(archs)
    for arch in archs:
        assert f"tinyml_tools/data/natmod/{arch}/tinyml.mpy" in names, arch
    for arch in FRONTENDS_ARCHS:  # the front-ends' module
        assert f"tinyml_tools/data/natmod/{arch}/_tinyml_fe.mpy" in names, arch
    assert {"tinyml_tools/data/unix/micropython", "tinyml_tools/data/rp2/RPI_PICO/firmware.uf2",
            "tinyml_tools/data/rp2/RPI_PICO2/firmware.uf2", "tinyml.pyi"} <= names
    # and none in a checkout: the build folder is where a checkout finds them
    assert not (ROOT / "host_tools/tinyml_tools/data").exists()


def _run(venv: Path, cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    lent = cwd / "lent"  # the emulated boards' firmware only
    lent.mkdir(exist_ok=True)
    if not (lent / "qemu").exists():
        (lent / "qemu").symlink_to(ROOT / "build/qemu")
    env |= {"TINYML_BUILD": str(lent), "PATH": f"{venv / 'bin'}:{env['PATH']}"}
    p = subprocess.run([str(venv / "bin/tinyml"), *args], capture_output=True, text=True,
                       cwd=cwd, env=env, timeout=900)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_quick_start_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    """README's demo with the installed tool alone: convert KWS, run the demo script on the
    unix port (from the wheel) with its files, the same result as the checkout's `make demo`."""
    for name in ("kws.tflite", "labels.txt", "samples.bin", "samples.txt"):
        (tmp_path / name).write_bytes((KWS / name).read_bytes())
    (tmp_path / "kws_demo.py").write_bytes((ROOT / "examples/kws_demo.py").read_bytes())
    out = _run(venv, tmp_path, "convert", "kws.tflite", "-o", "kws.bin", "--labels",
               "labels.txt")
    assert out.startswith("kws.bin: 31220 bytes")
    assert (tmp_path / "kws.bin").read_bytes() == (KWS / "kws.bin").read_bytes()
    demo = _run(venv, tmp_path, "run", "kws_demo.py", "--board", "unix", "--with", "kws.bin",
                "--with", "samples.bin", "--with", "samples.txt")
    here = subprocess.run([str(ROOT / "build/unix/micropython"), "kws_demo.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300).stdout
    assert demo == here and demo.splitlines()[-2] == "22/24 correct"


def test_install_deploy_fs_image_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "kws.bin").write_bytes((KWS / "kws.bin").read_bytes())
    out = _run(venv, tmp_path, "install", "--board", "qemu-m4")
    data = venv / f"lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages" \
        / "tinyml_tools/data"
    assert out.startswith("qemu-m4: installed armv7emsp/tinyml.mpy (")
    assert f"from {data}); import tinyml -> 0.1.0" in out
    out = _run(venv, tmp_path, "deploy", "kws.bin", "--board", "qemu-m4")
    assert out.startswith("qemu-m4: kws.bin -> :kws.bin; <Net kws: 13 ops")
    out = _run(venv, tmp_path, "fs-image", "kws.bin", "--with-module", "-o", "fs.uf2")
    assert out.startswith(f"fs.uf2: {2 + len(TRAINER_FILES)} files, ")


def test_mip_index_over_http(wheel: Path) -> None:
    """The static index as a web host serves it; mpremote fetches it on the host and writes the
    files to the board (stock firmware, its RAM disk), where `import tinyml` then works."""
    mip = DIST / "mip"
    for arch in ("armv6m", "armv7emsp", "armv7m", "rv32imc", "xtensa"):
        pkg = json.loads((mip / arch / "package.json").read_text())
        assert pkg["urls"] == [[n, n] for n in ("tinyml.mpy", *TRAINER_FILES)]
        assert all((mip / arch / n).is_file() for n, _ in pkg["urls"])
    for arch in FRONTENDS_ARCHS:  # the front-ends' packages
        pkg = json.loads((mip / arch / "frontends/package.json").read_text())
        assert pkg["urls"] == [[n, n] for n in ("_tinyml_fe.mpy", *FIRMWARE_FILES)]
        assert all((mip / arch / "frontends" / n).is_file() for n, _ in pkg["urls"])
    assert not (mip / "armv6m/frontends").exists()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(mip))

    class Quiet(http.server.ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass

    srv = Quiet(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/armv7emsp/package.json"
    try:
        with board("qemu-m4", stock=True) as port:
            mp = [sys.executable, "-m", "mpremote", "connect", port, "resume"]
            subprocess.run([*mp, "exec", "import ramfs; ramfs.mount()"], check=True)
            p = subprocess.run([*mp, "mip", "install", "--target", "/ram", url],
                               capture_output=True, text=True, timeout=600)
            assert p.returncode == 0 and p.stdout.rstrip().endswith("Done"), p.stderr
            p = subprocess.run([*mp, "exec", "import tinyml; print(tinyml.__version__)"],
                               capture_output=True, text=True, timeout=120)
            assert p.stdout.split() == ["0.1.0"], p.stderr
    finally:
        srv.shutdown()


# A user's script as an editor sees it, with two mistakes a type checker must catch.
_USER_SCRIPT = """import tinyml

net = tinyml.load("kws.bin")
label, score = net.classify([0.0] * 490)
reveal_type(score)
tr = net.trainer(mode="head")
reveal_type(tr.fit(epochs=5))
net.predikt([0.0] * 490)
tr.fit(epochs="5")
"""


def test_stub_only_package_for_editors(wheel: Path, tmp_path: Path) -> None:
    """`make dist`'s stub-only wheel, installed alone into a clean environment (no tinyml), is
    what mypy reads for `import tinyml` there: the types of the device API, and errors for a
    misspelt method and a wrong argument type."""
    (stubs,) = DIST.glob("micropython_tinyml_stubs-*.whl")
    assert sorted(n for n in zipfile.ZipFile(stubs).namelist() if n.endswith(".pyi")) == sorted(
        f"{p.stem}-stubs/__init__.pyi" for p in (ROOT / "device").glob("*.pyi"))
    env = tmp_path / "editor"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(env)], check=True, timeout=300)
    script = tmp_path / "main.py"
    script.write_text(_USER_SCRIPT)

    def mypy() -> list[str]:
        p = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental",
                            "--python-executable", str(env / "bin/python"), str(script)],
                           capture_output=True, text=True, cwd=tmp_path, timeout=300)
        # as mypy 1.x and 2.x both word it
        out = re.sub(r'; maybe "\w+"\?', "", p.stdout.replace("builtins.", ""))
        return [ln.split(": ", 1)[1] for ln in out.splitlines() if ": " in ln]

    assert mypy()[0].startswith('error: Cannot find implementation or library stub for '
                                'module named "tinyml"')
    p = subprocess.run([str(env / "bin/pip"), "install", "-q", str(stubs)], capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert mypy() == [
        'note: Revealed type is "float"',
        'note: Revealed type is "dict[str, float | int | None]"',
        'error: "Net" has no attribute "predikt"  [attr-defined]',
        'error: Argument "epochs" to "fit" of "Trainer" has incompatible type "str"; expected '
        '"int"  [arg-type]',
    ]
