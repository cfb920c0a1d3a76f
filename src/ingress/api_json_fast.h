/*
 * api_json_fast.h - the send API's JSON parsed in one pass over the bytes.
 *
 * jansson's own parser reads a request one character at a time through a
 * stream callback (about 160 instructions a byte: half of a 1 KiB send's
 * CPU went there). This parser builds the same jansson values directly
 * from the buffer: string runs are found with a tight loop and copied
 * once, never a character at a time. It takes the common shapes only
 * and says "not sure" (NULL) for anything else - a real number, an
 * integer of more than 18 digits, a duplicate key, a NUL in a key, a
 * lone surrogate, malformed UTF-8 or JSON of any kind - and the caller
 * then asks jansson, which gives the answer and its error text. So
 * whatever this returns is exactly what jansson would have returned
 * (tests/unit/test_api_json_fast.c and fuzz/fuzz_api_json_fast.c check
 * it against jansson). Pure; any thread.
 */
#ifndef SWERVE_INGRESS_API_JSON_FAST_H
#define SWERVE_INGRESS_API_JSON_FAST_H

#include <stddef.h>

#include <jansson.h>

/*
 * api_json_fast_load - buf[0..len) (an object or an array at the top, as
 * json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL) takes
 * it) as a new jansson value the caller owns, or NULL when this parser
 * is not sure; then json_loadb decides.
 */
json_t *api_json_fast_load(const char *buf, size_t len);

#endif
