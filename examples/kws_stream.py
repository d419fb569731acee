"""Keywords from a stream of sound on the board: TensorFlow Lite Micro's micro_speech model
(yes / no) behind tinyml_audio's front-end and keyword spotter.

Copy micro_speech.bin and a WAV file (16 kHz, 16-bit mono) next to this script, then run it:
    mpremote cp models/micro_speech/micro_speech.bin stream.wav : + run examples/kws_stream.py
On a board with a microphone, pass the microphone instead of the WavReader: anything with
readinto() (machine.I2S, see docs/audio.md) goes through the same code.
"""

import sys

import tinyml_audio

import tinyml

wav = sys.argv[1] if len(sys.argv) > 1 else "stream.wav"
net = tinyml.load("micro_speech.bin")
spotter = tinyml_audio.KeywordSpotter(net)


def heard(label, score, ms):
    print("%6.2f s  %-4s %.2f" % (ms / 1000, label, score))


with tinyml_audio.WavReader(wav) as source:
    print("%s: %.1f s at %d Hz" % (wav, source.frames / source.rate, source.rate))
    spotter.run(source, on_detect=heard)
print("%d model runs, one per %d ms" % (spotter.results, spotter.frontend.step_ms))
