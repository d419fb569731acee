/* What the language bindings of the core share (MicroPython's and CPython's `_tinyml`).
 * Knows nothing of either runtime. */
#ifndef TML_BIND_H
#define TML_BIND_H

#include "tinyml.h"
#include "tml_train.h"

/* Messages for type errors, shared by every binding so they read the same everywhere. */
#define TML_MSG_INPUT_TYPE "input must be a bytes-like int8 buffer or a sequence of numbers"
#define TML_MSG_OUTPUT_TYPE "output must be a writable bytearray/array('b') or array('f')"
#define TML_MSG_BLOB_TYPE "blob must be bytes, bytearray or memoryview"
#define TML_MSG_ARENA_TYPE "arena must be a bytearray or writable buffer"
#define TML_MSG_CONST_TYPE "constant must be a buffer (bytearray, array, memoryview) or None"

/* Record a length mismatch (TML_E_INPUT_LEN / TML_E_OUTPUT_LEN) for tml_format_error. */
tml_status_t tml_check_length(tml_model_t *m, tml_status_t kind, uint32_t got, uint32_t want);

#endif /* TML_BIND_H */
