# tinyml's Raspberry Pi Pico (mpconfigboard.h): the chip and pins of MicroPython's RPI_PICO, and
# the filesystem size of the host tools (tinyml_tools.boards.fsimage.LAYOUTS["pico"]), which
# scripts/build_rp2.sh passes in.
set(PICO_BOARD "pico")
set(PICO_PLATFORM "rp2040")
set(GEN_PINS_BOARD_CSV ${MICROPY_PORT_DIR}/boards/RPI_PICO/pins.csv)
set(GEN_PINS_CSV_ARG --board-csv ${GEN_PINS_BOARD_CSV})
if(NOT DEFINED TINYML_FLASH_STORAGE_BYTES)
    message(FATAL_ERROR "TINYML_FLASH_STORAGE_BYTES is not set: build with scripts/build_rp2.sh")
endif()
list(APPEND MICROPY_DEF_BOARD MICROPY_HW_FLASH_STORAGE_BYTES=${TINYML_FLASH_STORAGE_BYTES})
