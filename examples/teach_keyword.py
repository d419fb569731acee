"""Teach the keyword spotter a word it does not know, on the board (docs/training.md).

The MLPerf Tiny DS-CNN knows ten words, plus "silence" and "unknown". This is the classroom
flow: a student records one example of every word, the known ones and the new word "cat". The
board then recognises "cat", which the model used to call "unknown". It uses nearest-class-mean
mode: there is no training loop, and it needs 2.8 KB of RAM.

Copy kws.bin, samples.bin and samples.txt next to this script (mpremote cp ... :), and with the
.mpy the trainer's modules too (tinyml install copies them: device/tinyml_*.py), then run it.
The recordings are samples.bin's (see models/kws/SAMPLES.md): two voices per word. The first
voice teaches and the second one is tested. "cat" has one recording only (sample 22), so it is
taught and tested on that one, and "house" (sample 23) stands for "unknown".
"""

import tinyml

net = tinyml.load("kws.bin")
n = 490  # 49 frames x 10 MFCCs, int8
with open("samples.bin", "rb") as f:
    data = memoryview(f.read())
with open("samples.txt") as f:
    words = [w.strip() for w in f.read().split("\n") if w.strip()]
sample = [data[i * n:(i + 1) * n] for i in range(len(words))]
CAT, HOUSE = 22, 23

print("before:", net.classify(sample[CAT]))
tr = net.trainer(mode="ncm")
tr.add_class("cat")
taught = {}
for i in range(len(words)):
    word = "cat" if i == CAT else words[i]
    if word not in taught:  # the first recording of each word
        tr.add_example(sample[i], word)
        taught[word] = i
print("taught %d words; trainer RAM: %d bytes" % (len(taught), tr.mem_info()))

right = 0
tested = 0
for i in range(len(words)):
    word = "cat" if i == CAT else words[i]
    if taught[word] == i and word != "cat":
        continue  # test on the other voice
    label, score = net.classify(sample[i])
    right += label == word
    tested += 1
    print("%-8s -> %-8s %.3f" % (word, label, score))
print("%d/%d right" % (right, tested))
tr.save("kws.adapter")
net.clear_adapter()
net.load_adapter("kws.adapter")
print("after reload:", net.classify(sample[CAT]))
