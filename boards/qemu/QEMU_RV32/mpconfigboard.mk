# RV32IMAC on QEMU's riscv32 virt machine (run with -bios none), for tinyml firmware and the
# rv32imc native module (ESP32-C3/C6 class). Debian's GCC 12 has its rv32 multilib for
# rv32imac only, and the port's assembly needs zicsr, which the port's Makefile lets only the
# command line set: make -C <micropython>/ports/qemu BOARD_DIR=<this> RV32_ARCH=rv32imac
# CFLAGS_EXTRA=-march=rv32imac_zicsr AFLAGS="-mabi=ilp32 -march=rv32imac_zicsr"
QEMU_ARCH = riscv32
QEMU_MACHINE = virt

CFLAGS += -DQEMU_SOC_VIRT
CFLAGS += -DMICROPY_HW_MCU_NAME='"$(RV32_ARCH)"'

LDSCRIPT = mcu/rv32/virt.ld

SRC_BOARD_O += shared/runtime/gchelper_native.o shared/runtime/gchelper_rv32i.o

MPY_CROSS_FLAGS += -march=rv32imc

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
