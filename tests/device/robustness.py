# Robustness of the device API inside MicroPython (and the host simulator): canaries around a
# caller-provided arena, GC safety of Net, 10,000 load -> predict -> del cycles, use after an
# exception, a newer minor blob version, and models replaced mid-use.
import gc

import tinyml

with open("model.bin", "rb") as f:
    blob = f.read()
with open("other.bin", "rb") as f:
    other = f.read()

net = tinyml.load(blob)
n = 1
for d in net.input_shape:
    n *= d
x = bytes(range(256)) * (n // 256) + bytes(n % 256)
want = net.predict_raw(x)

# 1. Canaries: the arena in the middle of a larger buffer; nothing outside it is written.
size = net.arena_size
buf = bytearray(b"\xa5" * (size + 128))
arena = memoryview(buf)[64 : 64 + size]
net2 = tinyml.load(blob, arena)
for _ in range(3):
    assert net2.predict_raw(x) == want
assert bytes(buf[:64]) == b"\xa5" * 64 and bytes(buf[64 + size :]) == b"\xa5" * 64
print("canaries ok")

# 2. The Net keeps its blob and arena alive: drop every other reference, collect, run.
net3 = tinyml.load(bytearray(blob))
gc.collect()
junk = [bytearray(1000) for _ in range(50)]  # reuse freed memory if anything was freed
del junk
gc.collect()
assert net3.predict_raw(x) == want
print("gc ok")

# 3. An exception inside predict leaves the Net usable.
try:
    net3.predict_raw(x[:10])
except ValueError:
    pass
assert net3.predict_raw(x) == want
print("after exception ok")

# 4. Another model loaded mid-use, then the first one again.
o = tinyml.load(other)
on = 1
for d in o.input_shape:
    on *= d
o.predict_raw(bytes(on))
assert net3.predict_raw(x) == want
del o
print("other model ok")

# 5. A newer minor version loads (it only appends what 1.0 may ignore); a newer major does not.
try:
    from zlib import crc32
except ImportError:
    from binascii import crc32  # MicroPython
newer = bytearray(blob)
newer[6] = 7  # minor 7
newer[12:16] = crc32(bytes(newer[16:])).to_bytes(4, "little")
assert tinyml.load(newer).predict_raw(x) == want
newer[4] = 2  # major 2
newer[12:16] = crc32(bytes(newer[16:])).to_bytes(4, "little")
try:
    tinyml.load(newer)
    raise AssertionError("major 2 loaded")
except ValueError as e:
    assert str(e) == "unsupported blob version 2.7 (this reader supports 1.x)", str(e)
print("versions ok")

# 6. 10,000 load -> predict -> del cycles leave the heap where it was. MicroPython: the GC
# heap's free bytes. CPython (the host simulator) has no gc.mem_free: tracemalloc counts the
# bytes Python holds, the binding's objects and the arenas included (it allocates no other way).
if hasattr(gc, "mem_free"):
    def used():
        return -gc.mem_free()
else:
    import tracemalloc

    tracemalloc.start()

    def used():
        return tracemalloc.get_traced_memory()[0]


def cycles(n):  # in a function: no new module globals between the two measurements
    for i in range(n):
        t = tinyml.load(blob)
        t.predict_raw(x)
        del t
        if i % 1000 == 999:
            gc.collect()
    gc.collect()


before = after = 0
gc.collect()
before = used()
cycles(10000)
after = used()
assert after <= before + 256, (before, after)
print("cycles ok", 10000)
