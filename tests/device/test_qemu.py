"""tinyml on emulated MCU cores, driven over the serial line with mpremote as a user drives a
board: the firmware with tinyml compiled in, and stock firmware with the architecture's native
module copied to the board's filesystem. Every output byte equals the host simulator's (itself
TFLite's, see the conformance suite)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from tflite_sizes import Model

import tinyml
from qemu import BOARDS, board, mpremote, send_bytes
from runtimes import ROOT
from tinyml_tools.boards.bench import RUN, RUNNER_SCRIPT
from tinyml_tools.convert import convert_model


def _case(name: str) -> tuple[bytes, np.ndarray, list[str]]:
    """(blob, inputs [k, n], host outputs in hex) for the shipped KWS or AD model; "ad-dual16",
    "kws-dual16": converted with --weights dual16 (AD's FULLY_CONNECTED layers, KWS's
    pointwise CONV_2D layers, which run in place), against the outputs of the shipped int8
    blob."""
    name, _, packing = name.partition("-")
    blob = (ROOT / f"models/{name}/{name}.bin").read_bytes()
    host = tinyml.load(blob)
    if packing:
        tfl = (ROOT / f"models/{name}/{name}.tflite").read_bytes()
        blob, _ = convert_model(tfl, name, weights=packing)
    n = int(np.prod(host.input_shape))
    if name == "kws":
        xs = np.fromfile(ROOT / "models/kws/samples.bin", np.int8).reshape(-1, n)
    else:
        xs = np.random.default_rng(5).integers(-128, 128, (8, n), dtype=np.int8)
    return blob, xs, [host.predict_raw(x.tobytes()).hex() for x in xs]


@pytest.mark.parametrize("model", ["kws", "ad", "ad-dual16", "kws-dual16"])
@pytest.mark.parametrize("name", sorted(BOARDS))
def test_firmware_bit_exact(name: str, model: str) -> None:
    blob, xs, want = _case(model)
    with board(name) as port:
        send_bytes(port, "blob", blob)
        send_bytes(port, "xs", xs.tobytes())
        got = mpremote(port, "exec", RUN).split()
    assert got == want


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_native_module_on_stock_firmware(name: str, tmp_path: Path) -> None:
    """Stock firmware (no tinyml inside): copy the .mpy and the model to the board's
    filesystem with mpremote cp, then run from files, as a user of stock firmware does."""
    blob, xs, want = _case("kws")
    mpy = ROOT / f"build/natmod/{BOARDS[name].natmod}/tinyml.mpy"
    (tmp_path / "model.bin").write_bytes(blob)
    (tmp_path / "inputs.bin").write_bytes(xs.tobytes())
    (tmp_path / "main.py").write_text(RUNNER_SCRIPT)
    with board(name, stock=True) as port:
        mpremote(port, "exec", "import ramfs; ramfs.mount()")
        mpremote(port, "cp", str(mpy), str(tmp_path / "model.bin"),
                 str(tmp_path / "inputs.bin"), ":")
        listing = mpremote(port, "ls", ":")
        assert "tinyml.mpy" in listing and "model.bin" in listing
        got = mpremote(port, "run", str(tmp_path / "main.py")).split()
    assert got == want


def test_ctrl_c_during_inference_leaves_the_board_usable() -> None:
    """Ctrl-C while the board runs inference in a loop: KeyboardInterrupt at the REPL, and the
    same Net then gives the same bytes."""
    import serial

    blob, xs, want = _case("kws")
    with board("qemu-m3") as port:
        send_bytes(port, "blob", blob)
        send_bytes(port, "x", xs[0].tobytes())
        mpremote(port, "exec", "import tinyml; net = tinyml.load(blob); n = 0")
        with serial.Serial(port, 115200, timeout=10) as s:
            s.write(b"\r\x02")  # leave mpremote's raw REPL for the friendly one
            time.sleep(1)
            s.reset_input_buffer()
            s.write(b"\r")
            s.read_until(b">>> ")
            s.write(b"while True: n += 1; r = net.predict_raw(x)\r\r")
            time.sleep(3)
            s.write(b"\x03")
            text = s.read_until(b">>> ").decode(errors="replace")
            assert "KeyboardInterrupt" in text, text
            s.write(b"print(n > 0, net.predict_raw(x).hex())\r")
            text = s.read_until(b">>> ").decode(errors="replace")
        assert f"True {want[0]}" in text, text


@pytest.mark.parametrize("name", ["qemu-m4", "qemu-rv32"])
def test_mpremote_mount_runs_a_model_from_the_host(name: str, tmp_path: Path) -> None:
    """`mpremote mount` (select.poll on stdin, sys.stdin.buffer, poll timeouts): the board
    imports a script and reads the model straight from a host folder."""
    blob, xs, want = _case("kws")
    (tmp_path / "model.bin").write_bytes(blob)
    (tmp_path / "inputs.bin").write_bytes(xs[:4].tobytes())
    (tmp_path / "infer.py").write_text(RUNNER_SCRIPT)
    with board(name) as port:
        out = mpremote(port, "mount", str(tmp_path), "exec", "import infer").splitlines()
    assert out[0] == f"Local directory {tmp_path} is mounted at /remote"
    assert out[1:] == want[:4]


@pytest.mark.parametrize("name", ["qemu-m3", "qemu-rv32"])
def test_romfs_model_runs_in_place(name: str, tmp_path: Path) -> None:
    """`mpremote romfs deploy` of tinyml's image, a soft reset mounts it at /rom, and
    tinyml.load('/rom/kws.bin') uses the blob in place: the heap holds the arena and the Net,
    not the 31 KB of weights; the outputs are the host's."""
    from tinyml_tools.boards.romfs import build

    blob, xs, want = _case("kws")
    (tmp_path / "models.romfs").write_bytes(build({"kws.bin": blob}))
    with board(name) as port:
        mpremote(port, "romfs", "deploy", str(tmp_path / "models.romfs"))
        mpremote(port, "soft-reset")  # mounts /rom; clears the globals, so xs comes after
        send_bytes(port, "xs", xs.tobytes())
        used = mpremote(port, "exec", "import gc, tinyml; gc.collect(); free = gc.mem_free(); "
                        "net = tinyml.load('/rom/kws.bin'); gc.collect(); "
                        "print(free - gc.mem_free(), net.arena_size)").split()
        got = mpremote(port, "exec", "blob = '/rom/kws.bin'", "exec", RUN).split()
    assert got == want
    # The arena derived from the .tflite (the bound the planner reaches); the heap holds it
    # and the Net objects only.
    arena = Model((ROOT / "models/kws/kws.tflite").read_bytes()).arena_lower_bound(True)
    assert int(used[1]) == arena
    assert arena <= int(used[0]) < arena + 2048


def test_cli_on_a_serial_port_by_mpremote_names(tmp_path: Path) -> None:
    """The CLI on a running board's serial line, named as mpremote names ports (port:PATH),
    as a user names a board plugged in: verify on given inputs, eval of KWS's recordings."""
    import subprocess
    import sys

    kws = ROOT / "models/kws"
    x = np.frombuffer((kws / "samples.bin").read_bytes(), np.int8).reshape(-1, 490)[:6]
    names = (kws / "labels.txt").read_text().split()
    y = [names.index(w) for w in (kws / "samples.txt").read_text().split()][:6]
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", np.array(y))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tinyml_tools.cli", *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=600)

    with board("qemu-m4") as port:
        p = cli("verify", str(kws / "kws.bin"), "--board", f"port:{port}", "--data",
                str(tmp_path / "x.npy"))
        assert p.stdout == f"kws.bin on port:{port}: 6/6 inputs bit-exact with the host\n", \
            p.stderr
        p = cli("eval", str(kws / "kws.bin"), "--board", f"port:{port}", "--data",
                str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"), "--json")
        r = json.loads(p.stdout)
        host = [int(np.frombuffer(bytes.fromhex(h), np.int8).argmax())
                for h in _case("kws")[2][:6]]
        assert (r["samples"], r["host_mismatches"]) == (6, 0), p.stderr
        assert r["correct"] == sum(int(h == t) for h, t in zip(host, y, strict=True))
        # bench on a serial board times with the board's clock, which QEMU's port lacks
        p = cli("bench", str(kws / "kws.bin"), "--board", f"port:{port}")
        assert p.stderr.strip() == (f"Error: port:{port}: its firmware has no time.ticks_us "
                                    "to time inferences with")
