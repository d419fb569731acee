# Frozen into the stock rp2 firmware (build/rp2/RPI_PICO-stock, no tinyml inside, to install the
# armv6m .mpy on): the port's own manifest (ports/rp2/boards/manifest.py) without its require()
# lines, as micropython-lib is not available offline. $(PORT_DIR)/modules holds _boot.py, which
# mounts the flash filesystem.
freeze("$(PORT_DIR)/modules")
include("$(MPY_DIR)/extmod/asyncio")
