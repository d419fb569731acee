# Cortex-M3 (no FPU) on QEMU's mps2-an385, for tinyml firmware and the armv7m (and armv6m)
# native modules. Build: make -C <micropython>/ports/qemu BOARD_DIR=<this>
QEMU_ARCH = arm
QEMU_MACHINE = mps2-an385

CFLAGS += -mthumb -mcpu=cortex-m3 -mfloat-abi=soft
CFLAGS += -DQEMU_SOC_MPS2
CFLAGS += -DMICROPY_HW_MCU_NAME='"Cortex-M3"'

LDSCRIPT = $(BOARD_DIR)/../mps2.ld

SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb2.o

MPY_CROSS_FLAGS += -march=armv7m

# A real board's room: 1 MB of heap (AD's 272 KB blob loads into RAM), and littlefs for a RAM
# disk (ramfs.py) that mpremote can copy files to.
MICROPY_HEAP_SIZE = 1048576
MICROPY_VFS_LFS2 = 1
SRC_C += $(BOARD_DIR)/../board_common.c
# Ctrl-C while Python runs (board_common.c).
CFLAGS += -DMICROPY_VM_HOOK_LOOP="{ void tml_board_poll(void); tml_board_poll(); }"
LDFLAGS += -Wl,--wrap=uart_rx_chr -Wl,--wrap=mp_hal_stdio_poll
# select, sys.stdin.buffer and ROMFS (mpconfigboard_common.h).
CFLAGS += -DMP_CONFIGFILE='"$(BOARD_DIR)/../mpconfigboard_common.h"'
