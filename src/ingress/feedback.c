/*
 * feedback.c - provider delivery events in: the table of sources, and
 * the route that verifies, parses and stores (see feedback.h).
 *
 * Each source type is one row: a struct feedback_source_ops defined in
 * ingress/feedback_<type>.c beside its pure verifier and parser. A
 * configured provider whose type has no row here, or whose row has no
 * verifier yet, is answered 501 "not_implemented": nothing unverified is
 * ever parsed or stored.
 */
#include "ingress/feedback.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "ingress/feedback_ses.h"

/* The sources, one row per provider type; NULL ends the table. */
static const struct feedback_source_ops *const feedback_sources[] = {
    &feedback_ses_ops,
    NULL,
};

const struct feedback_source_ops *
feedback_source_ops_find(const char *type)
{
	size_t i;

	for (i = 0; feedback_sources[i] != NULL; i++)
		if (strcmp(feedback_sources[i]->type, type) == 0)
			return feedback_sources[i];
	return NULL;
}

const char *
feedback_request_header(const struct feedback_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* The answer and the refusal reason of each verdict. */
static const struct {
	int status;
	const char *reason;
} feedback_checks[FEEDBACK_CHECK_COUNT] = {
    [FEEDBACK_CHECK_OK] = {200, ""},
    [FEEDBACK_CHECK_DONE] = {200, ""},
    [FEEDBACK_CHECK_AUTH] = {401, "signature"},
    [FEEDBACK_CHECK_STALE] = {401, "stale"},
    [FEEDBACK_CHECK_REPLAY] = {403, "replay"},
    [FEEDBACK_CHECK_FORBIDDEN] = {403, "forbidden"},
    [FEEDBACK_CHECK_MALFORMED] = {400, "malformed"},
    [FEEDBACK_CHECK_UNAVAILABLE] = {503, "unavailable"},
};

int
feedback_check_status(enum feedback_check c)
{
	return (unsigned)c < FEEDBACK_CHECK_COUNT ? feedback_checks[c].status
	                                          : 500;
}

const char *
feedback_check_reason(enum feedback_check c)
{
	return (unsigned)c < FEEDBACK_CHECK_COUNT ? feedback_checks[c].reason
	                                          : "internal";
}
