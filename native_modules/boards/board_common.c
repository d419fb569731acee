/* What every emulated board adds to the qemu port. */
#include <stdint.h>

/* littlefs stamps files with the time; the emulated boards have no real-time clock (ramfs.py
 * mounts with mtime=False, so this is only linked, never meaningfully read). */
uint64_t mp_hal_time_ns(void) {
    return 0;
}
