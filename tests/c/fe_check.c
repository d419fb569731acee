/* fe_check: runs the audio front end (native_modules/tinyml/src/frontend) over a file of raw
 * int16 little-endian samples and prints the features of every frame, one frame per line,
 * the values separated by spaces, for a test to compare with TensorFlow's audio_microfrontend
 * op. It also does what the op does after the front end over a whole clip (context frames,
 * frame stride, out_scale, float output), so any of the op's attributes can be compared.
 *
 *   fe_check [options] samples.raw
 *     --micro-speech          start from micro_speech's configuration (30 ms, 20 ms, 40)
 *     --sample-rate N  --window-size MS  --window-step MS  --num-channels N
 *     --upper-band-limit HZ  --lower-band-limit HZ  --smoothing-bits N
 *     --even-smoothing F  --odd-smoothing F  --min-signal-remaining F
 *     --enable-pcan 0|1  --pcan-strength F  --pcan-offset F  --gain-bits N
 *     --enable-log 0|1  --scale-shift N
 *     --left-context N  --right-context N  --frame-stride N  --zero-padding 0|1
 *     --out-scale N  --float   (out_type float32: values printed with %.9g)
 *     --chunk N               feed the samples N at a time (default: all at once, as the op)
 *
 * Defaults are tml_fe_config_default's (the Python wrapper's: PCAN on). Exit status 0, or 1
 * with a message on stderr for a bad argument, an unreadable file or an init failure.
 *
 * Build: gcc -std=c99 -O2 -Wall -Wextra -Werror -Inative_modules/tinyml/src/frontend
 *        tests/c/fe_check.c native_modules/tinyml/src/frontend/fe_*.c -lm -o fe_check */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fe_frontend.h"

static int parse_int(const char *s, int32_t *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < -2147483647L || v > 2147483647L) {
        return 0;
    }
    *out = (int32_t)v;
    return 1;
}

static int parse_float(const char *s, float *out) {
    char *end;
    float v = strtof(s, &end);
    if (*s == '\0' || *end != '\0') {
        return 0;
    }
    *out = v;
    return 1;
}

static int fail(const char *what, const char *detail) {
    fprintf(stderr, "fe_check: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

int main(int argc, char **argv) {
    tml_fe_config_t cfg;
    tml_fe_config_default(&cfg);
    int32_t left = 0, right = 0, stride = 1, zero_padding = 0, out_scale = 1, chunk = 0;
    int as_float = 0;
    const char *path = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--micro-speech") == 0) {
            tml_fe_config_micro_speech(&cfg);
            continue;
        }
        if (strcmp(a, "--float") == 0) {
            as_float = 1;
            continue;
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
        int ok;
        if (strcmp(a, "--sample-rate") == 0) {
            ok = parse_int(v, &cfg.sample_rate);
        } else if (strcmp(a, "--window-size") == 0) {
            ok = parse_int(v, &cfg.window_size);
        } else if (strcmp(a, "--window-step") == 0) {
            ok = parse_int(v, &cfg.window_step);
        } else if (strcmp(a, "--num-channels") == 0) {
            ok = parse_int(v, &cfg.num_channels);
        } else if (strcmp(a, "--upper-band-limit") == 0) {
            ok = parse_float(v, &cfg.upper_band_limit);
        } else if (strcmp(a, "--lower-band-limit") == 0) {
            ok = parse_float(v, &cfg.lower_band_limit);
        } else if (strcmp(a, "--smoothing-bits") == 0) {
            ok = parse_int(v, &cfg.smoothing_bits);
        } else if (strcmp(a, "--even-smoothing") == 0) {
            ok = parse_float(v, &cfg.even_smoothing);
        } else if (strcmp(a, "--odd-smoothing") == 0) {
            ok = parse_float(v, &cfg.odd_smoothing);
        } else if (strcmp(a, "--min-signal-remaining") == 0) {
            ok = parse_float(v, &cfg.min_signal_remaining);
        } else if (strcmp(a, "--enable-pcan") == 0) {
            ok = parse_int(v, &cfg.enable_pcan);
        } else if (strcmp(a, "--pcan-strength") == 0) {
            ok = parse_float(v, &cfg.pcan_strength);
        } else if (strcmp(a, "--pcan-offset") == 0) {
            ok = parse_float(v, &cfg.pcan_offset);
        } else if (strcmp(a, "--gain-bits") == 0) {
            ok = parse_int(v, &cfg.gain_bits);
        } else if (strcmp(a, "--enable-log") == 0) {
            ok = parse_int(v, &cfg.enable_log);
        } else if (strcmp(a, "--scale-shift") == 0) {
            ok = parse_int(v, &cfg.scale_shift);
        } else if (strcmp(a, "--left-context") == 0) {
            ok = parse_int(v, &left) && left >= 0;
        } else if (strcmp(a, "--right-context") == 0) {
            ok = parse_int(v, &right) && right >= 0;
        } else if (strcmp(a, "--frame-stride") == 0) {
            ok = parse_int(v, &stride) && stride >= 1;
        } else if (strcmp(a, "--zero-padding") == 0) {
            ok = parse_int(v, &zero_padding);
        } else if (strcmp(a, "--out-scale") == 0) {
            ok = parse_int(v, &out_scale) && out_scale >= 1;
        } else if (strcmp(a, "--chunk") == 0) {
            ok = parse_int(v, &chunk) && chunk >= 0;
        } else {
            return fail("unknown option", a);
        }
        if (!ok) {
            return fail("bad value for", a);
        }
    }
    if (path == NULL) {
        return fail("usage: fe_check [options] samples.raw", NULL);
    }

    /* The samples, little-endian whatever the host. */
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return fail("cannot open", path);
    }
    size_t cap = 1 << 16, nbytes = 0;
    unsigned char *bytes = malloc(cap);
    for (;;) {
        if (bytes == NULL) {
            fclose(f);
            return fail("out of memory", NULL);
        }
        nbytes += fread(bytes + nbytes, 1, cap - nbytes, f);
        if (nbytes < cap) {
            break;
        }
        cap *= 2;
        unsigned char *more = realloc(bytes, cap);
        if (more == NULL) {
            free(bytes);
        }
        bytes = more;
    }
    int read_error = ferror(f);
    fclose(f);
    if (read_error) {
        free(bytes);
        return fail("cannot read", path);
    }
    if (nbytes / 2 > 0x7FFFFFFF) {
        free(bytes);
        return fail("file too long", path);
    }
    const int32_t n = (int32_t)(nbytes / 2);
    int16_t *samples = malloc(((size_t)n + 1) * sizeof(int16_t));
    if (samples == NULL) {
        free(bytes);
        return fail("out of memory", NULL);
    }
    for (int32_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)bytes[2 * i] | (uint32_t)bytes[2 * i + 1] << 8;
        samples[i] = (int16_t)(u < 0x8000u ? (int32_t)u : (int32_t)u - 65536);
    }
    free(bytes);

    static tml_fe_t fe;
    int status = tml_fe_init(&fe, &cfg);
    if (status != TML_FE_OK) {
        free(samples);
        return fail("tml_fe_init", tml_fe_strerror(status));
    }
    const int32_t channels = cfg.num_channels;

    /* Every frame, as the op collects them: feed until all samples are taken. */
    int32_t frames = 0, frame_cap = 64;
    uint16_t *feat = malloc((size_t)frame_cap * (size_t)channels * sizeof(uint16_t));
    int32_t pos = 0;
    while (feat != NULL && pos < n) {
        int32_t len = n - pos;
        if (chunk > 0 && len > chunk) {
            len = chunk;
        }
        int32_t end = pos + len;
        while (feat != NULL && pos < end) {
            if (frames == frame_cap) {
                frame_cap *= 2;
                uint16_t *more =
                    realloc(feat, (size_t)frame_cap * (size_t)channels * sizeof(uint16_t));
                if (more == NULL) {
                    free(feat);
                }
                feat = more;
                if (feat == NULL) {
                    break;
                }
            }
            int32_t used;
            int32_t r = tml_fe_process(&fe, samples + pos, end - pos, &used,
                                       feat + (size_t)frames * (size_t)channels);
            if (r < 0) {
                free(feat);
                free(samples);
                return fail("tml_fe_process", tml_fe_strerror((int)r));
            }
            pos += used;
            frames += r;
        }
    }
    free(samples);
    if (feat == NULL) {
        return fail("out of memory", NULL);
    }

    /* The op's output rows: every stride-th frame with its context frames, edge frames
     * repeated (or zeros with zero_padding), each value divided by out_scale. */
    for (int32_t anchor = 0; anchor < frames; anchor += stride) {
        int first = 1;
        for (int32_t k = anchor - left; k <= anchor + right; k++) {
            const uint16_t *src;
            if (zero_padding && (k < 0 || k >= frames)) {
                src = NULL;
            } else {
                src = feat + (size_t)(k < 0 ? 0 : k >= frames ? frames - 1 : k) *
                                 (size_t)channels;
            }
            for (int32_t c = 0; c < channels; c++) {
                const uint16_t v = src ? src[c] : 0;
                if (as_float) {
                    printf(first ? "%.9g" : " %.9g", (double)((float)v / (float)out_scale));
                } else {
                    printf(first ? "%u" : " %u", (unsigned)(v / out_scale));
                }
                first = 0;
            }
        }
        printf("\n");
    }
    free(feat);
    return 0;
}
