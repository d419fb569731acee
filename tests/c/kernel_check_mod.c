/* Native module runner of kernel_check.c (tests/c/natmod/Makefile -> kernel_check.mpy), so
 * that the fast kernels are compared with the reference kernels inside each emulated core,
 * compiled as in tinyml.mpy:
 *
 *   import kernel_check
 *   ok, compared, message = kernel_check.run(seed, cases)
 *
 * `compared` is g_checked (cases whose shapes fitted the buffers); `message` describes the
 * first difference, or is empty. The same seed gives the same cases as the host runner. */
#include "py/dynruntime.h"
#include <string.h>
#include "kernel_check.h"

/* Natmods link no libc: memset, memcpy and memmove (called by the checker, and by the
 * compiler for loops it recognizes in the kernels built with -O2/-O3) go to MicroPython's
 * own, as in tinyml.mpy (native_modules/micropython/tinyml_mp.c). */
#if TML_MP_LINKS_LIBC
/* rv32imc links picolibc's libc.a (LINK_RUNTIME): it has them all. */
#else
void *memset(void *s, int c, size_t n) {
    return mp_fun_table.memset_(s, c, n);
}
void *memcpy(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}
void *memmove(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}
#endif

#define MSG_LEN 160

/* Appends s to the message at *at, keeping room for the terminating zero. */
static void put(char *msg, int32_t *at, const char *s) {
    while (*s && *at < MSG_LEN - 1) {
        msg[(*at)++] = *s++;
    }
    msg[*at] = 0;
}

static void put_int(char *msg, int32_t *at, int64_t v) {
    char digits[24];
    int32_t n = 0;
    const int neg = v < 0;
    uint32_t u = (uint32_t)(neg ? -v : v); /* v is an int32_t or a uint32_t */
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    char text[26];
    int32_t t = 0;
    if (neg) {
        text[t++] = '-';
    }
    while (n) {
        text[t++] = digits[--n];
    }
    text[t] = 0;
    put(msg, at, text);
}

/* The host runner's text (kernel_check_main.c), without printf. */
void tml_check_message(char *msg, const char *what, uint32_t seed, int32_t case_no,
                       int32_t index, int32_t want, int32_t got) {
    int32_t at = 0;
    msg[0] = 0;
    put(msg, &at, what);
    put(msg, &at, ": seed ");
    put_int(msg, &at, seed);
    put(msg, &at, " case ");
    put_int(msg, &at, case_no);
    put(msg, &at, " index ");
    put_int(msg, &at, index);
    put(msg, &at, ": reference ");
    put_int(msg, &at, want);
    put(msg, &at, ", fast ");
    put_int(msg, &at, got);
}

/* run(seed, cases) -> (ok, compared, message) */
static mp_obj_t run(mp_obj_t seed_obj, mp_obj_t cases_obj) {
    char msg[MSG_LEN];
    const uint32_t seed = (uint32_t)mp_obj_get_int_truncated(seed_obj);
    const int32_t cases = (int32_t)mp_obj_get_int(cases_obj);
    const int bad = tml_kernel_check(seed, cases, msg);
    size_t len = 0; /* bounded, so that the compiler does not make it a call to strlen */
    while (len < MSG_LEN && msg[len]) {
        len++;
    }
    mp_obj_t items[3] = {mp_obj_new_bool(!bad), mp_obj_new_int(g_checked),
                         mp_obj_new_str(msg, len)};
    return mp_obj_new_tuple(3, items);
}
static MP_DEFINE_CONST_FUN_OBJ_2(run_obj, run);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_run, MP_OBJ_FROM_PTR(&run_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
