"""atheris target for the host side: any bytes through the .tflite reader, the converter and,
when a blob comes out, the host simulator. The only acceptable failures are the converter's own
errors with a message (ModelFormatError, ConversionError); anything else — an IndexError from
deep inside the flatbuffer code, a crash of the simulator — is a finding.

    .venv/bin/python tests/fuzz/fuzz_tflite.py -max_total_time=60 <corpus of .tflite files>
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from tinyml_tools.convert import ConversionError, convert_model
    from tinyml_tools.convert.tflite_reader import ModelFormatError

import tinyml  # noqa: E402 - the C extension is not Python-instrumented


def test_one_input(data: bytes) -> None:
    try:
        blob, _ = convert_model(data, "fuzz")
    except (ModelFormatError, ConversionError) as e:
        assert str(e)
        return
    net = tinyml.load(blob)  # the converter's output must always load
    x = tuple(bytes(_count(s)) for s in net.input_shapes)
    net.predict_raw(x[0] if len(x) == 1 else x)


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
