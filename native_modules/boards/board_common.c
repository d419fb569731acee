/* What every emulated board adds to the qemu port, as a real board has it. */
#include <stdint.h>
#include "py/runtime.h"
#include "shared/runtime/interrupt_char.h"

/* littlefs stamps files with the time; the emulated boards have no real-time clock (ramfs.py
 * mounts with mtime=False, so this is only linked, never meaningfully read). */
uint64_t mp_hal_time_ns(void) {
    return 0;
}

/* Ctrl-C while Python runs: the port reads the UART only when it waits for input, so the VM
 * hook (MICROPY_VM_HOOK_LOOP, every 64th branch) polls it. A Ctrl-C schedules
 * KeyboardInterrupt; any other byte is kept for the REPL, which reads through the wrap of
 * uart_rx_chr (-Wl,--wrap=uart_rx_chr) so nothing typed ahead is lost. */
int __real_uart_rx_chr(void);

static uint8_t pending[256];
static uint8_t pending_head, pending_tail;

int __wrap_uart_rx_chr(void) {
    if (pending_head != pending_tail) {
        return pending[pending_tail++];
    }
    return __real_uart_rx_chr();
}

void tml_board_poll(void) {
    static unsigned int calls;
    if (++calls & 63u) {
        return;
    }
    const int c = __real_uart_rx_chr();
    if (c < 0) {
        return;
    }
    if (c == mp_interrupt_char) {
        mp_sched_keyboard_interrupt();
    } else if ((uint8_t)(pending_head + 1) != pending_tail) {
        pending[pending_head++] = (uint8_t)c;
    }
}
