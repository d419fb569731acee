/* mo_check: runs the motion front-end (native_modules/tinyml/src/motion) over a file of raw
 * int16 little-endian frames (the axes interleaved) and prints the features of every window,
 * one window per line, the values separated by spaces, for tests/host/test_motion.py to
 * compare with its NumPy reference.
 *
 *   mo_check [options] frames.raw
 *     --axes N  --window N  --hop N  --stats MASK  --bands N  --band-lo BIN  --band-hi BIN
 *     --hann 0|1  --edges E0,E1,...   (the configuration; defaults tml_mo_config_default's)
 *     --chunk N     feed the frames N at a time (default: all at once)
 *   mo_check --tables    prints, for every window length n = 1..512, the lines
 *                        "cos n C[0] .. C[n-1]" and "sin n S[0] .. S[n-1]"
 *   mo_check --sizeof    prints sizeof(tml_mo_t)
 *
 * Exit status 0; 1 with a message on stderr for a bad argument or an unreadable file; 2 with
 * "init: <tml_mo_strerror>" on stderr when the configuration is refused.
 *
 * Build: gcc -std=c99 -Wall -Wextra -Werror -Inative_modules/tinyml/include
 *        -Inative_modules/tinyml/src/motion tests/c/mo_check.c
 *        native_modules/tinyml/src/motion/mo_*.c -o mo_check */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mo_motion.h"

static int parse_int(const char *s, int32_t *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < -2147483647L || v > 2147483647L) {
        return 0;
    }
    *out = (int32_t)v;
    return 1;
}

static int fail(const char *what, const char *detail) {
    fprintf(stderr, "mo_check: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

static int print_tables(void) {
    static int32_t c[TML_MO_MAX_WINDOW], s[TML_MO_MAX_WINDOW];
    for (int32_t n = 1; n <= TML_MO_MAX_WINDOW; n++) {
        tml_mo_twiddles(n, c, s);
        printf("cos %d", (int)n);
        for (int32_t m = 0; m < n; m++) {
            printf(" %d", (int)c[m]);
        }
        printf("\nsin %d", (int)n);
        for (int32_t m = 0; m < n; m++) {
            printf(" %d", (int)s[m]);
        }
        printf("\n");
    }
    return 0;
}

/* "E0,E1,..." into cfg->edges (unset edges stay 0). */
static int parse_edges(const char *v, tml_mo_config_t *cfg) {
    char buf[256];
    if (strlen(v) >= sizeof(buf)) {
        return 0;
    }
    strcpy(buf, v);
    int32_t j = 0;
    for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
        int32_t e;
        if (j > TML_MO_MAX_BANDS || !parse_int(tok, &e) || e < -32768 || e > 32767) {
            return 0;
        }
        cfg->edges[j++] = (int16_t)e;
    }
    return j > 0;
}

int main(int argc, char **argv) {
    static tml_mo_t mo;
    tml_mo_config_t cfg;
    tml_mo_config_default(&cfg);
    int32_t chunk = 0;
    const char *path = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--tables") == 0) {
            return print_tables();
        }
        if (strcmp(a, "--sizeof") == 0) {
            printf("%lu\n", (unsigned long)sizeof(tml_mo_t));
            return 0;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (path != NULL) {
                return fail("more than one input file", a);
            }
            path = a;
            continue;
        }
        if (i + 1 >= argc) {
            return fail("missing value after", a);
        }
        const char *v = argv[++i];
        if (strcmp(a, "--edges") == 0) {
            if (!parse_edges(v, &cfg)) {
                return fail("bad edges", v);
            }
            continue;
        }
        int32_t *dst = strcmp(a, "--axes") == 0      ? &cfg.axes
                       : strcmp(a, "--window") == 0  ? &cfg.window
                       : strcmp(a, "--hop") == 0     ? &cfg.hop
                       : strcmp(a, "--stats") == 0   ? &cfg.stats
                       : strcmp(a, "--bands") == 0   ? &cfg.bands
                       : strcmp(a, "--band-lo") == 0 ? &cfg.band_lo
                       : strcmp(a, "--band-hi") == 0 ? &cfg.band_hi
                       : strcmp(a, "--hann") == 0    ? &cfg.hann
                       : strcmp(a, "--chunk") == 0   ? &chunk
                                                     : NULL;
        if (dst == NULL) {
            return fail("unknown option", a);
        }
        if (!parse_int(v, dst)) {
            return fail("bad number", v);
        }
    }
    const int st = tml_mo_init(&mo, &cfg);
    if (st != TML_MO_OK) {
        fprintf(stderr, "init: %s\n", tml_mo_strerror(st));
        return 2;
    }
    if (path == NULL) {
        return fail("no input file", NULL);
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return fail("cannot open", path);
    }
    fseek(f, 0, SEEK_END);
    const long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    const int32_t frames = (int32_t)(bytes / (2 * cfg.axes));
    int16_t *x = malloc((size_t)frames * (size_t)cfg.axes * 2 + 2);
    uint8_t *raw = malloc((size_t)bytes + 1);
    if (x == NULL || raw == NULL || fread(raw, 1, (size_t)bytes, f) != (size_t)bytes) {
        return fail("cannot read", path);
    }
    fclose(f);
    for (int32_t i = 0; i < frames * cfg.axes; i++) {
        x[i] = (int16_t)(uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8);
    }
    const int32_t nf = tml_mo_features(&mo);
    int32_t feat[TML_MO_MAX_FEATURES];
    int32_t done = 0;
    while (done < frames) {
        int32_t n = frames - done;
        if (chunk > 0 && n > chunk) {
            n = chunk;
        }
        const int16_t *p = x + (size_t)done * cfg.axes;
        int32_t left = n;
        while (left > 0) {
            int32_t used = 0;
            const int32_t r = tml_mo_push(&mo, p, left, &used, feat);
            if (r < 0) {
                fprintf(stderr, "push: %s\n", tml_mo_strerror(r));
                return 2;
            }
            if (r == 1) {
                for (int32_t j = 0; j < nf; j++) {
                    printf(j ? " %d" : "%d", (int)feat[j]);
                }
                printf("\n");
            }
            p += (size_t)used * cfg.axes;
            left -= used;
        }
        done += n;
    }
    free(x);
    free(raw);
    return 0;
}
