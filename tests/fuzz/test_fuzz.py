"""The C core under libFuzzer with ASan and UBSan (tests/fuzz/fuzz_blob.c): seeded with real
blobs (and the same with a sparse-update scheme), structure-aware (CRC fixed after mutation),
load -> invoke on whatever the validator accepts, canaries around the arena, then the training
API (operator info, the scheme, constant overrides) on it. `make test` runs it for
TML_FUZZ_SECONDS (60 by default); `make fuzz` runs it for half an hour. Every crash found
becomes a file in tests/fuzz/regressions/, replayed here on every run."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from registry import FUZZ_SEEDS
from runtimes import ROOT
from tinyml_tools.convert import convert_model
from tinyml_tools.format.blob import SPARSE_KINDS, write_blob

CORE = ROOT / "native_modules/tinyml"
HARNESS = ROOT / "tests/fuzz/fuzz_blob.c"
EXE = ROOT / "build/fuzz/fuzz_blob"
REGRESSIONS = ROOT / "tests/fuzz/regressions"


@pytest.fixture(scope="module")
def fuzzer() -> Path:
    if shutil.which("clang") is None:
        pytest.fail("clang (with libFuzzer) missing: run scripts/setup.sh")
    sources = [HARNESS, *CORE.glob("src/**/*.[ch]"), *CORE.glob("include/*.h"),
               *CORE.glob("include/*.def")]
    if not EXE.exists() or any(s.stat().st_mtime > EXE.stat().st_mtime for s in sources):
        EXE.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["clang", "-g", "-O1", "-fsanitize=fuzzer,address,undefined",
                        "-fno-sanitize-recover=undefined", "-DTML_HAS_FRONTEND=0",
                        "-DTML_HAS_MOTION=0",
                        f"-I{CORE}/include", f"-I{CORE}/src",
                        f"-I{CORE}/src/kernels", str(HARNESS),
                        *map(str, sorted(CORE.glob("src/*.c"))),
                        *map(str, sorted(CORE.glob("src/kernels/*.c"))),
                        *map(str, sorted(CORE.glob("src/ops/*.c"))), "-o", str(EXE)],
                       check=True)
    return EXE


def test_regressions_replay(fuzzer: Path) -> None:
    """Every input that once crashed runs clean. The folder holds its README and libFuzzer's
    artifacts only, each named by the SHA-1 of its bytes (as test_fuzz_core copies them), and
    it is never empty: an emptied folder would pass by replaying nothing."""
    files = sorted(f for f in REGRESSIONS.iterdir() if f.name != "README.md")
    assert (REGRESSIONS / "README.md").is_file()
    assert files, f"no regression inputs in {REGRESSIONS}"
    for f in files:
        m = re.fullmatch(r"(crash|leak|timeout)-([0-9a-f]{40})", f.name)
        assert m, f"{f.name}: not a libFuzzer artifact name"
        assert hashlib.sha1(f.read_bytes()).hexdigest() == m.group(2), f"{f.name}: altered"
    p = subprocess.run([str(fuzzer), *map(str, files)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
    # libFuzzer names each input it ran: all of them ran, to the end.
    ran = re.findall(r"^Executed (\S+) in \d+ ms$", p.stderr, re.M)
    assert sorted(ran) == [str(f) for f in files], p.stderr[-2000:]


def test_fuzz_core(fuzzer: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in FUZZ_SEEDS:
        data, blob = convert_model(seed.read_bytes(), seed.stem)
        (corpus / f"{seed.stem}.bin").write_bytes(data)
        # The same with a sparse-update scheme (metadata tag 2) over every layer it may name.
        scheme = tuple((k, len(op.inputs) > 2 and op.inputs[2] >= 0,
                        tuple(range(min(3, blob.tensors[op.inputs[1]].shape[-1]))))
                       for k, op in enumerate(blob.ops) if op.kind in SPARSE_KINDS)
        if scheme:
            (corpus / f"{seed.stem}_sparse.bin").write_bytes(
                write_blob(dataclasses.replace(blob, sparse_update=scheme)))
    seconds = int(os.environ.get("TML_FUZZ_SECONDS", "60"))
    p = subprocess.run([str(fuzzer), f"-max_total_time={seconds}", "-max_len=65536",
                        "-print_final_stats=1", f"-artifact_prefix={tmp_path}/", str(corpus)],
                       capture_output=True, text=True, cwd=tmp_path)
    crashes = list(tmp_path.glob("crash-*")) + list(tmp_path.glob("leak-*")) + \
        list(tmp_path.glob("timeout-*"))
    for c in crashes:  # keep them: they become regression tests once fixed
        shutil.copy(c, REGRESSIONS / c.name)
    assert p.returncode == 0 and not crashes, p.stderr[-3000:]
    execs = int(re.search(r"stat::number_of_executed_units: (\d+)", p.stderr).group(1))
    print(f"\nfuzz_blob: {execs} executions in {seconds} s, no crash")
    assert execs > 1000
