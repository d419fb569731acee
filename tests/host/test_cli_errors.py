"""Every `tinyml` command given bad arguments answers with one line saying what is wrong and
what to do, never a traceback (issue 17): missing folders, files of the wrong kind, truncated
models, .tflite files where a blob is expected, unknown boards, unwritable outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runtimes import ROOT

KWS = ROOT / "models/kws"


def _files(tmp: Path) -> dict[str, str]:
    (tmp / "binary.txt").write_bytes(bytes(range(256)))
    (tmp / "half.tflite").write_bytes((KWS / "kws.tflite").read_bytes()[:20000])
    (tmp / "script.py").write_text("print(1)\n")
    return {"tflite": str(KWS / "kws.tflite"), "blob": str(KWS / "kws.bin"),
            "binary": str(tmp / "binary.txt"), "half": str(tmp / "half.tflite"),
            "script": str(tmp / "script.py"), "tmp": str(tmp)}


# (arguments with {placeholders}, what the one-line error must say)
CASES = [
    ("convert {tflite} -o {tmp}/nodir/x.bin", "folder '{tmp}/nodir' does not exist"),
    ("convert {tflite} -o /proc/x.bin", "cannot write /proc/x.bin"),
    ("convert {tflite} -o {tmp}", "is a directory"),
    ("convert {tflite} -o {tmp}/x.bin --labels {binary}",
     "is not a text file (UTF-8, one label per line)"),
    ("convert {half} -o {tmp}/x.bin",
     "truncated .tflite file: its tables point to byte 25,280 but it has 20,000 bytes"),
    ("convert {binary} -o {tmp}/x.bin", "not a .tflite model (missing TFL3 identifier)"),
    ("convert {tflite} -o {tmp}/x.bin --weights int4", "'int4' is not one of 'int8', 'dual16'"),
    ("convert {tmp}/missing.tflite -o {tmp}/x.bin", "does not exist"),
    ("quantize {tflite} --data {binary} -o {tmp}/q.tflite", "not a .npy/.npz array file"),
    ("inspect {tflite}", "bad magic: not a tinyml blob"),
    ("inspect {blob} --memory {tmp}/nodir/m.png", "folder '{tmp}/nodir' does not exist"),
    ("inspect {blob} --board nano", "'nano' is not one of"),
    ("fs-image {blob} -o {tmp}/nodir/fs.uf2", "folder '{tmp}/nodir' does not exist"),
    ("deploy {tflite} --board qemu-m4",
     "a .tflite model; convert it first: tinyml convert {tflite} -o kws.bin"),
    ("verify {binary} --board unix", "bad magic: not a tinyml blob"),
    ("bench {binary} --board unix", "not a blob tinyml loads (bad magic: not a tinyml blob)"),
    ("bench {blob} --board nano", "no board 'nano': use host, unix, qemu-m3"),
    ("verify {blob} --board /dev/ttyNOPE", "no board '/dev/ttyNOPE'"),
    ("run {script} --board /dev/ttyNOPE", "no board '/dev/ttyNOPE'"),
    ("install --board /dev/ttyNOPE", "no board '/dev/ttyNOPE'"),
    ("bench --board unix", "BLOB is required (or --calibrate)"),
    ("verify {blob} --board a9", "no board 'a9' (/dev/ttyACM9)"),
    ("install --board id:NO-SUCH-SERIAL", "no board with serial number 'NO-SUCH-SERIAL'"),
]


@pytest.mark.parametrize(("args", "says"), CASES, ids=[c[0].split()[0] + f"-{i}"
                                                         for i, c in enumerate(CASES)])
def test_bad_arguments_give_one_line_not_a_traceback(args: str, says: str,
                                                     tmp_path: Path) -> None:
    f = _files(tmp_path)
    p = subprocess.run([sys.executable, "-m", "tinyml_tools.cli", *args.format(**f).split()],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode != 0
    assert "Traceback" not in p.stdout + p.stderr, p.stderr
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and says.format(**f) in last, p.stderr


def test_an_unexpected_failure_is_one_line_too(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A bug inside a command (simulated: inspect's describe raising) surfaces as one line
    that says how to see where; with TINYML_TRACEBACK=1 the exception itself propagates."""
    from tinyml_tools import cli

    def boom(*_: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(cli, "describe", boom)
    monkeypatch.setattr(sys, "argv", ["tinyml", "inspect", str(KWS / "kws.bin")])
    monkeypatch.delenv("TINYML_TRACEBACK", raising=False)
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 2
    assert capsys.readouterr().err == (
        "Error: internal error in tinyml (RuntimeError: simulated bug); run again with "
        "TINYML_TRACEBACK=1 to see where, and please report it\n")
    monkeypatch.setenv("TINYML_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="simulated bug"):
        cli.main()


def test_boards_lists_every_name_and_auto_needs_a_usb_board() -> None:
    from tinyml_tools.boards.devices import NAMES, usb_serial_ports

    run = [sys.executable, "-m", "tinyml_tools.cli"]
    p = subprocess.run([*run, "boards"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    listed = [line.split("│")[1].strip() for line in p.stdout.splitlines()
              if line.startswith("│")]
    assert listed[:len(NAMES)] == list(NAMES)
    if usb_serial_ports():
        pytest.skip("a USB serial board is connected: auto would pick it")
    p = subprocess.run([*run, "install", "--board", "auto"], capture_output=True, text=True,
                       cwd=ROOT)
    assert p.stderr.strip() == ("Error: --board auto: no USB serial board connected (plug one "
                                "in; `tinyml boards` lists what is there)")
    assert "No USB serial board connected" in subprocess.run(
        [*run, "boards"], capture_output=True, text=True, cwd=ROOT).stdout
