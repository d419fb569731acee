"""tinyml.audio: sound to features on the board, as TensorFlow's audio_microfrontend op computes
them (docs/audio.md), bit-exact. A Frontend takes int16 samples in buffers of any length and
keeps the last `frames` frames of features in a ring; nothing is allocated per call.

    fe = Frontend()                     # micro_speech's: 16 kHz, 30 ms window, 20 ms step, 40
    buf = array("h", bytes(2 * 320))    # 20 ms of a microphone
    while True:
        mic.readinto(buf)
        if fe.feed(buf):                 # a new frame
            fe.window(x)                 # the last 49 frames, oldest first
"""

from array import array

try:
    from _tinyml import FE_FIELDS
    from _tinyml import Frontend as _Frontend
except ImportError:  # bare-metal firmware and the native modules leave it out (tml_config.h)
    raise ImportError("this build of tinyml has no audio front-end (docs/audio.md)") from None

FIELDS = tuple(FE_FIELDS.split())


class Frontend:
    """The front-end with micro_speech's configuration, changed by keyword settings named as
    TensorFlow's op names its attributes (FIELDS: sample_rate, window_size, window_step,
    num_channels, upper_band_limit, lower_band_limit, smoothing_bits, even_smoothing,
    odd_smoothing, min_signal_remaining, enable_pcan, pcan_strength, pcan_offset, gain_bits,
    enable_log, scale_shift); `frames` rows of features are kept."""

    def __init__(self, frames=49, **settings):
        pairs = []
        for name in settings:
            if name not in FIELDS:
                raise TypeError("unknown front-end setting %r" % name)
            value = settings[name]
            if isinstance(value, bool):
                value = int(value)
            pairs.append((FIELDS.index(name), value))
        if frames < 1:
            raise ValueError("frames must be at least 1")
        self._fe = _Frontend(tuple(pairs))
        self.channels = self._fe.channels()
        self.frames = frames
        self.features = array("H", bytes(2 * frames * self.channels))  # a ring of rows
        self.count = 0  # frames made since the start (or reset)
        self._pos = 0  # the row the next frame goes to

    def feed(self, samples):
        """Take int16 samples (array('h'), or bytes of int16 little-endian); return how many
        frames they completed."""
        made, self._pos = self._fe.feed(samples, self.features, self._pos)
        self.count += made
        return made

    def window(self, out=None):
        """The last `frames` frames, oldest first, frames x channels values (array('H')): into
        `out` when given (no allocation), else a new array. Frames not made yet are zeros."""
        n = self.frames * self.channels
        if out is None:
            out = array("H", bytes(2 * n))
        elif len(out) != n:
            raise ValueError("out must hold %d values" % n)
        split = self._pos * self.channels
        out[: n - split] = self.features[split:]
        out[n - split:] = self.features[:split]
        return out

    def reset(self):
        """Forget the samples held and the noise estimates; clear the frames."""
        self._fe.reset()
        for i in range(len(self.features)):
            self.features[i] = 0
        self.count = 0
        self._pos = 0
