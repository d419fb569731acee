"""Motion features from an MPU-6050 on the board (docs/motion.md): the accelerometer and the
gyroscope at 100 Hz through tinyml_motion, and, when a model gesture.bin is on the board, a
gesture or activity label for every window.

Wiring (the sensor at I2C address 0x68, AD0 low; 3.3 V and GND):
    Raspberry Pi Pico   I2C(0)  SDA GP4 (pin 6)   SCL GP5 (pin 7)
    ESP32 DevKit        I2C(0)  SDA GPIO21        SCL GPIO22
Then:  mpremote run examples/gesture_imu.py   (copy gesture.bin first to classify).

The model takes a window's features (Motion.size values) as floats, as tinyml_motion makes
them on the PC too (the host simulator's are bit-exact with the board's): record streams, make
their features there, and train on those.
"""

import os
import sys
import time
from array import array

import tinyml_motion
from machine import I2C, Pin

ADDR = 0x68
RATE_HZ = 100
BATCH = 10  # frames per feed (0.1 s): fewer Python calls than one per frame
AXES = 6  # ax ay az gx gy gz
# Byte offsets of the six values in the 14 bytes from ACCEL_XOUT_H (the temperature skipped).
OFFSETS = (0, 2, 4, 8, 10, 12)


def i2c_bus():
    if sys.platform == "rp2":
        return I2C(0, sda=Pin(4), scl=Pin(5), freq=400000)
    if sys.platform == "esp32":
        return I2C(0, sda=Pin(21), scl=Pin(22), freq=400000)
    raise OSError("set the I2C pins of this board (%s) in i2c_bus()" % sys.platform)


i2c = i2c_bus()
i2c.writeto_mem(ADDR, 0x6B, b"\x00")  # PWR_MGMT_1: out of sleep
i2c.writeto_mem(ADDR, 0x1A, b"\x03")  # CONFIG: 44 Hz low-pass filter, gyroscope at 1 kHz
i2c.writeto_mem(ADDR, 0x19, b"\x09")  # SMPLRT_DIV: 1 kHz / (1 + 9) = 100 Hz
i2c.writeto_mem(ADDR, 0x1B, b"\x00")  # GYRO_CONFIG: +-250 deg/s, 131 LSB per deg/s
i2c.writeto_mem(ADDR, 0x1C, b"\x00")  # ACCEL_CONFIG: +-2 g, 16384 LSB per g

# 1 s windows every 0.5 s; 4 bands over 1..50 Hz (bins 1..50 of a 100-frame window at 100 Hz)
motion = tinyml_motion.Motion(axes=AXES, window=100, hop=50, bands=4)
raw = bytearray(14)
frames = array("h", bytes(2 * AXES * BATCH))
row = array("i", bytes(4 * motion.size))

net = None
try:
    os.stat("gesture.bin")
except OSError:
    print("no gesture.bin: printing the features")
else:
    import tinyml

    net = tinyml.load("gesture.bin")
    n = 1
    for d in net.input_shape:
        n *= d
    if n != motion.size:
        raise ValueError("gesture.bin takes %d inputs; a window has %d features"
                         % (n, motion.size))
    x = array("f", bytes(4 * motion.size))


def read_frame(at):
    """One frame into frames[at .. at + 6): the registers are big-endian int16."""
    i2c.readfrom_mem_into(ADDR, 0x3B, raw)
    for j in range(AXES):
        k = OFFSETS[j]
        v = raw[k] << 8 | raw[k + 1]
        frames[at + j] = v - 65536 if v > 32767 else v


period = 1000000 // RATE_HZ
due = time.ticks_us()
while True:
    for f in range(BATCH):
        # Paced by the clock, not by sleeping a period: the reads' own time does not add up.
        due = time.ticks_add(due, period)
        wait = time.ticks_diff(due, time.ticks_us())
        if wait > 0:
            time.sleep_us(wait)
        read_frame(AXES * f)
    if motion.feed(frames):
        motion.latest(row)
        if net is None:
            names = motion.names
            print(" ".join("%s=%d" % (names[i], row[i]) for i in range(motion.size)))
        else:
            for i in range(motion.size):
                x[i] = row[i]
            label, score = net.classify(x)
            print("%s %.2f" % (label, score))
