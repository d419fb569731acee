# Frozen into the emulated boards' tinyml firmware: the device API and the RAM disk helper.
include("../../device/manifest.py")
module("ramfs.py")
