/*
 * feedback_replay.c - the identity of an inbound webhook request (see
 * feedback_replay.h).
 */
#include "ingress/feedback_replay.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "ingress/feedback_mailgun.h"

/* replay_id_ok - s[0..len) usable in a key: 1..120 printable ASCII
 * bytes, no space. */
static int
replay_id_ok(const char *s)
{
	size_t i, len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len > 120)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

/* replay_body_key - "body:" + the hex SHA-256 of the body. */
static size_t
replay_body_key(const struct feedback_request *r, char *out, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	size_t at;

	EVP_Digest(r->body != NULL ? r->body : "", r->body_len, md, &len,
	           EVP_sha256(), NULL);
	at = (size_t)snprintf(out, n, "body:");
	for (i = 0; i < len && at + 2 < n; i++)
		at += (size_t)snprintf(out + at, n - at, "%02x", md[i]);
	return at;
}

size_t
feedback_replay_key(const char *type, const struct feedback_request *r,
                    char *out, size_t n)
{
	const char *id = NULL;

	if (type != NULL && strcmp(type, "mailgun") == 0) {
		struct feedback_mailgun_sig sig;
		char err[64];

		if (feedback_mailgun_sig_find(r->body, r->body_len, &sig, err,
		                              sizeof(err)) == 0 &&
		    replay_id_ok(sig.token))
			return (size_t)snprintf(out, n, "mg:%s", sig.token);
	} else if (type != NULL && strcmp(type, "resend") == 0) {
		id = feedback_request_header(r, "svix-id");
		if (id == NULL)
			id = feedback_request_header(r, "webhook-id");
		if (replay_id_ok(id))
			return (size_t)snprintf(out, n, "svix:%s", id);
	}
	return replay_body_key(r, out, n);
}
