// tinyml's Raspberry Pi Pico: MicroPython's RPI_PICO board with a smaller filesystem, so that
// models fit in raw flash between the firmware and the filesystem (docs/boards.md). Its size
// comes from mpconfigboard.cmake.
#define MICROPY_HW_BOARD_NAME                   "Raspberry Pi Pico"
