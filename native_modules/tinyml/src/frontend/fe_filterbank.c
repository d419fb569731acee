/* Front end, stage 3: power spectrum, mel filterbank and square root (fe_frontend.h).
 *
 * num_channels + 1 bands tile the bins from `start` (above DC) to `end`, band b ending at the
 * first bin above the b-th of num_channels + 1 points equally spaced on the mel scale between
 * the band limits. Channel c is a triangle rising over band c + 1 and falling over band c: a
 * bin of band b adds weight * energy to channel b - 1 and unweight * energy to channel b, with
 * weight + unweight about 4096 (12 bits). Sums are 64-bit; the channel's amplitude is their
 * rounded integer square root, shifted down by the frame's up-shift.
 *
 * The reference lays the weights out padded to blocks of 4 with zero weights (the padding and
 * a shared zero block for empty bands only ever add 0); here every bin has exactly its two
 * weights, and the sums hold the same terms, so they are equal (unsigned 64-bit addition, in
 * any order). */
#include "tml_config.h"
#if TML_HAS_FRONTEND
#include <string.h>
#include "fe_frontend.h"
#include "fe_math.h"

#define FE_FILTERBANK_BITS 12

/* The mel scale as TensorFlow's op computes it: in double, rounded to float (log1p is
 * fe_math.c's, glibc's algorithm and arithmetic: the same doubles). */
static float fe_hz_to_mel(float hz) {
    return (float)(1127.0 * tml_fe_log1p((double)hz / 700.0));
}

/* a * b rounded to float before any later add (a compiler may not fuse it into an FMA). */
static float fe_product(float a, float b) {
    volatile float p = a * b;
    return p;
}

int tml_fe_filterbank_init(tml_fe_filterbank_t *fb, int32_t num_channels, int32_t sample_rate,
                           int32_t spectrum_size, float lower_hz, float upper_hz) {
    if (num_channels < 1 || num_channels > TML_FE_MAX_CHANNELS) {
        return TML_FE_E_CHANNELS;
    }
    if (!tml_fe_isfinitef(lower_hz) || !tml_fe_isfinitef(upper_hz) || !(lower_hz >= 0.0f) ||
        !(upper_hz > lower_hz) || spectrum_size < 2 || spectrum_size > TML_FE_MAX_BINS) {
        return TML_FE_E_BAND;
    }
    memset(fb, 0, sizeof(*fb));
    fb->num_channels = num_channels;
    const int32_t bands = num_channels + 1;

    /* Init-time floating point, step for step the mix of float and double of TensorFlow's
     * op (its filterbank_util.c), which defines the weights. (TFLM's current copy works in
     * float only and differs in a few weights.) Band b's upper mel edge is
     * mel_low + spacing * (b + 1) in float. */
    float edge_mel[TML_FE_MAX_CHANNELS + 1];
    const float mel_low = fe_hz_to_mel(lower_hz);
    const float mel_high = fe_hz_to_mel(upper_hz);
    const float spacing = (mel_high - mel_low) / (float)bands;
    for (int32_t b = 0; b < bands; b++) {
        edge_mel[b] = mel_low + fe_product(spacing, (float)(b + 1));
    }
    const float hz_per_bin =
        (float)(0.5 * (double)sample_rate / (double)((float)spectrum_size - 1.0f));
    const double first = 1.5 + (double)(lower_hz / hz_per_bin);
    /* A start at or past the last bin fails below in the reference too (its end >= the
     * spectrum size); checked here before the value becomes an int. */
    if (!(first < (double)spectrum_size)) {
        return TML_FE_E_BAND;
    }
    fb->start = (int32_t)first;

    /* The bands: each takes bins while their mel frequency is at most its upper edge. The
     * reference rejects any band reaching the spectrum's last bin (its end_index >=
     * spectrum_size), so the search stops there. */
    int32_t bin = fb->start;
    fb->edge[0] = (int16_t)bin;
    for (int32_t b = 0; b < bands; b++) {
        while (fe_hz_to_mel(fe_product((float)bin, hz_per_bin)) <= edge_mel[b]) {
            bin++;
            if (bin >= spectrum_size) {
                return TML_FE_E_BAND;
            }
        }
        fb->edge[b + 1] = (int16_t)bin;
    }
    fb->end = bin;

    /* The weights: for a bin of band b, how far its mel frequency lies below the band's upper
     * edge, as a fraction of the band's mel width (float); quantized to 12 bits, rounded half
     * up: floor(w * 4096 + 0.5) with the product in float and the sum in double, and
     * floor((1 - w) * 4096 + 0.5) all in double. Products by 4096 are exact, so fused
     * multiply-adds change nothing. */
    for (int32_t b = 0; b < bands; b++) {
        const float lower_edge = b == 0 ? mel_low : edge_mel[b - 1];
        for (int32_t k = fb->edge[b]; k < fb->edge[b + 1]; k++) {
            const float w = (edge_mel[b] - fe_hz_to_mel(fe_product((float)k, hz_per_bin))) /
                            (edge_mel[b] - lower_edge);
            const float scale = (float)(1 << FE_FILTERBANK_BITS);
            const double qw = tml_fe_floor((double)(w * scale) + 0.5);
            const double qu = tml_fe_floor((1.0 - (double)w) * (double)scale + 0.5);
            /* Only a degenerate band (limits too close for float) leaves [0, 4096]; the
             * reference's conversion would be undefined there. */
            if (!(qw >= -32768.0 && qw <= 32767.0 && qu >= -32768.0 && qu <= 32767.0)) {
                return TML_FE_E_BAND;
            }
            fb->weight[k] = (int16_t)qw;
            fb->unweight[k] = (int16_t)qu;
        }
    }
    return TML_FE_OK;
}

void tml_fe_filterbank_reset(tml_fe_filterbank_t *fb) {
    memset(fb->acc, 0, sizeof(fb->acc));
}

/* Rounded integer square root, digit by digit, of a value below 2^32; at most 0xFFFF. */
static uint32_t fe_sqrt32(uint32_t v) {
    if (v == 0) {
        return 0;
    }
    /* The highest even bit position at or below v's top bit (counting from bit 0). */
    const int32_t top = 31 - ((32 - tml_fe_bits32(v)) | 1);
    uint32_t bit = (uint32_t)1 << top;
    uint32_t root = 0;
    for (int32_t k = top / 2 + 1; k > 0; k--) {
        if (v >= root + bit) {
            v -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    if (v > root && root != 0xFFFFu) {
        root++;
    }
    return root;
}

/* The same for 64 bits; values below 2^32 take the 32-bit path, as the reference's do (which
 * can round differently right below 2^32: part of the bit-exact behaviour). */
static uint32_t fe_sqrt64(uint64_t v) {
    if ((v >> 32) == 0) {
        return fe_sqrt32((uint32_t)v);
    }
    const int32_t top = 63 - ((64 - tml_fe_bits64(v)) | 1);
    uint64_t bit = (uint64_t)1 << top;
    uint64_t root = 0;
    for (int32_t k = top / 2 + 1; k > 0; k--) {
        if (v >= root + bit) {
            v -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    if (v > root && root != 0xFFFFFFFFu) {
        root++;
    }
    return (uint32_t)root;
}

void tml_fe_filterbank_run(tml_fe_filterbank_t *fb, const int16_t *spectrum, int32_t shift,
                           uint32_t *out) {
    const int32_t channels = fb->num_channels;
    uint64_t *acc = fb->acc;
    memset(acc, 0, (size_t)channels * sizeof(uint64_t));
    for (int32_t b = 0; b <= channels; b++) {
        for (int32_t k = fb->edge[b]; k < fb->edge[b + 1]; k++) {
            /* The energy re^2 + im^2 is a uint32 in the reference, stored as an int32 and
             * widened from there: a value of 2^31 or more sign-extends. */
            const int32_t re = spectrum[2 * k];
            const int32_t im = spectrum[2 * k + 1];
            const uint32_t e32 = (uint32_t)(re * re) + (uint32_t)(im * im);
            const uint64_t e = (e32 & 0x80000000u) ? (uint64_t)e32 | 0xFFFFFFFF00000000u : e32;
            /* Weights widen with their sign (they are never negative in practice). */
            if (b > 0) {
                acc[b - 1] += (uint64_t)(int64_t)fb->weight[k] * e;
            }
            if (b < channels) {
                acc[b] += (uint64_t)(int64_t)fb->unweight[k] * e;
            }
        }
    }
    for (int32_t c = 0; c < channels; c++) {
        out[c] = fe_sqrt64(acc[c]) >> shift;
    }
}
#endif /* TML_HAS_FRONTEND */
