/*
 * feedback_resend.c - Resend's webhooks: Standard Webhooks signatures
 * and the email.* events (see feedback_resend.h).
 */
#include "ingress/feedback_resend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/rfc3339.h"
#include "core/whsig.h"
#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/feedback_json.h"
#include "ingress/feedback_sig.h"

/* The decoded secret of one configured provider. */
struct resend_state {
	unsigned char key[FEEDBACK_RESEND_KEY_MAX];
	size_t keylen;
};

int
feedback_resend_secret(const char *secret,
                       unsigned char key[FEEDBACK_RESEND_KEY_MAX],
                       size_t *keylen, char *err, size_t errlen)
{
	/* The one decoder of Standard Webhooks secrets (core/whsig), the
	 * same as for the webhooks swerve sends. */
	if (whsig_secret_decode(secret, key, keylen) < 0) {
		snprintf(err, errlen,
		         "the secret is not whsec_ and base64 of at most %d "
		         "bytes",
		         FEEDBACK_RESEND_KEY_MAX);
		return -1;
	}
	return 0;
}

/* resend_id_ok - may id stand before the first '.' of the signed text? */
static bool
resend_id_ok(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (i >= FEEDBACK_RESEND_ID_MAX || id[i] == '.' ||
		    (unsigned char)id[i] <= 0x20 || id[i] == 0x7f)
			return false;
	return i > 0;
}

/*
 * resend_sig_match - does any "v1,<base64>" of the space-separated list
 * sigs spell mac? Every entry is compared (no early exit); entries of
 * other versions are skipped.
 */
static bool
resend_sig_match(const char *sigs, const unsigned char *mac, size_t n)
{
	bool any = false;
	const char *p = sigs;

	while (*p != '\0') {
		size_t len = strcspn(p, " ");

		if (len > 3 && memcmp(p, "v1,", 3) == 0)
			any |= feedback_sig_b64_equal(p + 3, len - 3, mac, n);
		p += len;
		p += strspn(p, " ");
	}
	return any;
}

enum feedback_check
feedback_resend_verify(const unsigned char *key, size_t keylen, const char *id,
                       const char *timestamp, const char *signatures,
                       const char *body, size_t len, int64_t now_ms,
                       int64_t max_age_ms, char *err, size_t errlen)
{
	unsigned char mac[FEEDBACK_SIG_HMAC_LEN];
	struct str parts[5];
	bool ok;
	int64_t sec;

	if (id == NULL || timestamp == NULL || signatures == NULL) {
		snprintf(err, errlen, "missing svix-%s",
		         id == NULL          ? "id"
		         : timestamp == NULL ? "timestamp"
		                             : "signature");
		return FEEDBACK_CHECK_AUTH;
	}
	if (!resend_id_ok(id) || feedback_sig_time(timestamp, &sec) < 0 ||
	    strlen(signatures) > FEEDBACK_RESEND_SIGS_MAX) {
		snprintf(err, errlen, "malformed svix-%s",
		         !resend_id_ok(id) ? "id"
		         : feedback_sig_time(timestamp, &sec) < 0
		             ? "timestamp"
		             : "signature");
		return FEEDBACK_CHECK_AUTH;
	}
	parts[0] = (struct str){id, strlen(id)};
	parts[1] = (struct str){".", 1};
	parts[2] = (struct str){timestamp, strlen(timestamp)};
	parts[3] = (struct str){".", 1};
	parts[4] = (struct str){body, len};
	if (feedback_sig_hmac(key, keylen, parts, 5, mac) < 0) {
		snprintf(err, errlen, "HMAC failed");
		return FEEDBACK_CHECK_UNAVAILABLE;
	}
	ok = resend_sig_match(signatures, mac, sizeof(mac));
	if (!ok)
		snprintf(err, errlen, "no v1 signature matches");
	return feedback_sig_check(ok, sec, now_ms, max_age_ms, err, errlen);
}

/* What Resend's event types mean (email.bounced is decided apart). */
static const struct {
	const char *name;
	enum feedback_type type;
} resend_types[] = {
    {"email.sent", FEEDBACK_SENT},
    {"email.delivered", FEEDBACK_DELIVERED},
    {"email.delivery_delayed", FEEDBACK_DELAYED},
    {"email.complained", FEEDBACK_COMPLAINT},
    {"email.failed", FEEDBACK_REJECTED},
    {"email.suppressed", FEEDBACK_REJECTED},
};

/* resend_type - the type of event name with bounce object b. */
static enum feedback_type
resend_type(const char *name, const json_t *b)
{
	const char *bt = feedback_json_str(b, "type");
	const char *sub = feedback_json_str(b, "subType");
	size_t i;

	if (strcmp(name, "email.bounced") == 0) {
		if (sub != NULL && strcmp(sub, "Suppressed") == 0)
			return FEEDBACK_REJECTED;
		if (bt != NULL && (strcmp(bt, "Transient") == 0 ||
		                   strcmp(bt, "Undetermined") == 0))
			return FEEDBACK_SOFT_BOUNCE;
		return FEEDBACK_HARD_BOUNCE;
	}
	for (i = 0; i < sizeof(resend_types) / sizeof(resend_types[0]); i++)
		if (strcmp(resend_types[i].name, name) == 0)
			return resend_types[i].type;
	return FEEDBACK_OTHER;
}

/* resend_tag - the value of tag name in tags (an object of names to
 * values, or an array of {name, value}), or NULL. */
static const char *
resend_tag(const json_t *tags, const char *name)
{
	size_t i;

	if (json_is_object(tags))
		return feedback_json_str(tags, name);
	for (i = 0; i < json_array_size(tags); i++) {
		const json_t *t = json_array_get(tags, i);
		const char *k = feedback_json_str(t, "name");

		if (k != NULL && strcmp(k, name) == 0)
			return feedback_json_str(t, "value");
	}
	return NULL;
}

/* resend_event_id - hex SHA-256 of the event's identifying fields, each
 * with its NUL, so that no two splits of the same bytes read the same. */
static void
resend_event_id(struct feedback_event *e, const char *type, const char *created,
                const char *email_id, const char *to)
{
	const char *parts[] = {type, created, email_id, to};
	char hex[65];
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		buf_add(&b, parts[i], strlen(parts[i]) + 1);
	compat_sha256_hex(b.p, b.len, hex);
	feedback_set(e->event_id, sizeof(e->event_id), hex);
	buf_fini(&b);
}

/* resend_addr - the address of a "Name <addr>" or bare entry. */
static void
resend_addr(struct feedback_event *e, const char *to)
{
	const char *lt = strrchr(to, '<');
	char addr[FEEDBACK_ADDR_MAX];

	if (lt != NULL && strchr(lt, '>') != NULL) {
		feedback_set_n(addr, sizeof(addr), lt + 1,
		               (size_t)(strchr(lt, '>') - lt - 1));
		feedback_set_recipient(e, addr);
	} else {
		feedback_set_recipient(e, to);
	}
}

/* resend_fill - the fields every recipient's event shares. */
static void
resend_fill(struct feedback_event *e, const char *name, const json_t *data,
            int64_t occurred_ms)
{
	const json_t *b = feedback_json_obj(data, "bounce");
	const char *text = feedback_json_str(b, "message");

	e->type = resend_type(name, b);
	e->occurred_ms = occurred_ms;
	feedback_set(e->provider_msg_id, sizeof(e->provider_msg_id),
	             feedback_json_str(data, "email_id"));
	feedback_set(e->swerve_id, sizeof(e->swerve_id),
	             resend_tag(json_object_get(data, "tags"), "swerve_id"));
	feedback_set(e->provider_type, sizeof(e->provider_type),
	             b != NULL ? feedback_json_str(b, "type") : name);
	feedback_set(e->provider_subtype, sizeof(e->provider_subtype),
	             feedback_json_str(b, "subType"));
	if (text == NULL)
		text = feedback_json_str(feedback_json_obj(data, "failed"),
		                         "reason");
	feedback_set(e->diagnostic, sizeof(e->diagnostic), text);
}

int
feedback_resend_parse(const char *body, size_t len, const char *provider,
                      struct feedback_event **out, size_t *n, char *err,
                      size_t errlen)
{
	struct feedback_json_out o = {.max = FEEDBACK_RESEND_MAX_RCPTS};
	json_t *root = feedback_json_load(body, len, JSON_OBJECT, err, errlen);
	const char *name = feedback_json_str(root, "type");
	const char *created = feedback_json_str(root, "created_at");
	const json_t *data = feedback_json_obj(root, "data");
	const char *email_id = feedback_json_str(data, "email_id");
	const json_t *to = json_object_get(data, "to");
	struct feedback_event *e;
	int64_t when = 0;
	size_t i, count;
	int rc = -1;

	if (root == NULL)
		return feedback_json_done(&o, -1, out, n);
	if (name == NULL || created == NULL || data == NULL) {
		snprintf(err, errlen, "no %s",
		         name == NULL      ? "type string"
		         : created == NULL ? "created_at string"
		                           : "data object");
		goto done;
	}
	if (rfc3339_parse(created, strlen(created), &when) < 0) {
		snprintf(err, errlen, "created_at is not an RFC 3339 time");
		goto done;
	}
	if (to != NULL && !json_is_array(to) && !json_is_string(to)) {
		snprintf(err, errlen, "data.to is not an array or a string");
		goto done;
	}
	count = json_is_array(to) ? json_array_size(to) : 1;
	for (i = 0; i < count || (i == 0 && count == 0); i++) {
		const json_t *t =
		    json_is_array(to) ? json_array_get(to, i) : to;
		const char *addr = json_string_value(t);

		if (t != NULL && addr == NULL) {
			snprintf(err, errlen, "data.to[%zu] is not a string",
			         i);
			goto done;
		}
		e = feedback_json_event_add(&o, provider, err, errlen);
		if (e == NULL)
			goto done;
		resend_fill(e, name, data, when * 1000);
		resend_addr(e, addr != NULL ? addr : "");
		resend_event_id(e, name, created,
		                email_id != NULL ? email_id : "", e->recipient);
	}
	rc = 0;
done:
	json_decref(root);
	return feedback_json_done(&o, rc, out, n);
}

static int
resend_init(struct feedback_source *src, char *err, size_t errlen)
{
	struct resend_state *st = xcalloc(1, sizeof(*st));

	if (feedback_resend_secret(src->provider->events.secret, st->key,
	                           &st->keylen, err, errlen) < 0) {
		free(st);
		return -1;
	}
	src->state = st;
	return 0;
}

static void
resend_fini(struct feedback_source *src)
{
	if (src->state != NULL) {
		explicit_bzero(src->state, sizeof(struct resend_state));
		free(src->state);
	}
	src->state = NULL;
}

/* resend_header - svix-NAME, else webhook-NAME (Standard Webhooks). */
static const char *
resend_header(const struct feedback_request *req, const char *name)
{
	char h[32];
	const char *v;

	snprintf(h, sizeof(h), "svix-%s", name);
	v = feedback_request_header(req, h);
	if (v != NULL)
		return v;
	snprintf(h, sizeof(h), "webhook-%s", name);
	return feedback_request_header(req, h);
}

static enum feedback_check
resend_verify(struct feedback_source *src, const struct feedback_request *req,
              char *err, size_t errlen)
{
	const struct resend_state *st = src->state;

	return feedback_resend_verify(
	    st->key, st->keylen, resend_header(req, "id"),
	    resend_header(req, "timestamp"), resend_header(req, "signature"),
	    req->body, req->body_len, req->now_ms,
	    (int64_t)src->provider->events.max_age_ms, err, errlen);
}

const struct feedback_source_ops feedback_resend_ops = {
    .type = "resend",
    .init = resend_init,
    .fini = resend_fini,
    .verify = resend_verify,
    .parse = feedback_resend_parse,
};
