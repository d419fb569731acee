"""Say "yes" or "no" to the board through an analog microphone (an electret module with its own
amplifier, such as the MAX4466 or MAX9814) on an ADC pin, sampled by a hardware timer: the
cheapest microphone a classroom kit has. The spotter and model are those of kws_mic_i2s.py.

Copy models/micro_speech/micro_speech.bin to the board, then run this. It needs firmware with
the audio front-end (docs/audio.md: where it runs).

Wiring (module: VCC 3.3 V, GND, OUT to the ADC pin):

    board                ADC pin     LED
    Raspberry Pi Pico    GP26 (A0)   "LED"
    ESP32 DevKit         GPIO34      GPIO2
    pyboard (STM32F4)    X1          LED(1)

A timer interrupt reads the ADC 16,000 times a second into one of two stride buffers (20 ms
each); the main loop feeds the full one to the spotter while the other fills. MicroPython runs
the interrupt handler in Python, which costs a good part of the CPU at this rate, so the model
runs every other stride (`every=2`). If the main loop falls behind, a buffer is dropped and
counted: the count is printed with each detection. An I2S microphone (kws_mic_i2s.py) delivers
its samples by DMA and leaves the CPU to the model.
"""

import sys

import micropython
import tinyml_audio
from machine import ADC, Pin, Timer

import tinyml

RATE = 16000

if sys.platform == "rp2":
    adc, LED = ADC(Pin(26)), Pin("LED", Pin.OUT)
elif sys.platform == "esp32":
    adc, LED = ADC(Pin(34), atten=ADC.ATTN_11DB), Pin(2, Pin.OUT)
else:
    adc, LED = ADC(Pin("X1")), Pin("LED_RED", Pin.OUT)

micropython.alloc_emergency_exception_buf(100)
net = tinyml.load("micro_speech.bin")
spotter = tinyml_audio.KeywordSpotter(net, every=2)
step = spotter.frontend.step
bufs = (bytearray(2 * step), bytearray(2 * step))
# buffer being filled, samples in it, buffer ready for the main loop, buffers dropped
state = [0, 0, -1, 0]
mid = 32768  # the ADC's mid-scale: the microphone's bias, removed below


def sample(_t):
    b, i = state[0], state[1]
    v = adc.read_u16() - mid
    buf = bufs[b]
    buf[2 * i] = v & 0xFF
    buf[2 * i + 1] = (v >> 8) & 0xFF
    i += 1
    if i == step:
        if state[2] >= 0:  # the main loop has not taken the last one: drop it
            state[3] += 1
        state[2], state[0], i = b, 1 - b, 0
    state[1] = i


if sys.platform == "esp32":
    timer = Timer(0, freq=RATE, callback=sample)  # a hardware timer
elif sys.platform == "rp2":
    timer = Timer(freq=RATE, callback=sample, hard=True)
else:
    timer = Timer(4, freq=RATE, callback=sample)  # pyboard: TIM4
print("listening: say yes or no")
while True:
    ready = state[2]
    if ready < 0:
        continue
    state[2] = -1
    found = spotter.feed(bufs[ready])
    if found is not None:
        label, score, ms = found
        print("%-3s %.2f at %.1f s (%d buffers dropped)" % (label, score, ms / 1000, state[3]))
        LED.value(1 if label == "yes" else 0)
