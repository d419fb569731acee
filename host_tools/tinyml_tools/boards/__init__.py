"""Where tinyml runs and how it gets there: the boards by name and how to reach them (devices:
the host simulator, the unix port, QEMU, the emulated Pico, a serial port), benchmarks and
host/device comparison on them (bench), install/deploy/fs-image (deploy), and the images those
write (romfs: a ROMFS image; fsimage: a Pico's littlefs filesystem)."""
