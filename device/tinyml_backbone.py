"""The int8 layers below the head that modes "bias" and "sparse" update (docs/training.md): which
layers (`below_head`, `bias_updates`, `chain`, `candidates`), their RAM copies put over the
blob's with set_const, a forward pass that keeps what the backward pass needs, and the backward
pass with QAS steps (`qas_bias`, `qas_weight`).

Public for the host as well: `tinyml convert --sparse-update` (tinyml_tools.train.sparse) asks
`candidates(net)` what the board can update and `ram_needed(net, updates)` what it costs.
Everything reads the model through Net's public view (head, op_info, tensor_info, ...).
"""

import math
from array import array
from struct import unpack_from

from tinyml_num import copy_into, count, round_away, s8, zeros

CHUNK = 128  # bytes per read of an arena tensor while the forward pass keeps what it needs
# The operators the gradient passes, in the order errors name them.
SUPPORTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "RESHAPE")


def qas_bias(b, res, i, delta, lim):
    """Add delta (in LSB of the int32 bias, any real value) to b[i]; the part below one LSB is
    carried in res[i] so that small steps add up. Saturates at +-lim (the C core's bound for
    that layer), where the carry is dropped."""
    t = res[i] + delta
    n = round_away(t)
    v = b[i] + n
    if v > lim or v < -lim:
        v = lim if v > 0 else -lim
        t = n
    b[i] = v
    res[i] = t - n


def qas_weight(w, i, delta, u):
    """Add delta (in LSB of the int8 weight) to w[i] (a bytearray) with stochastic rounding:
    floor(delta + u), u uniform in [0, 1), so that the change is delta on average. Saturates
    at +-127 (symmetric weights)."""
    v = s8(w[i]) + math.floor(delta + u)
    w[i] = (127 if v > 127 else (-127 if v < -127 else v)) & 0xFF


class Kinds:
    """The operator kind codes the backbone handles, from the binding (Net.op_kind)."""

    def __init__(self, net):
        self.conv, self.dw, self.fc, self.avg, self.reshape = [net.op_kind(n) for n in SUPPORTED]
        self.weighted = (self.conv, self.dw, self.fc)
        self.all = (self.conv, self.dw, self.fc, self.avg, self.reshape)


class Layer:
    """One operator on the path from the updated layers to the head: its tensors, scales and
    (weighted layers) the LSB of its bias and weights in real units; the buffers of training
    come with Backbone.alloc()."""

    def __init__(self, net, k, kinds):
        info = net.op_info(k)
        kind, ins, out = info.kind, info.inputs, info.output
        if kind not in kinds.all:
            raise ValueError("cannot backpropagate through operator %d (kind %d): bias and "
                             "sparse modes support %s" % (k, kind, ", ".join(SUPPORTED)))
        self.k, self.kind, self.x, self.y = k, kind, ins[0], out
        self.amin, self.amax = info.act_min, info.act_max
        ish, self.sx, self.zx = net.tensor_info(self.x)
        osh, self.sy, self.zy = net.tensor_info(out)
        self.n_in, self.n_out = count(ish), count(osh)
        self.chans = ()
        self.upd_bias = False
        self.down = False
        self.bias = self.res = self.wq = self.xs = self.sel = self.mask = None
        self.w_t = self.b_t = -1
        self.P = 1  # positions: outputs per channel
        if kind == kinds.avg:
            self.P = self.n_in // self.n_out
            if self.n_out != osh[-1] or self.n_in != self.P * self.n_out:
                raise ValueError("operator %d: only a global AVERAGE_POOL_2D (to 1x1) can be "
                                 "backpropagated" % k)
            self.cout = self.n_out
        if kind not in kinds.weighted:
            return
        self.w_t = ins[1]
        self.b_t = ins[2] if len(ins) > 2 else -1
        wsh = net.tensor_info(self.w_t)[0]
        self.w_size = count(wsh)
        self.cout = wsh[3] if kind == kinds.dw else wsh[0]
        self.cin = wsh[-1]
        self.P = self.n_out // self.cout
        if kind == kinds.fc and self.n_in != self.cin:
            raise ValueError("operator %d: FULLY_CONNECTED on a batch of one only" % k)
        if kind == kinds.conv and (info.filter_h != 1 or info.filter_w != 1 or
                                   self.n_in != self.P * self.cin):
            raise ValueError("operator %d: only 1x1 CONV_2D with stride 1 can be "
                             "backpropagated" % k)
        rq = info.requant
        n = len(rq) // 8
        mult = []
        for c in range(self.cout):
            a, s = unpack_from("<ii", rq, 8 * (c if n > 1 else 0))
            mult.append(a * 2.0 ** (s - 31))  # s_x * s_w[c] / s_y, as the kernel applies it
        # One LSB of the int32 bias is s_x * s_w[c] = s_y * mult[c]; of the weight, s_w[c].
        self.lsb_b = [self.sy * v for v in mult]
        self.lsb_w = [self.sy * v / self.sx for v in mult]
        self.lim = info.bias_limit


def below_head(net):
    """The operators under the head, from the top down: the one computing the embedding, then
    the one computing its first input, and so on. A list of (op, kind, inputs, output)."""
    h = net.head()
    out = []
    t = h.embedding
    for k in range(h.op - 1, -1, -1):
        info = net.op_info(k)
        if info.output == t:
            out.append((k, info.kind, info.inputs, info.output))
            t = info.inputs[0]
    return out


def bias_updates(net, n):
    """Bias mode's updates, (op, True, ()): the biases of the first n layers with one under
    the head, in operator order (fewer if the model has fewer)."""
    weighted = Kinds(net).weighted
    ups = [(k, True, ()) for k, kind, ins, _ in below_head(net)
           if kind in weighted and len(ins) > 2 and ins[2] >= 0][:n]
    ups.reverse()
    return ups


def chain(net, lowest):
    """The operators from `lowest` (an op index) up to the head, in operator order;
    ValueError if `lowest` is not under the head or another operator reads a tensor on that
    path (a branch the gradient would miss)."""
    path = [k for k, _, _, _ in below_head(net) if k >= lowest]
    if not path or path[-1] != lowest:
        raise ValueError("operator %d does not feed the head through its first inputs" % lowest)
    path.reverse()
    outs = [net.op_info(k).output for k in path]
    for k in range(lowest, net.head().op):
        if k in path:
            continue
        for t in net.op_info(k).inputs:
            if t in outs:
                raise ValueError("the path to the head branches at operator %d: bias and "
                                 "sparse modes need a plain chain" % k)
    return path


def candidates(net):
    """Every parameter group the board can update, top down: (op, has bias, input channels
    of the weights) for each layer on the plain chain below the head, as far down as the
    backward pass goes (it stops at the first operator it cannot pass; a DEPTHWISE_CONV_2D
    offers only its bias, and nothing under it)."""
    kinds = Kinds(net)
    out = []
    for k, kind, ins, _ in below_head(net):
        try:
            layer = Layer(net, k, kinds)
        except ValueError:
            break  # the gradient cannot pass this operator
        bias = len(ins) > 2 and ins[2] >= 0
        if kind == kinds.dw:
            if bias:
                out.append((k, True, ()))
            break
        if kind in (kinds.fc, kinds.conv):
            out.append((k, bias, tuple(range(layer.cin))))
    return out


def ram_needed(net, updates):
    """Bytes the backbone part of a bias or sparse trainer holds for these updates ((op,
    bias, channels), ...), exactly: part of Trainer.mem_info(). ValueError when the backward
    pass cannot train them."""
    return Backbone(net, updates).need


class Backbone:
    """The updated int8 layers: RAM copies of their biases (and, in sparse mode, weights) put
    over the blob's with set_const; a forward pass that keeps, per layer, the bits of its
    output inside the activation range and the chosen input channels; and the backward pass
    with QAS updates. `need`: the bytes alloc() takes (docs/training.md)."""

    def __init__(self, net, updates):
        self.net = net
        kinds = Kinds(net)
        lowest = min(u[0] for u in updates)
        self.layers = [Layer(net, k, kinds) for k in chain(net, lowest)]
        by_op = {}
        for L in self.layers:
            by_op[L.k] = L
        self.updated = []
        for op, bias, chans in updates:
            L = by_op.get(op)
            if L is None or L.w_t < 0:
                raise ValueError("operator %d cannot be updated: it is not a CONV_2D, "
                                 "DEPTHWISE_CONV_2D or FULLY_CONNECTED on the path to the head"
                                 % op)
            if bias and L.b_t < 0:
                raise ValueError("operator %d has no bias to update" % op)
            if chans and L.kind == kinds.dw:
                raise ValueError("operator %d: DEPTHWISE_CONV_2D weights are not updated, only "
                                 "its bias" % op)
            L.upd_bias = bool(bias)
            L.chans = tuple(chans)
            self.updated.append(L)
        # Layers above the lowest updated one pass the gradient down to their input.
        self.need = 0
        grad = net.head().cols
        for i in range(len(self.layers)):
            L = self.layers[i]
            L.down = i > 0
            if L.down and L.kind == kinds.dw:
                raise ValueError("operator %d: cannot backpropagate through DEPTHWISE_CONV_2D "
                                 "(update only layers above it, or its bias as the lowest)"
                                 % L.k)
            if L.w_t >= 0:
                self.need += (L.P * L.cout + 7) // 8  # output mask
                if L.upd_bias:
                    self.need += 8 * L.cout  # int32 bias copy + float32 carry
                if L.chans or L.down:
                    self.need += L.w_size  # weight copy (updated, or read for the gradient)
                if L.chans:
                    self.need += L.P * len(L.chans) + L.cin  # kept input channels, channel map
                if L.down:
                    grad = max(grad, L.n_in)
        self.grad = grad
        self.need += 8 * grad + CHUNK  # two float32 gradient buffers, the read buffer
        self._avg, self._reshape = kinds.avg, kinds.reshape

    def alloc(self):
        net = self.net
        for L in self.layers:
            if L.w_t < 0:
                continue
            L.mask = bytearray((L.P * L.cout + 7) // 8)
            if L.upd_bias:
                raw = bytearray(4 * L.cout)
                net.read_tensor(L.b_t, raw)
                L.bias = array("i", raw)
                L.res = zeros("f", L.cout, 4)
            if L.chans or L.down:
                L.wq = bytearray(L.w_size)
                net.read_tensor(L.w_t, L.wq)
            if L.chans:
                L.xs = bytearray(L.P * len(L.chans))
                L.sel = bytearray(L.cin)
                for j in range(len(L.chans)):
                    L.sel[L.chans[j]] = j + 1
        self.ga = zeros("f", self.grad, 4)
        self.gb = zeros("f", self.grad, 4)
        self.buf = bytearray(CHUNK)

    # ---- the updated parameters (an adapter's backbone part) ----

    def params(self):
        """The updated parameters as they are now: per updated layer, in the updates' order,
        its int32 bias (if updated), then its int8 weights (if channels are)."""
        out = bytearray()
        for L in self.updated:
            if L.upd_bias:
                out += bytes(L.bias)
            if L.chans:
                out += L.wq
        return out

    def set_params(self, p, pos):
        for L in self.updated:
            if L.upd_bias:
                copy_into(L.bias, array("i", bytes(p[pos:pos + 4 * L.cout])))
                pos += 4 * L.cout
            if L.chans:
                L.wq[:] = p[pos:pos + L.w_size]
                pos += L.w_size
        return pos

    def attach(self):
        for L in self.updated:
            if L.upd_bias:
                self.net.set_const(L.b_t, L.bias)
            if L.chans:
                self.net.set_const(L.w_t, L.wq)

    def detach(self):
        for L in self.updated:
            if L.upd_bias:
                self.net.set_const(L.b_t, None)
            if L.chans:
                self.net.set_const(L.w_t, None)

    # ---- training ----

    def _scan(self, t, n, fn):
        """Call fn(i, byte) over arena tensor t's n bytes, read CHUNK at a time."""
        buf, net = self.buf, self.net
        off = 0
        while off < n:
            k = n - off if n - off < CHUNK else CHUNK
            view = memoryview(buf)[:k]
            net.read_tensor(t, view, off)
            for j in range(k):
                fn(off + j, buf[j])
            off += k

    def forward(self, raw):
        """Run the model on the int8 input raw up to the head, keeping what backward() needs;
        returns the int8 embedding (a bytearray)."""
        net = self.net
        h = net.head()
        net.set_inputs(raw)
        done = 0
        for L in self.layers:
            net.invoke(done, L.k)
            if L.chans:
                xs, sel, cin, nch = L.xs, L.sel, L.cin, len(L.chans)

                def keep(i, b, xs=xs, sel=sel, cin=cin, nch=nch):
                    s = sel[i % cin]
                    if s:
                        xs[(i // cin) * nch + s - 1] = b
                self._scan(L.x, L.n_in, keep)
            net.invoke(L.k, L.k + 1)
            done = L.k + 1
            if L.mask is not None:
                mask, lo, hi = L.mask, L.amin, L.amax
                for i in range(len(mask)):
                    mask[i] = 0

                def inside(i, b, mask=mask, lo=lo, hi=hi):
                    v = b - 256 if b > 127 else b
                    if lo < v < hi:
                        mask[i >> 3] |= 1 << (i & 7)
                self._scan(L.y, L.n_out, inside)
        net.invoke(done, h.op)
        q = bytearray(h.cols)
        net.read_tensor(h.embedding, q)
        return q

    def backward(self, eta, rng):
        """self.ga holds dLoss/d(embedding) (real units); propagate it down the layers and
        update the chosen parameters by QAS steps of eta * gradient. rng() gives uniform
        [0, 1) draws for the weights' stochastic rounding. Input gradients use the weights as
        they were before this step."""
        g, other = self.ga, self.gb
        bc = 0  # > 0: g holds one value per channel, spread evenly over bc positions
        for idx in range(len(self.layers) - 1, -1, -1):
            L = self.layers[idx]
            if L.kind == self._reshape:
                continue
            if L.kind == self._avg:
                bc = L.P
                continue
            P, co, ci = L.P, L.cout, L.cin
            nch = len(L.chans)
            gbias = [0.0] * co
            gw = [0.0] * (co * nch)
            if L.down:
                for i in range(P * ci):
                    other[i] = 0.0
            mask, xs, wq, zx, sx = L.mask, L.xs, L.wq, L.zx, L.sx
            for p in range(P):
                for c in range(co):
                    bit = p * co + c
                    if not (mask[bit >> 3] >> (bit & 7)) & 1:
                        continue
                    gy = g[c] / bc if bc else g[bit]
                    if gy == 0.0:
                        continue
                    gbias[c] += gy
                    for j in range(nch):
                        gw[c * nch + j] += gy * (s8(xs[p * nch + j]) - zx) * sx
                    if L.down:
                        f = gy * L.lsb_w[c]
                        row, base = c * ci, p * ci
                        for i in range(ci):
                            other[base + i] += f * s8(wq[row + i])
            if L.upd_bias:
                for c in range(co):
                    qas_bias(L.bias, L.res, c, -eta * gbias[c] / L.lsb_b[c], L.lim)
            for c in range(co):
                for j in range(nch):
                    i = c * ci + L.chans[j]
                    qas_weight(wq, i, -eta * gw[c * nch + j] / L.lsb_w[c], rng())
            if not L.down:
                break
            g, other = other, g
            bc = 0
