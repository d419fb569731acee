"""The `tinyml` command line."""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

import click
import numpy as np
from rich.console import Console
from rich.table import Table

from .convert import (
    ROUNDING_MODES,
    WEIGHT_PACKINGS,
    ConversionError,
    ModelFormatError,
    convert_model,
    pack_weights,
    read_labels,
)
from .convert.quantize import (
    ConverterCrash,
    QuantizeError,
    is_float_model,
    load_calibration,
    needs_quantizing,
    quantize,
)
from .format.blob import BlobFormatError, read_blob
from .report.inspect_blob import BOARD_HEAP, board_fit, describe
from .report.memory_plot import draw_memory
from .train import sparse


@click.group()
@click.version_option(package_name="tinyml")
def cli() -> None:
    """tinyml: run int8 neural networks on MicroPython boards, bit-exact with TFLite."""


def main() -> None:
    """The console script: click's own errors are one line already; anything else that escapes
    a command is a bug in tinyml, reported in one line too (TINYML_TRACEBACK=1 shows it)."""
    import os

    from . import feedback

    feedback.enable()
    try:
        cli(standalone_mode=True)
    except Exception as e:  # noqa: BLE001 - the last line of defence, re-raised on request
        if os.environ.get("TINYML_TRACEBACK"):
            raise
        click.echo(f"Error: internal error in tinyml ({type(e).__name__}: {e}); run again "
                   "with TINYML_TRACEBACK=1 to see where, and please report it", err=True)
        raise SystemExit(2) from None


class OutputPath(click.Path):
    """A file to write: its folder must exist (said before any work, not as a traceback
    after it)."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> Path:
        path = super().convert(value, param, ctx)
        parent = Path(path).parent
        if not parent.is_dir():
            self.fail(f"folder {str(parent)!r} does not exist: create it first, or write "
                      "somewhere else", param, ctx)
        return Path(path)


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as e:
        raise click.ClickException(f"cannot write {path}: {e.strerror or e}") from e


def _labels(ctx: click.Context, param: click.Parameter, value: Path | None) -> list[str] | None:
    if value is None:
        return None
    try:
        return read_labels(value)
    except UnicodeDecodeError as e:
        raise click.BadParameter(f"{value} is not a text file (UTF-8, one label per line)",
                                 ctx, param) from e


# Board names: the real boards' kinds in `inspect --board` and `fs-image --board`, with the
# chip names the other commands use for the emulated Pico and Pico 2 accepted for them.
_CHIP_ALIASES = {"rp2040": "pico", "rp2350": "pico2"}


def _board_kind(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else _CHIP_ALIASES.get(value, value)


_VERBOSE = click.option("-v", "--verbose", is_flag=True,
                        help="Show TensorFlow's logs while it quantizes a float model.")
_MODEL = click.Path(exists=True, path_type=Path)
_DATA = click.Path(exists=True, dir_okay=False, path_type=Path)


@cli.command("quantize")
@click.argument("model", type=_MODEL)
@click.option("--data", type=_DATA, required=True,
              help="Calibration samples: .npy (one input) or .npz (one array per input).")
@click.option("-o", "--output", type=OutputPath(), required=True,
              help=".tflite file to write.")
@_VERBOSE
def quantize_cmd(model: Path, data: Path, output: Path, verbose: bool) -> None:
    """Quantize a float Keras MODEL (.keras, .h5), SavedModel directory, or float or
    dynamic-range .tflite to int8 .tflite."""
    try:
        if not is_float_model(model) and not (model.suffix == ".tflite" and model.is_file()):
            raise QuantizeError("not a .keras/.h5 file, SavedModel folder or .tflite file")
        tfl = quantize(model, load_calibration(data), verbose)
    except (QuantizeError, ModelFormatError) as e:
        raise click.ClickException(_model_error(model, e)) from e
    _write(output, tfl)
    click.echo(f"{output}: {len(tfl)} bytes, int8 (calibrated on {data})")


@cli.command()
@click.argument("model", type=_MODEL)
@click.option("-o", "--output", type=OutputPath(), required=True,
              help="Blob file to write.")
@click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              callback=_labels, help="Text file with one class label per line, in output order.")
@click.option("--name", help="Model name stored in the blob (default: the file's stem).")
@click.option("--rounding", type=click.Choice(ROUNDING_MODES), default="tflite",
              show_default=True, help="Requantization rounding to reproduce.")
@click.option("--data", type=_DATA,
              help="Calibration samples for a float MODEL (Keras, SavedModel, or a float or "
                   "dynamic-range .tflite): quantize first. With --sparse-update: a .npz with "
                   "inputs x and labels y.")
@click.option("--sparse-update", "budget", type=click.IntRange(min=1), metavar="BUDGET",
              help="Record which parameters below the head on-device training updates "
                   "(trainer mode 'sparse'), chosen from --data within BUDGET bytes of RAM.")
@click.option("--weights", type=click.Choice(WEIGHT_PACKINGS), default="int8",
              show_default=True,
              help="dual16: store FULLY_CONNECTED and CONV_2D weights as 16-bit pairs for the "
                   "dual multiply-accumulate of Cortex-M4/M7/M33 (faster there, twice their "
                   "flash, no gain on other cores; Armv6-M builds refuse them).")
@_VERBOSE
def convert(model: Path, output: Path, labels: list[str] | None, name: str | None,
            rounding: str, data: Path | None, budget: int | None, weights: str,
            verbose: bool) -> None:
    """Convert an int8 .tflite MODEL (or a float one: Keras, SavedModel, float or
    dynamic-range .tflite, with --data) to a tinyml blob."""
    try:
        xy = _labelled(data) if budget is not None else None
        choice = None
        if is_float_model(model):
            if data is None:
                raise QuantizeError("a float model needs --data CALIB.npy to be quantized")
            tfl = quantize(model, [xy[0]] if xy else load_calibration(data), verbose)
        elif model.is_dir():
            raise ModelFormatError("not a .tflite file, .keras/.h5 file or SavedModel folder")
        else:
            tfl = model.read_bytes()
            if needs_quantizing(tfl):
                if data is None:
                    raise QuantizeError(
                        "a float .tflite (float activations: a float or dynamic-range model); "
                        "tinyml runs int8 models: add --data CALIB.npy (samples of its input) "
                        "to quantize it")
                tfl = quantize(model, [xy[0]] if xy else load_calibration(data), verbose)
            elif data is not None and budget is None:
                raise QuantizeError("this .tflite is already int8: --data is for float models "
                                    "(and --sparse-update); leave it out")
        blob_bytes, blob = convert_model(
            tfl, name or model.stem, labels or [], rounding,
            weights="int8" if budget is not None else weights,
        )
        if xy is not None and budget is not None:  # packing last: the scheme's layers stay int8
            choice = sparse.choose(blob_bytes, blob, xy[0], xy[1], budget)
            blob.sparse_update = choice.scheme
            pack_weights(blob, weights)
            blob_bytes = sparse.with_scheme(blob, choice.scheme)
    except (ConversionError, ModelFormatError, QuantizeError, sparse.SparseUpdateError) as e:
        raise click.ClickException(_model_error(model, e)) from e
    _write(output, blob_bytes)
    if choice is not None:
        click.echo(f"sparse update: {choice.biases} biases and {choice.channels} weight "
                   f"channels in {len(choice.scheme)} layers, {choice.ram_bytes} bytes of RAM "
                   f"(budget {budget})")
    size = f"{len(tfl)} .tflite"
    click.echo(
        f"{output}: {len(blob_bytes)} bytes ({size}), "
        f"{len(blob.ops)} ops, arena {blob.arena_size} bytes"
    )


def _model_error(model: Path, e: Exception) -> str:
    """An error about MODEL, prefixed with its path unless the message names it already."""
    return str(e) if isinstance(e, ConverterCrash) else f"{model}: {e}"


def _labelled(data: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """--data for --sparse-update: a .npz with arrays x (inputs) and y (integer labels)."""
    if data is None:
        raise QuantizeError("--sparse-update needs --data CALIB.npz (arrays x and y)")
    try:
        with np.load(data, allow_pickle=False) as z:
            return np.asarray(z["x"]), np.asarray(z["y"]).astype(np.int64)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise QuantizeError(f"{data}: --sparse-update needs a .npz with arrays x and y ({e})"
                            ) from e


@cli.command()
@click.argument("blob", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--memory", "memory_png", type=OutputPath(),
              help="Draw the arena over time (one box per buffer) into this PNG.")
@click.option("--board", type=click.Choice(sorted([*BOARD_HEAP, *_CHIP_ALIASES])),
              callback=_board_kind,
              help="Say whether the model fits this board's typical MicroPython heap "
                   "(rp2040 = pico, rp2350 = pico2).")
def inspect(blob: Path, as_json: bool, memory_png: Path | None, board: str | None) -> None:
    """Show a blob's operators, tensors, quantization and memory cost."""
    try:
        data = blob.read_bytes()
        info = describe(data)
    except BlobFormatError as e:
        raise click.ClickException(f"{blob}: {e}") from e
    if board:
        info["board"] = board_fit(info, board)
    if memory_png:
        try:
            draw_memory(read_blob(data), info, memory_png)
        except OSError as e:
            raise click.ClickException(f"cannot write {memory_png}: {e.strerror or e}") from e
    if as_json:
        json.dump(info, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    con = Console()
    con.print(f"[bold]{info['name']}[/bold]  blob v{info['version']}  "
              f"labels: {', '.join(info['labels']) or '-'}")
    ops = Table(title="operators")
    for col in ("#", "op", "inputs", "output", "output shape"):
        ops.add_column(col)
    for op in info["ops"]:
        out = info["tensors"][op["outputs"][0]]
        ops.add_row(str(op["index"]), op["kind"], " ".join(map(str, op["inputs"])),
                    str(op["outputs"][0]), "x".join(map(str, out["shape"])))
    con.print(ops)
    tensors = Table(title="tensors")
    for col in ("#", "shape", "dtype", "scale", "zero point", "where", "offset", "bytes"):
        tensors.add_column(col)
    for t in info["tensors"]:
        dtype = t["dtype"] if t["packing"] == "plain" else f"{t['dtype']} ({t['packing']})"
        tensors.add_row(str(t["index"]), "x".join(map(str, t["shape"])), dtype,
                        f"{t['scale']:.6g}", str(t["zero_point"]), t["location"],
                        str(t["offset"]), str(t["bytes"]))
    con.print(tensors)
    summary = Table(title="cost", show_header=False)
    summary.add_row("blob (flash)", f"{info['blob_bytes']} bytes")
    summary.add_row("weights", f"{info['weight_bytes']} bytes")
    summary.add_row("arena (RAM)", f"{info['arena_bytes']} bytes")
    summary.add_row("arena lower bound", f"{info['lower_bound_bytes']} bytes")
    summary.add_row("MACs per inference", f"{info['macs']}")
    summary.add_row("peak at operator", f"{info['peak_op']}")
    con.print(summary)
    live = Table(title="live arena bytes per operator")
    for col in ("#", "op", "live bytes", "in place", "buffers (tensor@offset)"):
        live.add_column(col)
    for row in info["live"]:
        live.add_row(str(row["op"]), row["kind"], str(row["live_bytes"]),
                     "yes" if row["in_place"] else "",
                     " ".join(f"t{t}@{info['tensors'][t]['offset']}" for t in row["tensors"]))
    con.print(live)
    if board:
        f = info["board"]

        def verdict(m: int) -> str:
            return f"fits, {m} bytes to spare" if m >= 0 else f"does not fit: {-m} bytes short"

        con.print(f"[bold]{board}[/bold] (typical free heap {f['heap_bytes']} bytes): "
                  f"blob in flash (ROMFS): {verdict(f['romfs_margin_bytes'])}; "
                  f"blob read from a file: {verdict(f['file_margin_bytes'])}")


_BOARD = click.option(
    "--board", "board", required=True,
    help="host, unix, qemu-m3, qemu-m4, qemu-m7, qemu-rv32, rp2040 (emulated Pico), a serial "
         "port (/dev/ttyACM0, COM3, or mpremote's a0, u0, c0, id:SERIAL), or auto (the first "
         "USB serial board). `tinyml boards` lists them.")


_FRESH = click.option(
    "--fresh", is_flag=True,
    help="An emulated board starts with an empty filesystem (otherwise it has what earlier "
         "sessions wrote: deployed blobs, saved adapters).")


def _forget(board: str, fresh: bool) -> None:
    from .boards.devices import forget_board

    if fresh:
        forget_board(board)


@cli.command()
@click.argument("script", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_BOARD
@_FRESH
@click.option("--with", "extra", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file (a model, data) to put beside the script on the board first; "
                   "repeat for several.")
def run(script: Path, board: str, fresh: bool, extra: tuple[Path, ...]) -> None:
    """Run a MicroPython SCRIPT on a board and print what it prints, as it prints it."""
    from .boards.devices import BoardError, run_script

    _forget(board, fresh)

    def echo(line: str) -> None:  # the script's output as it comes
        click.echo(line, nl=False)
        sys.stdout.flush()

    names = [f.name for f in extra]
    if len(set(names)) != len(names):
        raise click.BadParameter("two files with the same name", param_hint="--with")
    try:
        run_script(board, script, {f.name: f.read_bytes() for f in extra}, echo)
    except BoardError as e:
        raise click.ClickException(str(e)) from e


@cli.command()
@click.argument("blob", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_BOARD
@click.option("-n", "count", default=20, show_default=True, help="Random inputs to compare.")
@click.option("--data", "inputs", type=_DATA,
              help="Compare on these inputs instead: .npy (one input: [samples, ...]) or .npz "
                   "(one array per input); int8 as is, floats quantized as the board does.")
def verify(blob: Path, board: str, count: int, inputs: Path | None) -> None:
    """Check that the board's output bytes equal the host simulator's on N inputs."""
    from .boards.bench import device_outputs, host_outputs, random_inputs
    from .boards.devices import BoardError
    from .boards.evaluate import data_inputs

    data = blob.read_bytes()
    try:
        samples = data_inputs(data, inputs) if inputs else random_inputs(data, count)
        count = len(samples)
        want = host_outputs(data, samples)
        got = device_outputs(board, data, samples)
    except (BoardError, ValueError) as e:
        raise click.ClickException(f"{blob}: {e}") from e
    same = sum(1 for g, w in zip(got, want, strict=False) if g == w)
    click.echo(f"{blob.name} on {board}: {same}/{count} inputs bit-exact with the host")
    if same != count or len(got) != count:
        raise SystemExit(1)


@cli.command()
@click.argument("blob", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                required=False)
@_BOARD
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--mpy", is_flag=True,
              help="The native module on the board's stock firmware instead of tinyml in the "
                   "firmware.")
@click.option("--calibrate", is_flag=True,
              help="Check the board's counters instead: a loop of known length, timed the same "
                   "way, must agree within 0.1 %.")
@click.option("--per-op", is_flag=True,
              help="Each operator's instructions (QEMU boards), cycles (emulated Pico) or "
                   "microseconds (a serial board's clock), with its MACs and share.")
@click.option("--per-function", is_flag=True,
              help="QEMU boards: one inference's instructions in each function of tinyml's C "
                   "code (from QEMU's execution log), with its calls.")
@click.option("--top", type=click.IntRange(min=1), default=25, show_default=True,
              help="With --per-function: the costliest functions shown (--json gives all).")
def bench(blob: Path | None, board: str, as_json: bool, mpy: bool, calibrate: bool,
          per_op: bool, per_function: bool, top: int) -> None:
    """Instructions per inference (deterministic: callgrind on unix, QEMU icount on the emulated
    boards; the emulated Pico's cycles too), arena bytes and tinyml's code bytes on that board,
    and milliseconds at a real chip's clock (on QEMU boards: labelled as assuming one instruction
    per cycle). On a serial board: milliseconds per inference by the board's own clock."""
    from .boards.bench import (
        code_bytes,
        instructions_per_inference,
        natmod_path,
        pico_counts,
        timing,
        timing_label,
    )
    from .boards.deploy import check_blob
    from .boards.devices import EMULATED, LOCAL, PICOS, BoardError

    if calibrate:
        _calibrate(board, as_json)
        return
    if blob is None:
        raise click.UsageError("BLOB is required (or --calibrate)")
    data = blob.read_bytes()
    try:
        check_blob(blob)
        if per_op:
            _bench_per_op(board, blob, data, as_json, mpy)
            return
        if per_function:
            if mpy:
                raise click.UsageError("--per-function profiles tinyml's firmware, not --mpy")
            _bench_per_function(board, blob, data, as_json, top)
            return
        if board not in (*LOCAL, *EMULATED, *PICOS):  # a real board: its own clock
            _bench_serial(board, blob, data, as_json)
            return
        if board in PICOS:  # the emulator counts Cortex-M0+ cycles too
            counts = pico_counts(board, data, mpy=mpy)
        else:
            counts = {"instructions": instructions_per_inference(board, data, mpy=mpy)}
        info = {"board": board, "model": blob.name, **counts, **timing(board, counts),
                "arena_bytes": describe(data)["arena_bytes"]}
        if mpy:
            arch = {**EMULATED, **PICOS}[board].natmod if board != "unix" else "x64"
            info |= {"mpy": f"{arch}/tinyml.mpy", "mpy_bytes": natmod_path(arch).stat().st_size}
        else:
            info["code_bytes"] = code_bytes(board)
    except BoardError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        json.dump(info, sys.stdout)
        sys.stdout.write("\n")
    else:
        cycles = f" ({info['cycles']:,} cycles)" if "cycles" in info else ""
        when = timing_label(info)
        code = (f"{info['mpy']} {info['mpy_bytes']:,} bytes on stock firmware" if mpy else
                f"tinyml code {info['code_bytes']:,} bytes")
        click.echo(f"{blob.name} on {board}: {info['instructions']:,} instructions{cycles} per "
                   f"inference{', ' + when if when else ''}, arena {info['arena_bytes']:,} "
                   f"bytes, {code}")


def _bench_per_op(board: str, blob: Path, data: bytes, as_json: bool, mpy: bool) -> None:
    """bench --per-op: a table of the operators, the costliest first."""
    from .boards.bench import operator_counts

    prof = operator_counts(board, data, mpy=mpy)
    ops = describe(data)["ops"]
    total = sum(prof.counts) or 1.0
    rows = [{"index": op["index"], "kind": op["kind"], "macs": op["macs"], prof.unit: c,
             "per_mac": round(c / op["macs"], 2) if op["macs"] else None,
             "share": round(100 * c / total, 1)} for op, c in zip(ops, prof.counts, strict=True)]
    if as_json:
        json.dump({"board": board, "model": blob.name, "unit": prof.unit,
                   "overhead_per_call": prof.overhead, "ops": rows}, sys.stdout)
        sys.stdout.write("\n")
        return
    table = Table(title=f"{blob.name} on {board}: {prof.unit} per operator")
    for col in ("#", "operator", "MACs", prof.unit, "per MAC", "share"):
        table.add_column(col, justify="left" if col == "operator" else "right", no_wrap=True)
    for r in sorted(rows, key=lambda r: -r[prof.unit]):
        table.add_row(str(r["index"]), r["kind"], f"{r['macs']:,}" if r["macs"] else "",
                      f"{r[prof.unit]:,.0f}", "" if r["per_mac"] is None else f"{r['per_mac']}",
                      f"{r['share']} %")
    macs = sum(op["macs"] for op in ops)
    table.add_row("", "total", f"{macs:,}", f"{total:,.0f}",
                  f"{total / macs:.2f}" if macs else "", "100 %")
    Console().print(table)
    click.echo(f"each operator timed alone (net.invoke(k, k + 1)); the call's own "
               f"{prof.overhead:,.0f} {prof.unit} taken out")


def _bench_per_function(board: str, blob: Path, data: bytes, as_json: bool, top: int) -> None:
    """bench --per-function: a table of tinyml's functions, the costliest first."""
    from .boards.profile import function_counts

    rows = function_counts(board, data)
    total = sum(r.instructions for r in rows) or 1
    if as_json:
        json.dump({"board": board, "model": blob.name, "instructions": total,
                   "functions": [{"name": r.name, "source": r.source,
                                  "instructions": r.instructions, "calls": r.calls,
                                  "share": round(100 * r.instructions / total, 2)}
                                 for r in rows]}, sys.stdout)
        sys.stdout.write("\n")
        return
    table = Table(title=f"{blob.name} on {board}: instructions per function, one inference")
    for col in ("function", "source"):  # names fold in a narrow terminal, figures never
        table.add_column(col, overflow="fold")
    for col in ("instructions", "share", "calls", "per call"):
        table.add_column(col, justify="right", no_wrap=True, min_width=len(col))
    for r in rows[:top]:
        table.add_row(r.name, r.source, f"{r.instructions:,}",
                      f"{100 * r.instructions / total:.1f} %", f"{r.calls:,}",
                      f"{r.instructions / r.calls:,.0f}" if r.calls else "")
    rest = rows[top:]
    if rest:
        n = sum(r.instructions for r in rest)
        table.add_row(f"{len(rest)} more", "", f"{n:,}", f"{100 * n / total:.1f} %", "", "")
    table.add_row("total", "", f"{total:,}", "100 %", "", "")
    Console().print(table)
    click.echo("tinyml's C code only (QEMU's execution log); MicroPython's own work is not "
               "counted here. Calls: entries at the function's first instruction (a function "
               "inlined into its caller has none).")


def _bench_serial(board: str, blob: Path, data: bytes, as_json: bool) -> None:
    """bench on a serial board: milliseconds by the board's own clock (not deterministic:
    a figure for the user, never for a test to assert)."""
    from .boards.bench import wall_clock

    info = {"board": board, "model": blob.name, **wall_clock(board, data),
            "arena_bytes": describe(data)["arena_bytes"]}
    if as_json:
        json.dump(info, sys.stdout)
        sys.stdout.write("\n")
        return
    clock = f" at {info['clock_mhz']} MHz" if "clock_mhz" in info else ""
    click.echo(f"{blob.name} on {board}: {info['ms']:,} ms per inference{clock} (the board's "
               f"time.ticks_us over {info['runs']} runs), arena {info['arena_bytes']:,} bytes")


def _calibrate(board: str, as_json: bool) -> None:
    from .boards.bench import calibrate
    from .boards.devices import BoardError

    try:
        results = calibrate(board)
    except BoardError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        json.dump([{"board": c.board, "counter": c.counter, "method": c.method,
                    "known": c.known, "measured": float(c.measured),
                    "error_percent": float(c.error * 100)} for c in results], sys.stdout)
        sys.stdout.write("\n")
    else:
        for c in results:
            click.echo(f"{board} {c.counter}: known {c.known:,}, measured "
                       f"{float(c.measured):,.2f} ({c.method}), error "
                       f"{float(c.error * 100):.5f} %")
    if any(c.error >= Fraction(1, 1000) for c in results):
        raise SystemExit(1)


@cli.command("eval")
@click.argument("blob", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_BOARD
@click.option("--data", "inputs", type=_DATA, required=True,
              help="Inputs: .npy (one input: [samples, ...]) or .npz (one array per input); "
                   "int8 as is, floats quantized as the board does.")
@click.option("--labels", "labels", type=_DATA, required=True,
              help=".npy of integer class labels (or one-hot rows), one per sample.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def eval_cmd(blob: Path, board: str, inputs: Path, labels: Path, as_json: bool) -> None:
    """Accuracy and confusion matrix of a labelled data set on a board (the top class of the
    model's first output), each sample's output bytes checked against the host simulator's."""
    from .boards.deploy import check_blob
    from .boards.devices import BoardError
    from .boards.evaluate import evaluate

    try:
        check_blob(blob)
        ev = evaluate(board, blob.read_bytes(), inputs, labels)
    except BoardError as e:
        raise click.ClickException(str(e)) from e
    m = ev.confusion()
    if as_json:
        json.dump({"board": board, "model": blob.name, "samples": ev.samples,
                   "correct": ev.correct, "accuracy": ev.correct / ev.samples,
                   "classes": ev.classes, "confusion": m.tolist(),
                   "host_mismatches": ev.mismatches}, sys.stdout)
        sys.stdout.write("\n")
    else:
        con = Console()
        table = Table(title="confusion (rows: true class, columns: predicted)")
        table.add_column("")
        for c in ev.classes:
            table.add_column(c, justify="right")
        for c, row in zip(ev.classes, m, strict=True):
            table.add_row(c, *(str(v) for v in row))
        con.print(table)
        agree = ("every output byte equal to the host simulator's" if not ev.mismatches else
                 f"{ev.mismatches} samples whose output bytes differ from the host's")
        con.print(f"{blob.name} on {board}: {ev.correct}/{ev.samples} correct "
                  f"({ev.correct / ev.samples:.1%}); {agree}")
    if ev.mismatches:
        raise SystemExit(1)


@cli.command("boards")
def boards_cmd() -> None:
    """List the boards --board takes: the host simulator and unix port, the emulated boards
    (ready when their firmware is built), and the serial boards connected now."""
    from .boards.devices import EMULATED, LOCAL, PICOS, artifact, firmware_path, usb_serial_ports

    table = Table(title="boards")
    for col in ("--board", "what", "ready"):
        table.add_column(col)
    exe = artifact("unix/micropython")
    for name in LOCAL:
        what = "the host simulator (CPython)" if name == "host" else "MicroPython's unix port"
        ok = name == "host" or exe.exists()
        table.add_row(name, what, "yes" if ok else "no: make setup")
    for name, e in {**EMULATED, **PICOS}.items():
        ok = firmware_path(e.firmware).exists()
        kind = "emulated Raspberry Pi Pico (rp2040js)" if name in PICOS else "emulated (QEMU)"
        table.add_row(name, kind, "yes" if ok else "no: make setup")
    ports = usb_serial_ports()
    for i, (dev, desc) in enumerate(ports):
        table.add_row(dev + (" (auto)" if i == 0 else ""), f"serial: {desc}", "yes")
    Console().print(table)
    if not ports:
        click.echo("No USB serial board connected: plug one in, then use its port, a0/u0/c0, "
                   "or auto.")


@cli.command()
@_BOARD
@_FRESH
@click.option("--frontends", is_flag=True,
              help="Also the audio and motion front-ends (tinyml_audio, tinyml_motion) as their "
                   "own native module, for stock firmware on cores with floating point.")
def install(board: str, fresh: bool, frontends: bool) -> None:
    """Copy the native module that fits the board (asked for its architecture and .mpy ABI) to
    its filesystem, and check that it imports."""
    from .boards.deploy import FRONTENDS_MODULE
    from .boards.deploy import install as install_on
    from .boards.devices import BoardError

    _forget(board, fresh)

    try:
        done = install_on(board, frontends)
    except BoardError as e:
        raise click.ClickException(str(e)) from e
    fe = done.module.with_name(FRONTENDS_MODULE)
    extra = (f" and {done.arch}/{FRONTENDS_MODULE} ({fe.stat().st_size} bytes) with "
             f"tinyml_audio, tinyml_motion") if frontends else ""
    click.echo(f"{board}: installed {done.arch}/tinyml.mpy ({done.module.stat().st_size} "
               f"bytes, from {done.module.parent.parent.parent}){extra}; import tinyml -> "
               f"{done.version}")


@cli.command()
@click.argument("blobs", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_BOARD
@click.option("--romfs", is_flag=True,
              help="Write the blobs as the board's ROMFS image (replacing it): the model is "
                   "then read in place from flash, only its arena uses RAM.")
@_FRESH
def deploy(blobs: tuple[Path, ...], board: str, romfs: bool, fresh: bool) -> None:
    """Put blobs on a board (file copies, or a ROMFS image) and check that each loads there."""
    from .boards.deploy import deploy as deploy_to
    from .boards.devices import BoardError

    _forget(board, fresh)

    try:
        for line in deploy_to(blobs, board, romfs):
            click.echo(f"{board}: {line}")
    except BoardError as e:
        raise click.ClickException(str(e)) from e


@cli.command("fs-image")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--board", "layout", type=click.Choice(["pico", "pico2", *_CHIP_ALIASES]),
              default="pico", show_default=True, callback=_board_kind,
              help="Raspberry Pi Pico (pico, rp2040) or Pico 2 (pico2, rp2350).")
@click.option("--with-module", is_flag=True,
              help="Add the native module for the board's core and the device package, for "
                   "stock MicroPython firmware.")
@click.option("-o", "--output", type=OutputPath(), required=True,
              help="The image: .uf2 for the BOOTSEL drive, anything else raw for picotool.")
def fs_image(files: tuple[Path, ...], layout: str, with_module: bool, output: Path) -> None:
    """Bake FILES (models, scripts) into the filesystem MicroPython mounts at / on a Pico, to
    write to many boards at once. This replaces the board's whole filesystem."""
    from .boards.deploy import fs_image as make_image
    from .boards.devices import BoardError

    uf2 = output.suffix == ".uf2"
    try:
        image = make_image({f.name: f.read_bytes() for f in files}, layout, with_module, uf2)
    except (BoardError, ValueError) as e:
        raise click.ClickException(str(e)) from e
    _write(output, image.data)
    if uf2:
        how = f"hold BOOTSEL, copy {output.name} to the board's drive (after the firmware)"
    else:
        how = f"picotool load -t bin {output.name} -o {image.address:#x}"
    lay = image.layout
    click.echo(f"{output}: {len(image.files)} files, "
               f"{sum(map(len, image.files.values())):,} bytes in "
               f"a {lay.storage_bytes // 1024} KiB littlefs for {lay.board}; {how}")


if __name__ == "__main__":
    main()
