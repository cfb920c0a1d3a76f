/*
 * policy_int.h - the HTTP error table itself (internal to src/send and
 * its unit test, which checks that every row is reached by a case).
 */
#ifndef SWERVE_SEND_POLICY_INT_H
#define SWERVE_SEND_POLICY_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "send/fact.h"
#include "send/result.h"

#define ANY_PROVIDER SEND_PROVIDER_COUNT
#define ANY_STATUS INT_MIN, INT_MAX
#define POLICY_CODE_NONE "" /* the answer carries no error code */
#define POLICY_CODE_ANY "*" /* the answer carries some error code */

/* One row: which answers it covers, and what they mean. */
struct policy_http_row {
	enum send_provider provider; /* ANY_PROVIDER: every provider */
	int status_lo, status_hi;    /* inclusive */
	/*
	 * NULL: any; POLICY_CODE_NONE / POLICY_CODE_ANY; "*x": a code
	 * containing x; else the code exactly (SES: also with the suffix
	 * "Exception").
	 */
	const char *code;
	const char *text; /* case-insensitive substring of the message */
	enum send_class class;
	bool quota;       /* a daily or monthly quota, not a rate */
	int64_t retry_ms; /* throttled: fixed back-off; 0: from headers */
};

/* The rows in order; the last covers every answer. */
extern const struct policy_http_row policy_http_rows[];
extern const size_t policy_http_rows_n;

/* policy_http_row_find - the first row that covers the answer f. */
const struct policy_http_row *policy_http_row_find(const struct send_fact *f);

#endif
