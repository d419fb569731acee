"""Coverage of the C core's validator reached by the blob fuzzer (docs/security.md).

Builds tests/fuzz/fuzz_blob.c with clang's source-based coverage, fuzzes from the real-blob
seeds for TML_FUZZ_SECONDS (default 120), replays the corpus it grew under the profiler, and
prints llvm-cov's report for the validator: the blob reader (validate.c, tensor.c, metadata.c),
the operator checks (ops.c, op_common.c, ops/*.c) and the constant overrides' (overrides.c).
Run: .venv/bin/python scripts/fuzz_coverage.py
"""

from __future__ import annotations

import os
import subprocess

from registry import FUZZ_SEEDS, ROOT

CORE = ROOT / "native_modules/tinyml"
OUT = ROOT / "build/fuzz-coverage"


def main() -> None:
    from tinyml_tools.convert import convert_model

    OUT.mkdir(parents=True, exist_ok=True)
    exe = OUT / "fuzz_blob_cov"
    sources = [*sorted(CORE.glob("src/*.c")), *sorted(CORE.glob("src/kernels/*.c")),
               *sorted(CORE.glob("src/ops/*.c"))]
    subprocess.run(["clang", "-g", "-O1", "-fsanitize=fuzzer", "-fprofile-instr-generate",
                    "-fcoverage-mapping", "-DTML_HAS_FRONTEND=0", "-DTML_HAS_MOTION=0",
                    f"-I{CORE}/include",
                    f"-I{CORE}/src",
                    f"-I{CORE}/src/kernels", str(ROOT / "tests/fuzz/fuzz_blob.c"),
                    *map(str, sources), "-o", str(exe)], check=True)
    corpus = OUT / "corpus"
    corpus.mkdir(exist_ok=True)
    for seed in FUZZ_SEEDS:
        (corpus / f"{seed.stem}.bin").write_bytes(convert_model(seed.read_bytes(), seed.stem)[0])
    seconds = os.environ.get("TML_FUZZ_SECONDS", "120")
    env = {**os.environ, "LLVM_PROFILE_FILE": str(OUT / "fuzz.profraw")}
    p = subprocess.run([str(exe), f"-max_total_time={seconds}", "-max_len=65536",
                        "-print_final_stats=1", str(corpus)], env=env, capture_output=True,
                       text=True, cwd=OUT)
    stats = [ln for ln in p.stderr.splitlines() if ln.startswith("stat::number_of_executed")]
    # Replay the grown corpus under the profiler (the fuzzing run's own profile is partial).
    subprocess.run([str(exe), "-runs=0", str(corpus)], env=env, capture_output=True, cwd=OUT)
    subprocess.run(["llvm-profdata", "merge", "-sparse", str(OUT / "fuzz.profraw"), "-o",
                    str(OUT / "fuzz.profdata")], check=True)
    validator = [CORE / f"src/{name}.c" for name in ("validate", "tensor", "metadata", "ops",
                                                      "op_common", "overrides")]
    validator += sorted(CORE.glob("src/ops/*.c"))
    r = subprocess.run(["llvm-cov", "report", str(exe), f"-instr-profile={OUT / 'fuzz.profdata'}",
                        *map(str, validator)], capture_output=True, text=True, check=True)
    print(f"{seconds} s of fuzzing; {stats[0] if stats else ''}; corpus "
          f"{len(list(corpus.iterdir()))} inputs")
    print(r.stdout)


if __name__ == "__main__":
    main()
