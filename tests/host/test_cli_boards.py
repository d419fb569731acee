"""`tinyml run / verify / bench --board`: one way to say where things run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tflite_sizes import Model

from runtimes import ROOT

TINYML = [sys.executable, "-m", "tinyml_tools.cli"]
# Arenas derived from the .tflite files by the test (the bound the planner reaches).
KWS_ARENA = Model((ROOT / "models/kws/kws.tflite").read_bytes()).arena_lower_bound(True)
AD_ARENA = Model((ROOT / "models/ad/ad.tflite").read_bytes()).arena_lower_bound(True)
KWS_BLOB = (ROOT / "models/kws/kws.bin").stat().st_size
# What a loaded Net holds in the heap besides its arena (and its blob when read from a file):
# the Net and Model objects, labels, the GC's 16-byte blocks. A budget, not a measurement:
# the exact figures are in docs/boards.md.
NET_OBJECTS = 2048


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TINYML, *args], capture_output=True, text=True, cwd=ROOT)


# Not `--board host`: verify compares a board with the host simulator, so there it would
# compare the simulator with itself. The host simulator's own check is against TFLite's
# reference kernels: tests/conformance/test_bitexact.py (runtime "host").
@pytest.mark.parametrize("board", ["unix", "qemu-m3", "qemu-rv32"])
def test_verify(board: str) -> None:
    p = run("verify", "models/kws/kws.bin", "--board", board, "-n", "4")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"kws.bin on {board}: 4/4 inputs bit-exact with the host"


def test_verify_multi_io_model(tmp_path: Path) -> None:
    blob = tmp_path / "se_block.bin"
    assert run("convert", "tests/models/keras/se_block.tflite", "-o", str(blob)).returncode == 0
    p = run("verify", str(blob), "--board", "qemu-m4", "-n", "3")
    assert p.stdout.strip() == "se_block.bin on qemu-m4: 3/3 inputs bit-exact with the host"


def test_run_script_on_a_board(tmp_path: Path) -> None:
    script = tmp_path / "hello.py"
    script.write_text("import sys, tinyml\n"
                      "print(sys.implementation._machine, tinyml.__version__)\n")
    p = run("run", str(script), "--board", "qemu-m7")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "mps2-an500 with Cortex-M7 0.1.0"


def test_bench_is_deterministic() -> None:
    """icount makes instruction counts exact: two runs agree to the instruction. The figures
    themselves are the benchmark report's (docs/benchmarks.md), not pinned here."""
    a = json.loads(run("bench", "models/kws/kws.bin", "--board", "qemu-m3", "--json").stdout)
    b = json.loads(run("bench", "models/kws/kws.bin", "--board", "qemu-m3", "--json").stdout)
    assert a == b
    assert set(a) == {"board", "model", "instructions", "arena_bytes", "code_bytes", "chip",
                      "chip_mhz", "ms_if_1_instruction_per_cycle"}
    assert (a["board"], a["model"], a["arena_bytes"]) == ("qemu-m3", "kws.bin", KWS_ARENA)
    assert a["instructions"] > 0 and a["code_bytes"] > 0
    # QEMU counts instructions, not cycles: a time is only given under that assumption, named
    # in the key and in the text.
    assert (a["chip"], a["chip_mhz"]) == ("STM32F103", 72)
    assert a["ms_if_1_instruction_per_cycle"] == round(a["instructions"] / 72_000, 2)
    p = run("bench", "models/kws/kws.bin", "--board", "qemu-m3")
    assert p.returncode == 0, p.stderr
    ms = f"{a['ms_if_1_instruction_per_cycle']:,}"
    assert p.stdout == (f"kws.bin on qemu-m3: {a['instructions']:,} instructions per inference, "
                        f"≈ {ms} ms at 72 MHz (STM32F103) if 1 instruction/cycle, arena "
                        f"{KWS_ARENA:,} bytes, tinyml code {a['code_bytes']:,} bytes\n")


def test_bench_calibrate() -> None:
    """The counter check behind the figures (tests/device/test_counters.py runs it on every
    board): 2 × 20,000,000 instructions of an asm_thumb loop, exact to the timer's tick."""
    p = run("bench", "--calibrate", "--board", "qemu-m3", "--json")
    assert p.returncode == 0, p.stderr
    [c] = json.loads(p.stdout)
    assert (c["board"], c["counter"], c["known"]) == ("qemu-m3", "instructions", 40_000_000)
    assert abs(c["measured"] - c["known"]) <= 1.25 and c["error_percent"] < 0.1
    p = run("bench", "--board", "qemu-m3")
    assert p.returncode == 2 and "BLOB is required (or --calibrate)" in p.stderr


def test_unknown_board() -> None:
    p = run("verify", "models/kws/kws.bin", "--board", "/dev/nonexistent")
    assert p.returncode == 1
    assert "no board '/dev/nonexistent': use host, unix, qemu-m3, qemu-m4, qemu-m7, qemu-rv32" \
        in p.stderr


@pytest.mark.parametrize(("board", "arch"), [("qemu-m3", "armv7m"), ("qemu-m4", "armv7emsp"),
                                             ("qemu-rv32", "rv32imc")])
def test_install_picks_the_module_that_fits(board: str, arch: str) -> None:
    """The board is asked for its architecture and ABI (sys.implementation._mpy); a Cortex-M3
    must not get the M4F module that mip users report getting."""
    p = run("install", "--board", board)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"{board}: installed {arch}/tinyml.mpy (")
    assert p.stdout.strip().endswith("import tinyml -> 0.1.0")


def test_install_with_the_frontends() -> None:
    """--frontends: the front-ends' own native module and their device modules beside
    tinyml.mpy, checked on the board by importing tinyml_audio and tinyml_motion; refused for
    a core without floating point, before the board is touched."""
    core, fe = ((ROOT / "build/natmod/armv7emsp" / n).stat().st_size
                for n in ("tinyml.mpy", "_tinyml_fe.mpy"))
    p = run("install", "--board", "qemu-m4", "--frontends")
    assert p.returncode == 0, p.stderr
    assert re.fullmatch(
        rf"qemu-m4: installed armv7emsp/tinyml\.mpy \({core} bytes, from \S+\) and "
        rf"armv7emsp/_tinyml_fe\.mpy \({fe} bytes\) with tinyml_audio, tinyml_motion; "
        r"import tinyml -> 0\.1\.0\n", p.stdout), p.stdout
    p = run("install", "--board", "rp2040", "--frontends")
    assert p.returncode == 1
    assert p.stderr == ("Error: no front-ends module for armv6m (built for x64, armv7m, "
                        "armv7emsp, rv32imc: the cores with floating point); tinyml's firmware "
                        "for the board has the front-ends built in\n")


def test_pick_natmod() -> None:
    from tinyml_tools.boards.devices import BoardError, pick_natmod

    def mpy(arch: int, version: int = 6, sub: int = 3) -> int:
        return version | sub << 8 | arch << 10

    assert pick_natmod(mpy(4)) == "armv6m"  # RP2040
    assert pick_natmod(mpy(6)) == "armv7m"  # armv7em without FPU support in the ABI
    assert pick_natmod(mpy(8)) == "armv7emsp"  # armv7emdp (e.g. STM32H7) takes the sp module
    assert pick_natmod(mpy(11)) == "rv32imc"
    assert pick_natmod(mpy(9)) == "xtensa"  # ESP8266
    with pytest.raises(BoardError, match=r"no tinyml native module .* \(number 10\)"):
        pick_natmod(mpy(10))  # xtensawin (ESP32)
    with pytest.raises(BoardError, match="loads .mpy 5.0; tinyml's native modules are 6.3"):
        pick_natmod(mpy(4, 5, 0))


def _heap(line: str) -> int:
    return int(re.fullmatch(r".*, heap used (\d+) B", line).group(1))


def test_deploy(tmp_path: Path) -> None:
    """A file copy: the blob is read into the heap beside its arena."""
    p = run("deploy", "models/kws/kws.bin", "--board", "qemu-m7")
    assert p.returncode == 0, p.stderr
    line = p.stdout.strip()
    assert line.startswith("qemu-m7: kws.bin -> :kws.bin; <Net kws: 13 ops, in (1, 49, 10, 1) "
                           f"int8, out (1, 12), arena {KWS_ARENA} B>, heap used ")
    assert KWS_BLOB + KWS_ARENA <= _heap(line) <= KWS_BLOB + KWS_ARENA + NET_OBJECTS, line


def test_emulated_boards_keep_their_files(tmp_path: Path) -> None:
    """What deploy writes to a QEMU board's RAM disk is there at the next run (the disk's
    blocks kept by the host between sessions), and what a run writes too; --fresh empties it.
    A failed run keeps its files as well, as a board would."""
    ls = tmp_path / "ls.py"
    ls.write_text("import os\nprint(sorted(os.listdir()))\n")
    write = tmp_path / "write.py"
    write.write_text("import os\nprint(sorted(os.listdir()))\n"
                     "open('log.txt', 'w').write('seen')\nraise ValueError('after writing')\n")
    assert run("deploy", "models/kws/kws.bin", "--board", "qemu-m4").returncode == 0
    p = run("run", str(write), "--board", "qemu-m4")
    assert p.returncode == 1 and p.stdout.startswith("['kws.bin', 'tinyml.mpy']\n"), p.stderr
    assert "ValueError: after writing" in p.stdout + p.stderr
    p = run("run", str(ls), "--board", "qemu-m4")
    assert p.stdout == "['kws.bin', 'log.txt', 'tinyml.mpy']\n", p.stderr
    assert run("run", str(ls), "--board", "qemu-m4", "--fresh").stdout == "[]\n"


def test_deploy_romfs() -> None:
    """Into ROMFS: the blobs stay in (emulated) flash, the heap holds arenas and Net objects."""
    p = run("deploy", "models/kws/kws.bin", "models/ad/ad.bin", "--board", "qemu-rv32",
            "--romfs")
    assert p.returncode == 0, p.stderr
    kws, ad = p.stdout.splitlines()
    assert kws.startswith("qemu-rv32: kws.bin -> :/rom/kws.bin; <Net kws: 13 ops, in (1, 49, "
                          f"10, 1) int8, out (1, 12), arena {KWS_ARENA} B>, heap used ")
    assert ad.startswith("qemu-rv32: ad.bin -> :/rom/ad.bin; <Net ad: 10 ops, in (1, 640) int8, "
                         f"out (1, 640), arena {AD_ARENA} B>, heap used ")
    # The blobs are not in the heap: the arena and the objects only.
    assert KWS_ARENA <= _heap(kws) <= KWS_ARENA + NET_OBJECTS < KWS_BLOB, kws
    assert AD_ARENA <= _heap(ad) <= AD_ARENA + NET_OBJECTS, ad


def test_mip_package_installs_the_module() -> None:
    """`mpremote mip install mip/<arch>.json` on stock firmware, then import and run."""
    from tinyml_tools.boards.devices import with_filesystem

    with with_filesystem("qemu-m3") as dev:
        dev.mpremote("mip", "install", "--target", "/ram/lib", "mip/armv7m.json")
        out = dev.exec("import sys; sys.path.append('/ram/lib'); import tinyml; "
                       "print(tinyml.__version__, 'Model' in dir(tinyml))")
        # and the front-ends' package beside it
        dev.mpremote("mip", "install", "--target", "/ram/lib", "mip/frontends/armv7m.json")
        fe = dev.exec("import tinyml_audio, tinyml_motion; "
                      "print(tinyml_audio.Frontend().channels, "
                      "tinyml_motion.Motion(axes=3, window=64, hop=32).size)")
    assert out.split() == ["0.1.0", "True"]
    assert fe.split() == ["40", "27"]


def test_every_native_module_is_built_for_its_architecture() -> None:
    """Each build/natmod/<arch>/tinyml.mpy: .mpy 6.3 for that architecture, and MicroPython's
    own mpy-tool parses it whole (qstrs, bytecode of the device API, native code with its
    relocations). The xtensa (ESP8266) module is checked only this way: QEMU has no ESP8266."""
    from tinyml_tools.boards.deploy import FRONTENDS_ARCHS
    from tinyml_tools.boards.devices import MPY_VERSION, NATMOD_ARCHS

    mp = subprocess.run([str(ROOT / "scripts/micropython-source.sh")], capture_output=True,
                        text=True, check=True).stdout.strip()
    for number, arch in NATMOD_ARCHS.items():
        f = ROOT / f"build/natmod/{arch}/tinyml.mpy"
        head = f.read_bytes()[:3]
        assert head[:2] == b"M\x06" and head[2] == (number << 2 | MPY_VERSION[1]), (arch, head)
        p = subprocess.run([sys.executable, f"{mp}/tools/mpy-tool.py", "-d", str(f)],
                           capture_output=True, text=True)
        assert p.returncode == 0, (arch, p.stderr[-500:])
        assert "\n    _tinyml\n" in p.stdout and "\n    predict\n" in p.stdout, arch
        fe = f.with_name("_tinyml_fe.mpy")  # the front-ends' module, where it is built
        if arch in FRONTENDS_ARCHS:  # setup builds the module for exactly these
            assert fe.read_bytes()[:3] == head, arch
            p = subprocess.run([sys.executable, f"{mp}/tools/mpy-tool.py", "-d", str(fe)],
                               capture_output=True, text=True)
            assert p.returncode == 0, (arch, p.stderr[-500:])
            assert "\n    Frontend\n" in p.stdout and "\n    Motion\n" in p.stdout, arch
        else:
            assert not fe.exists(), arch


def test_bench_times_at_real_clocks() -> None:
    """The Pico's cycles become milliseconds at its 125 MHz; a QEMU board's instructions only
    under a stated assumption (one instruction per cycle at a named chip's clock); unix none."""
    from tinyml_tools.boards.bench import timing, timing_label

    pico = timing("rp2040", {"cycles": 34_189_538, "instructions": 26_066_189})
    assert pico == {"clock_mhz": 125, "ms": 273.52}
    assert timing_label(pico) == "273.52 ms at 125 MHz"
    m4 = timing("qemu-m4", {"instructions": 8_400_000})
    assert m4 == {"chip": "STM32F405, pyboard", "chip_mhz": 168,
                  "ms_if_1_instruction_per_cycle": 50.0}
    assert timing_label(m4) == "≈ 50.0 ms at 168 MHz (STM32F405, pyboard) if 1 instruction/cycle"
    assert timing("unix", {"instructions": 1}) == {} and timing_label({}) == ""


def test_bench_native_module_on_stock_firmware() -> None:
    """--mpy: the board's native module on its stock firmware (what `make benchmarks` compares
    with the firmware; issue 16 wants the armv7emsp module within 5 %)."""
    p = run("bench", "models/kws/kws.bin", "--board", "qemu-m4", "--mpy", "--json")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    mpy = ROOT / "build/natmod/armv7emsp/tinyml.mpy"
    assert (info["mpy"], info["mpy_bytes"]) == ("armv7emsp/tinyml.mpy", mpy.stat().st_size)
    assert info["instructions"] > 0 and "code_bytes" not in info
