"""The blob schema has one source, native_modules/tinyml/include/tml_schema.def: the host's
Python module and docs table generated from it are current, and every runtime's binding
exports the same kinds, header offsets and record field names."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from runtimes import RUNTIMES, run_script
from tinyml_tools.format import layout, schema

ROOT = Path(__file__).resolve().parents[2]

# What each binding exports from the schema, printed one name=value per line.
EXPORTS_SCRIPT = """
try:
    import _tinyml as m
except ImportError:
    import tinyml as m  # the native .mpy defines everything in the tinyml module itself
print("OP_NAMES=" + m.OP_NAMES)
print("H_TOTAL_SIZE=%d" % m.H_TOTAL_SIZE)
print("H_ARENA_SIZE=%d" % m.H_ARENA_SIZE)
print("HEAD_FIELDS=" + m.HEAD_FIELDS)
print("OP_INFO_FIELDS=" + m.OP_INFO_FIELDS)
print("UPDATE_FIELDS=" + m.UPDATE_FIELDS)
"""


def expected_exports() -> str:
    lines = [
        "OP_NAMES=" + " ".join(["-", *schema.OPS]),
        f"H_TOTAL_SIZE={layout.HEADER.offsets['total_size']}",
        f"H_ARENA_SIZE={layout.HEADER.offsets['arena_size']}",
        "HEAD_FIELDS=" + " ".join(schema.HEAD_FIELDS),
        "OP_INFO_FIELDS=" + " ".join(schema.OP_INFO_FIELDS),
        "UPDATE_FIELDS=" + " ".join(schema.UPDATE_FIELDS),
    ]
    return "\n".join(lines) + "\n"


def test_generated_files_are_current() -> None:
    p = subprocess.run([sys.executable, str(ROOT / "scripts/gen_schema.py"), "--check"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_codes_are_dense_and_records_add_up() -> None:
    assert [code for code, _ in schema.OPS.values()] == list(range(1, len(schema.OPS) + 1))
    # Record() checks contiguity and size; the struct formats match the known sizes.
    assert layout.HEADER.struct.size == schema.HEADER_SIZE == 64
    assert layout.TENSOR.struct.size == schema.TENSOR_RECORD == 32
    assert layout.OP.struct.size == schema.OP_RECORD == 32


def test_builders_take_every_word_by_name() -> None:
    with pytest.raises(TypeError, match=r"SOFTMAX: parameter 'diff_min' missing"):
        layout.build_params("SOFTMAX", mult=1, left_shift=2)
    with pytest.raises(TypeError, match=r"unknown parameters \['beta'\]"):
        layout.build_params("SOFTMAX", mult=1, left_shift=2, diff_min=3, beta=4)
    words, arrays = layout.build_params("DEPTHWISE_CONV_2D", stride_h=1, stride_w=2, dil_h=1,
                                        dil_w=1, pad_h=0, pad_w=1, in_offset=5, out_offset=-3,
                                        act_min=-128, act_max=127, mult=[7], shift=[-2],
                                        depth_mult=2)
    assert words[:10] == [1, 2, 1, 1, 0, 1, 5, -3, -128, 127]
    assert words[10:] == [layout.ArrayRef(0), layout.ArrayRef(1), 2]
    assert [a.tolist() for a in arrays] == [[7], [-2]]
    assert layout.read_params("DEPTHWISE_CONV_2D", words)["depth_mult"] == 2


def _doc_table(title: str) -> list[tuple[int, str]]:
    """(offset, type) of each row of a record table in docs/blob-format.md."""
    doc = (ROOT / "docs/blob-format.md").read_text()
    section = doc[doc.index(title):]
    section = section[: section.index("\n## ", 1)] if "\n## " in section[1:] else section
    rows = re.findall(r"^\| (\d+) \| `?([a-z0-9\[\]]+)`? \|", section, re.M)
    return [(int(off), typ) for off, typ in rows]


@pytest.mark.parametrize("title, record", [
    ("## Header", layout.HEADER), ("## Tensor record", layout.TENSOR),
    ("## Operator record", layout.OP),
])
def test_docs_record_tables_follow_the_schema(title: str, record: layout.Record) -> None:
    names = {"U8": "u8", "U16": "u16", "U32": "u32", "I32": "i32", "F32": "f32",
             "CHAR": "char"}
    want = [(record.offsets[name], names[typ] + (f"[{count}]" if count > 1 else ""))
            for name, typ, count in record.fields]
    assert _doc_table(title) == want


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_bindings_export_the_schema(runtime: str, tmp_path: Path) -> None:
    script = tmp_path / "exports.py"
    script.write_text(EXPORTS_SCRIPT)
    assert run_script(runtime, script, tmp_path / "run") == expected_exports()
