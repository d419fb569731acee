"""Arena planner properties over random graphs (hypothesis): buffers alive at the same
operator never overlap, except what the device is told to expect (RESHAPE aliases and in-place
operators, whose scratch never overlaps anything alive); everything lies inside the arena; the
plan never exceeds the no-reuse total."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyml_tools.convert.planner import lower_bound, plan
from tinyml_tools.format.blob import OP_FLAG_IN_PLACE, BOp, BTensor

# ADD's quantization words: the planner reads only the broadcast words.
ADD_QUANT = dict(in1_offset=0, in2_offset=0, out_offset=0, left_shift=0, in1_mult=0,
                 in1_shift=0, in2_mult=0, in2_shift=0, out_mult=0, out_shift=0, act_min=-128,
                 act_max=127, subtract=0)


def conv(kind: str, inputs: list[int], outputs: list[int], stride: int, pad: int,
         pad_w: int | None = None, **extra: int) -> BOp:
    """A convolution with the geometry the planner reads (quantization words unused)."""
    return BOp.build(kind, inputs, outputs, stride_h=stride, stride_w=stride, dil_h=1,
                     dil_w=1, pad_h=pad, pad_w=pad if pad_w is None else pad_w, in_offset=0,
                     out_offset=0, act_min=-128, act_max=127, mult=np.zeros(1, np.int32),
                     shift=np.zeros(1, np.int32), **extra)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[BTensor], list[BOp], list[int], list[int]]:
    def act(shape: tuple[int, ...]) -> int:
        tensors.append(BTensor(f"t{len(tensors)}", "int8", shape))
        return len(tensors) - 1

    def const(shape: tuple[int, ...]) -> int:
        tensors.append(BTensor(f"w{len(tensors)}", "int8", shape,
                               const=bytes(int(np.prod(shape)))))
        return len(tensors) - 1

    def shape() -> tuple[int, ...]:
        return (1, draw(st.integers(1, 12)), draw(st.integers(1, 12)), draw(st.integers(1, 8)))

    tensors: list[BTensor] = []
    ops: list[BOp] = []
    inputs = [act(shape())]
    avail = list(inputs)
    for _ in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["ELEM", "ELEM2", "RESHAPE", "CONV_2D", "CONV_ROWS",
                                     "DEPTHWISE_CONV_2D", "LUT", "ADD_SAME"]))
        x = draw(st.sampled_from(avail))
        xs = tensors[x].shape
        if kind == "RESHAPE":
            y = act((1, int(np.prod(xs))))
            ops.append(BOp("RESHAPE", [x], [y]))
        elif kind == "CONV_2D" and len(xs) == 4:  # 1x1, stride 1: in place pixel by pixel
            co = draw(st.integers(1, 12))
            y = act((1, xs[1], xs[2], co))
            ops.append(conv("CONV_2D", [x, const((co, 1, 1, xs[3])), -1], [y], 1, 0))
        elif kind == "CONV_ROWS" and len(xs) == 4:  # 3x3, stride 2: maybe row-streamed
            co = draw(st.integers(1, 12))
            y = act((1, (xs[1] + 1) // 2, (xs[2] + 1) // 2, co))
            ops.append(conv("CONV_2D", [x, const((co, 3, 3, xs[3])), -1], [y], 2,
                            draw(st.integers(0, 1)), pad_w=0))
        elif kind == "DEPTHWISE_CONV_2D" and len(xs) == 4:
            s = draw(st.integers(1, 2))
            y = act((1, (xs[1] + s - 1) // s, (xs[2] + s - 1) // s, xs[3]))
            ops.append(conv("DEPTHWISE_CONV_2D", [x, const((1, 3, 3, xs[3])), -1], [y], s, 1,
                            depth_mult=1))
        elif kind == "LUT":  # element-wise: may run over its input
            y = act(xs)
            ops.append(BOp.build("LUT", [x], [y], table=np.zeros(256, np.int8)))
        elif kind == "ADD_SAME":  # same-shape ADD: may run over input 0
            x2 = draw(st.sampled_from(avail))
            y = act(xs)
            n = int(np.prod(xs))
            ops.append(BOp.build("ADD", [x, x2], [y], dims=[1, 1, 1, n], stride1=[0, 0, 0, 1],
                                 stride2=[0, 0, 0, 1], **ADD_QUANT))
        elif kind == "ELEM2":
            x2 = draw(st.sampled_from(avail))
            y = act(shape())
            ops.append(BOp("ADD", [x, x2], [y]))
        else:
            y = act(shape())
            ops.append(BOp("CONCAT", [x], [y]))
        avail.append(y)
    outputs = [avail[-1]]
    if draw(st.booleans()) and len(avail) > 2:
        extra = draw(st.sampled_from(avail[1:-1]))
        if extra not in outputs:
            outputs.append(extra)
    return tensors, ops, inputs, outputs


def _lifetimes(tensors: list[BTensor], ops: list[BOp], inputs: list[int], outputs: list[int]
               ) -> dict[int, tuple[int, int]]:
    life: dict[int, tuple[int, int]] = {t: (-1, -1) for t in inputs}
    for k, op in enumerate(ops):
        for t in [*op.inputs, *op.outputs]:
            if t >= 0 and tensors[t].const is None:
                a, b = life.get(t, (k, k))
                life[t] = (min(a, k), max(b, k))
    for t in outputs:
        life[t] = (life.get(t, (len(ops), len(ops)))[0], len(ops))
    return life


def _alias_roots(ops: list[BOp]) -> dict[int, int]:
    root: dict[int, int] = {}
    for op in ops:
        if op.kind == "RESHAPE":
            root[op.outputs[0]] = root.get(op.inputs[0], op.inputs[0])
    return root


@settings(max_examples=300, deadline=None, derandomize=True)
@given(graphs())
def test_live_buffers_never_overlap(g: tuple[list[BTensor], list[BOp], list[int], list[int]]
                                    ) -> None:
    tensors, ops, inputs, outputs = g
    arena, ops = plan(tensors, ops, inputs, outputs)
    position = {id(op): k for k, op in enumerate(ops)}
    for op in ops:  # a topological order: every input produced before it is read
        for i in op.inputs:
            assert all(position[id(p)] < position[id(op)] for p in ops if i in p.outputs)
    life = _lifetimes(tensors, ops, inputs, outputs)
    roots = _alias_roots(ops)
    in_place = {(op.inputs[0], op.outputs[0]) for op in ops if op.flags & OP_FLAG_IN_PLACE}
    # Element-wise operators written exactly over input 0 (same offset and size).
    in_place |= {(op.inputs[0], op.outputs[0]) for op in ops
                 if op.kind in ("LUT", "ADD") and
                 tensors[op.inputs[0]].offset == tensors[op.outputs[0]].offset and
                 tensors[op.inputs[0]].nbytes == tensors[op.outputs[0]].nbytes}
    acts = sorted(life)
    for t in acts:
        assert 0 <= tensors[t].offset and tensors[t].offset + tensors[t].nbytes <= arena
    for k in range(-1, len(ops) + 1):
        alive = [t for t in acts if life[t][0] <= k <= life[t][1]]
        for i, a in enumerate(alive):
            for b in alive[i + 1 :]:
                ta, tb = tensors[a], tensors[b]
                if ta.offset < tb.offset + tb.nbytes and tb.offset < ta.offset + ta.nbytes:
                    same = roots.get(a, a) == roots.get(b, b)
                    ok = same or (a, b) in in_place or (b, a) in in_place
                    assert ok, f"tensors {a} and {b} overlap at op {k}"
        if 0 <= k < len(ops) and ops[k].flags & OP_FLAG_IN_PLACE:
            off, size = ops[k].scratch
            assert size > 0 and off + size <= arena
            assert tensors[ops[k].inputs[0]].offset == tensors[ops[k].outputs[0]].offset
            for t in alive:
                assert not (off < tensors[t].offset + tensors[t].nbytes and
                            tensors[t].offset < off + size), f"scratch of op {k} over {t}"
    total = sum(tensors[t].nbytes + 3 & ~3 for t in acts)
    scratch = sum(op.scratch[1] for op in ops)
    assert arena <= total + scratch
    assert lower_bound(tensors, ops, inputs, outputs) <= total


def test_kws_in_place_chain() -> None:
    """The DS-CNN body runs in one buffer: the arena is the first layer's input plus output,
    not two 8000-byte activations. The figures come from the .tflite through the test's own
    reading of the format's rules (tests/tflite_sizes.py), not from the planner."""
    from tflite_sizes import Model

    from runtimes import ROOT
    from tinyml_tools.convert import convert_model

    tfl = (ROOT / "models/kws/kws.tflite").read_bytes()
    m = Model(tfl)
    _, b = convert_model(tfl, "kws")
    assert b.arena_size == m.arena_lower_bound(in_place=True) == 492 + 25 * 5 * 64
    # Every depthwise (multiplier 1) and 1x1 convolution of the body runs in place.
    convs = [k for k in range(len(m.ops)) if m.in_place_scratch(k)]
    assert [k for k, op in enumerate(b.ops) if op.flags & OP_FLAG_IN_PLACE] == convs
    assert len(convs) == 8
    assert lower_bound(b.tensors, b.ops, b.inputs, b.outputs) == m.arena_lower_bound(False)


def test_branch_order_lowers_the_peak() -> None:
    """Two branches of 1000-byte intermediates joined by a concatenation: stored interleaved
    (a1, b1, a2, b2) both intermediates are alive at once; run one branch to its end first."""
    t = [BTensor(f"t{i}", "int8", (n,)) for i, n in
         enumerate([100, 1000, 1000, 10, 10, 20])]
    ops = [BOp("CONCAT", [0], [1]), BOp("CONCAT", [0], [2]), BOp("CONCAT", [1], [3]),
           BOp("CONCAT", [2], [4]), BOp("CONCAT", [3, 4], [5])]
    arena, order = plan(t, ops, [0], [5])
    assert [ops.index(op) for op in order] == [0, 2, 1, 3, 4]
    assert arena == 100 + 1000 + 12  # input, one intermediate, one branch result
    assert lower_bound(t, ops, [0], [5]) == 100 + 1000 + 1000
