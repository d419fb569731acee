"""Write docs/benchmarks.md: issue 16's comparison (its quoted anchors beside tinyml measured
now), per-core KWS targets with milliseconds at real clocks, the counters' calibration,
instructions per inference for every conformance model on the unix port (callgrind) and on each
emulated core (QEMU icount), the emulated Pico's cycles, the native modules' speed against the
firmware, and tinyml's flash cost per architecture. Deterministic figures only: wall-clock time
on shared machines is noise.

    make benchmarks        # or: .venv/bin/python scripts/benchmarks_report.py
    .venv/bin/python scripts/benchmarks_report.py --models kws,ad -o /tmp/b.md   # a quick look
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from registry import MODELS, ROOT
from tinyml_tools.boards.bench import (
    calibrate,
    code_bytes,
    instructions_per_inference,
    operator_counts,
    pico_counts,
)
from tinyml_tools.boards.devices import EMULATED, PICOS, BoardError
from tinyml_tools.boards.profile import function_counts
from tinyml_tools.convert import convert_model
from tinyml_tools.report.inspect_blob import describe

BOARDS = ["unix", *EMULATED]
ARCHS = ["x64", "armv6m", "armv7m", "armv7emsp", "rv32imc", "xtensa"]
PICO_MODELS = ["ad", "kws", "sww_wakeword"]  # the emulated RP2040 runs ~45 M cycles a second
MPY_MODEL = "kws"  # the native modules' speed on stock firmware against the firmware's
DSP_BOARDS = ["qemu-m4", "qemu-m7"]  # Armv7E-M: where --weights dual16 is for


@dataclass(frozen=True)
class Anchor:
    """One row of issue 16's table, QUOTED from the issue (not measured here), as the issue
    writes them: instructions per inference in millions on QEMU's Cortex-M4 with `-icount`."""

    model: str  # registry name
    title: str
    before: str  # tinyml qemu-m4 before issue 16 (reference-order C kernels)
    tflm_ref: str  # TFLite Micro, reference kernels
    tflm_cmsis: str  # TFLite Micro with CMSIS-NN
    target: str  # the target on qemu-m4 and qemu-m7


ANCHORS = [
    Anchor("kws", "KWS DS-CNN", "52.79", "43.11", "7.70", "4.0"),
    Anchor("vww_mobilenet", "VWW MobileNet", "133.2", "100.5", "24.1", "9.0"),
    Anchor("ic_resnet8", "IC ResNet-8", "173.3", "107.5", "29.9", "12"),
    Anchor("ad", "AD autoencoder", "3.34", "1.95", "0.58", "0.35"),
    Anchor("sww_wakeword", "SWW wake word", "13.14", "8.3", "2.23", "1.2"),
]
# Issue 16's KWS targets per core (millions; rp2040 in cycles, the others in instructions).
CORE_TARGETS = {"rp2040": 15.0, "qemu-m3": 8.0, "qemu-m4": 4.0, "qemu-m7": 4.0,
                "qemu-rv32": 10.0, "unix": 10.0}
# Issue 16's flash budgets for the native modules' .text (every op compiled in).
MPY_BUDGET = {"armv6m": 32 * 1024, "armv7emsp": 40 * 1024}
MPY_SPEED_BUDGET = 5.0  # %: the armv7emsp .mpy on stock firmware against the firmware


def _absent(name: str) -> str:
    """Why a model has no figures: not in this clone (tests/models or ../shared/models missing),
    or left out of this run (--models)."""
    if name not in MODELS:
        return f"{name}: not in this clone, not measured"
    return f"{name}: not measured in this run (--models)"


def _m(n: float) -> str:
    return f"{n / 1e6:.2f} M"


def _met(value: float, target_millions: float) -> str:
    return "**yes**" if value <= target_millions * 1e6 else "no"


def _ms(board: str, n: int) -> str:
    """Milliseconds at a real chip's clock: measured cycles on the Pico; on QEMU boards only
    under the stated assumption of one instruction per cycle."""
    if board in PICOS:
        return f"{n / (PICOS[board].clock_mhz * 1000):,.1f} ms at {PICOS[board].clock_mhz} MHz"
    if board in EMULATED:
        b = EMULATED[board]
        return (f"≈ {n / (b.chip_mhz * 1000):,.1f} ms at {b.chip_mhz} MHz ({b.chip}) if 1 "
                "instruction/cycle")
    return "— (x86 instructions)"


def measure_models(names: list[str]) -> tuple[dict[str, dict[str, int]], dict[str, dict]]:
    """Instructions per inference for the conformance models `names` on every board, and each
    blob's description (MACs, arena)."""
    counts: dict[str, dict[str, int]] = {}
    infos = {}
    for name in names:
        path = MODELS[name]
        blob, _ = convert_model(path.read_bytes(), name)
        infos[name] = describe(blob)
        counts[name] = {}
        for b in BOARDS:
            counts[name][b] = instructions_per_inference(b, blob)
            print(f"{name} {b}: {counts[name][b]}", file=sys.stderr)
    return counts, infos


def measure_pico(names: list[str]) -> dict[str, dict[str, int] | str]:
    """Cycles and instructions per inference on the emulated RP2040, or why not."""
    out: dict[str, dict[str, int] | str] = {}
    for name in [n for n in PICO_MODELS if n in names or n not in MODELS]:
        if name not in MODELS:
            out[name] = _absent(name)
            continue
        blob, _ = convert_model(MODELS[name].read_bytes(), name)
        try:
            out[name] = pico_counts("rp2040", blob)
        except BoardError as e:  # e.g. a blob that no longer fits beside the firmware
            out[name] = str(e)
        print(f"{name} rp2040: {out[name]}", file=sys.stderr)
    return out


@dataclass
class Packed:
    """A model converted with `--weights dual16` for the Armv7E-M boards (DSP_BOARDS), where
    that packs any layer: its layers, blob bytes and instructions per inference."""

    layers: int
    blob_bytes: int
    counts: dict[str, int]


def measure_dual16(names: list[str]) -> dict[str, Packed]:
    out = {}
    for name in names:
        blob, b = convert_model(MODELS[name].read_bytes(), name, weights="dual16")
        layers = sum(1 for op in b.ops if op.kind in ("FULLY_CONNECTED", "CONV_2D")
                     and b.tensors[op.inputs[1]].packing != "plain")
        if layers:
            out[name] = Packed(layers, len(blob),
                               {d: instructions_per_inference(d, blob) for d in DSP_BOARDS})
            print(f"{name} dual16: {out[name]}", file=sys.stderr)
    return out


def comparison_rows(counts: dict[str, dict[str, int]], infos: dict[str, dict],
                    packed: dict[str, Packed]) -> list[str]:
    rows = []
    for a in ANCHORS:
        quoted = f"{a.before} M | {a.tflm_ref} M | {a.tflm_cmsis} M | **≤ {a.target} M**"
        if a.model not in counts:
            rows.append(f"| {a.title} | — | {quoted} | {_absent(a.model)} | | | |")
            continue
        macs = infos[a.model]["macs"]
        # The model as converted for these cores: with --weights dual16 where it packs a layer.
        best = packed[a.model].counts if a.model in packed else counts[a.model]
        how = " with `--weights dual16`" if a.model in packed else ""
        m4, m7 = best["qemu-m4"], best["qemu-m7"]
        rows.append(
            f"| {a.title} | {macs / 1e6:.2f} M | {quoted} | {_m(m4)} ({m4 / macs:.2f}/MAC)"
            f"{how} | {_m(m7)} ({m7 / macs:.2f}/MAC){how} | "
            f"{float(a.tflm_cmsis) * 1e6 / m4:.2f}× | {_met(max(m4, m7), float(a.target))} |")
    return rows


def packing_rows(counts: dict[str, dict[str, int]], infos: dict[str, dict],
                 packed: dict[str, Packed]) -> list[str]:
    rows = []
    for name, p in sorted(packed.items()):
        cells = [f"{counts[name][d]:,} → {p.counts[d]:,} "
                 f"({p.counts[d] / counts[name][d] - 1:+.1%})" for d in DSP_BOARDS]
        rows.append(f"| {name} | {p.layers} | {infos[name]['blob_bytes']:,} → "
                    f"{p.blob_bytes:,} | " + " | ".join(cells) + " |")
    return rows or ["| (no model in this run has a layer to pack) | | | | |"]


def core_rows(counts: dict[str, dict[str, int]], infos: dict[str, dict],
              pico: dict[str, dict[str, int] | str]) -> list[str]:
    if "kws" not in counts:
        return [f"| — | {_absent('kws')} | | | |"]
    macs = infos["kws"]["macs"]
    rows = []
    kws = pico.get("kws")
    if isinstance(kws, dict):
        c = kws["cycles"]
        rows.append(f"| rp2040 (Cortex-M0+, emulated) | {c:,} cycles ({c / macs:.1f}/MAC) | "
                    f"≤ {CORE_TARGETS['rp2040']:g} M cycles | {_met(c, CORE_TARGETS['rp2040'])} "
                    f"| {_ms('rp2040', c)} |")
    else:
        rows.append(f"| rp2040 (Cortex-M0+, emulated) | not measured: {kws} | "
                    f"≤ {CORE_TARGETS['rp2040']:g} M cycles | | |")
    for b in [*EMULATED, "unix"]:
        n = counts["kws"][b]
        rows.append(f"| {b} | {n:,} instructions ({n / macs:.2f}/MAC) | ≤ {CORE_TARGETS[b]:g} M "
                    f"| {_met(n, CORE_TARGETS[b])} | {_ms(b, n)} |")
    return rows


PER_OP_BOARDS = ["qemu-m4", "qemu-m3", "rp2040"]  # Armv7E-M, Armv7-M, Armv6-M


def per_op_rows(names: list[str]) -> list[str]:
    """KWS operator by operator on each of PER_OP_BOARDS (`tinyml bench --per-op`), the
    costliest on qemu-m4 first."""
    if "kws" not in names:
        return [f"| — | {_absent('kws')} |" + " |" * (2 + len(PER_OP_BOARDS))]
    blob, _ = convert_model(MODELS["kws"].read_bytes(), "kws")
    ops = describe(blob)["ops"]
    profs = {b: operator_counts(b, blob) for b in PER_OP_BOARDS}
    rows = []
    for k in sorted(range(len(ops)), key=lambda k: -profs[PER_OP_BOARDS[0]].counts[k]):
        macs = ops[k]["macs"]
        cells = []
        for b in PER_OP_BOARDS:
            n = profs[b].counts[k]
            cells.append(f"{n:,.0f}" + (f" ({n / macs:.2f}/MAC)" if macs else ""))
        rows.append(f"| {k} | {ops[k]['kind']} | {f'{macs:,}' if macs else ''} | "
                    + " | ".join(cells) + " |")
    totals = [sum(profs[b].counts) for b in PER_OP_BOARDS]
    macs = sum(op["macs"] for op in ops)
    rows.append(f"| | total | {macs:,} | "
                + " | ".join(f"{t:,.0f} ({t / macs:.2f}/MAC)" for t in totals) + " |")
    return rows


PER_FUNCTION_MODELS = ["vww_mobilenet", "ic_resnet8"]  # the two costliest per inference
PER_FUNCTION_TOP = 12


def per_function_rows(names: list[str]) -> list[str]:
    """The costliest functions of tinyml's C code in one inference of each of
    PER_FUNCTION_MODELS on qemu-m4 (`tinyml bench --per-function`), side by side."""
    have = [m for m in PER_FUNCTION_MODELS if m in names]
    if not have:
        return [f"| — | {_absent(PER_FUNCTION_MODELS[0])} |" + " |" * 3]
    rows = []
    for m in have:  # converted as the comparison above quotes them
        blob, _ = convert_model(MODELS[m].read_bytes(), m, weights="dual16")
        counts = function_counts("qemu-m4", blob)
        total = sum(c.instructions for c in counts)
        for c in counts[:PER_FUNCTION_TOP]:
            rows.append(f"| {m} | `{c.name}` ({c.source}) | {c.instructions:,} | "
                        f"{100 * c.instructions / total:.1f} % | {c.calls:,} |")
        rest = sum(c.instructions for c in counts[PER_FUNCTION_TOP:])
        rows.append(f"| {m} | {len(counts) - PER_FUNCTION_TOP} other functions | {rest:,} | "
                    f"{100 * rest / total:.1f} % | |")
        rows.append(f"| {m} | **total, tinyml's code** | {total:,} | 100 % | |")
    return rows


def calibration_rows() -> list[str]:
    rows = []
    for board in [*EMULATED, "rp2040", "unix"]:
        for c in calibrate(board):
            rows.append(f"| {board} | {c.counter} | {c.method} | {c.known:,} | "
                        f"{float(c.measured):,.2f} | {float(c.error * 100):.5f} % |")
            print(f"calibration {board} {c.counter}: {float(c.error * 100):.5f} %",
                  file=sys.stderr)
    return rows


def pico_rows(pico: dict[str, dict[str, int] | str], infos: dict[str, dict]) -> list[str]:
    rows = []
    for name, c in pico.items():
        macs = infos[name]["macs"] if name in infos else None
        if not isinstance(c, dict):
            rows.append(f"| {name} | {'' if macs is None else f'{macs:,}'} | not measured: {c} "
                        "| | | |")
            continue
        assert macs is not None
        ms = c["cycles"] / (PICOS["rp2040"].clock_mhz * 1000)
        rows.append(f"| {name} | {macs:,} | {c['cycles']:,} ({c['cycles'] / macs:.1f}/MAC) | "
                    f"{ms:,.1f} | {c['instructions']:,} | "
                    f"{c['cycles'] / c['instructions']:.2f} |")
    return rows


def mpy_speed_rows(counts: dict[str, dict[str, int]]) -> list[str]:
    """KWS with each QEMU board's native module on its stock firmware against the firmware."""
    if MPY_MODEL not in counts:
        return [f"| — | {_absent(MPY_MODEL)} | | | |"]
    blob, _ = convert_model(MODELS[MPY_MODEL].read_bytes(), MPY_MODEL)
    rows = []
    for b in EMULATED:
        fw = counts[MPY_MODEL][b]
        mpy = instructions_per_inference(b, blob, mpy=True)
        diff = (mpy - fw) / fw * 100
        check = ""
        if EMULATED[b].natmod == "armv7emsp":
            check = (f" ({'**within**' if abs(diff) <= MPY_SPEED_BUDGET else 'outside'} the "
                     f"issue's {MPY_SPEED_BUDGET:g} %)")
        rows.append(f"| {b} | {EMULATED[b].natmod} | {fw:,} | {mpy:,} | {diff:+.2f} %{check} |")
        print(f"{MPY_MODEL} {b} mpy: {mpy} ({diff:+.2f} %)", file=sys.stderr)
    return rows


def rp2_sizes() -> list[str]:
    """Flash (firmware.bin, the bytes programmed) and static RAM (the ELF's sections in RAM)
    of the Pico firmware, with and without tinyml."""
    def sizes(folder: str) -> tuple[int, int]:
        fw = ROOT / f"build/rp2/{folder}"
        p = subprocess.run(["arm-none-eabi-size", "-A", str(fw / "firmware.elf")],
                           capture_output=True, text=True, check=True)
        ram = 0
        for line in p.stdout.splitlines()[2:]:
            parts = line.split()
            if len(parts) == 3 and parts[1].isdigit() and int(parts[2]) >= 0x20000000:
                ram += int(parts[1])
        return (fw / "firmware.bin").stat().st_size, ram

    stock, tml = sizes("RPI_PICO-stock"), sizes("RPI_PICO")
    return [f"| RPI_PICO stock | {stock[0]:,} | {stock[1]:,} |",
            f"| RPI_PICO with tinyml | {tml[0]:,} | {tml[1]:,} |",
            f"| tinyml's cost | +{tml[0] - stock[0]:,} | +{tml[1] - stock[1]:,} |"]


# The compilers whose output the size figures measure (unix and x64: gcc; the Arm firmware and
# modules; rv32imc; xtensa).
COMPILERS = ("gcc", "arm-none-eabi-gcc", "riscv64-unknown-elf-gcc", "xtensa-lx106-elf-gcc")


def toolchain() -> str:
    """The compilers' versions, as the size figures record them (tests/host/test_docs.py
    checks those figures only on a machine with the same ones)."""
    out = []
    for cc in COMPILERS:
        try:
            p = subprocess.run([cc, "-dumpfullversion"], capture_output=True, text=True)
            out.append(f"{cc} {p.stdout.strip() or '?'}")
        except FileNotFoundError:
            out.append(f"{cc} (absent)")
    return ", ".join(out)


def pico_room() -> str:
    """The flash between tinyml's RPI_PICO firmware and the filesystem: the largest blob read
    in place from raw flash (docs/boards.md)."""
    from tinyml_tools.boards.fsimage import LAYOUTS, XIP_BASE

    fs = LAYOUTS["pico"].offset
    fw = (ROOT / "build/rp2/RPI_PICO/firmware.bin").stat().st_size
    return (f"Flash left between tinyml's RPI_PICO firmware and the filesystem "
            f"({XIP_BASE + fs:#x}): {fs - fw:,} bytes, the largest blob a Pico reads in place "
            "from raw flash.")


def size_lines() -> list[str]:
    """The size figures that take no rebuilding, line for line as this report writes them
    (tests/host/test_docs.py compares them with the committed docs)."""
    code = " | ".join(f"{code_bytes(b):,}" for b in BOARDS)
    return [*rp2_sizes(), pico_room(), f"| {code} |",
            f"Sizes built with {toolchain()}."]


def text_size(arch: str, part: str = "core") -> int | None:
    """The .text of a native module (part "fe": the front-ends' own), as mpy_ld reports it when
    linking (rebuilt quietly)."""
    mp = Path.home() / ".cache/tinyml/micropython-1.25.0"
    p = subprocess.run(["make", "-B", "-C", str(ROOT / "native_modules/micropython"),
                        f"ARCH={arch}", f"PART={part}", f"MPY_DIR={mp}",
                        f"PYTHON={sys.executable}"],
                       capture_output=True, text=True)
    for line in p.stdout.splitlines():
        if line.startswith("text size:"):
            return int(line.split()[-1])
    return None


def mpy_rows() -> list[str]:
    rows = []
    for arch in ARCHS:
        f = ROOT / f"build/natmod/{arch}/tinyml.mpy"
        text = text_size(arch)
        budget = MPY_BUDGET.get(arch)
        within = ""
        if budget is not None:
            ok = text is not None and text <= budget
            within = f"≤ {budget:,} ({budget // 1024} KB): {'**yes**' if ok else 'no'}"
        fe = f.with_name("_tinyml_fe.mpy")
        fe_cell = "— (no floats)"
        if fe.is_file():
            fe_text = text_size(arch, "fe")
            fe_cell = f"{fe.stat().st_size:,}" + (f" ({fe_text:,} .text)" if fe_text else "")
        rows.append(f"| {arch} | {f.stat().st_size:,} | "
                    f"{'—' if text is None else f'{text:,}'} | {within} | {fe_cell} |")
    return rows


# Why KWS measured 52.79 M instructions on qemu-m4 and 52.78 M on qemu-rv32 before issue 16:
# history, so it is text here (docs/benchmarks.md is regenerated from this file as a whole).
COINCIDENCE = """\
### KWS: 52.79 M on qemu-m4 and 52.78 M on qemu-rv32 before issue 16

Before issue 16, KWS measured 52,786,768 instructions on qemu-m4 and 52,781,595 on qemu-rv32
(0.01 % apart; `git show f6a9de1:docs/benchmarks.md`). That was a coincidence of two different
instruction streams, not a counter problem:

- **The counters are exact.** The calibration above counts a known loop to the timer's tick on
  every board, with each board's own timer (CMSDK TIMER0 at 25 MHz on the Arm boards, the CLINT's
  mtime at 10 MHz on RISC-V) and conversion (1.25 and 3.125 instructions per tick).
- **The two cores did not agree on other models.** In the same table the qemu-rv32 / qemu-m4
  ratio ranged from 0.95 (flatten_dynamic) to 1.39 (activations): AD 1.087, SWW 1.057, IC 1.055,
  VWW 1.043, conv_zoo 1.004, micro_speech 0.997, KWS 0.9999. A shared counter error would give
  one ratio for every model; KWS merely fell where the ISAs' differences cancel.
- **The instruction streams differ, and their differences cancelled.** Timed operator by
  operator on firmware built from f6a9de1 (the last commit with the old kernels; each operator
  alone, `net.invoke(k, k + 1)` between two timer reads, same blob), qemu-rv32 against qemu-m4:

  | KWS operators (old kernels) | qemu-m4 | qemu-rv32 | rv32 − m4 |
  |---|---|---|---|
  | CONV_2D 10×4 over 1 channel (320 k MACs) | 13,418,495 | 11,461,447 | −1,957,048 |
  | 4 × CONV_2D 1×1, 64 → 64 (2.05 M MACs) | 28,699,655 | 30,883,191 | +2,183,536 |
  | 4 × DEPTHWISE_CONV_2D 3×3 (288 k MACs) | 10,562,206 | 10,360,794 | −201,412 |
  | AVERAGE_POOL_2D | 102,715 | 70,534 | −32,181 |
  | reshape, FULLY_CONNECTED, SOFTMAX | 21,881 | 25,793 | +3,912 |
  | **sum** | **52,804,952** | **52,801,759** | **−3,193** |

  The 1×1 convolutions, 77 % of the MACs, ran CONV_2D's innermost loop, which GCC (`-Os`, as
  the firmware was built) made 12 instructions per MAC on the Cortex-M4 (post-increment `ldrsb`
  and `mla`, but two stack spills and a reloaded bound) and 13 on RV32 (indexed `lb` needs an
  `add`, `mul` and `add` separate, fused compare-and-branch, no spills): RV32 +7.6 %. The first
  convolution has one input channel, so per-pixel loop overhead dominates it, and there RV32's
  compare-and-branch and larger register file won by 14.6 %. +2.18 M and −2.19 M: 0.01 %.
- **They diverged once the kernels changed.** With issue 16's kernels KWS takes {m4} instructions
  on qemu-m4 and {rv32} on qemu-rv32 (tables above): the same counters, now far apart.
"""

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", help="comma-separated registry names (default: all)")
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "docs/benchmarks.md")
    args = ap.parse_args()
    names = sorted(MODELS) if args.models is None else args.models.split(",")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        ap.error(f"no such model: {', '.join(unknown)} (have: {', '.join(sorted(MODELS))})")
    missing = [a.model for a in ANCHORS if a.model not in MODELS]
    if missing:
        print(f"not in this clone, skipped: {', '.join(missing)}", file=sys.stderr)
    counts, infos = measure_models(names)
    packed = measure_dual16(names)
    pico = measure_pico(names)
    rows = []
    for name in sorted(counts):
        macs = infos[name]["macs"]
        cells = [f"{n:,}" + (f" ({n / macs:.1f}/MAC)" if macs else "")
                 for n in counts[name].values()]
        rows.append(f"| {name} | {macs:,} | {infos[name]['arena_bytes']:,} | "
                    + " | ".join(cells) + " |")
    code = " | ".join(f"{code_bytes(b):,}" for b in BOARDS)
    kws = counts.get("kws", {})
    coincidence = COINCIDENCE.format(
        m4=f"{kws['qemu-m4']:,}" if kws else f"({_absent('kws')})",
        rv32=f"{kws['qemu-rv32']:,}" if kws else f"({_absent('kws')})")
    skipped = (["", f"Not in this clone, so not measured: {', '.join(missing)} (the issue's "
                "anchors are still listed; they come with tests/models/mlperf_tiny/ or "
                "../shared/models/)."] if missing else [])
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make benchmarks` (`scripts/benchmarks_report.py`). Deterministic figures",
        "only — wall-clock time on shared machines is noise:",
        "",
        "- **unix**: x86-64 instructions of `build/unix/micropython`, counted by valgrind's",
        "  callgrind over 1 and 11 inferences (the difference / 10: start-up cancels out);",
        "- **qemu-\\***: the emulated boards' firmware (`boards/qemu/`) under QEMU's",
        "  `-icount shift=5` (one instruction = 32 ns of virtual time), a hardware timer read",
        "  on the board around 10 inferences (CMSDK TIMER0 on MPS2: 1.25 instructions per tick;",
        "  CLINT mtime on RISC-V virt: 3.125). Identical run to run;",
        "- **rp2040**: MicroPython's RPI_PICO firmware on rp2040js, cycles from the chip's TIMER",
        "  (below).",
        "",
        "One command per figure: `tinyml bench BLOB --board unix|qemu-m3|qemu-m4|qemu-m7|",
        "qemu-rv32|rp2040 [--mpy] [--json]`; `tinyml bench --calibrate --board B` checks a",
        "board's counter. The kernels are chosen per core at compile time",
        "(`native_modules/tinyml/src/kernels/arch.h`); every output byte equals TFLite's",
        "reference kernels (the conformance suite).",
        "",
        "## Issue 16: against TFLite Micro",
        "",
        "Instructions per inference on the emulated Cortex-M4 (QEMU `-icount`, the method of",
        "`tinyml bench`). The four middle columns are **quoted from issue 16**, not measured",
        "here: tinyml before the issue (reference-order C kernels), TFLite Micro with its",
        "reference kernels and with CMSIS-NN, and the issue's target. The last four are",
        "measured now by this script. \"vs CMSIS-NN\": TFLM + CMSIS-NN's quoted figure over",
        "tinyml's qemu-m4 figure (above 1: tinyml needs fewer instructions).",
        "",
        "| model | MACs | tinyml qemu-m4 before (quoted) | TFLM reference kernels, M4 (quoted) "
        "| TFLM + CMSIS-NN, M4 (quoted) | target qemu-m4/m7 (quoted) | tinyml qemu-m4 now "
        "| tinyml qemu-m7 now | vs CMSIS-NN | target met |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *comparison_rows(counts, infos, packed),
        *skipped,
        "",
        "### Weight packing for Armv7E-M",
        "",
        "`tinyml convert --weights dual16` stores the FULLY_CONNECTED layers below the head and",
        "the CONV_2D filters over a multiple of 4 input channels as int16 pairs that",
        "Cortex-M4/M7's `SMLAD` takes without extending them (docs/blob-format.md, DUAL16):",
        "those weights take twice the flash. The table above quotes a model converted so where",
        "it packs any layer; here both conversions, the instructions per inference with",
        "`tinyml bench BLOB --board qemu-m4|qemu-m7`.",
        "",
        "| model | layers packed | blob bytes, int8 → dual16 | qemu-m4 | qemu-m7 |",
        "|---|---|---|---|---|",
        *packing_rows(counts, infos, packed),
        "",
        "### KWS on every core",
        "",
        "Issue 16's per-core KWS targets. Milliseconds at a real chip's clock: on the RP2040",
        "from the cycles the emulator counts, at its 125 MHz; QEMU counts instructions, not",
        "cycles, so its boards' figures assume one instruction per cycle at a representative",
        "chip's clock (a Cortex-M7 issues up to two, a Cortex-M3/M4 loses cycles on loads and",
        "taken branches: an estimate, labelled as one).",
        "",
        "| core | KWS per inference | target (issue 16) | met | time at a real clock |",
        "|---|---|---|---|---|",
        *core_rows(counts, infos, pico),
        "",
        "### Where KWS spends them",
        "",
        "Each operator timed alone on the board (`tinyml bench BLOB --board B --per-op`:",
        "`net.invoke(k, k + 1)` between two reads of the counter, the cost of an empty call",
        "taken out): instructions on the QEMU boards, cycles on the emulated Pico; the",
        "costliest first. The totals fall short of the inference's by `predict_into`'s own",
        "work.",
        "",
        "| # | operator | MACs | " + " | ".join(
            f"{b} {'cycles' if b in PICOS else 'instructions'}" for b in PER_OP_BOARDS) + " |",
        "|---|---|---|" + "---|" * len(PER_OP_BOARDS),
        *per_op_rows(names),
        "",
        "### Where VWW and IC spend them, function by function",
        "",
        "One inference on qemu-m4 of each converted with `--weights dual16` (as the",
        "comparison above quotes them), per function of tinyml's C code (`tinyml bench BLOB",
        "--board qemu-m4 --per-function`: QEMU logs each translated block's instructions and",
        "each execution of a block inside tinyml's code, the link map names the function;",
        "MicroPython's own work is not counted). Calls: entries at a function's first",
        f"instruction. The {PER_FUNCTION_TOP} costliest functions of each model.",
        "",
        "| model | function (source) | instructions | share | calls |",
        "|---|---|---|---|---|",
        *per_function_rows(names),
        "",
        "## Trustworthy counters",
        "",
        "`tinyml bench --calibrate --board B` (tests/device/test_counters.py asserts < 0.1 % on",
        "every board): a loop of two instructions per iteration (subtract, branch back) in the",
        "core's MicroPython inline assembler (`@micropython.asm_thumb`, `@micropython.asm_rv32`;",
        "on unix a C loop, MicroPython having no x86 inline assembler), run for 10,000,000 and",
        "30,000,000 iterations and timed exactly as `tinyml bench` times a model; the",
        "difference of the two cancels call overhead. Known: 40,000,000 instructions; on the",
        "RP2040 also 60,000,000 cycles (the Cortex-M0+ manual's SUBS 1, taken branch 2). The",
        "error is computed exactly (ticks × instructions per tick against the known count).",
        "",
        "| board | counter | read as | known | measured | error |",
        "|---|---|---|---|---|---|",
        *calibration_rows(),
        "",
        "QEMU's counts are exact to the timer's tick (1.25 or 3.125 instructions). The Pico's",
        "instruction count is taken by the emulator around whole board commands, whose USB",
        "traffic varies by a few thousand instructions; its TIMER reads whole microseconds",
        "(125 cycles).",
        "",
        coincidence,
        "## Instructions per inference",
        "",
        "| model | MACs | arena bytes | " + " | ".join(BOARDS) + " |",
        "|---|---|---|" + "---|" * len(BOARDS),
        *rows,
        "",
        "## Native modules against the firmware",
        "",
        f"{MPY_MODEL} with each board's native module (`build/natmod/<arch>/tinyml.mpy`) copied",
        "to its stock firmware (no tinyml inside), against tinyml compiled into the firmware:",
        "`tinyml bench BLOB --board B --mpy`. Issue 16 asks the armv7emsp module to stay",
        f"within {MPY_SPEED_BUDGET:g} % of the firmware.",
        "",
        "| board | module | firmware | .mpy on stock firmware | difference |",
        "|---|---|---|---|---|",
        *mpy_speed_rows(counts),
        "",
        "## Raspberry Pi Pico (RP2040, emulated)",
        "",
        "MicroPython's RPI_PICO firmware with tinyml compiled in, on rp2040js (Cortex-M0+ at",
        "125 MHz). Cycles from the chip's TIMER, which the emulator advances by each",
        "instruction's cycles (±125 cycles over 10 inferences); instructions from the",
        "emulator's own count (±0.01 %: the USB traffic of the board commands).",
        "rp2040js models the M0+ pipeline (single-cycle multiplier, bus wait states) but not",
        "the XIP flash cache: weights read from flash cost more on silicon after a cache miss,",
        "so take the cycles as a lower bound. `tinyml bench BLOB --board rp2040 --json`.",
        "Where they go, function by function (for developers): `TML_PICO_PROFILE=F tinyml",
        "bench BLOB --board rp2040`, then `python scripts/pico_profile.py F` (the emulator",
        "charges each instruction's cycles to its address; the script sums them per function",
        "of the firmware's ELF).",
        "",
        "| model | MACs | cycles per inference | ms at 125 MHz | instructions | "
        "cycles per instruction |",
        "|---|---|---|---|---|---|",
        *pico_rows(pico, infos),
        "",
        "What tinyml costs in the Pico firmware (`make firmware-rp2`): flash is the size of",
        "`build/rp2/*/firmware.bin`; static RAM the ELF's RAM sections (`.data`, `.bss`, vector",
        "table, stacks). The rest of the 264 KB is MicroPython's heap.",
        "",
        "| firmware | flash bytes | static RAM bytes |",
        "|---|---|---|",
        *rp2_sizes(),
        "",
        pico_room(),
        "",
        "## Flash cost",
        "",
        f"Sizes built with {toolchain()}.",
        "",
        "tinyml's machine code in each firmware (`.text` of the core and the binding objects):",
        "",
        "| " + " | ".join(BOARDS) + " |",
        "|" + "---|" * len(BOARDS),
        f"| {code} |",
        "",
        "Native modules (`build/natmod/<arch>/tinyml.mpy`, C core and device API in one file,",
        "every op compiled in), with issue 16's `.text` budgets; and the front-ends' own module",
        "(`_tinyml_fe.mpy`: `Frontend`, `Mfcc`, `Motion`; `tinyml install --frontends`), built",
        "for the cores with floating point:",
        "",
        "| architecture | .mpy bytes | .text bytes | budget (issue 16) | _tinyml_fe.mpy bytes |",
        "|---|---|---|---|---|",
        *mpy_rows(),
        "",
    ]
    args.output.write_text("\n".join(lines))
    print(f"{args.output} written", file=sys.stderr)


if __name__ == "__main__":
    main()
