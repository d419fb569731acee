"""TFLite's reference kernels (BUILTIN_REF) as the golden source of outputs, for the tests
and the conformance report.

Needs the optional `ai-edge-litert` package (pip install 'tinyml[reference]').
"""

from __future__ import annotations

import numpy as np


def interpreter(model: bytes, preserve: bool = False):  # noqa: ANN202 - optional dependency
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise RuntimeError(
            "the reference interpreter needs ai-edge-litert: pip install 'tinyml[reference]'"
        ) from e
    it = Interpreter(
        model_content=model,
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=preserve,
    )
    it.allocate_tensors()
    return it


def reference_outputs(model: bytes, inputs: list[np.ndarray]) -> list[bytes]:
    """Run each int8 input through TFLite's reference kernels; return the raw output bytes."""
    it = interpreter(model)
    inp = it.get_input_details()[0]
    out = it.get_output_details()[0]
    results = []
    for x in inputs:
        it.set_tensor(inp["index"], np.asarray(x, np.int8).reshape(inp["shape"]))
        it.invoke()
        results.append(it.get_tensor(out["index"]).tobytes())
    return results


def reference_tensors(model: bytes, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every intermediate tensor by name, for locating a mismatch."""
    it = interpreter(model, preserve=True)
    inp = it.get_input_details()[0]
    it.set_tensor(inp["index"], np.asarray(x, np.int8).reshape(inp["shape"]))
    it.invoke()
    out = {}
    for d in it.get_tensor_details():
        try:
            out[d["name"]] = it.get_tensor(d["index"])
        except ValueError:
            pass
    return out


def reference_run(tfl: bytes, samples: list[list[np.ndarray]],
                  in_q: list[tuple[float, int]], out_q: list[tuple[float, int]]
                  ) -> list[list[bytes]]:
    """TFLite's outputs for int8 samples. Float model inputs get the exact float of each int8
    value; float outputs are mapped back to the int8 value whose dequantization they equal
    bit for bit (anything else fails)."""
    it = interpreter(tfl)
    ins, outs = it.get_input_details(), it.get_output_details()
    results = []
    for xs in samples:
        for d, x, (s, z) in zip(ins, xs, in_q, strict=True):
            if d["dtype"] == np.float32:
                v = ((x.astype(np.float32) - np.float32(z)) * np.float32(s)).astype(np.float32)
            else:
                v = x
            it.set_tensor(d["index"], v.reshape(d["shape"]))
        it.invoke()
        row = []
        for d, (s, z) in zip(outs, out_q, strict=True):
            y = it.get_tensor(d["index"])
            if y.dtype == np.float32:
                q = np.clip(np.round(y / np.float32(s)) + z, -128, 127).astype(np.int8)
                back = (q.astype(np.float32) - np.float32(z)) * np.float32(s)
                assert np.array_equal(back.astype(np.float32), y), "float output not on grid"
                y = q
            row.append(y.astype(np.int8).tobytes())
        results.append(row)
    return results
