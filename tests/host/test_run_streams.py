"""`tinyml run` shows a script's output while the script runs, not when it ends (issue 17):
the script prints, then waits for a file that the test creates only after reading that line,
so output held back until the end would never arrive (the test would time out instead)."""

from __future__ import annotations

import select
import subprocess
import sys
from pathlib import Path

import pytest

from runtimes import ROOT

SCRIPT = """import os, time
print("started")
while True:
    try:
        os.stat({go!r})
        break
    except OSError:
        time.sleep(0.05)
print("done")
"""


@pytest.mark.parametrize("board", ["unix", "host"])
def test_run_streams_output(board: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    script = tmp_path / "wait.py"
    script.write_text(SCRIPT.format(go=str(go)))
    with subprocess.Popen([sys.executable, "-m", "tinyml_tools.cli", "run", str(script),
                           "--board", board], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as p:
        assert p.stdout is not None
        ready, _, _ = select.select([p.stdout], [], [], 120)
        try:
            assert ready, "no output while the script runs"
            assert p.stdout.readline() == "started\n"
        finally:
            go.write_text("")
        out, err = p.communicate(timeout=120)
    assert (p.returncode, out) == (0, "done\n"), err


def test_steps_show_on_a_terminal_only() -> None:
    """feedback.step shows its message on a terminal console; disabled (the CLI off a
    terminal), it writes nothing."""
    import io

    from rich.console import Console

    from tinyml_tools import feedback

    buf = io.StringIO()
    feedback.enable(Console(file=buf, force_terminal=True))
    try:
        with feedback.step("booting qemu-m4 (QEMU)"):
            pass
        shown = buf.getvalue()
        feedback.disable()
        with feedback.step("not shown"):
            pass
    finally:
        feedback.disable()
    assert "booting qemu-m4 (QEMU)" in shown and buf.getvalue() == shown
