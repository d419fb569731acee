/* tinyml feature switches. Override any of them with -DTML_CONFIG_FILE="my_config.h". */
#ifndef TML_CONFIG_H
#define TML_CONFIG_H

#ifdef TML_CONFIG_FILE
#include TML_CONFIG_FILE
#endif

/* Float helpers at the API edges (quantize inputs, dequantize outputs): about 0.3 KB of code.
 * Ports without an FPU or float support (armv6m natmods) may set this to 0 and use raw int8. */
#ifndef TML_HAS_FLOAT
#define TML_HAS_FLOAT (1)
#endif

/* Constant overrides (tml_model_set_const) a model can hold at once: each costs 8-16 bytes of
 * tml_model_t. On-device training overrides the weights and biases it updates. */
#ifndef TML_MAX_OVERRIDES
#define TML_MAX_OVERRIDES (8)
#endif
#if TML_MAX_OVERRIDES < 1 || TML_MAX_OVERRIDES > 255
#error "TML_MAX_OVERRIDES must be 1..255"
#endif

/* Stack bytes of CONV_2D's patch buffer (im2col): two output pixels' input patches of up to
 * this many bytes each are gathered on the stack and go through the register-blocked GEMM.
 * Larger patches (kernel h * w * input channels) take a slower loop with no buffer. */
#ifndef TML_CONV_PATCH_BYTES
#define TML_CONV_PATCH_BYTES (640)
#endif

/* Stack bytes of DEPTHWISE_CONV_2D's plane buffer (in place): a channel's input padded with
 * the input zero point, when it fits (else the kernel-height rows each output row reads), so
 * that border outputs need no bounds checks. Wider rows take the checked loop. 2560 holds a
 * 48x48 plane (MobileNet at 96x96); Armv6-M (the RP2040's 8 KB stack) keeps 800, four planes
 * of KWS's 27 x 7 (gathered four channels at a time). */
#define TML_DW_ROW_BYTES_V6M (800)
#ifndef TML_DW_ROW_BYTES
#if defined(__ARM_ARCH_6M__)
#define TML_DW_ROW_BYTES TML_DW_ROW_BYTES_V6M
#else
#define TML_DW_ROW_BYTES (2560)
#endif
#endif

/* FULLY_CONNECTED weights and CONV_2D filters stored DUAL16 (blob 1.2, `tinyml convert
 * --weights dual16`): rows of
 * int16 pairs that Armv7E-M's dual multiply-accumulate takes as they are. Without it the
 * loader refuses such weights ("invalid operator parameters"). Armv6-M leaves it out: flash
 * first, and DUAL16 gains nothing there. */
#ifndef TML_HAS_DUAL16
#if defined(__ARM_ARCH_6M__)
#define TML_HAS_DUAL16 (0)
#else
#define TML_HAS_DUAL16 (1)
#endif
#endif

/* The audio front-end (src/frontend, docs/audio.md; the bindings' Frontend): about 12 KB of
 * code on a Cortex-M0+ (6 KB of it the init's own maths, fe_math.c, which needs no C library),
 * and each Frontend object holds a 14 KB state. The MFCC front-end for the MLPerf Tiny KWS
 * model (fe_mfcc.c) adds about 5 KB of code once something calls it, and 13.6 KB of state per
 * instance. On in every firmware; the core's native module turns it off (its .text budgets),
 * and the front-ends' own module, _tinyml_fe.mpy, carries it (native_modules/micropython/
 * Makefile, PART=fe). */
#ifndef TML_HAS_FRONTEND
#define TML_HAS_FRONTEND (1)
#endif

/* The motion front-end (src/motion, docs/motion.md; the bindings' Motion): windowed
 * statistics and band energies of IMU streams, 3 to 4 KB of code, and each Motion object
 * holds a 15 KB state. Integer only, no C library maths: on in every firmware and in
 * _tinyml_fe.mpy; the core's native module turns it off (its .text budgets). */
#ifndef TML_HAS_MOTION
#define TML_HAS_MOTION (1)
#endif

/* Operators: turning one off drops its code from the build and the loader refuses it with
 * "unsupported operator". RESHAPE (an alias) is always built in. */
#ifndef TML_HAS_CONV_2D
#define TML_HAS_CONV_2D (1)
#endif
#ifndef TML_HAS_DEPTHWISE_CONV_2D
#define TML_HAS_DEPTHWISE_CONV_2D (1)
#endif
#ifndef TML_HAS_FULLY_CONNECTED
#define TML_HAS_FULLY_CONNECTED (1)
#endif
#ifndef TML_HAS_AVERAGE_POOL_2D
#define TML_HAS_AVERAGE_POOL_2D (1)
#endif
#ifndef TML_HAS_MAX_POOL_2D
#define TML_HAS_MAX_POOL_2D (1)
#endif
#ifndef TML_HAS_SOFTMAX
#define TML_HAS_SOFTMAX (1)
#endif
#ifndef TML_HAS_ADD
#define TML_HAS_ADD (1)
#endif
#ifndef TML_HAS_MUL
#define TML_HAS_MUL (1)
#endif
#ifndef TML_HAS_MINIMUM
#define TML_HAS_MINIMUM (1)
#endif
#ifndef TML_HAS_MAXIMUM
#define TML_HAS_MAXIMUM (1)
#endif
#ifndef TML_HAS_LUT
#define TML_HAS_LUT (1)
#endif
#ifndef TML_HAS_CONCAT
#define TML_HAS_CONCAT (1)
#endif
#ifndef TML_HAS_PAD
#define TML_HAS_PAD (1)
#endif
#ifndef TML_HAS_STRIDED_COPY
#define TML_HAS_STRIDED_COPY (1)
#endif
#ifndef TML_HAS_RESIZE_NEAREST
#define TML_HAS_RESIZE_NEAREST (1)
#endif
#ifndef TML_HAS_PRELU
#define TML_HAS_PRELU (1)
#endif
#ifndef TML_HAS_MEAN
#define TML_HAS_MEAN (1)
#endif

#endif /* TML_CONFIG_H */
