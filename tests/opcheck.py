"""Run one .tflite model through TFLite's reference kernels and through tinyml (converter +
host simulator), and compare every output byte."""

from __future__ import annotations

import numpy as np

from reference import interpreter
from tinyml_tools.convert import convert_model


def random_inputs(tfl: bytes, rng: np.random.Generator, n: int = 3) -> list[list[np.ndarray]]:
    it = interpreter(tfl)
    sets = []
    for k in range(n):
        xs = []
        for d in it.get_input_details():
            shape = tuple(d["shape"])
            if k == 0:  # the extremes first: saturation paths
                x = np.resize(np.array([-128, 127, 0, -1, 1], np.int8), shape)
            else:
                x = rng.integers(-128, 128, shape, dtype=np.int8)
            xs.append(x)
        sets.append(xs)
    return sets


def reference(tfl: bytes, inputs: list[np.ndarray]) -> list[bytes]:
    it = interpreter(tfl)
    for d, x in zip(it.get_input_details(), inputs, strict=True):
        it.set_tensor(d["index"], x.reshape(d["shape"]))
    it.invoke()
    return [it.get_tensor(d["index"]).tobytes() for d in it.get_output_details()]


def tinyml(blob: bytes, inputs: list[np.ndarray]) -> list[bytes]:
    from _tinyml import Model

    m = Model(blob)
    _, _, _, _, n_in, n_out = m.info()
    assert n_in == len(inputs)
    for i, x in enumerate(inputs):
        m.set_input(x.tobytes(), i)
    m.invoke()
    outs = []
    for j in range(n_out):
        shape, _, _ = m.output_info(j)
        buf = bytearray(int(np.prod(shape)))
        m.get_output(buf, j)
        outs.append(bytes(buf))
    return outs


def assert_bit_exact(tfl: bytes, rng: np.random.Generator, n: int = 3) -> bytes:
    blob, _ = convert_model(tfl, "op")
    for xs in random_inputs(tfl, rng, n):
        want = reference(tfl, xs)
        got = tinyml(blob, xs)
        for j, (g, w) in enumerate(zip(got, want, strict=True)):
            if g != w:
                a, b = np.frombuffer(g, np.int8), np.frombuffer(w, np.int8)
                bad = np.flatnonzero(a != b)
                raise AssertionError(
                    f"output {j}: {len(bad)} of {a.size} bytes differ, first at {bad[:8]}: "
                    f"tinyml {a[bad[:8]]} vs TFLite {b[bad[:8]]}; input {xs[0].ravel()[:16]}"
                )
    return blob
