# Firmware build of tinyml as a MicroPython user C module (Make-based ports: unix, stm32,
# qemu, ...): make USER_C_MODULES=<repo>/native_modules ...
TINYML_MP_DIR := $(USERMOD_DIR)
TINYML_CORE := $(TINYML_MP_DIR)/../tinyml

SRC_USERMOD_C += $(TINYML_MP_DIR)/tinyml_mp.c
# The core has no qstrs: keep it out of the qstr scan.
SRC_USERMOD_LIB_C += $(wildcard $(TINYML_CORE)/src/*.c) $(wildcard $(TINYML_CORE)/src/kernels/*.c) \
	$(wildcard $(TINYML_CORE)/src/ops/*.c) $(wildcard $(TINYML_CORE)/src/frontend/*.c) \
	$(wildcard $(TINYML_CORE)/src/motion/*.c)
# The binding's qstrs depend on the core's build switches (TML_HAS_FRONTEND, ...): a change
# there makes the port scan every source for qstrs again, not only the changed ones.
QSTR_GLOBAL_DEPENDENCIES += $(TINYML_CORE)/include/tml_config.h
CFLAGS_USERMOD += -I$(TINYML_CORE)/include -I$(TINYML_CORE)/src -I$(TINYML_CORE)/src/kernels \
	-I$(TINYML_CORE)/src/frontend -I$(TINYML_CORE)/src/motion
# The hot kernels (the multiply-accumulate loops) are compiled for speed even where the port
# builds for size (-Os): -O2 on microcontrollers, -O3 where the compiler vectorizes (x86-64
# and AArch64 hosts). The other files stay small.
TML_HOT_KERNELS := $(strip $(file < $(TINYML_CORE)/src/kernels/hot_kernels.txt))
TML_KERNEL_COPT ?= $(if $(filter x86_64% aarch64%,$(shell $(CC) -dumpmachine)),-O3,-O2)
$(foreach k,$(TML_HOT_KERNELS),$(eval %/kernels/$(k).o: CFLAGS += $$(TML_KERNEL_COPT)))
