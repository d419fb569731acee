"""Python code style is part of the build: ruff, line length 99."""

import shutil
import subprocess
import sys

from runtimes import ROOT


def test_ruff_clean() -> None:
    ruff = shutil.which("ruff", path=str(ROOT / ".venv/bin")) or shutil.which("ruff")
    cmd = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    p = subprocess.run([*cmd, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
