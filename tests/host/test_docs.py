"""Figures in docs/ are generated, not typed (issue 17): what the build gives today must be what
the committed docs say. Here the figures that do not depend on the machine's compilers: each
model's blob and arena in docs/conformance.md (`make conformance`), and that every model of
the conformance suite has its row. (Flash sizes and instruction counts depend on the
toolchain; `make benchmarks` regenerates them and says which one it measured with.)"""

from __future__ import annotations

import re

import pytest

from registry import MODELS
from runtimes import ROOT
from tinyml_tools.convert import convert_model, read_labels
from tinyml_tools.report.inspect_blob import describe

CONFORMANCE = ROOT / "docs/conformance.md"


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in CONFORMANCE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and cells[1].startswith("`"):
            rows[cells[0]] = cells
    return rows


ROWS = _rows()


def test_every_model_of_the_suite_has_its_row() -> None:
    """The suite's models in this checkout (models/, tests/models/), each in the table."""
    here = {n for n, p in MODELS.items() if "shared" not in p.parts}
    assert here <= set(ROWS), sorted(here - set(ROWS))


@pytest.mark.parametrize("name", sorted(n for n, p in MODELS.items() if "shared" not in p.parts))
def test_conformance_figures_are_the_builds(name: str) -> None:
    row = ROWS[name]
    path = MODELS[name]
    assert row[1] == f"`{path.relative_to(ROOT)}`"
    tfl = path.read_bytes()
    labels = read_labels(ROOT / "models/kws/labels.txt") if name == "kws" else []
    blob, _ = convert_model(tfl, name, labels)
    info = describe(blob)
    figures = {".tflite bytes": len(tfl), "blob bytes": len(blob),
               "arena bytes": info["arena_bytes"], "arena lower bound": info["lower_bound_bytes"],
               "MACs": info["macs"]}
    columns = ["model", "file", "TFLite operators", "parameters", "MACs", ".tflite bytes",
               "blob bytes", "arena bytes", "arena lower bound", "bit-exact"]
    for column, value in figures.items():
        assert row[columns.index(column)] == f"{value:,}", (name, column)
    assert re.fullmatch(r"yes / yes \(\d+\)", row[9]), row[9]


def test_size_figures_are_the_builds() -> None:
    """The sizes in docs/benchmarks.md that depend on the compilers (firmware flash and static
    RAM, tinyml's code in each firmware, the room for a blob in the Pico's flash, the .mpy
    files) are this build's, on a machine with the compilers the report recorded; elsewhere the
    test says which compilers differ instead."""
    import benchmarks_report as report

    text = (ROOT / "docs/benchmarks.md").read_text()
    m = re.search(r"^Sizes built with (.*)\.$", text, re.M)
    assert m, "docs/benchmarks.md records no compilers: regenerate it (make benchmarks)"
    if m.group(1) != report.toolchain():
        pytest.skip(f"docs/benchmarks.md's sizes come from {m.group(1)}; this machine has "
                    f"{report.toolchain()}")
    lines = text.splitlines()
    for line in report.size_lines():
        assert line in lines, line
    for arch in report.ARCHS:
        (row,) = [ln for ln in lines if ln.startswith(f"| {arch} | ")]
        mpy = ROOT / f"build/natmod/{arch}/tinyml.mpy"
        assert row.split(" | ")[1] == f"{mpy.stat().st_size:,}", (arch, row)
