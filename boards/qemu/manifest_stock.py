# Frozen into the emulated boards' stock firmware (no tinyml inside, to load the native module
# into, as a user of stock firmware does): the RAM disk helper only.
module("ramfs.py")
