"""tinyml on the Raspberry Pi Pico's own chip: MicroPython's rp2 firmware (RPI_PICO) on an
emulated RP2040 (rp2040js, Cortex-M0+), driven over its USB serial port with mpremote as a user
drives a Pico. Two paths: tinyml compiled into the firmware, and the armv6m native module on
stock firmware. Every output byte equals the host simulator's (itself TFLite's)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tflite_builder import two_layer_mlp
from tflite_sizes import Model

import tinyml
from runtimes import ROOT
from tinyml_tools.boards.bench import RUN
from tinyml_tools.boards.devices import BoardError, emulated_pico
from tinyml_tools.convert import convert_model
from tinyml_tools.format.blob import read_blob

# RUN's `blob` and `xs` are bytearrays over the emulated flash (uctypes.bytearray_at): in
# place, as a model kept in a Pico's flash outside the filesystem.
MPY = ROOT / "build/natmod/armv6m/tinyml.mpy"
# Arenas derived from the .tflite files by the test (the bound the planner reaches).
ARENA = {m: Model((ROOT / f"models/{m}/{m}.tflite").read_bytes()).arena_lower_bound(True)
         for m in ("kws", "ad")}


def _case(name: str, count: int) -> tuple[bytes, np.ndarray, list[str]]:
    """(blob, inputs [count, n], host outputs in hex): KWS recordings or random AD inputs."""
    blob = (ROOT / f"models/{name}/{name}.bin").read_bytes()
    host = tinyml.load(blob)
    n = int(np.prod(host.input_shape))
    if name == "kws":
        xs = np.fromfile(ROOT / "models/kws/samples.bin", np.int8).reshape(-1, n)[:count]
    else:
        xs = np.random.default_rng(5).integers(-128, 128, (count, n), dtype=np.int8)
    return blob, xs, [host.predict_raw(x.tobytes()).hex() for x in xs]


# KWS takes about half a second of wall time per inference on the emulator (its cycles:
# docs/benchmarks.md); AD a few milliseconds.
@pytest.mark.parametrize(("model", "count"), [("kws", 4), ("ad", 8)])
def test_firmware_bit_exact(model: str, count: int) -> None:
    blob, xs, want = _case(model, count)
    # The blob in raw flash, the inputs as a file (AD's 272 KB blob fills the gap between the
    # firmware and the filesystem, as tinyml verify places them).
    with emulated_pico("rp2040", flash={"blob": blob}, files={"xs.bin": xs.tobytes()}) as dev:
        got = dev.exec('xs = open("xs.bin", "rb").read()\n' + RUN).split()
    assert got == want


@pytest.mark.parametrize(("model", "count"), [("kws", 4), ("ad", 8)])
def test_native_module_on_stock_firmware(model: str, count: int) -> None:
    """Stock RPI_PICO firmware (no tinyml inside) with tinyml.mpy in its littlefs filesystem."""
    blob, xs, want = _case(model, count)
    with emulated_pico("rp2040", stock=True, files={"tinyml.mpy": MPY.read_bytes()},
                       flash={"blob": blob, "xs": xs.tobytes()}) as dev:
        assert dev.exec("import sys; print('tinyml' in sys.modules)").split() == ["False"]
        assert "tinyml.mpy" in dev.mpremote("ls", ":")
        got = dev.exec(RUN).split()
    assert got == want


@pytest.mark.parametrize("stock", [False, True], ids=["tinyml", "stock"])
def test_inspect_knows_the_picos_heap(stock: bool) -> None:
    """`tinyml inspect --board pico` judges a model against the heap a Pico has free after
    boot: at least that much, and not 4 KB less than what this firmware really leaves."""
    from tinyml_tools.report.inspect_blob import BOARD_HEAP

    with emulated_pico("rp2040", stock=stock) as dev:
        free = int(dev.exec("import gc; gc.collect(); print(gc.mem_free())").split()[-1])
    assert free - 4096 <= BOARD_HEAP["pico"] <= free


def test_model_too_big_for_the_heap_is_an_error_not_a_crash() -> None:
    """AD's 272 KB blob as a file cannot be read into the Pico's 240 KB heap: MemoryError with
    the numbers, and the board goes on working."""
    ad = (ROOT / "models/ad/ad.bin").read_bytes()
    with emulated_pico("rp2040", stock=True,
                       files={"tinyml.mpy": MPY.read_bytes(), "ad.bin": ad}) as dev:
        with pytest.raises(BoardError) as e:
            dev.exec("import tinyml; tinyml.load('ad.bin')")
        need = f"{len(ad) + ARENA['ad']} bytes \\(blob {len(ad)} \\+ arena {ARENA['ad']}\\)"
        assert re.search(rf"MemoryError: model needs {need}, \d+ available; keep it in flash "
                         r"\(ROMFS\) to need the arena only$", str(e.value)), str(e.value)
        assert dev.exec("import gc; gc.collect(); print(gc.mem_free() > 200000)").split() == [
            "True"]


def test_dual16_weights_are_refused_on_armv6m() -> None:
    """Armv6-M builds leave DUAL16 out (flash first; no dual multiply to feed): the loader
    refuses such a blob at its packed tensor, on the firmware and with the .mpy alike."""
    blob, _ = convert_model(two_layer_mlp(batch=2), "mlp", weights="dual16")
    packed = [i for i, t in enumerate(read_blob(blob).tensors) if t.packing == "dual16"]
    for stock, files in ((False, {}), (True, {"tinyml.mpy": MPY.read_bytes()})):
        with emulated_pico("rp2040", stock=stock, files={**files, "mlp.bin": blob}) as dev:
            with pytest.raises(BoardError) as e:
                dev.exec("import tinyml; tinyml.load('mlp.bin')")
            assert str(e.value).endswith(f"ValueError: invalid tensor record (tensor "
                                         f"{packed[0]})"), str(e.value)


def test_bench_on_a_serial_board_times_with_its_clock() -> None:
    """bench on a Pico reached by its serial port, as a real one is: milliseconds by the board's
    time.ticks_us and its clock from machine.freq(). Wall time of the emulator here, so only
    the form is checked, never the value."""
    with emulated_pico("rp2040") as dev:
        p = _cli("bench", "models/kws/kws.bin", "--board", f"port:{dev.port}", "--json")
    r = json.loads(p.stdout)
    assert (r["model"], r["runs"], r["clock_mhz"], r["arena_bytes"]) == (
        "kws.bin", 10, 125, ARENA["kws"]), p.stderr
    assert r["ms"] > 0


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tinyml_tools.cli", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env)


def test_the_emulated_pico_keeps_its_filesystem(tmp_path: Path) -> None:
    """What deploy writes is there for the next run; the firmware writes its flash as a Pico's
    (Trainer.save, then load_adapter in the next session); --fresh empties it."""
    env = {**os.environ, "TINYML_BOARD_STATE": str(tmp_path / "boards")}
    teach = tmp_path / "teach.py"
    teach.write_text("import os, tinyml\n"
                     "print(sorted(os.listdir()))\n"
                     "tr = tinyml.load('kws.bin').trainer(mode='ncm')\n"
                     "tr.add_class('cat'); tr.add_example(bytes(490), 'cat')\n"
                     "print('saved', tr.save('kws.adapter'))\n")
    use = tmp_path / "use.py"
    use.write_text("import os, tinyml\n"
                   "print(sorted(os.listdir()))\n"
                   "net = tinyml.load('kws.bin'); net.load_adapter('kws.adapter')\n"
                   "print(net.labels[-1])\n")
    p = _cli("deploy", "models/kws/kws.bin", "--board", "rp2040", env=env)
    assert p.returncode == 0, p.stderr
    p = _cli("run", str(teach), "--board", "rp2040", env=env)
    assert p.stdout.split("\n")[0] == "['kws.bin']", p.stderr  # tinyml's firmware: no module
    assert re.fullmatch(r"saved \d+", p.stdout.split("\n")[1]), p.stdout + p.stderr
    p = _cli("run", str(use), "--board", "rp2040", env=env)
    assert p.stdout == "['kws.adapter', 'kws.bin']\ncat\n", p.stderr
    p = _cli("run", str(use), "--board", "rp2040", "--fresh", env=env)
    assert p.returncode == 1 and p.stdout.startswith("[]\nTraceback"), p.stdout + p.stderr
    assert p.stdout.strip().endswith("OSError: [Errno 2] ENOENT")


def test_cli_deploy_install_and_bench() -> None:
    p = _cli("deploy", "models/kws/kws.bin", "--board", "rp2040", "--fresh")
    assert p.returncode == 0, p.stderr
    m = re.fullmatch(r"rp2040: kws\.bin -> :kws\.bin; <Net kws: 13 ops, in \(1, 49, 10, 1\) "
                     rf"int8, out \(1, 12\), arena {ARENA['kws']} B>, heap used (\d+) B\n",
                     p.stdout)
    assert m, p.stdout
    # A file copy: the blob is read into the heap beside its arena, plus the Net's objects
    # (within the budget test_cli_boards.py gives them).
    blob = (ROOT / "models/kws/kws.bin").stat().st_size
    assert blob + ARENA["kws"] <= int(m.group(1)) <= blob + ARENA["kws"] + 2048, p.stdout
    p = _cli("install", "--board", "rp2040")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("rp2040: installed armv6m/tinyml.mpy (")
    assert p.stdout.endswith("import tinyml -> 0.1.0\n")
    # verify: the 272 KB blob in raw flash, 20 inputs (12.8 KB) in the filesystem
    p = _cli("verify", "models/ad/ad.bin", "--board", "rp2040", "-n", "20")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "ad.bin on rp2040: 20/20 inputs bit-exact with the host\n"
    p = _cli("bench", "models/ad/ad.bin", "--board", "rp2040", "--json")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    assert info["arena_bytes"] == ARENA["ad"] and info["code_bytes"] > 0
    # The figures are the benchmark report's (docs/benchmarks.md, `make benchmarks`), not
    # pinned here. What holds on any firmware: a Cortex-M0+ spends at least one cycle on each
    # instruction.
    assert info["cycles"] >= info["instructions"] > 0, info
