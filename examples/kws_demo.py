"""Keyword spotting on the board: classify MFCC feature frames with the MLPerf Tiny DS-CNN.

Copy kws.bin, samples.bin and samples.txt next to this script (mpremote cp ... :), then run it.
samples.bin holds int8 MFCC features (49 frames x 10 coefficients each), already quantized
with the model's input parameters; samples.txt names the word spoken in each.
"""

import tinyml

net = tinyml.load("kws.bin")
print(net)

n = 1
for d in net.input_shape:
    n *= d
with open("samples.bin", "rb") as f:
    data = f.read()
with open("samples.txt") as f:
    words = [w.strip() for w in f.read().split("\n") if w.strip()]

features = memoryview(data)
right = 0
for i, word in enumerate(words):
    label, score = net.classify(features[i * n : (i + 1) * n])
    right += label == word
    print("%-8s -> %-8s %.3f" % (word, label, score))
print("%d/%d correct" % (right, len(words)))
print("arena: %d bytes" % net.arena_size)
