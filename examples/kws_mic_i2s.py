"""Say "yes" or "no" to the board: an I2S MEMS microphone (INMP441, SPH0645, ICS-43434) into
tinyml_audio's keyword spotter and TensorFlow Lite Micro's micro_speech model. The LED lights on
"yes" and goes out on "no".

Copy models/micro_speech/micro_speech.bin to the board, wire the microphone, then run this
(mpremote cp models/micro_speech/micro_speech.bin : + run examples/kws_mic_i2s.py). It needs
firmware with the audio front-end (docs/audio.md: where it runs).

Wiring (INMP441: VDD 3.3 V, GND, L/R to GND = left channel):

    board                SCK (bit clock)   WS (word select)   SD (data)   LED
    Raspberry Pi Pico    GP16              GP17 (SCK + 1)     GP18        "LED"
    ESP32 DevKit         GPIO14            GPIO15             GPIO32      GPIO2
    pyboard (STM32F4)    Y6 (I2S2 SCK)     Y5 (I2S2 WS)       Y8 (SD)     LED(1)

The microphone sends 24-bit samples in 32-bit slots; the I2S peripheral reads them as 32-bit
words, and a Viper function keeps 16 bits of each (GAIN_SHIFT sets which: 16 keeps the top 16,
a smaller value amplifies a quiet microphone by 2^(16 - GAIN_SHIFT)).
"""

import sys

import micropython
import tinyml_audio
from machine import I2S, Pin

import tinyml

RATE = 16000
GAIN_SHIFT = 14  # x4: an INMP441 at arm's length rarely goes above -20 dBFS

if sys.platform == "rp2":
    SCK, WS, SD, LED, I2S_ID = Pin(16), Pin(17), Pin(18), Pin("LED", Pin.OUT), 0
elif sys.platform == "esp32":
    SCK, WS, SD, LED, I2S_ID = Pin(14), Pin(15), Pin(32), Pin(2, Pin.OUT), 0
else:  # pyboard: I2S2 on the Y pins
    SCK, WS, SD, LED, I2S_ID = Pin("Y6"), Pin("Y5"), Pin("Y8"), Pin("LED_RED", Pin.OUT), 2


@micropython.viper
def to_int16(src: ptr32, dst: ptr16, n: int, shift: int):  # noqa: F821 (Viper types)
    for i in range(n):
        v = src[i] >> shift
        if v > 32767:
            v = 32767
        elif v < -32768:
            v = -32768
        dst[i] = v


net = tinyml.load("micro_speech.bin")
spotter = tinyml_audio.KeywordSpotter(net)
step = spotter.frontend.step  # 320 samples: 20 ms
raw = bytearray(4 * step)  # one stride of 32-bit words
pcm = bytearray(2 * step)  # the same stride as int16
mic = I2S(I2S_ID, sck=SCK, ws=WS, sd=SD, mode=I2S.RX, bits=32, format=I2S.MONO, rate=RATE,
          ibuf=8 * len(raw))
print("listening: say yes or no")
while True:
    got = mic.readinto(raw)
    to_int16(raw, pcm, got // 4, GAIN_SHIFT)
    found = spotter.feed(memoryview(pcm)[: 2 * (got // 4)])
    if found is not None:
        label, score, ms = found
        print("%-3s %.2f at %.1f s" % (label, score, ms / 1000))
        LED.value(1 if label == "yes" else 0)
