"""`tinyml convert --rounding tflm`: the outputs users of TensorFlow Lite Micro had, bit for bit,
checked against the tflite-micro package (its reference kernels) on every int8 model."""

from __future__ import annotations

import numpy as np
import pytest
from opcheck import tinyml

from registry import MODELS
from tinyml_tools.convert import convert_model
from tinyml_tools.convert.tflite_reader import read_tflite

tflm_runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime",
                                   reason="pip install --pre tflite-micro")

# TFLM never resizes tensors: on a model stored with batch 1 but a dynamic batch that
# SPACE_TO_BATCH_ND turns into 4, it computes a quarter of the values and leaves the rest as
# stale arena memory (outputs change from run to run). TFLite resizes; tinyml matches TFLite.
TFLM_WRONG = {"dilated_dynamic"}


def _int8_models() -> list[str]:
    out = []
    for name, path in sorted(MODELS.items()):
        g = read_tflite(path.read_bytes())
        if name not in TFLM_WRONG and all(g.tensors[i].dtype == "int8"
                                          for i in [*g.inputs, *g.outputs]):
            out.append(name)
    return out


@pytest.mark.parametrize("name", _int8_models())
def test_tflm_rounding_matches_tflite_micro(name: str) -> None:
    tfl = MODELS[name].read_bytes()
    blob, b = convert_model(tfl, name, rounding="tflm")
    it = tflm_runtime.Interpreter.from_bytes(tfl)
    rng = np.random.default_rng(99)
    n_out = len(b.outputs)
    for _ in range(24):
        xs = [rng.integers(-128, 128, b.tensors[i].shape, dtype=np.int8) for i in b.inputs]
        for k, x in enumerate(xs):
            it.set_input(x, k)
        it.invoke()
        want = [np.asarray(it.get_output(k)).astype(np.int8).tobytes() for k in range(n_out)]
        assert tinyml(blob, xs) == want, name
