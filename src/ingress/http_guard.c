/*
 * http_guard.c - checks on every HTTP request before it is routed.
 *
 * Content-Length: repeated fields with one value are one length (RFC
 * 9110, 8.6); fields that disagree make the request's end ambiguous, so
 * the request is answered 400 with "Connection: close" and evhttp drops
 * the connection once the answer is out. A list value ("5, 6") never gets
 * here: evhttp refuses it as an invalid length itself.
 *
 * Does not: look at Transfer-Encoding (evhttp gives chunked precedence
 * over Content-Length itself).
 */
#include "ingress/http_guard.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/log.h"
#include "ingress/http_conn.h"
#include "ingress/http_reply.h"

/* http_guard_same - do the field values a and b name the same length?
 * Compared as text, without surrounding blanks. */
static bool
http_guard_same(const char *a, const char *b)
{
	size_t la, lb;

	a += strspn(a, " \t");
	b += strspn(b, " \t");
	la = strlen(a);
	lb = strlen(b);
	while (la > 0 && (a[la - 1] == ' ' || a[la - 1] == '\t'))
		la--;
	while (lb > 0 && (b[lb - 1] == ' ' || b[lb - 1] == '\t'))
		lb--;
	return la == lb && memcmp(a, b, la) == 0;
}

/* http_guard_lengths_differ - do two Content-Length fields of h differ? */
static bool
http_guard_lengths_differ(const struct evkeyvalq *h)
{
	const struct evkeyval *kv;
	const char *first = NULL;

	for (kv = h->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		if (strcasecmp(kv->key, "Content-Length") != 0)
			continue;
		if (first == NULL)
			first = kv->value;
		else if (!http_guard_same(first, kv->value))
			return true;
	}
	return false;
}

int
http_guard_check(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	char peer[64] = "?";
	uint16_t port = 0;

	if (h == NULL || !http_guard_lengths_differ(h))
		return 0;
	if (conn != NULL)
		http_conn_client(conn, peer, sizeof(peer), &port);
	log_warn("http: request from %s with differing Content-Length "
	         "fields: 400",
	         peer);
	/* What follows on the connection cannot be framed: end it. */
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection",
	                  "close");
	http_reply_error(req, 400, "bad_request",
	                 "differing Content-Length fields");
	return -1;
}
