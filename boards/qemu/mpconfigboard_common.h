/* What every emulated board adds to the qemu port's configuration, as a real board has it.
 * The port sets these options without #ifndef, so each board's mpconfigboard.mk points
 * MP_CONFIGFILE here: the port's file first, then the overrides. */
#include "mpconfigport.h"

/* select.poll on stdin and sys.stdin.buffer: what `mpremote mount` runs on the board
 * (board_common.c polls the UART and keeps time for the poll timeout). */
#undef MICROPY_PY_SELECT
#define MICROPY_PY_SELECT (1)
#undef MICROPY_PY_SYS_STDIO_BUFFER
#define MICROPY_PY_SYS_STDIO_BUFFER (1)

/* A writable ROMFS partition (board_common.c), so `mpremote romfs deploy` works and a model in
 * /rom is used in place, without a copy into the heap. It is mounted at every (soft) reset, as
 * the stm32 and rp2 ports do. */
#undef MICROPY_VFS_ROM_IOCTL
#define MICROPY_VFS_ROM_IOCTL (1)
#define MICROPY_PORT_INIT_FUNC do { \
        int mp_vfs_mount_romfs_protected(void); \
        mp_vfs_mount_romfs_protected(); \
} while (0)
