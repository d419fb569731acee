"""tinyml_motion: features of accelerometer and gyroscope streams (docs/motion.md).

A Motion takes int16 frames of `axes` samples (x0 y0 z0 x1 y1 z1 ...) in buffers of any number
of frames and computes, over a window of `window` frames moved by `hop`, per axis: the mean,
standard deviation, minimum, maximum and RMS, and the energies of `bands` DFT bands. Every
value is an integer, defined exactly in docs/motion.md; nothing is allocated per call.

    m = Motion(axes=6, window=100, hop=50, bands=4)
    if m.feed(frames):
        row = m.latest()            # array('i'), m.size values, named by m.names
"""

from array import array

try:
    from _tinyml import MO_FIELDS
    from _tinyml import Motion as _Motion
except ImportError:  # stock firmware: the front-ends' own native module, if installed
    try:
        from _tinyml_fe import MO_FIELDS
        from _tinyml_fe import Motion as _Motion
    except ImportError:
        raise ImportError("this build of tinyml has no motion front-end: install _tinyml_fe.mpy "
                          "(tinyml install --frontends; docs/motion.md)") from None

FIELDS = tuple(MO_FIELDS.split())
# The statistics in their order in each axis's features, as bits of the `stats` setting.
STATS = ("mean", "std", "min", "max", "rms")
# Axis names by axis count: an accelerometer, plus a gyroscope, plus a magnetometer.
AXIS_NAMES = {1: ("x",), 2: ("x", "y"), 3: ("x", "y", "z"),
              6: ("ax", "ay", "az", "gx", "gy", "gz"),
              9: ("ax", "ay", "az", "gx", "gy", "gz", "mx", "my", "mz")}


def _stats_mask(stats):
    if isinstance(stats, int):
        return stats
    mask = 0
    for name in stats:
        if name not in STATS:
            raise ValueError("unknown statistic %r (one of %s)" % (name, ", ".join(STATS)))
        mask |= 1 << STATS.index(name)
    return mask


class Motion:
    """Windowed features of `axes` interleaved int16 streams: a window of `window` frames
    every `hop` frames; per axis the statistics `stats` (names from STATS, or a bit mask) then
    `bands` band energies, equal-width over DFT bins band_lo..band_hi (band_hi=0: window // 2)
    unless `edges` gives the bands' bin edges (bands + 1 of them). hann=False leaves out the
    Hann window before the DFT. The last `rows` windows' features are kept in `features`, an
    array('i') ring; `names` names each value of a row ("x_mean", ..., "z_band3")."""

    def __init__(self, axes=3, window=64, hop=32, bands=None, rows=1, axis_names=None,
                 **settings):
        if "edges" in settings:
            edges = settings["edges"]
            if not isinstance(edges, (tuple, list)):
                raise TypeError("edges must be a sequence of at most 17 ints")
            if bands is None:
                bands = len(edges) - 1
            elif bands != len(edges) - 1:
                raise ValueError("edges must hold bands + 1 bins")
        if bands is None:
            bands = 4
        if rows < 1:
            raise ValueError("rows must be at least 1")
        values = {"axes": axes, "window": window, "hop": hop, "bands": bands}
        for name in settings:
            if name not in FIELDS:
                raise TypeError("unknown motion setting %r" % name)
            value = settings[name]
            if name == "stats":
                value = _stats_mask(value)
            elif isinstance(value, bool):
                value = int(value)
            values[name] = value
        self._mo = _Motion(tuple((FIELDS.index(k), values[k]) for k in values))
        self.axes, self.length, self.hop, self.bands, self.rows = axes, window, hop, bands, rows
        self.size = self._mo.features()  # features per window
        mask = values.get("stats", 31)
        stats = [s for i, s in enumerate(STATS) if mask >> i & 1]
        stats += ["band%d" % b for b in range(bands)]
        if axis_names is None:
            axis_names = AXIS_NAMES.get(axes) or tuple("a%d" % i for i in range(axes))
        if len(axis_names) != axes:
            raise ValueError("axis_names must name the %d axes" % axes)
        self.names = tuple("%s_%s" % (a, s) for a in axis_names for s in stats)
        self.features = array("i", bytes(4 * rows * self.size))
        self.count = 0  # windows made since the start (or reset)
        self._pos = 0  # the row the next window goes to

    def feed(self, samples):
        """Take whole frames of int16 samples (array('h'), or bytes of int16 little-endian),
        the axes interleaved; return how many windows they completed."""
        made, self._pos = self._mo.feed(samples, self.features, self._pos)
        self.count += made
        return made

    def latest(self, out=None):
        """The newest window's features (zeros before the first): into `out`, an array('i')
        of `size` values, when given (no allocation), else a new array."""
        n = self.size
        if out is None:
            out = array("i", bytes(4 * n))
        elif len(out) != n:
            raise ValueError("out must hold %d values" % n)
        at = ((self._pos - 1) % self.rows) * n
        out[:] = self.features[at:at + n]
        return out

    def window(self, out=None):
        """The last `rows` windows' features, oldest first, rows x size values: into `out`
        when given (no allocation), else a new array. Windows not made yet are zeros."""
        n = self.rows * self.size
        if out is None:
            out = array("i", bytes(4 * n))
        elif len(out) != n:
            raise ValueError("out must hold %d values" % n)
        split = self._pos * self.size
        out[: n - split] = self.features[split:]
        out[n - split:] = self.features[:split]
        return out

    def reset(self):
        """Forget the frames held; clear the features."""
        self._mo.reset()
        for i in range(len(self.features)):
            self.features[i] = 0
        self.count = 0
        self._pos = 0
