# Loads a model whose arena does not fit the heap: a MemoryError that gives both numbers.
import tinyml

with open("model.bin", "rb") as f:
    blob = f.read()
try:
    tinyml.load(blob)
    print("loaded")
except MemoryError as e:
    print("MemoryError:", e)
