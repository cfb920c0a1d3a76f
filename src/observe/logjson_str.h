/*
 * logjson_str.h - JSON string literals written straight into a buffer.
 *
 * The JSON log lines (logjson.c) are built field by field into one
 * buffer instead of a jansson object that is then dumped: no allocation
 * per field, no tree to free. The text is byte for byte what jansson's
 * compact dump writes for the same string (tests/unit/test_logjson_str.c
 * checks it against jansson): '"' and '\\' and control characters are
 * escaped (\b \f \n \r \t, the rest as \u00XX), everything else, UTF-8
 * included, is copied. Pure; any thread.
 */
#ifndef SWERVE_OBSERVE_LOGJSON_STR_H
#define SWERVE_OBSERVE_LOGJSON_STR_H

#include <stddef.h>

#include "core/buf.h"

/*
 * logjson_str_put - append s[0..n) to b as a JSON string, quotes
 * included (a NUL byte becomes \u0000). 0, or -1 with nothing appended
 * when s is not well-formed UTF-8, which jansson refuses too.
 */
int logjson_str_put(struct buf *b, const char *s, size_t n);

#endif
