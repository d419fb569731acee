"""x86 instructions per inference on the unix port, counted by valgrind's callgrind.

    .venv/bin/python scripts/bench_callgrind.py models/kws/kws.bin [--runtime unix|natmod]

Runs the model 1 and 11 times in one process each and reports the difference / 10, so start-up,
import and load costs cancel out. Instruction counts are deterministic (unlike wall time).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import tinyml
net = tinyml.load("model.bin")
n = 1
for d in net.input_shape:
    n *= d
x = bytes(n)
out = bytearray(len(net.predict_raw(x)))
for _ in range({runs}):
    net.predict_into(x, out)
"""


def instructions(runtime: str, blob: Path, runs: int) -> int:
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        shutil.copy(blob, work / "model.bin")
        (work / "bench.py").write_text(SCRIPT.format(runs=runs))
        if runtime == "natmod":
            shutil.copy(ROOT / "build/natmod/x64/tinyml.mpy", work / "tinyml.mpy")
            exe = ROOT / "build/unix-stock/micropython"
        else:
            exe = ROOT / "build/unix/micropython"
        p = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", str(exe),
             "bench.py"],
            cwd=work, capture_output=True, text=True, check=True,
        )
        m = re.search(r"Collected : (\d+)", p.stderr)
        if not m:
            raise RuntimeError(p.stderr)
        return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("blob", type=Path)
    ap.add_argument("--runtime", choices=("unix", "natmod"), default="unix")
    a = ap.parse_args()
    one = instructions(a.runtime, a.blob, 1)
    eleven = instructions(a.runtime, a.blob, 11)
    print(f"{a.blob.name} on {a.runtime}: {(eleven - one) // 10} instructions per inference")


if __name__ == "__main__":
    main()
