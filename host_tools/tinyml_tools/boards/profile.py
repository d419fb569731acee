"""`tinyml bench --per-function`: where one inference's instructions go, function by function of
tinyml's C code, on an emulated QEMU board running tinyml's firmware.

QEMU logs every translation block it executes inside tinyml's code (`-d exec,nochain,in_asm`,
`-dfilter` over the address range the firmware's link map gives tinyml's objects): each block's
instructions once, when translated, then one line per execution. One inference's count per
function is the sum, over the executions logged from the last entry into the binding's
`model_invoke` on, of each block's instruction count; a function's calls are the executions of
the block at its first address. Deterministic: the same firmware and model give the same
figures, whatever the machine's load. Code outside tinyml (MicroPython, the C library) is not
logged: the total is tinyml's own share of what `tinyml bench` counts.
"""

from __future__ import annotations

import bisect
import re
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..feedback import progress, step
from .bench import _PREPARE
from .devices import EMULATED, BoardError, Device, firmware_path

# The binding's entry that runs operators: the inference starts at its last call.
ENTRY = "model_invoke"

# Runs on the board with `blob` bound: bench's own preparation (zero inputs, one inference
# through predict_into, as `bench` warms up), then the inference that is profiled, by invoke.
_SCRIPT = "import tinyml\nnet = tinyml.load(blob)\n" + _PREPARE + """
net.set_inputs(x)
net.invoke(0, net.ops)
print("profiled")
"""


@dataclass(frozen=True)
class Section:
    """A function of tinyml's code in the firmware: its section in the link map."""

    name: str
    source: str  # the object it comes from, relative to native_modules/ (kernels/dot_s8)
    address: int
    size: int


@dataclass(frozen=True)
class FunctionCount:
    name: str
    source: str
    instructions: int
    calls: int


_MAP_SECTION = re.compile(r"^ \.text\.(\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+\.o)$",
                          re.MULTILINE)


def tinyml_sections(map_text: str) -> list[Section]:
    """The functions of tinyml's objects (native_modules/: the C core and the binding) in a
    GNU ld link map, by address. A long section name sits on a line of its own, its address,
    size and object on the next: joined first."""
    text = re.sub(r"^( \.text\.\S+)\n\s+", r"\1 ", map_text, flags=re.MULTILINE)
    found = []
    for m in _MAP_SECTION.finditer(text):
        obj, size = m.group(4), int(m.group(3), 16)
        where = obj.replace("\\", "/")
        if size == 0 or not ("/tinyml/src/" in where or where.endswith("/tinyml_mp.o")):
            continue
        source = where.rsplit("/tinyml/src/", 1)[-1] if "/tinyml/src/" in where else \
            "tinyml_mp"
        found.append(Section(m.group(1), source.removesuffix(".o"), int(m.group(2), 16), size))
    return sorted(found, key=lambda s: s.address)


def _ranges(sections: list[Section]) -> list[tuple[int, int]]:
    """Contiguous address ranges covering the sections (gaps of alignment padding merged)."""
    out: list[tuple[int, int]] = []
    for s in sections:
        if out and s.address - out[-1][1] <= 16:
            out[-1] = (out[-1][0], max(out[-1][1], s.address + s.size))
        else:
            out.append((s.address, s.address + s.size))
    return out


_TB = re.compile(r"^IN: [^\n]*\n((?:0x[0-9a-f]+:[^\n]*\n)+)", re.MULTILINE)
_EXEC = re.compile(rb"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/", re.MULTILINE)


def block_sizes(log: str) -> dict[int, int]:
    """Each translated block's instruction count by its start address (the `in_asm` log)."""
    sizes = {}
    for m in _TB.finditer(log):
        lines = m.group(1).splitlines()
        sizes[int(lines[0].split(":")[0], 16)] = len(lines)
    return sizes


def attribute(log: bytes, sections: list[Section], entry: str = ENTRY) -> list[FunctionCount]:
    """Instructions and calls per function, from the last execution of `entry`'s first block
    to the end of the log."""
    starts = {s.name: s.address for s in sections}
    if entry not in starts:
        raise BoardError(f"the firmware's link map has no {entry}: is tinyml compiled in?")
    sizes = block_sizes(log.decode("utf-8", "replace"))
    pcs = [int(m.group(1), 16) for m in _EXEC.finditer(log)]
    first = max((i for i, pc in enumerate(pcs) if pc == starts[entry]), default=None)
    if first is None:
        raise BoardError(f"QEMU logged no call of {entry}: no inference ran")
    counts = Counter(pcs[first:])
    by_start = [s.address for s in sections]
    instr: Counter[int] = Counter()
    calls: Counter[int] = Counter()
    for pc, n in counts.items():
        if pc not in sizes:
            raise BoardError(f"QEMU's log has no instructions for the block at {pc:#x}")
        i = bisect.bisect_right(by_start, pc) - 1
        if i < 0 or pc >= sections[i].address + sections[i].size:
            continue  # alignment padding between functions: never executed
        instr[i] += n * sizes[pc]
        if pc == sections[i].address:
            calls[i] += n
    rows = [FunctionCount(sections[i].name, sections[i].source, instr[i], calls[i])
            for i in instr]
    return sorted(rows, key=lambda r: (-r.instructions, r.name))


def function_counts(board: str, blob: bytes) -> list[FunctionCount]:
    """One inference of `blob` on the QEMU board `board` (tinyml's firmware), per function."""
    if board not in EMULATED:
        raise BoardError(f"bench --per-function reads QEMU's execution log: use a QEMU board "
                         f"({', '.join(EMULATED)}), not {board}")
    b = EMULATED[board]
    fw = firmware_path(b.firmware)
    link_map = fw.with_suffix(".map")
    if not fw.exists() or not link_map.exists():
        raise BoardError(f"{board}: needs {fw} and its link map {link_map} (run `make setup`)")
    sections = tinyml_sections(link_map.read_text())
    dfilter = ",".join(f"{a:#x}+{e - a:#x}" for a, e in _ranges(sections))
    with tempfile.TemporaryDirectory() as d, \
            progress(f"profiling on {board}", 3, "steps") as advance:
        log = Path(d) / "exec.log"
        p = subprocess.Popen([*b.qemu, "-nographic", "-monitor", "null", "-semihosting",
                              "-serial", "pty", "-d", "exec,nochain,in_asm", "-D", str(log),
                              "-dfilter", dfilter, "-kernel", str(fw)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert p.stdout is not None
            m = re.search(r"/dev/pts/\d+", p.stdout.readline())
            if not m:
                raise BoardError(f"{board}: QEMU printed no serial port")
            time.sleep(0.3)
            dev = Device(m.group(0))
            advance(1, f"sending the model to {board}")
            dev.send("blob", blob)
            advance(1, f"one inference on {board}, every block logged")
            out = dev.exec(_SCRIPT)
            if "profiled" not in out:
                raise BoardError(f"{board}: the inference did not finish: {out.strip()[-300:]}")
        finally:
            p.terminate()  # QEMU flushes its log as it exits on SIGTERM
            p.wait(timeout=60)
        advance()
        with step("reading QEMU's execution log"):
            return attribute(log.read_bytes(), sections)
