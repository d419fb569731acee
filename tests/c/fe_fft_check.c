/* Standalone checker of the front end's fixed-point real FFT (fe_fft.c).
 *
 *   fe_fft_check [SEED [FRAMES [dump]]]      (defaults: 1, 2000)
 *
 * For each size 64, 128, 256, 512 and 1024 it makes FRAMES int16 input frames from SEED (eight
 * fixed edge cases first: all -32768, all 32767, the two alternations of 32767 and -32768,
 * impulses of 32767 and -32768 at the start, all zeros, an impulse of -32768 at the end; then
 * random frames of several kinds: full range, random amplitudes, extremes only, impulses,
 * constants, square waves, sparse spikes, random walks), runs tml_fe_fft_run on each and
 * prints the FNV-1a checksum of all the output values (each int16 as two little-endian bytes,
 * frame after frame). With "dump" it also prints every frame, for comparison with another
 * implementation (KISS FFT):
 *   F <fft_size> <frame>
 *   I <fft_size input values, each as 4 hex digits of its 16 bits>
 *   O <fft_size + 2 output values, the same way: re, im of bins 0 .. fft_size/2>
 *
 * It also checks, independently of any reference: that tml_fe_fft_init refuses other sizes;
 * that its twiddle tables equal floor(0.5 + 32767 cos/sin(phase)) computed in double with
 * KISS FFT's phases; that the outputs of a few moderate random frames are within a few units of
 * the exact DFT divided by fft_size; and, for the default seed and frame count, that the
 * checksums are those that KISS FFT 1.3.0 (FIXED_POINT=16, kiss_fftr) gives for the same frames.
 * The exit status is 0 when every check passes.
 *
 * Build: gcc -std=c99 -O2 -Wall -Wextra -Werror -fsanitize=address,undefined
 *            -Inative_modules/tinyml/src/frontend tests/c/fe_fft_check.c
 *            native_modules/tinyml/src/frontend/fe_fft.c -lm -o fe_fft_check */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fe_fft.h"

#define NSIZES 5
static const int32_t sizes[NSIZES] = {64, 128, 256, 512, 1024};

/* Checksums of the outputs for seed 1 and 2000 frames, as KISS FFT 1.3.0 computes them. */
#define DEFAULT_SEED 1u
#define DEFAULT_FRAMES 2000L
static const uint32_t kiss_checksums[NSIZES] = {0x7b316993u, 0xd06c5e20u, 0x644ccdc2u, 0xbdb34a55u,
                                                 0x9e33b2bfu};

/* xorshift32, seeded per size so that each size's frames do not depend on the others. */
static uint32_t rng_state;

static void rng_seed(uint32_t seed, int32_t size) {
    uint32_t z = seed * 2654435761u ^ (uint32_t)size * 40503u ^ 0x9E3779B9u;
    z ^= z >> 16;
    z *= 0x7FEB352Du;
    z ^= z >> 15;
    rng_state = z ? z : 1u;
}

static uint32_t rng(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static int16_t rng16(void) {
    return (int16_t)((int32_t)(rng() >> 16) - 32768);
}

static int16_t clamp16(int32_t v) {
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

/* Frame number f of a size: the fixed edge cases, then random kinds. Sets *moderate when the
 * frame is plain random data of moderate amplitude (used by the DFT sanity check). */
static void make_frame(int16_t *x, int32_t n, long f, int *moderate) {
    *moderate = 0;
    if (f < 8) {
        for (int32_t t = 0; t < n; t++) {
            int16_t v = 0;
            switch (f) {
            case 0: v = -32768; break;
            case 1: v = 32767; break;
            case 2: v = (t & 1) ? -32768 : 32767; break;
            case 3: v = (t & 1) ? 32767 : -32768; break;
            case 4: v = t == 0 ? 32767 : 0; break;
            case 5: v = t == 0 ? -32768 : 0; break;
            case 6: v = 0; break;
            default: v = t == n - 1 ? -32768 : 0; break;
            }
            x[t] = v;
        }
        return;
    }
    const uint32_t kind = rng() % 8;
    switch (kind) {
    case 0: /* full range */
        for (int32_t t = 0; t < n; t++) {
            x[t] = rng16();
        }
        break;
    case 1: { /* random amplitude 2^0 .. 2^15 */
        const int shift = (int)(rng() % 16);
        for (int32_t t = 0; t < n; t++) {
            x[t] = (int16_t)(rng16() >> shift);
        }
        *moderate = shift >= 2;
        break;
    }
    case 2: /* extremes only */
        for (int32_t t = 0; t < n; t++) {
            x[t] = (rng() & 0x10000u) ? 32767 : -32768;
        }
        break;
    case 3: { /* one impulse of any value (position drawn first, in its own statement) */
        const uint32_t at = rng() % (uint32_t)n;
        memset(x, 0, (size_t)n * sizeof *x);
        x[at] = rng16();
        break;
    }
    case 4: { /* constant */
        const int16_t v = rng16();
        for (int32_t t = 0; t < n; t++) {
            x[t] = v;
        }
        break;
    }
    case 5: { /* square wave of random period, amplitude and phase */
        const int32_t period = 2 + (int32_t)(rng() % (uint32_t)n);
        const int32_t phase = (int32_t)(rng() % (uint32_t)period);
        const int16_t a = rng16();
        for (int32_t t = 0; t < n; t++) {
            x[t] = ((t + phase) % period) * 2 < period ? a : clamp16(-(int32_t)a);
        }
        break;
    }
    case 6: /* sparse spikes */
        for (int32_t t = 0; t < n; t++) {
            x[t] = (rng() % 16u) == 0 ? rng16() : 0;
        }
        break;
    default: { /* random walk, clipped */
        int32_t v = rng16();
        const int step = 1 + (int)(rng() % 4096u);
        for (int32_t t = 0; t < n; t++) {
            v += (int32_t)(rng() % (uint32_t)(2 * step + 1)) - step;
            x[t] = clamp16(v);
            v = x[t];
        }
        break;
    }
    }
}

static uint32_t fnv1a(uint32_t h, const int16_t *v, int32_t count) {
    for (int32_t i = 0; i < count; i++) {
        const uint16_t u = (uint16_t)v[i];
        h = (h ^ (u & 0xFFu)) * 16777619u;
        h = (h ^ (u >> 8)) * 16777619u;
    }
    return h;
}

static void dump(const char *tag, const int16_t *v, int32_t count) {
    printf("%s ", tag);
    for (int32_t i = 0; i < count; i++) {
        printf("%04x", (unsigned)(uint16_t)v[i]);
    }
    printf("\n");
}

/* floor(0.5 + 32767 * c), as KISS FFT's fixed-point twiddles. */
static int16_t kiss_round(double c) {
    const double r = floor(0.5 + 32767 * c);
    return (int16_t)r;
}

/* The twiddle tables against KISS FFT's formulas evaluated in double: phases -2 pi k / n for
 * the complex FFT, -pi ((k + 1)/n + 1/2) for the split. Returns the number of differences. */
static int check_twiddles(const tml_fe_fft_t *st) {
    const double pi = 3.14159265358979323846264338327950288;
    const int32_t n = st->n;
    int bad = 0;
    for (int32_t k = 0; k < 3 * n / 4; k++) {
        const double phase = -2 * pi * k / n;
        bad += st->tw[2 * k] != kiss_round(cos(phase));
        bad += st->tw[2 * k + 1] != kiss_round(sin(phase));
    }
    for (int32_t k = 0; k < n / 2; k++) {
        const double phase = -pi * ((double)(k + 1) / n + .5);
        bad += st->super_tw[2 * k] != kiss_round(cos(phase));
        bad += st->super_tw[2 * k + 1] != kiss_round(sin(phase));
    }
    return bad;
}

/* Largest difference between out and the exact DFT of x divided by the size. */
static double dft_error(const int16_t *x, const int16_t *out, int32_t size) {
    const double pi = 3.14159265358979323846264338327950288;
    double worst = 0;
    for (int32_t k = 0; k <= size / 2; k++) {
        double re = 0, im = 0;
        for (int32_t t = 0; t < size; t++) {
            const double a = -2 * pi * (double)((k * t) % size) / size;
            re += x[t] * cos(a);
            im += x[t] * sin(a);
        }
        const double er = fabs(re / size - out[2 * k]), ei = fabs(im / size - out[2 * k + 1]);
        worst = er > worst ? er : worst;
        worst = ei > worst ? ei : worst;
    }
    return worst;
}

int main(int argc, char **argv) {
    const uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : DEFAULT_SEED;
    const long frames = argc > 2 ? strtol(argv[2], NULL, 0) : DEFAULT_FRAMES;
    const int dumping = argc > 3 && strcmp(argv[3], "dump") == 0;
    const int known = seed == DEFAULT_SEED && frames == DEFAULT_FRAMES;
    FILE *report = dumping ? stderr : stdout;
    int failures = 0;
    tml_fe_fft_t st;

    fprintf(report, "sizeof(tml_fe_fft_t) = %u bytes\n", (unsigned)sizeof st);

    /* Unsupported sizes are refused and leave the state alone. */
    static const int32_t bad_sizes[] = {-512, 0, 1, 2, 32, 48, 63, 65, 96, 100, 768, 1000, 2048};
    memset(&st, 0x5A, sizeof st);
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        if (tml_fe_fft_init(&st, bad_sizes[i]) != TML_FE_FFT_E_SIZE) {
            fprintf(report, "FAIL: size %d accepted\n", (int)bad_sizes[i]);
            failures++;
        }
    }
    if (tml_fe_fft_init(NULL, 512) != TML_FE_FFT_E_NULL) {
        fprintf(report, "FAIL: NULL state accepted\n");
        failures++;
    }
    const unsigned char *bytes = (const unsigned char *)&st;
    for (size_t i = 0; i < sizeof st; i++) {
        if (bytes[i] != 0x5A) {
            fprintf(report, "FAIL: a refused init wrote the state\n");
            failures++;
            break;
        }
    }

    for (int s = 0; s < NSIZES; s++) {
        const int32_t size = sizes[s], nout = TML_FE_FFT_OUT_VALUES(size);
        if (tml_fe_fft_init(&st, size) != TML_FE_FFT_OK) {
            fprintf(report, "FAIL: size %d refused\n", (int)size);
            failures++;
            continue;
        }
        const int bad_tw = check_twiddles(&st);
        if (bad_tw) {
            fprintf(report, "FAIL: size %d: %d twiddles differ from KISS FFT's\n", (int)size,
                    bad_tw);
            failures++;
        }
        /* Exact-size heap buffers, so that the sanitizers see any access past either end. */
        int16_t *x = malloc((size_t)size * sizeof *x);
        int16_t *out = malloc((size_t)nout * sizeof *out);
        if (!x || !out) {
            fprintf(report, "out of memory\n");
            return 2;
        }
        rng_seed(seed, size);
        uint32_t h = 2166136261u;
        double worst = 0;
        int sane = 0;
        for (long f = 0; f < frames; f++) {
            int moderate;
            make_frame(x, size, f, &moderate);
            tml_fe_fft_run(&st, x, out);
            h = fnv1a(h, out, nout);
            if (dumping) {
                printf("F %d %ld\n", (int)size, f);
                dump("I", x, size);
                dump("O", out, nout);
            }
            if (moderate && sane < 8) {
                const double e = dft_error(x, out, size);
                worst = e > worst ? e : worst;
                sane++;
            }
        }
        fprintf(report, "fft_size %4d frames %ld checksum %08lx dft_max_error %.2f (%d frames)",
                (int)size, frames, (unsigned long)h, worst, sane);
        if (worst > 8.0) {
            fprintf(report, " FAIL: not near the DFT");
            failures++;
        }
        if (known) {
            if (h == kiss_checksums[s]) {
                fprintf(report, " = KISS FFT's");
            } else {
                fprintf(report, " FAIL: KISS FFT's is %08lx", (unsigned long)kiss_checksums[s]);
                failures++;
            }
        }
        fprintf(report, "\n");
        free(x);
        free(out);
    }
    if (failures) {
        fprintf(report, "FAILED: %d\n", failures);
    } else {
        fprintf(report, "ok\n");
    }
    return failures != 0;
}
