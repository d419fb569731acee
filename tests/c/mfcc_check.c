/* mfcc_check: runs the MFCC front end (native_modules/tinyml/src/frontend/fe_mfcc.c, the MLPerf
 * Tiny KWS configuration) over a file of raw int16 little-endian clips and prints, for each
 * clip, one line per frame: the frame's int8 features separated by spaces (or, with --rows,
 * its raw row: log2 of the mel energies in Q24). Each clip's rows go into a ring of as many
 * rows as the clip has frames, starting at the clip's index modulo that count, and
 * tml_mfcc_finish reads them back from there with the clip's peak (max of its samples).
 *
 *   mfcc_check [--chunk N] [--clip-samples N] [--rows] clips.raw
 *     --chunk N          feed the samples N at a time (default: a whole clip at once)
 *     --clip-samples N   samples per clip (default 16000)
 *   mfcc_check --info    sizeof(tml_mfcc_t), and init's and the calls' statuses for bad
 *                        arguments, with their messages
 *
 * Exit status 0, or 1 with a message on stderr.
 *
 * Build: gcc -std=c99 -O2 -Wall -Wextra -Werror -Inative_modules/tinyml/include
 *        -Inative_modules/tinyml/src/frontend tests/c/mfcc_check.c
 *        native_modules/tinyml/src/frontend/fe_*.c -o mfcc_check */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fe_mfcc.h"

#define MAX_FRAMES 256

static int fail(const char *what, const char *detail) {
    fprintf(stderr, "mfcc_check: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

static tml_mfcc_t mf; /* 13 KB: static rather than on the stack */
static int32_t rows[MAX_FRAMES * TML_MFCC_MAX_MEL];
static int8_t features[MAX_FRAMES * TML_MFCC_MAX_COEFFICIENTS];

static void report(const char *what, int status) {
    printf("%s: %d %s\n", what, status, tml_mfcc_strerror(status));
}

static int info(void) {
    tml_mfcc_config_t cfg;
    printf("sizeof(tml_mfcc_t) = %u bytes\n", (unsigned)sizeof(tml_mfcc_t));
    memset(&mf, 0, sizeof(mf));
    int32_t used, row[TML_MFCC_MAX_MEL];
    int16_t s[1] = {0};
    report("process before init", tml_mfcc_process(&mf, s, 1, &used, row));
    report("init NULL", tml_mfcc_init(NULL, &cfg));
#define BAD(field, value)                                                                  \
    do {                                                                                   \
        tml_mfcc_config_kws(&cfg);                                                         \
        cfg.field = value;                                                                 \
        report("init " #field " = " #value, tml_mfcc_init(&mf, &cfg));                     \
    } while (0)
    BAD(frame_length, 1);
    BAD(frame_length, 513);
    BAD(frame_step, 481);
    BAD(fft_length, 256);
    BAD(fft_length, 500);
    BAD(num_mel_bins, 0);
    BAD(num_mel_bins, 65);
    BAD(upper_edge_hz, 8001.0f);
    BAD(lower_edge_hz, -1.0f);
    BAD(num_coefficients, 14);
    BAD(log_offset, 0.0f);
    BAD(scale, 0.0f);
    BAD(zero_point, 128);
    tml_mfcc_config_kws(&cfg);
    report("init kws", tml_mfcc_init(&mf, &cfg));
    report("process n < 0", tml_mfcc_process(&mf, s, -1, &used, row));
    report("process NULL row", tml_mfcc_process(&mf, s, 1, &used, NULL));
    report("finish first out of range", tml_mfcc_finish(&mf, rows, 49, 49, 1000, features));
    report("finish no rows", tml_mfcc_finish(&mf, rows, 0, 0, 1000, features));
    return 0;
}

int main(int argc, char **argv) {
    int32_t chunk = 0, clip_samples = 16000;
    int print_rows = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--info") == 0) {
            return info();
        } else if (strcmp(a, "--rows") == 0) {
            print_rows = 1;
        } else if (strcmp(a, "--chunk") == 0 && i + 1 < argc) {
            chunk = atoi(argv[++i]);
        } else if (strcmp(a, "--clip-samples") == 0 && i + 1 < argc) {
            clip_samples = atoi(argv[++i]);
        } else if (strncmp(a, "--", 2) == 0) {
            return fail("unknown option", a);
        } else {
            path = a;
        }
    }
    if (path == NULL || chunk < 0 || clip_samples < 1) {
        return fail("usage: mfcc_check [--chunk N] [--clip-samples N] [--rows] clips.raw", NULL);
    }

    tml_mfcc_config_t cfg;
    tml_mfcc_config_kws(&cfg);
    int status = tml_mfcc_init(&mf, &cfg);
    if (status != TML_MFCC_OK) {
        return fail("init", tml_mfcc_strerror(status));
    }
    const int32_t nmel = tml_mfcc_row_length(&mf);
    const int32_t ncoef = tml_mfcc_coefficients(&mf);

    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return fail("cannot open", path);
    }
    int16_t *clip = malloc((size_t)clip_samples * sizeof(int16_t));
    if (clip == NULL) {
        fclose(fp);
        return fail("out of memory", NULL);
    }
    int result = 0;
    for (int32_t index = 0;; index++) {
        size_t got = fread(clip, sizeof(int16_t), (size_t)clip_samples, fp);
        if (got == 0) {
            break;
        }
        if (got != (size_t)clip_samples) {
            result = fail("a partial clip at the end of", path);
            break;
        }
        const int32_t frames = 1 + (clip_samples - cfg.frame_length) / cfg.frame_step;
        if (frames < 1 || frames > MAX_FRAMES) {
            result = fail("clip length out of range", NULL);
            break;
        }
        int32_t peak = clip[0];
        for (int32_t i = 1; i < clip_samples; i++) {
            peak = clip[i] > peak ? clip[i] : peak;
        }
        tml_mfcc_reset(&mf);
        const int32_t first = index % frames;
        int32_t done = 0, at = 0;
        while (at < clip_samples) {
            int32_t n = clip_samples - at;
            if (chunk > 0 && n > chunk) {
                n = chunk;
            }
            while (n > 0) {
                int32_t used;
                int32_t *row = rows + (size_t)((first + done) % frames) * (size_t)nmel;
                int32_t r = tml_mfcc_process(&mf, clip + at, n, &used, row);
                if (r < 0) {
                    free(clip);
                    fclose(fp);
                    return fail("process", tml_mfcc_strerror(r));
                }
                at += used;
                n -= used;
                done += r;
                if (done > frames) {
                    free(clip);
                    fclose(fp);
                    return fail("more frames than expected", NULL);
                }
            }
        }
        if (done != frames) {
            result = fail("fewer frames than expected", NULL);
            break;
        }
        if (print_rows) {
            for (int32_t f = 0; f < frames; f++) {
                const int32_t *row = rows + (size_t)((first + f) % frames) * (size_t)nmel;
                for (int32_t b = 0; b < nmel; b++) {
                    printf(b ? " %ld" : "%ld", (long)row[b]);
                }
                printf("\n");
            }
            continue;
        }
        status = tml_mfcc_finish(&mf, rows, frames, first, peak, features);
        if (status != TML_MFCC_OK) {
            result = fail("finish", tml_mfcc_strerror(status));
            break;
        }
        for (int32_t f = 0; f < frames; f++) {
            for (int32_t k = 0; k < ncoef; k++) {
                printf(k ? " %d" : "%d", features[f * ncoef + k]);
            }
            printf("\n");
        }
    }
    free(clip);
    fclose(fp);
    return result;
}
