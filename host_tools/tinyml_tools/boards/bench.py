"""`tinyml bench` and `tinyml verify`: deterministic instructions per inference, and the device's
output bytes against the host simulator's.

- unix: x86 instructions counted by valgrind's callgrind, from runs of 1 and 11 inferences in
  one process each (start-up, import and load cancel out);
- emulated boards: QEMU in icount mode (one instruction = 32 ns of virtual time), a hardware
  timer read before and after N inferences on the board.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..feedback import progress
from .devices import (
    EMULATED,
    LOCAL,
    PICOS,
    BoardError,
    Device,
    build_dir,
    connect,
    emulated,
    emulated_pico,
    natmod_path,
    run_local,
    unix_port,
)

# Runs on the board once `blob` (the model: bytes, a buffer in flash, or a path) and `xs`
# (every input of every sample, int8) are bound; prints each sample's outputs in hex.
RUN = """
import tinyml
net = tinyml.load(blob)
sizes = []
for s in net.input_shapes:
    n = 1
    for d in s:
        n *= d
    sizes.append(n)
outs = []
for s in net.output_shapes:
    n = 1
    for d in s:
        n *= d
    outs.append(bytearray(n))
outs = tuple(outs)
mv = memoryview(xs)
pos = 0
while pos < len(xs):
    ins = []
    for n in sizes:
        ins.append(mv[pos:pos + n])
        pos += n
    net.predict_into(ins[0] if len(ins) == 1 else tuple(ins), outs[0] if len(outs) == 1 else outs)
    print(" ".join(o.hex() for o in outs))
"""

# The same, as a script reading model.bin and inputs.bin (unix runs; the conformance tests).
RUNNER_SCRIPT = 'blob = open("model.bin", "rb").read()\nxs = open("inputs.bin", "rb").read()\n' \
    + RUN


def random_inputs(blob: bytes, n: int, seed: int = 0) -> list[list[bytes]]:
    import tinyml

    net = tinyml.load(blob)
    rng = np.random.default_rng(seed)
    return [[rng.integers(-128, 128, int(np.prod(s)), dtype=np.int8).tobytes()
             for s in net.input_shapes] for _ in range(n)]


def host_outputs(blob: bytes, samples: list[list[bytes]]) -> list[str]:
    import tinyml

    net = tinyml.load(blob)
    lines = []
    for xs in samples:
        out = net.predict_raw(xs[0] if len(xs) == 1 else tuple(xs))
        lines.append(" ".join(o.hex() for o in (out if isinstance(out, tuple) else (out,))))
    return lines


def device_outputs(board: str, blob: bytes, samples: list[list[bytes]]) -> list[str]:
    """Each sample's outputs on the board (RUN's lines), under a progress bar of the samples
    that advances as their lines come."""
    data = b"".join(x for xs in samples for x in xs)
    with progress(f"running {len(samples)} samples on {board}", len(samples),
                  "samples") as advance:

        def echo(line: str) -> None:
            if line.strip():
                advance()

        if board in LOCAL:
            with tempfile.TemporaryDirectory() as d:
                script = Path(d) / "verify.py"
                script.write_text(RUNNER_SCRIPT)
                out = run_local(board, script, {"model.bin": blob, "inputs.bin": data}, echo)
        elif board in PICOS:  # no transfer over USB: the blob in place in flash, the inputs a file
            with emulated_pico(board, files={"inputs.bin": data}, flash={"blob": blob}) as dev:
                out = dev.exec("xs = open('inputs.bin', 'rb').read()\n" + RUN, echo)
        else:
            # The inputs in batches of at most _BATCH_BYTES, so that large ones (VWW's 27 KB
            # images) never ask a board's heap for all samples at once.
            per = max(1, _BATCH_BYTES // max(1, sum(len(x) for x in samples[0])))
            out = ""
            with connect(board) as dev:
                dev.send("blob", blob)
                for i in range(0, len(samples), per):
                    dev.send("xs", b"".join(x for xs in samples[i : i + per] for x in xs))
                    out += dev.exec(RUN, echo)
    return [line.strip() for line in out.splitlines() if line.strip()]


# Input bytes sent to a serial board per batch of `verify`.
_BATCH_BYTES = 32768


# Zero inputs and output buffers for any number of inputs and outputs.
_PREPARE = """
def _n(shape):
    n = 1
    for d in shape:
        n *= d
    return n
ins = tuple(bytes(_n(s)) for s in net.input_shapes)
outs = tuple(bytearray(_n(s)) for s in net.output_shapes)
x = ins[0] if len(ins) == 1 else ins
out = outs[0] if len(outs) == 1 else outs
net.predict_into(x, out)
"""

_BENCH = """
import machine, tinyml
net = tinyml.load(blob)
""" + _PREPARE + """
{setup}
t0 = {read}
for _ in range({runs}):
    net.predict_into(x, out)
t1 = {read}
print((t1 - t0) & 0xFFFFFFFF)
"""

# A real board: wall-clock microseconds of `runs` inferences after one warm-up, by the board's
# own time.ticks_us, and its CPU clock where machine.freq() says it.
_WALL = """
import tinyml
try:
    import time
    time.ticks_us
except (ImportError, AttributeError):
    print("no time.ticks_us")
    raise SystemExit
net = tinyml.load(blob)
""" + _PREPARE + """
t0 = time.ticks_us()
for _ in range({runs}):
    net.predict_into(x, out)
dt = time.ticks_diff(time.ticks_us(), t0)
try:
    import machine
    f = machine.freq()
    f = f[0] if isinstance(f, tuple) else f
except Exception:
    f = 0
print(dt, f)
"""


def wall_clock(board: str, blob: bytes, runs: int = 10) -> dict[str, float | int]:
    """Milliseconds per inference on a serial board, timed by the board itself (`ms`), and its
    CPU clock in MHz where it reports one. Wall-clock time: on a real board the figure a user
    sees; on an emulated board it measures the emulator, not a chip."""
    with connect(board) as dev:
        dev.send("blob", blob)
        out = dev.exec(_WALL.format(runs=runs))
    if "no time.ticks_us" in out:
        raise BoardError(f"{board}: its firmware has no time.ticks_us to time inferences with")
    dt, hz = (int(v) for v in out.split()[-2:])
    out: dict[str, float | int] = {"ms": round(dt / runs / 1000, 3), "runs": runs}
    if hz:
        out["clock_mhz"] = round(hz / 1e6)
    return out


_CALLGRIND = """
import tinyml
net = tinyml.load("model.bin")
""" + _PREPARE + """
for _ in range({runs}):
    net.predict_into(x, out)
"""


def _callgrind_total(cmd: list[str], cwd: str) -> int:
    """Instructions valgrind's callgrind counts over a whole process (its "Collected" line)."""
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
                       cwd=cwd, capture_output=True, text=True)
    m = re.search(r"Collected : (\d+)", p.stderr)
    if p.returncode != 0 or not m:
        raise BoardError(f"unix: callgrind failed: {p.stderr.strip()[-400:]}")
    return int(m.group(1))


def _callgrind(blob: bytes, runs: int, mpy: bool = False) -> int:
    exe = unix_port(stock=mpy)
    if shutil.which("valgrind") is None:
        raise BoardError("unix: bench needs valgrind (callgrind counts the instructions)")
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "model.bin").write_bytes(blob)
        (Path(d) / "bench.py").write_text(_CALLGRIND.format(runs=runs))
        if mpy:  # the stock port imports tinyml.mpy from the current folder
            shutil.copy(natmod_path("x64"), Path(d) / "tinyml.mpy")
        return _callgrind_total([str(exe), "bench.py"], d)


@contextmanager
def _counting(board: str, blob: bytes, mpy: bool,
              booted: Callable[[], None] = lambda: None) -> Iterator[Device]:
    """A QEMU board in icount mode with `blob` bound on it: tinyml's firmware, or (`mpy`) stock
    firmware with the native module of its architecture in a RAM filesystem. `booted` is
    called once the board is up, before anything is sent."""
    with emulated(board, stock=mpy, icount=True) as dev:
        booted()
        if mpy:
            dev.exec("import ramfs; ramfs.mount()")
            dev.put({"tinyml.mpy": natmod_path(EMULATED[board].natmod).read_bytes()})
        dev.send("blob", blob)
        yield dev


def _pico_module(board: str, mpy: bool) -> dict[str, bytes] | None:
    """The files the emulated Pico boots with: the native module on stock firmware (`mpy`)."""
    return {"tinyml.mpy": natmod_path(PICOS[board].natmod).read_bytes()} if mpy else None


def instructions_per_inference(board: str, blob: bytes, runs: int = 10,
                               mpy: bool = False) -> int:
    """Instructions per inference: tinyml in the board's firmware, or (`mpy`) the native module
    of the board's architecture on its stock firmware (no tinyml inside)."""
    if board == "unix":
        with progress("callgrind: 1 inference", 2, "runs") as advance:
            one = _callgrind(blob, 1, mpy)
            advance(1, f"callgrind: {runs + 1} inferences")
            more = _callgrind(blob, runs + 1, mpy)
            advance()
        return (more - one) // runs
    if board in PICOS:
        return pico_counts(board, blob, runs, mpy)["instructions"]
    if board not in EMULATED:
        raise BoardError(f"bench counts instructions on unix and the emulated boards "
                         f"({', '.join([*EMULATED, *PICOS])}), not on {board}")
    b = EMULATED[board]
    with progress(f"benchmarking on {board}", 3, "steps") as advance, \
            _counting(board, blob, mpy,
                      lambda: advance(1, f"sending the model to {board}")) as dev:
        advance(1, f"{runs} inferences on {board}")
        out = dev.exec(_BENCH.format(setup=b.timer_setup, read=b.timer_read, runs=runs))
        advance()
    ticks = int(out.split()[-1])
    return round(ticks * b.instructions_per_tick / runs)


# Per operator: one inference run operator by operator (net.invoke(k, k + 1)), each call timed
# by the board's counter, `runs` times; an empty call (net.invoke(0, 0)) timed as often gives
# the overhead of the call and the timer reads, which each operator's figure leaves out.
_PROFILE = """
import machine, tinyml
net = tinyml.load(blob)
""" + _PREPARE + """
{setup}
def _time(a, b):
    t0 = {read}
    net.invoke(a, b)
    t1 = {read}
    return {diff}
_sums = [0] * (net.ops + 1)
for _ in range({runs}):
    net.set_inputs(x)
    for k in range(net.ops):
        _sums[k] += _time(k, k + 1)
    _sums[net.ops] += _time(0, 0)
print(*_sums)
"""
_WRAP = "(t1 - t0) & 0xFFFFFFFF"
_PICO_TIMER = "machine.mem32[0x40054028]"  # TIMERAWL: microseconds


@dataclass(frozen=True)
class Profile:
    """Each operator's share of one inference: `counts[k]` in `unit` (instructions on the QEMU
    boards, cycles on the emulated Pico, microseconds by a serial board's own clock), the
    call's overhead (`overhead`, in the same unit) taken out."""

    board: str
    unit: str
    counts: list[float]
    overhead: float


def operator_counts(board: str, blob: bytes, runs: int = 10, mpy: bool = False) -> Profile:
    """`tinyml bench --per-op`: what each operator costs on the board (Profile)."""
    if board in PICOS:
        b = PICOS[board]
        code = _PROFILE.format(setup="", read=_PICO_TIMER, diff=_WRAP, runs=runs)
        with progress(f"profiling on {board}", 1, "runs") as advance, \
                emulated_pico(board, stock=mpy, files=_pico_module(board, mpy),
                              flash={"blob": blob}) as dev:
            out = dev.exec(code)
            advance()
        unit, scale = "cycles", Fraction(b.clock_mhz, runs)
    elif board in EMULATED:
        b = EMULATED[board]
        code = _PROFILE.format(setup=b.timer_setup, read=b.timer_read, diff=_WRAP, runs=runs)
        with progress(f"profiling on {board}", 1, "runs") as advance, \
                _counting(board, blob, mpy) as dev:
            out = dev.exec(code)
            advance()
        unit, scale = "instructions", Fraction(b.instructions_per_tick) / runs
    elif board in LOCAL:
        raise BoardError(f"bench --per-op times operators with a board's timer: use an emulated "
                         f"board ({', '.join([*EMULATED, *PICOS])}) or a serial one, not {board}")
    else:
        code = _PROFILE.format(setup="import time", read="time.ticks_us()",
                               diff="time.ticks_diff(t1, t0)", runs=runs)
        with connect(board) as dev:
            dev.send("blob", blob)
            out = dev.exec(code)
        unit, scale = "us", Fraction(1, runs)
    *sums, empty = _last_ints(out)
    overhead = empty * scale
    counts = [max(Fraction(0), v * scale - overhead) for v in sums]
    return Profile(board, unit, [float(round(c, 1)) for c in counts], float(round(overhead, 1)))


def _last_ints(out: str) -> list[int]:
    """The integers of the board's last output line."""
    return [int(v) for v in out.strip().splitlines()[-1].split()]


def pico_counts(board: str, blob: bytes, runs: int = 10,
                mpy: bool = False) -> dict[str, int]:
    """Cycles and instructions per inference on the emulated Pico.

    Cycles: the RP2040's TIMER (TIMERAWL) around `runs` inferences; the emulator advances time
    by each instruction's Cortex-M0+ cycles at clk_sys, so µs × MHz is cycles (inference never
    sleeps). Instructions: the emulator's own count around one board command running 1 + runs
    and one running 1 inference; their difference over `runs` cancels the command's own work.
    `mpy`: the native module on stock firmware instead of tinyml in the firmware."""
    b = PICOS[board]
    files = _pico_module(board, mpy)
    with tempfile.TemporaryDirectory() as d:
        counters = Path(d) / "counters.json"
        with progress(f"benchmarking on {board}", 4, "steps") as advance, \
                emulated_pico(board, stock=mpy, files=files, flash={"blob": blob},
                              counters=counters) as dev:
            advance(1, f"loading the model on {board}")
            dev.exec("import machine, tinyml\nnet = tinyml.load(blob)\n" + _PREPARE)
            counts = []
            for n in (1, runs + 1):
                advance(1, f"{n} inference{'s' if n > 1 else ''} on {board}")
                counts.append(_pico_count(dev, counters, f"for _ in range({n}):\n"
                                                         "    net.predict_into(x, out)"))
            advance()
    (i1, us1), (i2, us2) = counts
    return {"cycles": round((us2 - us1) * b.clock_mhz / runs),
            "instructions": round((i2 - i1) / runs)}


def _pico_count(dev: Device, counters: Path, code: str) -> tuple[int, int]:
    """(instructions, TIMER microseconds) of one board command running `code`: the emulator's
    instruction count around the whole command, TIMERAWL around `code` on the board."""
    import json

    def total() -> int:  # once the board idles again, the file holds its totals
        seen = -1
        while True:
            time.sleep(0.3)
            now = json.loads(counters.read_text())["instructions"]
            if now == seen:
                return now
            seen = now

    before = total()
    out = dev.exec(f"import machine\nt0 = machine.mem32[0x40054028]\n{code}\n"
                   "print((machine.mem32[0x40054028] - t0) & 0xFFFFFFFF)")
    return total() - before, int(out.split()[-1])


def timing(board: str, counts: dict[str, int]) -> dict[str, float | int | str]:
    """Milliseconds per inference at a real chip's clock, named for what they assume: on the
    emulated Pico the cycles the emulator counts at the RP2040's 125 MHz; on a QEMU board the
    instructions at a representative chip's clock if it ran one instruction per cycle (QEMU
    counts no cycles). Nothing for unix (x86 instructions: no clock makes them time)."""
    if board in PICOS:
        mhz = PICOS[board].clock_mhz
        return {"clock_mhz": mhz, "ms": round(counts["cycles"] / (mhz * 1000), 2)}
    if board in EMULATED:
        b = EMULATED[board]
        return {"chip": b.chip, "chip_mhz": b.chip_mhz,
                "ms_if_1_instruction_per_cycle":
                    round(counts["instructions"] / (b.chip_mhz * 1000), 2)}
    return {}


def timing_label(info: dict[str, float | int | str]) -> str:
    """The words for `timing`'s figures: what was measured, and what is assumed."""
    if "ms" in info:
        return f"{info['ms']:,} ms at {info['clock_mhz']} MHz"
    if "ms_if_1_instruction_per_cycle" in info:
        return (f"≈ {info['ms_if_1_instruction_per_cycle']:,} ms at {info['chip_mhz']} MHz "
                f"({info['chip']}) if 1 instruction/cycle")
    return ""


# Calibration: a loop of two instructions per iteration (subtract one, branch back while not
# zero) in each core's MicroPython inline assembler, timed as `instructions_per_inference` times
# a model. Two lengths of the same digit count, so the board commands are the same bytes and
# call overhead and timer reads cancel in the difference. Long enough that the Pico's
# instruction count, taken around whole board commands, drowns the few thousand instructions
# by which the USB traffic of a command varies.
CALIBRATION_LOOPS = (10_000_000, 30_000_000)
_SPIN_THUMB = """
@micropython.asm_thumb
def spin(r0):
    label(top)
    sub(r0, r0, 1)
    bne(top)
"""
_SPIN_RV32 = """
@micropython.asm_rv32
def spin(a0):
    label(top)
    addi(a0, a0, -1)
    bne(a0, zero, top)
"""
# unix has no inline assembler: the same loop in a C program, counted by callgrind as a model
# is (whole process, two runs differenced). Decimal digits parsed without data-dependent
# branches: two counts of the same length take the same path outside the loop.
_SPIN_C = r"""
int main(int argc, char **argv) {
    long n = 0;
    for (const char *p = argc > 1 ? argv[1] : "1"; *p; p++)
        n = n * 10 + (*p - '0');
    __asm__ volatile("1:\n\tdec %0\n\tjnz 1b" : "+r"(n));
    return 0;
}
"""
# Cortex-M0+ cycles (its technical reference manual): SUBS 1, a taken conditional branch 2.
_M0PLUS_CYCLES_PER_ITERATION = 3


@dataclass(frozen=True)
class Calibration:
    """One counter checked against a loop of known length: `known` instructions (or cycles) run
    by the longer loop beyond the shorter, `measured` what the counter says, converted as bench
    converts it (exact: timer ticks × instructions per tick)."""

    board: str
    counter: str  # "instructions" or "cycles"
    method: str
    known: int
    measured: Fraction

    @property
    def error(self) -> Fraction:
        return abs(self.measured - self.known) / self.known


def calibrate(board: str) -> list[Calibration]:
    """Check a board's counters (`tinyml bench --calibrate`): one Calibration per counter."""
    n1, n2 = CALIBRATION_LOOPS
    known = 2 * (n2 - n1)
    if board == "unix":
        if shutil.which("valgrind") is None or shutil.which("cc") is None:
            raise BoardError("unix: calibration needs valgrind and a C compiler (cc)")
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "spin.c").write_text(_SPIN_C)
            subprocess.run(["cc", "-O1", "-o", "spin", "spin.c"], cwd=d, check=True)
            a, b = (_callgrind_total(["./spin", str(n)], d) for n in (n1, n2))
        return [Calibration(board, "instructions", "callgrind", known, Fraction(b - a))]
    if board in PICOS:
        mhz = PICOS[board].clock_mhz
        with tempfile.TemporaryDirectory() as d:
            counters = Path(d) / "counters.json"
            with emulated_pico(board, counters=counters) as dev:
                dev.exec(_SPIN_THUMB)
                (i1, us1), (i2, us2) = (_pico_count(dev, counters, f"spin({n})")
                                        for n in (n1, n2))
        cycles = _M0PLUS_CYCLES_PER_ITERATION * (n2 - n1)
        return [Calibration(board, "instructions", "emulator count", known, Fraction(i2 - i1)),
                Calibration(board, "cycles", f"TIMER µs × {mhz}", cycles,
                            Fraction((us2 - us1) * mhz))]
    if board not in EMULATED:
        raise BoardError(f"calibration runs on unix and the emulated boards "
                         f"({', '.join([*EMULATED, *PICOS])}), not on {board}")
    b = EMULATED[board]
    spin = _SPIN_RV32 if board == "qemu-rv32" else _SPIN_THUMB
    # In a function, called once before: its first call's one-off work (global dictionary
    # growth, caches) stays out of the difference.
    code = spin + f"""
import machine
{b.timer_setup}
def measure(n):
    t0 = {b.timer_read}
    spin(n)
    t1 = {b.timer_read}
    return (t1 - t0) & 0xFFFFFFFF
measure(1)
print(measure({n1}), measure({n2}))
"""
    with connect(board, icount=True) as dev:
        t1, t2 = (int(v) for v in dev.exec(code).split()[-2:])
    per_tick = Fraction(b.instructions_per_tick)
    return [Calibration(board, "instructions", f"timer ticks × {b.instructions_per_tick}", known,
                        (t2 - t1) * per_tick)]


def code_bytes(board: str) -> int:
    """Bytes of machine code tinyml adds: the .text of the core and binding objects in the
    board's firmware build (unix: the x86 ones)."""
    if board == "unix":
        root, size = build_dir() / "unix/obj", "size"
    elif board in EMULATED:
        root = (build_dir() / EMULATED[board].firmware).parent
        size = "riscv64-unknown-elf-size" if board == "qemu-rv32" else "arm-none-eabi-size"
    elif board in PICOS:  # CMake keeps objects under the sources' absolute paths
        root, size = (build_dir() / PICOS[board].firmware).parent, "arm-none-eabi-size"
    else:
        raise BoardError(f"no firmware build for {board}")
    objs = [str(p) for p in [*root.glob("**/tinyml/src/**/*.o"),
                             *root.glob("**/micropython/tinyml_mp.*o")] if p.exists()]
    if not objs or shutil.which(size) is None:
        raise BoardError(f"{board}: no tinyml objects under {root}, or no {size}")
    p = subprocess.run([size, *objs], capture_output=True, text=True, check=True)
    return sum(int(line.split()[0]) for line in p.stdout.splitlines()[1:])
