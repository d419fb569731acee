"""The host side under atheris (tests/fuzz/fuzz_tflite.py): any bytes through the .tflite
reader, the converter and the host simulator give a converter error with a message or a blob
that loads, never a traceback from deep inside. 30 s in `make test` (TML_FUZZ_SECONDS / 2),
seeded with the Keras test models; every input that once failed is replayed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runtimes import ROOT

TARGET = ROOT / "tests/fuzz/fuzz_tflite.py"
REGRESSIONS = ROOT / "tests/fuzz/regressions_tflite"

pytest.importorskip("atheris", reason="pip install atheris (in the [dev] extra)")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TARGET), "-rss_limit_mb=2048", *args],
                          capture_output=True, text=True, cwd=cwd)


def test_regressions_replay(tmp_path: Path) -> None:
    files = sorted(p for p in REGRESSIONS.iterdir() if p.name != "README.md")
    assert files
    p = _run(*map(str, files), cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]


def test_fuzz_converter(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for m in sorted((ROOT / "tests/models/keras").glob("*.tflite")):
        shutil.copy(m, corpus)
    seconds = max(1, int(os.environ.get("TML_FUZZ_SECONDS", "60")) // 2)
    p = _run(f"-max_total_time={seconds}", "-max_len=16384", "-print_final_stats=1",
             f"-artifact_prefix={tmp_path}/", str(corpus), cwd=tmp_path)
    found = [f for f in tmp_path.iterdir() if f.name.startswith(("crash-", "oom-", "timeout-"))]
    for f in found:
        shutil.copy(f, REGRESSIONS / f.name)
    assert p.returncode == 0 and not found, p.stderr[-3000:]
    execs = int(re.search(r"stat::number_of_executed_units: (\d+)", p.stderr).group(1))
    print(f"\nfuzz_tflite: {execs} executions in {seconds} s, every one handled")
