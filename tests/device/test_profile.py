"""`tinyml bench --per-op`: each operator timed alone by the board's counter. Deterministic on the
emulated boards (QEMU icount, the emulated Pico's cycles), so the per-operator figures must add
up to the whole inference's and equal work must cost equal counts; on a serial board (the
emulated Pico through its port) microseconds by the board's own clock, whose values are wall
time and only their form is checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tinyml_tools.boards.bench import instructions_per_inference, operator_counts, pico_counts
from tinyml_tools.boards.devices import emulated_pico
from tinyml_tools.report.inspect_blob import describe

ROOT = Path(__file__).resolve().parents[2]
KWS = ROOT / "models/kws/kws.bin"
sys.path.insert(0, str(ROOT / "scripts"))
import pico_profile  # noqa: E402  (scripts/, the developers' tools)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tinyml_tools.cli", *args],
                          capture_output=True, text=True, cwd=ROOT)


def test_per_op_instructions_add_up_to_the_inference() -> None:
    p = _cli("bench", str(KWS), "--board", "qemu-m4", "--per-op", "--json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert (r["board"], r["model"], r["unit"]) == ("qemu-m4", "kws.bin", "instructions")
    ops = describe(KWS.read_bytes())["ops"]
    assert [(o["index"], o["kind"], o["macs"]) for o in r["ops"]] == [
        (o["index"], o["kind"], o["macs"]) for o in ops]
    counts = [o["instructions"] for o in r["ops"]]
    total = instructions_per_inference("qemu-m4", KWS.read_bytes())
    # the whole inference also runs predict_into's own Python: a few thousand instructions
    assert 0 < total - sum(counts) < 0.01 * total, (total, sum(counts))
    assert abs(sum(o["share"] for o in r["ops"]) - 100) < 0.5
    # KWS's four pointwise convolutions (and its four depthwise ones) do the same work
    for kind, macs in (("CONV_2D", 512_000), ("DEPTHWISE_CONV_2D", 72_000)):
        same = [o["instructions"] for o in r["ops"] if (o["kind"], o["macs"]) == (kind, macs)]
        assert len(same) == 4 and max(same) - min(same) < 0.001 * max(same), same
    # per MAC only where there are MACs (RESHAPE, AVERAGE_POOL_2D, SOFTMAX have none)
    assert [o["kind"] for o in r["ops"] if o["per_mac"] is None] == [
        "AVERAGE_POOL_2D", "RESHAPE", "SOFTMAX"]
    assert r["overhead_per_call"] > 0


def test_per_op_cycles_on_the_emulated_pico() -> None:
    blob = (ROOT / "models/ad/ad.bin").read_bytes()
    prof = operator_counts("rp2040", blob)
    assert prof.unit == "cycles" and len(prof.counts) == len(describe(blob)["ops"])
    total = pico_counts("rp2040", blob)["cycles"]
    assert 0 < total - sum(prof.counts) < 0.01 * total, (total, sum(prof.counts))


def test_pico_profile_charges_the_sessions_cycles_to_functions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TML_PICO_PROFILE (run_pico.mjs) with scripts/pico_profile.py: the benchmark session's
    cycles per function of the firmware. It holds at least the 12 inferences the benchmark runs,
    and KWS spends most of them in the two-input GEMM kernel of its convolutions."""
    prof = tmp_path / "kws.prof"
    monkeypatch.setenv("TML_PICO_PROFILE", str(prof))
    per_inference = pico_counts("rp2040", KWS.read_bytes())["cycles"]
    cycles = pico_profile.per_function(prof, pico_profile.ELF)
    assert 12 * per_inference < sum(cycles.values()) < 20 * per_inference
    (top, count), = cycles.most_common(1)
    assert top == "m0_pairs16" and count > 6 * per_inference, cycles.most_common(3)


def test_per_op_on_a_serial_board_in_microseconds() -> None:
    with emulated_pico("rp2040") as dev:
        p = _cli("bench", str(KWS), "--board", f"port:{dev.port}", "--per-op", "--json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["unit"] == "us" and len(r["ops"]) == 13
    assert all(o["us"] >= 0 for o in r["ops"]) and sum(o["us"] for o in r["ops"]) > 0


def test_per_op_needs_a_board_timer() -> None:
    p = _cli("bench", str(KWS), "--board", "unix", "--per-op")
    assert p.returncode == 1
    assert p.stderr == ("Error: bench --per-op times operators with a board's timer: use an "
                        "emulated board (qemu-m3, qemu-m4, qemu-m7, qemu-rv32, rp2040) or a "
                        "serial one, not unix\n")


def test_per_function_charges_one_inference_to_tinymls_functions() -> None:
    """`bench --per-function` (QEMU's execution log over tinyml's code): one inference, so the
    binding's model_invoke runs once and KWS's convolutions call the four-pixel GEMM once per
    block of four output pixels; its functions hold nearly all that `bench` counts (the rest is
    MicroPython's)."""
    p = _cli("bench", str(KWS), "--board", "qemu-m4", "--per-function", "--json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert (r["board"], r["model"]) == ("qemu-m4", "kws.bin")
    fns = {f["name"]: f for f in r["functions"]}
    assert fns["model_invoke"]["calls"] == 1
    assert fns["model_invoke"]["source"] == "tinyml_mp"
    assert fns["dsp_4xn"]["source"] == "kernels/dot_s8"
    # tml_dot4_s8 once per four output pixels of each CONV_2D (KWS: 25 x 5 pixels each)
    d = describe(KWS.read_bytes())
    blocks = 0
    for o in d["ops"]:
        if o["kind"] == "CONV_2D":
            n, h, w, _ = d["tensors"][o["outputs"][0]]["shape"]
            blocks += n * h * w // 4
    assert fns["tml_dot4_s8"]["calls"] == blocks == 155
    total = instructions_per_inference("qemu-m4", KWS.read_bytes())
    assert 0.98 * total < r["instructions"] < total, (r["instructions"], total)
    again = _cli("bench", str(KWS), "--board", "qemu-m4", "--per-function", "--json")
    assert json.loads(again.stdout) == r  # deterministic


def test_per_function_needs_a_qemu_board() -> None:
    p = _cli("bench", str(KWS), "--board", "rp2040", "--per-function")
    assert p.returncode != 0
    assert "bench --per-function reads QEMU's execution log: use a QEMU board (qemu-m3, " \
        "qemu-m4, qemu-m7, qemu-rv32), not rp2040" in p.stderr
