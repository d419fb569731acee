/* What every emulated board adds to the qemu port, as a real board has it: Ctrl-C while Python
 * runs, select on stdin (for `mpremote mount`), a millisecond clock, and a writable ROMFS
 * partition (for `mpremote romfs deploy`). */
#include <stdint.h>
#include <string.h>
#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/objarray.h"
#include "py/runtime.h"
#include "py/stream.h"
#include "extmod/vfs.h"
#include "shared/runtime/interrupt_char.h"

/* littlefs stamps files with the time; the emulated boards have no real-time clock (ramfs.py
 * mounts with mtime=False, so this is only linked, never meaningfully read). */
uint64_t mp_hal_time_ns(void) {
    return 0;
}

/* ---- Serial input ------------------------------------------------------------------------
 * The port reads the UART only when it waits for input, so the VM hook (MICROPY_VM_HOOK_LOOP,
 * every 64th branch) polls it. A Ctrl-C schedules KeyboardInterrupt; any other byte is kept
 * for the REPL, which reads through the wrap of uart_rx_chr (-Wl,--wrap=uart_rx_chr) so nothing
 * typed ahead is lost. select.poll asks through the wrap of the port's mp_hal_stdio_poll,
 * which always answers "nothing to read". */
int __real_uart_rx_chr(void);

static uint8_t pending[256];
static uint8_t pending_head, pending_tail;

int __wrap_uart_rx_chr(void) {
    if (pending_head != pending_tail) {
        return pending[pending_tail++];
    }
    return __real_uart_rx_chr();
}

/* Take one byte from the UART into the queue (or as Ctrl-C); false when none is waiting. */
static bool take_input(void) {
    const int c = __real_uart_rx_chr();
    if (c < 0) {
        return false;
    }
    if (c == mp_interrupt_char) {
        mp_sched_keyboard_interrupt();
    } else if ((uint8_t)(pending_head + 1) != pending_tail) {
        pending[pending_head++] = (uint8_t)c;
    }
    return true;
}

void tml_board_poll(void) {
    static unsigned int calls;
    if ((++calls & 63u) == 0) {
        take_input();
    }
}

uintptr_t __wrap_mp_hal_stdio_poll(uintptr_t poll_flags) {
    uintptr_t ready = poll_flags & MP_STREAM_POLL_WR;  /* the UART never refuses a byte */
    if (poll_flags & MP_STREAM_POLL_RD) {
        if (pending_head == pending_tail) {
            take_input();
        }
        if (pending_head != pending_tail) {
            ready |= MP_STREAM_POLL_RD;
        }
    }
    return ready;
}

/* ---- Milliseconds (select.poll's timeout) -----------------------------------------------
 * A free-running hardware counter, extended past its wrap: on MPS2 the CMSDK TIMER1 (25 MHz,
 * counting down; TIMER0 is left to `tinyml bench`), on RISC-V virt the CLINT's mtime (10 MHz).
 * Under -icount both follow the instruction count, so timeouts are deterministic too. */
#if defined(QEMU_SOC_MPS2)
#define TIMER1 ((volatile uint32_t *)0x40001000)  /* CTRL, VALUE, RELOAD */
#define TICKS_PER_MS 25000u
static uint32_t counter(void) {
    if (!(TIMER1[0] & 1u)) {
        TIMER1[2] = 0xFFFFFFFFu;
        TIMER1[1] = 0xFFFFFFFFu;
        TIMER1[0] = 1u;
    }
    return ~TIMER1[1];  /* counts up */
}
#elif defined(QEMU_SOC_VIRT)
#define TICKS_PER_MS 10000u
static uint32_t counter(void) {
    return *(volatile uint32_t *)0x0200BFF8;  /* low word of mtime */
}
#else
#error "board_common.c: unknown SoC"
#endif

mp_uint_t mp_hal_ticks_ms(void) {
    static uint32_t last, spare;  /* counter at the last call; ticks not yet a whole ms */
    static mp_uint_t ms;
    const uint32_t now = counter();
    const uint32_t ticks = spare + (now - last);  /* callers poll far more often than a wrap */
    last = now;
    ms += ticks / TICKS_PER_MS;
    spare = ticks % TICKS_PER_MS;
    return ms;
}

/* ---- ROMFS ---------------------------------------------------------------------------------
 * One partition of RAM standing in for flash: erased to 0xFF by WRITE_PREPARE, written by
 * WRITE, as mpremote's romfs deploy drives a real board's flash. It is zero (no filesystem) at
 * power-on and survives soft resets, where it is mounted at /rom. 512 KiB holds the largest
 * conformance model. */
#define ROMFS_SIZE (512u * 1024u)
static uint8_t romfs_part[ROMFS_SIZE] __attribute__((aligned(16)));
static MP_DEFINE_MEMORYVIEW_OBJ(romfs_obj, 'B', 0, ROMFS_SIZE, romfs_part);

mp_obj_t mp_vfs_rom_ioctl(size_t n_args, const mp_obj_t *args) {
    const mp_int_t cmd = mp_obj_get_int(args[0]);
    if (cmd == MP_VFS_ROM_IOCTL_GET_NUMBER_OF_SEGMENTS) {
        return MP_OBJ_NEW_SMALL_INT(1);
    }
    if (n_args < 2 || mp_obj_get_int(args[1]) != 0) {
        return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
    }
    switch (cmd) {
        case MP_VFS_ROM_IOCTL_GET_SEGMENT:
            return MP_OBJ_FROM_PTR(&romfs_obj);
        case MP_VFS_ROM_IOCTL_WRITE_PREPARE: {
            /* (3, id, len) erases from the start; (3, id, offset, len) a range */
            const mp_int_t offset = n_args >= 4 ? mp_obj_get_int(args[2]) : 0;
            const mp_int_t len = mp_obj_get_int(args[n_args >= 4 ? 3 : 2]);
            if (offset < 0 || len < 0 || (mp_uint_t)offset > ROMFS_SIZE ||
                (mp_uint_t)len > ROMFS_SIZE - (mp_uint_t)offset) {
                return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
            }
            memset(romfs_part + offset, 0xFF, (size_t)len);
            return MP_OBJ_NEW_SMALL_INT(4);  /* the smallest write */
        }
        case MP_VFS_ROM_IOCTL_WRITE: {
            if (n_args < 4) {
                return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
            }
            const mp_int_t offset = mp_obj_get_int(args[2]);
            mp_buffer_info_t buf;
            mp_get_buffer_raise(args[3], &buf, MP_BUFFER_READ);
            if (offset < 0 || (mp_uint_t)offset > ROMFS_SIZE ||
                buf.len > ROMFS_SIZE - (mp_uint_t)offset) {
                return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
            }
            /* flash programming only clears bits */
            uint8_t *dst = romfs_part + offset;
            const uint8_t *src = buf.buf;
            for (size_t i = 0; i < buf.len; i++) {
                dst[i] &= src[i];
            }
            return MP_OBJ_NEW_SMALL_INT(0);
        }
        case MP_VFS_ROM_IOCTL_WRITE_COMPLETE:
            return MP_OBJ_NEW_SMALL_INT(0);
        default:
            return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
    }
}
