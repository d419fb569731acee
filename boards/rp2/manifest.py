# Frozen into the rp2 firmware with tinyml compiled in: the stock content plus the device API,
# so that the two images differ by tinyml alone.
include("manifest_stock.py")
include("../../device/manifest.py")
