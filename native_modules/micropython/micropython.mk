# Firmware build of tinyml as a MicroPython user C module (Make-based ports: unix, stm32,
# qemu, ...): make USER_C_MODULES=<repo>/native_modules ...
TINYML_MP_DIR := $(USERMOD_DIR)
TINYML_CORE := $(TINYML_MP_DIR)/../tinyml

SRC_USERMOD_C += $(TINYML_MP_DIR)/tinyml_mp.c
# The core has no qstrs: keep it out of the qstr scan.
SRC_USERMOD_LIB_C += $(wildcard $(TINYML_CORE)/src/*.c) $(wildcard $(TINYML_CORE)/src/kernels/*.c) \
	$(wildcard $(TINYML_CORE)/src/ops/*.c)
CFLAGS_USERMOD += -I$(TINYML_CORE)/include -I$(TINYML_CORE)/src -I$(TINYML_CORE)/src/kernels
# The kernels (src/kernels/*_s8.c) are compiled for speed even where the port builds for size
# (-Os): -O2 on microcontrollers, -O3 where the compiler vectorizes (x86-64 and AArch64 hosts).
TML_KERNEL_COPT ?= $(if $(filter x86_64% aarch64%,$(shell $(CC) -dumpmachine)),-O3,-O2)
$(BUILD)/%_s8.o: CFLAGS += $(TML_KERNEL_COPT)
