"""Adapter files: what a trainer learnt, saved beside a blob that is never written.

    "TMLA", u16 version 1, u8 mode (1 ncm, 2 head, 3 bias, 4 sparse), u8 0,
    SHA-256 of the base blob (32 bytes), u32 payload length,
    payload: u16 classes, u16 D, u16 R, u16 max_classes, labels (u8 length + UTF-8 each),
             then the head's part (tinyml_head: Ncm.payload, FloatHead.payload),
             then, bias and sparse: u8 layers and the backbone's part (Backbone.params)
    u32 CRC-32 of everything before it

`write` saves atomically; `read` checks a file's bytes before anything of a model changes.
"""

from struct import pack, unpack_from

MAGIC = b"TMLA"
VERSION = 1
MODES = {"ncm": 1, "head": 2, "bias": 3, "sparse": 4}
HEADER = 44  # magic, version, mode, reserved, SHA-256 of the base blob, payload length


def _crc32(data, crc=0):
    import binascii

    return binascii.crc32(data, crc) & 0xFFFFFFFF


def _sync():
    try:
        import os

        os.sync()
    except (ImportError, AttributeError, OSError):
        pass  # ports without os.sync: flush and close are all there is


def atomic_write(path, data, fault=None):
    """Write data to path so that path holds either its old contents or all of data, never a
    mix: temporary file, flush, sync, read back and compare, then rename over path.
    fault(step) is called before each step (fault injection in tests)."""
    import os

    tmp = path + ".tmp"
    step = fault or (lambda name: None)
    step("open")
    with open(tmp, "wb") as f:
        for i in range(0, len(data), 512):
            step("write")
            f.write(data[i:i + 512])
        step("flush")
        f.flush()
    step("sync")
    _sync()
    step("verify")
    with open(tmp, "rb") as f:
        if f.read() != data:
            raise OSError("adapter file did not read back as written")
    step("rename")
    os.rename(tmp, path)
    step("renamed")
    _sync()


def payload_head(labels, dim, rows, max_classes):
    """The payload's start: counts and labels."""
    out = bytearray(pack("<HHHH", len(labels), dim, rows, max_classes))
    for s in labels:
        b = s.encode()
        out += bytes([len(b)]) + b
    return out


def write(path, mode, sha, payload, fault=None):
    """Save an adapter (mode name, the blob's SHA-256, payload) atomically; returns its size."""
    head = bytearray(MAGIC) + pack("<HBB", VERSION, MODES[mode], 0)
    head += sha + pack("<I", len(payload))
    data = head + payload
    data += pack("<I", _crc32(data))
    atomic_write(path, bytes(data), fault)
    return len(data)


class Parsed:
    """An adapter's header and payload start, checked: mode, labels, dim, rows, max_classes;
    p, the payload (a memoryview), and pos, where the head's part begins."""

    def __init__(self, mode, p, labels, dim, rows, max_classes, pos):
        self.mode, self.p, self.labels = mode, p, labels
        self.dim, self.rows, self.max_classes, self.pos = dim, rows, max_classes, pos


def read(data, sha, head):
    """Check adapter bytes against a blob (its SHA-256 and its head record, or None); a
    Parsed, or ValueError naming the problem."""
    if len(data) < HEADER + 4 or bytes(data[:4]) != MAGIC:
        raise ValueError("not a tinyml adapter")
    version = unpack_from("<H", data, 4)[0]
    if version != VERSION:
        raise ValueError("unsupported adapter version %d (this reader supports %d)" %
                         (version, VERSION))
    size = HEADER + unpack_from("<I", data, 40)[0] + 4
    if len(data) < size:
        raise ValueError("truncated adapter: %d bytes, expected %d" % (len(data), size))
    if _crc32(bytes(data[:size - 4])) != unpack_from("<I", data, size - 4)[0]:
        raise ValueError("adapter CRC mismatch: file corrupted")
    if bytes(data[8:40]) != sha:
        raise ValueError("adapter was trained for another model (SHA-256 of the blob differs)")
    mode = None
    for k in MODES:
        if MODES[k] == data[6]:
            mode = k
    if mode is None:
        raise ValueError("unknown adapter mode %d" % data[6])
    p = memoryview(data)[HEADER:size - 4]
    n, dim, rows, max_classes = unpack_from("<HHHH", p, 0)
    if head is None or dim != head.cols or rows != head.rows:
        raise ValueError("adapter does not fit this model's head")
    if not rows <= n <= max_classes <= 255 or n == 0:
        raise ValueError("invalid adapter payload")
    pos = 8
    labels = []
    for _ in range(n):
        if pos >= len(p) or pos + 1 + p[pos] > len(p):
            raise ValueError("invalid adapter payload")
        ln = p[pos]
        labels.append(str(bytes(p[pos + 1:pos + 1 + ln]), "utf-8"))
        pos += 1 + ln
    return Parsed(mode, p, labels, dim, rows, max_classes, pos)
