/*
 * dash_cookie.h - reading one cookie from a Cookie request header
 * (contract).
 *
 * RFC 6265 section 4.2: "name=value" pairs separated by ";" and optional
 * blanks. The value may be wrapped in double quotes and otherwise holds
 * cookie-octets only (no blank, comma, semicolon, backslash, quote or
 * control). Pure function over a string: no I/O, no allocation; fuzzed
 * (fuzz/fuzz_dash_cookie.c).
 */
#ifndef SWERVE_DASH_DASH_COOKIE_H
#define SWERVE_DASH_DASH_COOKIE_H

#include <stddef.h>

/*
 * dash_cookie_get - copy the value of the first cookie called name in
 * header (a Cookie field's value; NULL: none) to out (NUL-terminated).
 * 0 when found; -1 when absent, or when that cookie's value is malformed
 * or does not fit in outlen - 1 octets (out is then "").
 */
int dash_cookie_get(const char *header, const char *name, char *out,
                    size_t outlen);

#endif
