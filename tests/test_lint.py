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


def test_no_build_machine_paths() -> None:
    """No committed text names a folder of the machine it was made on (issue 17): paths are
    relative to the checkout, or ../shared/ beside it."""
    import re

    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    bad = re.compile(rb"/(?:work|root)/|/home/[a-z]")
    hits = []
    for name in files:
        path = ROOT / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:4096]:  # binary: blobs, models, regressions
            continue
        hits += [f"{name}:{n}" for n, line in enumerate(data.splitlines(), 1)
                 if bad.search(line)]
    assert not hits, hits
