/* The front end's init-time maths without a C maths library (fe_math.c).
 *
 * The stages' inits build their integer tables in floating point, as TensorFlow's op does
 * with the C library (glibc on Linux): cos for the window, log1p for the mel scale, floor for
 * rounding, powf for the PCAN gains. Bare-metal ports link no double-precision libm, so these
 * are the front end's own, in plain IEEE double and float arithmetic (soft-float where the
 * target has no FPU), giving the same results on every target and compiler:
 *
 *   tml_fe_cos     correctly rounded (double-double evaluation), for |x| <= 2^20 (NaN beyond)
 *   tml_fe_log1p   fdlibm's algorithm step for step: glibc's generic log1p, bit for bit
 *   tml_fe_powf    correctly rounded (double-double evaluation, exact cases found exactly),
 *                  with C's special cases (zeros, infinities, NaN, negative x)
 *   tml_fe_floor   exact, by bit manipulation
 *
 * None of them needs subnormal support from the hardware on the front end's inputs, nor
 * depends on whether the compiler fuses a * b + c (see fe_math.c). */
#ifndef TML_FE_MATH_H
#define TML_FE_MATH_H

double tml_fe_cos(double x);
double tml_fe_log1p(double x);
float tml_fe_powf(float x, float y);
double tml_fe_floor(double x);

/* 1 when x is neither infinite nor NaN (a test of its bits: immune to -ffast-math). */
int tml_fe_isfinitef(float x);

#endif /* TML_FE_MATH_H */
