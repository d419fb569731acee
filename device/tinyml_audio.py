"""tinyml.audio: sound to labels on the board (docs/audio.md).

A Frontend computes the features TensorFlow's audio_microfrontend op computes, bit-exact: it
takes int16 samples in buffers of any length and keeps the last `frames` frames in a ring;
nothing is allocated per call. A KeywordSpotter runs a keyword model over a Frontend's window
every few strides and turns its smoothed scores into detections, as TensorFlow Lite Micro's
RecognizeCommands does. Its input is anything with readinto(): machine.I2S on a board, or a
WavReader over a file.

    net = tinyml.load("micro_speech.bin")
    ks = KeywordSpotter(net)
    for label, score, ms in ks.run(WavReader("stream.wav")):
        print(label, score, ms)
"""

from array import array

try:
    from _tinyml import FE_FIELDS, MFCC_FIELDS
    from _tinyml import Frontend as _Frontend
    from _tinyml import Mfcc as _Mfcc
except ImportError:  # stock firmware: the front-ends' own native module, if installed
    try:
        from _tinyml_fe import FE_FIELDS, MFCC_FIELDS
        from _tinyml_fe import Frontend as _Frontend
        from _tinyml_fe import Mfcc as _Mfcc
    except ImportError:
        raise ImportError("this build of tinyml has no audio front-end: install _tinyml_fe.mpy "
                          "(tinyml install --frontends; docs/audio.md)") from None

FIELDS = tuple(FE_FIELDS.split())
MFCC_SETTINGS = tuple(MFCC_FIELDS.split())


def _pairs(settings, names, what):
    """Keyword settings as the binding takes them: (index in names, value) pairs."""
    pairs = []
    for name in settings:
        if name not in names:
            raise TypeError("unknown %s setting %r" % (what, name))
        value = settings[name]
        if isinstance(value, bool):
            value = int(value)
        pairs.append((names.index(name), value))
    return tuple(pairs)


class Frontend:
    """The front-end with micro_speech's configuration, changed by keyword settings named as
    TensorFlow's op names its attributes (FIELDS: sample_rate, window_size, window_step,
    num_channels, upper_band_limit, lower_band_limit, smoothing_bits, even_smoothing,
    odd_smoothing, min_signal_remaining, enable_pcan, pcan_strength, pcan_offset, gain_bits,
    enable_log, scale_shift); `frames` rows of features are kept: uint16 (array('H')), or with
    int8=True the int8 inputs micro_speech-style models take (array('b'): round(v * 256 / 666)
    - 128, as TensorFlow Lite Micro's example quantizes them)."""

    def __init__(self, frames=49, int8=False, **settings):
        pairs = _pairs(settings, FIELDS, "front-end")
        if frames < 1:
            raise ValueError("frames must be at least 1")
        self._fe = _Frontend(pairs)
        self.channels = self._fe.channels()
        self.frames = frames
        self.int8 = bool(int8)
        self.rate = self._setting(settings, "sample_rate", 16000)
        self.window_ms = self._setting(settings, "window_size", 30)
        self.step_ms = self._setting(settings, "window_step", 20)
        size = 1 if self.int8 else 2
        self.features = array("b" if self.int8 else "H", bytes(size * frames * self.channels))
        self.count = 0  # frames made since the start (or reset)
        self._pos = 0  # the row the next frame goes to

    @staticmethod
    def _setting(settings, name, default):
        return int(settings[name]) if name in settings else default

    @property
    def step(self):
        """Samples per stride."""
        return self.rate * self.step_ms // 1000

    def feed(self, samples):
        """Take int16 samples (array('h'), or bytes of int16 little-endian); return how many
        frames they completed."""
        made, self._pos = self._fe.feed(samples, self.features, self._pos)
        self.count += made
        return made

    def window(self, out=None):
        """The last `frames` frames, oldest first, frames x channels values (array('H'), or
        array('b') for int8): into `out` when given (no allocation), else a new array. Frames
        not made yet are zeros."""
        n = self.frames * self.channels
        if out is None:
            out = array("b" if self.int8 else "H", bytes(self.features))
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


class Mfcc:
    """The MFCC features of the MLPerf Tiny KWS model (models/kws): int8, `frames` frames of
    `channels` coefficients, within one code of TensorFlow's float tf.signal pipeline that the
    model was trained on. Settings are tf.signal's names, in samples (MFCC_SETTINGS:
    sample_rate, frame_length, frame_step, fft_length, num_mel_bins, lower_edge_hz,
    upper_edge_hz, log_offset, num_coefficients, scale, zero_point); the defaults are the
    model's. That pipeline divides each clip by its peak sample: the window here is divided by
    the peak of every sample from its oldest frame's start to the latest one fed, so a whole
    clip fed at once gives the clip's features. Same interface as Frontend (feed, window,
    reset, count), so a KeywordSpotter takes either."""

    int8 = True

    def __init__(self, frames=49, **settings):
        if not 1 <= frames <= 1024:
            raise ValueError("frames must be 1..1024")
        self._mf = _Mfcc(frames, _pairs(settings, MFCC_SETTINGS, "MFCC"))
        self.channels = self._mf.coefficients()
        self.frames = frames
        self.rate = int(settings.get("sample_rate", 16000))
        length = int(settings.get("frame_length", 480))
        self.step = int(settings.get("frame_step", 320))  # samples per stride
        self.window_ms = length * 1000 // self.rate
        self.step_ms = self.step * 1000 // self.rate
        self.count = 0  # frames made since the start (or reset)

    def feed(self, samples):
        """Take int16 samples (array('h'), or bytes of int16 little-endian); return how many
        frames they completed."""
        made = self._mf.feed(samples)
        self.count += made
        return made

    def window(self, out=None):
        """The last `frames` frames' features, oldest first (array('b')): into `out` when given
        (no allocation), else a new array. Frames not made yet are digital silence."""
        if out is None:
            out = array("b", bytes(self.frames * self.channels))
        self._mf.window(out)
        return out

    def peak(self):
        """The sample the window is divided by (0 before any sample)."""
        return self._mf.peak()

    def reset(self):
        """Forget every sample."""
        self._mf.reset()
        self.count = 0


class WavReader:
    """A WAV file's int16 samples through readinto(buf), as a microphone gives them: PCM, 16
    bits, one channel. `rate` is its sample rate, `frames` its samples. Reading stops at the
    end of the data chunk (readinto returns 0)."""

    def __init__(self, f):
        self._own = isinstance(f, str)
        self._f = open(f, "rb") if self._own else f
        try:
            self._header()
        except Exception:
            self.close()
            raise

    def _header(self):
        f = self._f
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError("not a WAV file (no RIFF/WAVE header)")
        fmt = None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                raise ValueError("WAV file has no data chunk")
            size = chunk[4] | chunk[5] << 8 | chunk[6] << 16 | chunk[7] << 24
            if chunk[:4] == b"fmt ":
                fmt = f.read(size + (size & 1))
                if len(fmt) < 16:
                    raise ValueError("WAV fmt chunk too short")
            elif chunk[:4] == b"data":
                break
            else:
                f.read(size + (size & 1))  # a chunk this reader does not need (LIST, fact)
        if fmt is None:
            raise ValueError("WAV file has no fmt chunk before its data")
        kind = fmt[0] | fmt[1] << 8
        channels = fmt[2] | fmt[3] << 8
        bits = fmt[14] | fmt[15] << 8
        if kind not in (1, 0xFFFE) or bits != 16 or channels != 1:
            raise ValueError("WAV must be PCM, 16-bit, mono (this one: format %d, %d-bit, %d "
                             "channels)" % (kind, bits, channels))
        self.rate = fmt[4] | fmt[5] << 8 | fmt[6] << 16 | fmt[7] << 24
        self._left = size & ~1
        self.frames = self._left // 2

    def readinto(self, buf):
        """Fill buf (a bytearray, or array('h')) with the next samples; return the bytes read,
        0 at the end."""
        size = _item_size(buf)
        n = min(len(buf) * size, self._left) // size
        if n <= 0:
            return 0
        got = self._f.readinto(memoryview(buf)[:n]) or 0
        self._left -= got
        return got

    def close(self):
        if self._own:
            self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()



class KeywordSpotter:
    """Keywords from a stream of samples. Every `every` strides it runs `net` on the front-end's
    window, averages the model's scores over the last `average_ms` (at least `min_count`
    results), and reports a detection when the label with the highest average scores at least
    `threshold` (0..1), more than `suppression_ms` after the last detection, and another label
    has led the average since that one (so one word is one detection, and the same word said
    twice is two), as TensorFlow Lite Micro's RecognizeCommands does. Labels in `ignore`
    (silence, unknown) are never reported and do not suppress. A detection is
    (label, score, ms): ms is when the label first led the model's scores in the averaging
    window, counted from the stream's first sample.

    The front-end defaults to micro_speech's with int8 features; `net` must take its window
    (frames x channels int8 values) and give one score per label."""

    def __init__(self, net, frontend=None, every=1, average_ms=200, threshold=0.65,
                 suppression_ms=1500, min_count=3,
                 ignore=("silence", "_silence_", "unknown", "_unknown_")):
        fe = Frontend(int8=True) if frontend is None else frontend
        size = fe.frames * fe.channels
        if _count(net.input_shape) != size:
            raise ValueError("the model takes %d inputs; the front-end's window holds %d"
                             % (_count(net.input_shape), size))
        if every < 1 or min_count < 1 or average_ms < 1:
            raise ValueError("every, min_count and average_ms must be at least 1")
        self.net, self.frontend = net, fe
        n = _count(net.output_shape)
        self.labels = tuple(net.labels) if net.labels else tuple(str(i) for i in range(n))
        if len(self.labels) != n:
            raise ValueError("the model has %d scores but %d labels" % (n, len(self.labels)))
        self.every, self.average_ms, self.threshold = every, average_ms, threshold
        self.suppression_ms, self.min_count = suppression_ms, min_count
        self._ignore = tuple(i for i in range(n) if self.labels[i] in ignore)
        self._n = n
        self._scale, self._zero = net.output_quant
        self._x = fe.window()
        self._out = bytearray(n)
        cap = average_ms // (fe.step_ms * every) + 2  # results an averaging window can hold
        self._cap = cap
        self._scores = array("b", bytes(cap * n))  # a ring of the model's raw outputs
        self._times = array("i", bytes(4 * cap))
        self._sums = array("i", bytes(4 * n))
        self.reset()

    def reset(self):
        """Forget the stream: the front-end's samples, the scores, the last detection."""
        self.frontend.reset()
        self._first = 0  # ring index of the oldest result
        self._held = 0  # results in the averaging window
        for i in range(self._n):
            self._sums[i] = 0
        self._last = -1  # the label last detected, and when
        self._last_ms = 0
        self._armed = True
        self.results = 0  # model runs so far

    def time_ms(self):
        """The stream time of the front-end's latest frame: the end of its window."""
        fe = self.frontend
        return fe.window_ms + (fe.count - 1) * fe.step_ms

    def feed(self, samples):
        """Feed int16 samples (array('h') or bytes); return the last detection they brought,
        (label, score, ms), or None."""
        return self._feed(memoryview(samples), self.frontend.step * (2 // _item_size(samples)))

    def _feed(self, mv, step):
        # mv: the samples, step: the items of mv in one stride of the front-end
        fe = self.frontend
        found = None
        for i in range(0, len(mv), step):
            # The model runs once the window holds whole frames only (a second of sound for
            # micro_speech), then every `every` strides.
            if fe.feed(mv[i:i + step]) and fe.count >= fe.frames and fe.count % self.every == 0:
                d = self._result()
                if d is not None:
                    found = d
        return found

    def run(self, source, buf=None, on_detect=None):
        """Read source (anything with readinto: machine.I2S, a WavReader) until it returns 0
        and feed it through; call on_detect(label, score, ms) for each detection, or return
        them all in a list."""
        if buf is None:
            buf = array("h", bytes(2 * self.frontend.step))
        size = _item_size(buf)
        mv = memoryview(buf)
        found = []
        while True:
            got = source.readinto(buf)
            if not got:
                return found
            d = self._feed(mv[: got // size], self.frontend.step * (2 // size))
            if d is not None:
                if on_detect is None:
                    found.append(d)
                else:
                    on_detect(*d)

    def _result(self):
        fe, n, cap = self.frontend, self._n, self._cap
        fe.window(self._x)
        out = self._out
        self.net.predict_into(self._x, out)
        self.results += 1
        now = self.time_ms()
        sums, scores, times = self._sums, self._scores, self._times
        # Drop the results older than the averaging window, then add this one.
        while self._held and (now - times[self._first] >= self.average_ms
                              or self._held == cap):
            k = self._first * n
            for j in range(n):
                sums[j] -= scores[k + j]
            self._first = (self._first + 1) % cap
            self._held -= 1
        at = (self._first + self._held) % cap
        k = at * n
        for j in range(n):
            v = out[j] - 256 if out[j] > 127 else out[j]
            scores[k + j] = v
            sums[j] += v
        times[at] = now
        self._held += 1
        if self._held < self.min_count:
            return None
        top = 0
        for j in range(1, n):
            if sums[j] > sums[top]:
                top = j
        score = (sums[top] / self._held - self._zero) * self._scale
        if top != self._last:
            self._armed = True  # another label led since the last detection: a new word
        if (score < self.threshold or top in self._ignore or not self._armed
                or (self._last >= 0 and now - self._last_ms <= self.suppression_ms)):
            return None
        self._last, self._last_ms, self._armed = top, now, False
        return (self.labels[top], score, self._onset(top))

    def _onset(self, label):
        """The time of the earliest result in the window that ranked label first."""
        n, cap, scores = self._n, self._cap, self._scores
        for i in range(self._held):
            at = (self._first + i) % cap
            k = at * n
            best = 0
            for j in range(1, n):
                if scores[k + j] > scores[k + best]:
                    best = j
            if best == label:
                return self._times[at]
        return self.time_ms()


def _item_size(buf):
    """Bytes per item of a sample buffer: an array is taken as int16 (array('h')), anything
    else as bytes. (MicroPython's arrays do not say their typecode.)"""
    return 2 if isinstance(buf, array) else 1


def _count(shape):
    n = 1
    for d in shape:
        n *= d
    return n
