/* Front end, stage 1: the Hann window and the frame's up-shift (fe_frontend.h).
 *
 * Samples collect in input[] until a whole window is there; the frame is then each sample
 * times its 12-bit coefficient, shifted down by 12, and the held samples move down by one
 * step.
 * The frame is shifted up as far as its largest magnitude allows, so the 16-bit FFT keeps the
 * most precision; the filterbank undoes the shift on the channel amplitudes. */
#include "tml_config.h"
#if TML_HAS_FRONTEND
#include <string.h>
#include "fe_frontend.h"
#include "fe_math.h"

#define FE_WINDOW_BITS 12

int tml_fe_window_init(tml_fe_window_t *w, int32_t size, int32_t step) {
    if (size < 1 || size > TML_FE_MAX_WINDOW || step < 1 || step > size) {
        return TML_FE_E_WINDOW;
    }
    w->size = size;
    w->step = step;
    /* Init-time floating point, in the mix of single and double precision of TensorFlow's
     * op (its window_util.c): the angle step is a float (2 pi / size in double, rounded),
     * the Hann value 0.5 - 0.5 cos(step (i + 1/2)) is worked out in double and rounded to
     * float, and the coefficient is floor(value * 2^12 + 0.5), the product a float and the
     * sum a double. (TFLM's current copy does all of it in float, which differs in a few
     * coefficients.) Every product here is by a power of two or stands alone, so fused
     * multiply-adds cannot change the result. cos and floor are fe_math.c's; its cos is
     * correctly rounded, glibc's is off by an ulp for about 0.1 % of arguments, which never
     * reaches a coefficient (tests/c/fe_math_check.c compares all windows of 1..1024). */
    const float step_angle = (float)(3.14159265358979323846 * 2.0 / (double)(float)size);
    for (int32_t i = 0; i < size; i++) {
        const double angle = (double)step_angle * ((double)i + 0.5);
        const float h = (float)(0.5 - 0.5 * tml_fe_cos(angle));
        w->coef[i] = (int16_t)tml_fe_floor((double)(h * (float)(1 << FE_WINDOW_BITS)) + 0.5);
    }
    tml_fe_window_reset(w);
    return TML_FE_OK;
}

void tml_fe_window_reset(tml_fe_window_t *w) {
    memset(w->input, 0, sizeof(w->input));
    w->used = 0;
}

int32_t tml_fe_window_push(tml_fe_window_t *w, const int16_t *samples, int32_t n,
                           int32_t *consumed, int16_t *frame, int32_t *shift) {
    const int32_t size = w->size;
    int32_t take = size - w->used;
    if (take > n) {
        take = n;
    }
    if (take > 0) {
        memcpy(w->input + w->used, samples, (size_t)take * sizeof(int16_t));
    }
    *consumed = take;
    w->used += take;
    if (w->used < size) {
        return 0;
    }

    /* The frame, and its largest magnitude as the reference finds it in int16: -32768
     * (a full-scale negative sample under a coefficient of 4096) negates to itself there,
     * so it never counts as the largest. */
    int32_t max_abs = 0;
    for (int32_t i = 0; i < size; i++) {
        int32_t v = tml_fe_asr((int32_t)w->input[i] * w->coef[i], FE_WINDOW_BITS);
        frame[i] = (int16_t)v; /* |v| <= 32768 and v >= -32768: in range */
        int32_t a = v < 0 ? -v : v;
        if (a <= 32767 && a > max_abs) {
            max_abs = a;
        }
    }
    memmove(w->input, w->input + w->step, (size_t)(size - w->step) * sizeof(int16_t));
    w->used -= w->step;

    /* Shift the frame up so the largest magnitude reaches bit 14, wrapping to 16 bits as the
     * reference's cast through uint16 does (only -32768 can wrap). */
    const int32_t s = 15 - tml_fe_bits32((uint32_t)max_abs);
    for (int32_t i = 0; i < size; i++) {
        frame[i] = tml_fe_wrap16((int32_t)((uint32_t)(uint16_t)frame[i] << s));
    }
    *shift = s;
    return 1;
}
#endif /* TML_HAS_FRONTEND */
