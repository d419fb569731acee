"""TFLite's reference kernels (BUILTIN_REF) as the golden source of outputs.

Needs the optional `ai-edge-litert` package (pip install 'tinyml[reference]').
"""

from __future__ import annotations

import numpy as np


def _interpreter(model: bytes, preserve: bool = False):  # noqa: ANN202 - optional dependency
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
    it = _interpreter(model)
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
    it = _interpreter(model, preserve=True)
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
