/* Fixed-point real FFT of the audio front end (int16 in, int16 out).
 *
 * tml_fe_fft_run computes the forward FFT of fft_size real int16 samples and returns the
 * fft_size/2 + 1 complex bins 0..fft_size/2, each as an int16 (re, im) pair. Its results are
 * bit for bit those of KISS FFT 1.3.0 (tag v130) built with FIXED_POINT=16, kiss_fftr forward,
 * which is what TensorFlow Lite Micro's microfrontend (fft.cc, fft_util.cc) runs: the same
 * factorisation, the same twiddle values, the same rounding and scaling at every step, and the
 * same int16 wrap-around wherever a sum is stored in 16 bits.
 *
 * Scale: every radix-p stage divides its inputs by p and the real/complex split divides by 2,
 * so bin k is about (1/fft_size) * sum_t x[t] exp(-2 pi i k t / fft_size), rounded at each
 * stage. (The microfrontend shifts its input up before the FFT to keep precision.)
 *
 * Memory: the caller owns everything. The state (tml_fe_fft_t, 2576 bytes) holds the twiddles
 * worked out by tml_fe_fft_init and is only read by tml_fe_fft_run, so one state serves any
 * number of concurrent runs. There is no scratch buffer: the output array is the work area.
 * No heap, no global mutable data; the only static data is a 514-byte constant table.
 *
 * Supported sizes: the powers of two 64, 128, 256, 512 and 1024 (the front end uses the next
 * power of two at or above its window length: 512 for 30 ms at 16 kHz).
 *
 * Neither function uses floating point: the twiddles come from a constant table holding
 * floor(0.5 + 32767 cos(2 pi j / 1024)), the value KISS FFT computes at run time in double
 * precision (see fe_fft.c). */
#ifndef TML_FE_FFT_H
#define TML_FE_FFT_H

#include <stdint.h>

#define TML_FE_FFT_MIN_SIZE 64
#define TML_FE_FFT_MAX_SIZE 1024

/* int16 values tml_fe_fft_run writes for a real FFT of fft_size samples: (fft_size/2 + 1)
 * (re, im) pairs. */
#define TML_FE_FFT_OUT_VALUES(fft_size) ((fft_size) + 2)

/* tml_fe_fft_init's results. */
#define TML_FE_FFT_OK 0
#define TML_FE_FFT_E_NULL 1 /* st is NULL */
#define TML_FE_FFT_E_SIZE 2 /* fft_size is not a power of two in [64, 1024] */

/* Precomputed state for one FFT size: 16 + 1536 + 1024 = 2576 bytes (int32 and int16 members
 * only, so no padding on any ABI). Fill it with tml_fe_fft_init; do not write it by hand. */
typedef struct {
    int32_t fft_size; /* N: real samples in */
    int32_t n;        /* N/2: length of the complex FFT done inside */
    int32_t stages4;  /* radix-4 stages of the complex FFT */
    int32_t radix2;   /* 1 when n is an odd power of two: one radix-2 stage, done first */
    /* (re, im) of exp(-2 pi i k / n) for k < 3n/4: the largest index a radix-4 stage uses is
     * 3 (m - 1) fstride < 3n/4. */
    int16_t tw[2 * (3 * TML_FE_FFT_MAX_SIZE / 8)];
    /* (re, im) of exp(-i pi ((k + 1)/n + 1/2)) for k < n/2: the split's rotations. */
    int16_t super_tw[TML_FE_FFT_MAX_SIZE / 2];
} tml_fe_fft_t;

/* Fills st for a real FFT of fft_size samples. Returns TML_FE_FFT_OK, or TML_FE_FFT_E_NULL /
 * TML_FE_FFT_E_SIZE (st is then left unchanged). */
int tml_fe_fft_init(tml_fe_fft_t *st, int32_t fft_size);

/* The forward real FFT of in[0 .. fft_size-1] into out[0 .. fft_size+1]: bin k's real part at
 * out[2k], its imaginary part at out[2k+1], k = 0 .. fft_size/2 (the imaginary parts of bins 0
 * and fft_size/2 are 0). out is also the work area, so in and out must not overlap. Integer
 * arithmetic only; st is not modified. */
void tml_fe_fft_run(const tml_fe_fft_t *st, const int16_t *in, int16_t *out);

#endif
