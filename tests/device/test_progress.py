"""Long commands show progress bars on a terminal (issue 17): bytes copied by deploy, samples
run by verify and eval, a benchmark's steps, files written by fs-image. Each command runs
with its stderr on a pseudo-terminal, as in a user's shell, and the bar's last frame must say
how much of the work it measured was done; off a terminal the same command writes nothing but
its result."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from runtimes import ROOT

KWS = ROOT / "models/kws/kws.bin"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _on_terminal(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, what a 120-column terminal showed on stderr, escapes removed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    with subprocess.Popen([sys.executable, "-m", "tinyml_tools.cli", *args], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=slave, text=True) as p:
        os.close(slave)
        shown = b""
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the command closed the terminal
                break
            if not data:
                break
            shown += data
        os.close(master)
        assert p.stdout is not None
        out = p.stdout.read()
    return p.returncode, out, ANSI.sub("", shown.decode(errors="replace"))


def _frames(shown: str) -> list[str]:
    """The rows drawn, each without its spinner and bar: "copying kws.bin 1.5/31.2 kB 0:00:06"."""
    rows = (re.sub(r"[\u2800-\u28ff\u2500-\u257f]", " ", f) for f in re.split(r"[\r\n]", shown))
    return [" ".join(r.split()) for r in rows if r.strip()]


def test_deploy_shows_the_bytes_copied() -> None:
    rc, out, shown = _on_terminal("deploy", str(KWS), "--board", "qemu-m4", "--fresh")
    assert rc == 0, shown
    assert out.startswith("qemu-m4: kws.bin -> :kws.bin; <Net kws")
    size = f"{KWS.stat().st_size / 1000:.1f}"  # 31.2 kB
    frames = _frames(shown)
    assert any(f.startswith("booting qemu-m4 (QEMU)") for f in frames), frames
    copied = [f for f in frames if f.startswith("copying kws.bin")]
    assert copied and copied[-1].endswith(f"{size}/{size} kB 0:00:00"), copied[-1:]
    # the bar moved through the file, 256 bytes at a time
    assert any(f"/{size} kB" in f and f"{size}/" not in f for f in copied), copied


@pytest.mark.parametrize("board", ["unix", "qemu-m4"])
def test_verify_shows_the_samples_run(board: str) -> None:
    rc, out, shown = _on_terminal("verify", str(KWS), "--board", board, "-n", "6")
    assert rc == 0, shown
    assert out == f"kws.bin on {board}: 6/6 inputs bit-exact with the host\n"
    frames = [f for f in _frames(shown) if f.startswith(f"running 6 samples on {board}")]
    assert frames and "6/6 samples" in frames[-1], frames[-1:]


def test_bench_shows_its_steps() -> None:
    rc, out, shown = _on_terminal("bench", str(KWS), "--board", "qemu-m4", "--json")
    assert rc == 0, shown
    steps = [f for f in _frames(shown) if " steps " in f or f.endswith(" steps")]
    assert steps and "3/3 steps" in steps[-1], steps[-1:]
    assert out.lstrip().startswith("{")  # the result alone on stdout


def test_fs_image_shows_the_files_written(tmp_path: Path) -> None:
    rc, out, shown = _on_terminal("fs-image", str(KWS), "--with-module", "-o",
                                  str(tmp_path / "fs.uf2"))
    assert rc == 0, shown
    assert out.startswith(f"{tmp_path / 'fs.uf2'}: 7 files")
    m = re.search(r"7 files, ([\d,]+) bytes", out)
    assert m, out
    kb = f"{int(m.group(1).replace(',', '')) / 1000:.1f}"
    frames = [f for f in _frames(shown) if f.startswith(("writing a littlefs", "wrote "))]
    assert frames and frames[-1].endswith(f" {kb}/{kb} kB 0:00:00"), frames


def test_nothing_is_shown_off_a_terminal() -> None:
    p = subprocess.run([sys.executable, "-m", "tinyml_tools.cli", "verify", str(KWS),
                        "--board", "unix", "-n", "2"], cwd=ROOT, capture_output=True,
                       text=True)
    assert (p.returncode, p.stdout, p.stderr) == (
        0, "kws.bin on unix: 2/2 inputs bit-exact with the host\n", "")
