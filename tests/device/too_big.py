# Loads a model whose arena does not fit the heap: a MemoryError that gives both numbers.
# Ballast takes the heap down to about half the arena the model needs.
import gc

import tinyml

with open("model.bin", "rb") as f:
    blob = f.read()
need = int.from_bytes(blob[20:24], "little")
gc.collect()
size = gc.mem_free() - need // 2
ballast = None
while ballast is None and size > 0:
    try:
        ballast = bytearray(size)
    except MemoryError:
        size -= 1024
try:
    tinyml.load(blob)
    print("loaded")
except MemoryError as e:
    print("MemoryError:", e)
