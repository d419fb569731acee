"""Cycles per function on the emulated Pico, from a profile that run_pico.mjs wrote.

    TML_PICO_PROFILE=/tmp/kws.prof tinyml bench models/kws/kws.bin --board rp2040
    python scripts/pico_profile.py /tmp/kws.prof [--elf build/rp2/RPI_PICO/firmware.elf]

The profile holds the cycles spent at each instruction address over the whole session (boot,
the board commands, every inference); each address is charged to the function whose symbol
precedes it in the firmware's ELF (arm-none-eabi-nm). For developers: where a kernel's cycles
go, function by function (the per-operator figures come from `tinyml bench --per-op`).
"""

from __future__ import annotations

import argparse
import bisect
import subprocess
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ELF = ROOT / "build/rp2/RPI_PICO/firmware.elf"


def functions(elf: Path) -> tuple[list[int], list[str]]:
    """The ELF's code symbols (functions, local and global), sorted by address."""
    out = subprocess.run(["arm-none-eabi-nm", "-n", "--defined-only", str(elf)],
                         capture_output=True, text=True, check=True).stdout
    syms = sorted((int(addr, 16) & ~1, name) for addr, kind, name in
                  (line.split(maxsplit=2) for line in out.splitlines() if line.count(" ") >= 2)
                  if kind in "tTwW")
    return [a for a, _ in syms], [n for _, n in syms]


def per_function(profile: Path, elf: Path) -> Counter[str]:
    """The profile's cycles summed per function."""
    addrs, names = functions(elf)
    cycles: Counter[str] = Counter()
    for line in profile.read_text().splitlines():
        addr, count = line.split()
        i = bisect.bisect_right(addrs, int(addr, 16)) - 1
        cycles[names[i] if i >= 0 else "?"] += int(float(count))
    return cycles


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("profile", type=Path, help="the file TML_PICO_PROFILE named")
    ap.add_argument("--elf", type=Path, default=ELF, help="the firmware's ELF (RPI_PICO's)")
    ap.add_argument("--top", type=int, default=25, help="functions to list")
    args = ap.parse_args()
    cycles = per_function(args.profile, args.elf)
    total = sum(cycles.values())
    for name, count in cycles.most_common(args.top):
        print(f"{count:>14,} {100 * count / total:6.2f} %  {name}")
    print(f"{total:>14,} cycles in all")


if __name__ == "__main__":
    main()
