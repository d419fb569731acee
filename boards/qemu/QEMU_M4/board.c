/* Cortex-M4F/M7 boards: the qemu port's startup code does not enable the FPU, and code built
 * for a hardware FPU faults on its first floating-point instruction without it. The link
 * wraps main (-Wl,--wrap=main): CP10 and CP11 get full access first. */
#include <stdint.h>

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

int __real_main(int argc, char **argv);

int __wrap_main(int argc, char **argv) {
    SCB_CPACR |= (0xFu << 20);
    __asm volatile ("dsb\n isb" ::: "memory");
    return __real_main(argc, argv);
}
