"""MicroPython ROMFS images whose files start on an aligned address.

A ROMFS partition is memory-mapped flash: `memoryview(open('/rom/kws.bin', 'rb'))` is the blob
itself, so `tinyml.load` reads the weights in place and only the arena comes from the heap. The
C core reads int32 biases and multipliers straight from the blob, which needs the blob 4-byte
aligned; `mpremote romfs build` packs files back to back, so tinyml writes its own images.

Format (MicroPython's extmod/vfs_rom.c): a record is varuint kind, varuint payload length,
payload; a varuint is big-endian 7-bit groups, high bit set on all but the last, and may be
lengthened by leading 0x80 bytes without changing its value. The filesystem is one record of
kind 0x14A6B1 (encoded d2 cd 31) of even total length, holding file records (kind 5: name
length, name, then a verbatim data record, kind 2). Files here sit in the root directory, each
file's data at a multiple of `align` from the image start (the partition start, which is
erase-block aligned on every board).
"""

from __future__ import annotations

from pathlib import PurePosixPath

HEADER = b"\xd2\xcd\x31"
KIND_DATA, KIND_FILE = 2, 5
_LEN_WIDTH = 4  # container lengths are written 4 bytes wide, so offsets are known up front


def varuint(value: int, width: int = 0) -> bytes:
    """value encoded, lengthened to `width` bytes with leading 0x80 bytes."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.insert(0, 0x80 | (value & 0x7F))
        value >>= 7
    if width and len(out) > width:
        raise ValueError(f"{value} does not fit a {width}-byte varuint")
    return bytes([0x80] * max(0, width - len(out)) + out)


def build(files: dict[str, bytes], align: int = 16) -> bytes:
    """A ROMFS image of `files` (name -> data, in that order) in its root directory."""
    if align < 1 or align & (align - 1):
        raise ValueError("align must be a power of two")
    body = bytearray()
    start = len(HEADER) + _LEN_WIDTH  # where the first record begins
    for name, data in files.items():
        if not name or PurePosixPath(name).name != name or not name.isascii():
            raise ValueError(f"{name!r}: a plain ASCII file name, no folders")
        encoded = name.encode()
        head = bytes([KIND_FILE]) + varuint(0, _LEN_WIDTH)  # length patched below
        head += varuint(len(encoded)) + encoded + bytes([KIND_DATA])
        length = varuint(len(data))
        pos = start + len(body) + len(head) + len(length)  # where the data would begin
        length = varuint(len(data), len(length) + (-pos) % align)
        record = bytearray(head + length + data)
        record[1 : 1 + _LEN_WIDTH] = varuint(len(record) - 1 - _LEN_WIDTH, _LEN_WIDTH)
        body += record
    if (len(HEADER) + _LEN_WIDTH + len(body)) % 2:
        body += b"\x01\x01\x00"  # a 3-byte padding record makes the image's length even
    return HEADER + varuint(len(body), _LEN_WIDTH) + bytes(body)


def files_of(image: bytes) -> dict[str, tuple[int, int]]:
    """name -> (offset, length) of each root file's data: how a board reads the image."""
    def read_uint(pos: int) -> tuple[int, int]:
        value = 0
        while True:
            b = image[pos]
            pos += 1
            value = (value << 7) | (b & 0x7F)
            if not b & 0x80:
                return value, pos

    if not image.startswith(HEADER):
        raise ValueError("not a ROMFS image")
    size, pos = read_uint(len(HEADER))
    end = pos + size
    out: dict[str, tuple[int, int]] = {}
    while pos < end:
        kind, pos = read_uint(pos)
        length, pos = read_uint(pos)
        record_end = pos + length
        if kind == KIND_FILE:
            name_len, p = read_uint(pos)
            name = image[p : p + name_len].decode()
            p += name_len
            while p < record_end:
                sub, p = read_uint(p)
                sub_len, p = read_uint(p)
                if sub == KIND_DATA:
                    out[name] = (p, sub_len)
                p += sub_len
        pos = record_end
    return out
