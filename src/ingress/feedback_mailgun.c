/*
 * feedback_mailgun.c - Mailgun's webhooks: finding and checking the
 * signature object without parsing the body, the token replay cache,
 * and the event (see feedback_mailgun.h).
 */
#include "ingress/feedback_mailgun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "config/config.h"
#include "core/xmalloc.h"
#include "ingress/feedback_json.h"
#include "ingress/feedback_sig.h"

#define MG_DEPTH_MAX 64 /* nesting the scan follows */
#define MG_NONE UINT32_MAX

/* The bounded scan over a JSON text: a cursor and the nesting depth. */
struct mg_scan {
	const char *p, *end;
	int depth;
};

/* mg_ws - skip JSON white space. */
static void
mg_ws(struct mg_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	                         *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* mg_eat - consume the character c (after white space), or fail. */
static int
mg_eat(struct mg_scan *s, char c)
{
	mg_ws(s);
	if (s->p >= s->end || *s->p != c)
		return -1;
	s->p++;
	return 0;
}

/*
 * mg_string - a JSON string at the cursor; *raw is its text between the
 * quotes, escapes left as they are, *escaped whether it has any. -1 when
 * it is not a well-formed string.
 */
static int
mg_string(struct mg_scan *s, struct str *raw, bool *escaped)
{
	const char *start;

	*escaped = false;
	if (mg_eat(s, '"') < 0)
		return -1;
	start = s->p;
	while (s->p < s->end && *s->p != '"') {
		if ((unsigned char)*s->p < 0x20)
			return -1;
		if (*s->p == '\\') {
			*escaped = true;
			if (++s->p >= s->end)
				return -1;
		}
		s->p++;
	}
	if (s->p >= s->end)
		return -1;
	*raw = (struct str){start, (size_t)(s->p - start)};
	s->p++;
	return 0;
}

static int mg_skip(struct mg_scan *s);

/* mg_skip_members - the rest of an object or array after its opener. */
static int
mg_skip_members(struct mg_scan *s, char close, bool object)
{
	struct str k;
	bool esc;

	mg_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (object &&
		    (mg_string(s, &k, &esc) < 0 || mg_eat(s, ':') < 0))
			return -1;
		if (mg_skip(s) < 0)
			return -1;
		mg_ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		if (*s->p++ != ',')
			return -1;
	}
}

/* mg_skip - one JSON value of any kind, checked only for its shape
 * (numbers and literals as runs of their characters). */
static int
mg_skip(struct mg_scan *s)
{
	struct str raw;
	bool esc;
	int rc;

	mg_ws(s);
	if (s->p >= s->end)
		return -1;
	if (*s->p == '"')
		return mg_string(s, &raw, &esc);
	if (*s->p == '{' || *s->p == '[') {
		bool object = *s->p == '{';

		if (++s->depth > MG_DEPTH_MAX)
			return -1;
		s->p++;
		rc = mg_skip_members(s, object ? '}' : ']', object);
		s->depth--;
		return rc;
	}
	raw.p = s->p;
	while (s->p < s->end && *s->p != '\0' &&
	       strchr("0123456789+-.eEtruefalsn", *s->p) != NULL)
		s->p++;
	return s->p > raw.p ? 0 : -1;
}

/* mg_str_is - is raw exactly the text word? */
static bool
mg_str_is(struct str raw, const char *word)
{
	return raw.len == strlen(word) && memcmp(raw.p, word, raw.len) == 0;
}

/* mg_sig_member - copy the value of a member of the signature object
 * into dst[0..cap) when its key is one of the three. -1: malformed JSON,
 * -2: a value we need is not a plain string that fits. */
static int
mg_sig_member(struct mg_scan *s, struct str key,
              struct feedback_mailgun_sig *sig, unsigned *have)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} want[] = {
	    {"timestamp", offsetof(struct feedback_mailgun_sig, timestamp),
	     sizeof(sig->timestamp)},
	    {"token", offsetof(struct feedback_mailgun_sig, token),
	     sizeof(sig->token)},
	    {"signature", offsetof(struct feedback_mailgun_sig, signature),
	     sizeof(sig->signature)},
	};
	struct str v;
	bool esc;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (mg_str_is(key, want[i].name))
			break;
	if (i == sizeof(want) / sizeof(want[0]))
		return mg_skip(s);
	mg_ws(s);
	if (s->p >= s->end || *s->p != '"')
		return mg_skip(s) < 0 ? -1 : -2;
	if (mg_string(s, &v, &esc) < 0)
		return -1;
	if (esc || v.len == 0 || v.len >= want[i].cap || (*have & 1u << i))
		return -2;
	memcpy((char *)sig + want[i].off, v.p, v.len);
	((char *)sig + want[i].off)[v.len] = '\0';
	*have |= 1u << i;
	return 0;
}

/* mg_sig_object - the value of the top-level member "signature". */
static int
mg_sig_object(struct mg_scan *s, struct feedback_mailgun_sig *sig)
{
	unsigned have = 0;
	int bad = 0, rc;
	struct str k;
	bool esc;

	mg_ws(s);
	if (s->p >= s->end || *s->p != '{')
		return mg_skip(s) < 0 ? -1 : -2;
	s->p++;
	mg_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return -2;
	}
	for (;;) {
		if (mg_string(s, &k, &esc) < 0 || mg_eat(s, ':') < 0)
			return -1;
		rc = esc ? mg_skip(s) : mg_sig_member(s, k, sig, &have);
		if (rc == -1)
			return -1;
		if (rc == -2)
			bad = -2;
		mg_ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == '}')
			break;
		if (*s->p++ != ',')
			return -1;
	}
	s->p++;
	return bad < 0 || have != 7u ? -2 : 0;
}

int
feedback_mailgun_sig_find(const char *body, size_t len,
                          struct feedback_mailgun_sig *sig, char *err,
                          size_t errlen)
{
	struct mg_scan s = {body, body + len, 1};
	int found = 0, rc = 0;
	struct str k;
	bool esc;

	memset(sig, 0, sizeof(*sig));
	if (mg_eat(&s, '{') < 0)
		goto malformed;
	mg_ws(&s);
	if (s.p < s.end && *s.p == '}')
		s.p++;
	else
		for (;;) {
			if (mg_string(&s, &k, &esc) < 0 || mg_eat(&s, ':') < 0)
				goto malformed;
			if (!esc && mg_str_is(k, "signature")) {
				int r = mg_sig_object(&s, sig);

				if (r == -1)
					goto malformed;
				if (r == -2 || found++)
					rc = -2;
			} else if (mg_skip(&s) < 0) {
				goto malformed;
			}
			mg_ws(&s);
			if (s.p >= s.end)
				goto malformed;
			if (*s.p == '}') {
				s.p++;
				break;
			}
			if (*s.p++ != ',')
				goto malformed;
		}
	mg_ws(&s);
	if (s.p != s.end)
		goto malformed;
	if (rc == 0 && found == 1)
		return 0;
	snprintf(err, errlen,
	         found > 1 ? "more than one signature object"
	         : found   ? "the signature object lacks timestamp, token or "
	                     "signature as plain strings"
	                   : "no signature object");
	memset(sig, 0, sizeof(*sig));
	return -2;
malformed:
	snprintf(err, errlen, "body is not a JSON object (offset %zu)",
	         (size_t)(s.p - body));
	memset(sig, 0, sizeof(*sig));
	return -1;
}

/* mg_digest - SHA-256 of token, the cache's key. */
static void
mg_digest(const char *token, unsigned char out[32])
{
	SHA256((const unsigned char *)token, strlen(token), out);
}

/* mg_bucket - the bucket of digest d. */
static size_t
mg_bucket(const struct feedback_mailgun_cache *c, const unsigned char *d)
{
	uint32_t h;

	memcpy(&h, d, sizeof(h));
	return h & (c->n_buckets - 1);
}

void
feedback_mailgun_cache_init(struct feedback_mailgun_cache *c, size_t cap)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->cap = cap > 0 ? cap : 1;
	c->ring = xcalloc(c->cap, sizeof(*c->ring));
	c->n_buckets = 1;
	while (c->n_buckets < 2 * c->cap)
		c->n_buckets <<= 1;
	c->buckets = xcalloc(c->n_buckets, sizeof(*c->buckets));
	for (i = 0; i < c->n_buckets; i++)
		c->buckets[i] = MG_NONE;
}

void
feedback_mailgun_cache_fini(struct feedback_mailgun_cache *c)
{
	free(c->ring);
	free(c->buckets);
	memset(c, 0, sizeof(*c));
}

bool
feedback_mailgun_cache_seen(const struct feedback_mailgun_cache *c,
                            const char *token, int64_t now_ms)
{
	unsigned char d[32];
	uint32_t i;

	mg_digest(token, d);
	for (i = c->buckets[mg_bucket(c, d)]; i != MG_NONE; i = c->ring[i].next)
		if (memcmp(c->ring[i].digest, d, sizeof(d)) == 0 &&
		    c->ring[i].expires_ms >= now_ms)
			return true;
	return false;
}

bool
feedback_mailgun_cache_full(const struct feedback_mailgun_cache *c,
                            int64_t now_ms)
{
	return c->used == c->cap && c->ring[c->oldest].expires_ms >= now_ms;
}

/* mg_unlink - take ring slot i out of its bucket's chain. */
static void
mg_unlink(struct feedback_mailgun_cache *c, uint32_t i)
{
	uint32_t *p = &c->buckets[mg_bucket(c, c->ring[i].digest)];

	while (*p != MG_NONE && *p != i)
		p = &c->ring[*p].next;
	if (*p == i)
		*p = c->ring[i].next;
}

void
feedback_mailgun_cache_add(struct feedback_mailgun_cache *c, const char *token,
                           int64_t expires_ms)
{
	uint32_t i;
	size_t b;

	if (c->used == c->cap) {
		/* Forget the oldest: the slot it frees is the new one. */
		i = (uint32_t)c->oldest;
		mg_unlink(c, i);
		c->oldest = (c->oldest + 1) % c->cap;
	} else {
		i = (uint32_t)((c->oldest + c->used) % c->cap);
		c->used++;
	}
	mg_digest(token, c->ring[i].digest);
	c->ring[i].expires_ms = expires_ms;
	b = mg_bucket(c, c->ring[i].digest);
	c->ring[i].next = c->buckets[b];
	c->buckets[b] = i;
}

enum feedback_check
feedback_mailgun_verify(const char *key, size_t keylen, const char *body,
                        size_t len, int64_t now_ms, int64_t max_age_ms,
                        const struct feedback_mailgun_cache *cache, char *err,
                        size_t errlen)
{
	struct feedback_mailgun_sig sig;
	unsigned char mac[FEEDBACK_SIG_HMAC_LEN];
	struct str parts[2];
	enum feedback_check c;
	int64_t sec;
	int rc;

	rc = feedback_mailgun_sig_find(body, len, &sig, err, errlen);
	if (rc < 0)
		return rc == -1 ? FEEDBACK_CHECK_MALFORMED
		                : FEEDBACK_CHECK_AUTH;
	if (feedback_sig_time(sig.timestamp, &sec) < 0) {
		snprintf(err, errlen, "signature.timestamp is not a time");
		return FEEDBACK_CHECK_AUTH;
	}
	parts[0] = (struct str){sig.timestamp, strlen(sig.timestamp)};
	parts[1] = (struct str){sig.token, strlen(sig.token)};
	if (feedback_sig_hmac(key, keylen, parts, 2, mac) < 0) {
		snprintf(err, errlen, "HMAC failed");
		return FEEDBACK_CHECK_UNAVAILABLE;
	}
	c = feedback_sig_check(feedback_sig_hex_equal(sig.signature,
	                                              strlen(sig.signature),
	                                              mac, sizeof(mac)),
	                       sec, now_ms, max_age_ms, err, errlen);
	if (c == FEEDBACK_CHECK_AUTH)
		snprintf(err, errlen, "the signature does not match");
	if (c != FEEDBACK_CHECK_OK || cache == NULL)
		return c;
	if (feedback_mailgun_cache_seen(cache, sig.token, now_ms)) {
		snprintf(err, errlen, "token seen before");
		return FEEDBACK_CHECK_REPLAY;
	}
	if (feedback_mailgun_cache_full(cache, now_ms)) {
		snprintf(err, errlen, "replay cache full");
		return FEEDBACK_CHECK_UNAVAILABLE;
	}
	return FEEDBACK_CHECK_OK;
}

void
feedback_mailgun_remember(struct feedback_mailgun_cache *c, const char *body,
                          size_t len, int64_t max_age_ms)
{
	struct feedback_mailgun_sig sig;
	char err[128];
	int64_t sec;

	if (feedback_mailgun_sig_find(body, len, &sig, err, sizeof(err)) == 0 &&
	    feedback_sig_time(sig.timestamp, &sec) == 0)
		feedback_mailgun_cache_add(c, sig.token,
		                           sec * 1000 + max_age_ms);
}

/* What a "failed" event means: by reason, code and severity. */
static enum feedback_type
mailgun_failed(const char *severity, const char *reason, json_int_t code)
{
	/* Mailgun's own suppression lists: it never tried. */
	if ((reason != NULL && strncmp(reason, "suppress-", 9) == 0) ||
	    code == 605 || code == 606 || code == 607 || code == 625)
		return FEEDBACK_REJECTED;
	if (severity != NULL && strcmp(severity, "temporary") == 0)
		return FEEDBACK_DELAYED;
	/* Permanent because retries ran out, not because the address is
	 * bad. */
	if (reason != NULL && strcmp(reason, "old") == 0)
		return FEEDBACK_SOFT_BOUNCE;
	return FEEDBACK_HARD_BOUNCE;
}

/* What Mailgun's other event names mean. */
static const struct {
	const char *name;
	enum feedback_type type;
} mailgun_types[] = {
    {"accepted", FEEDBACK_SENT},
    {"delivered", FEEDBACK_DELIVERED},
    {"rejected", FEEDBACK_REJECTED},
    {"complained", FEEDBACK_COMPLAINT},
    {"unsubscribed", FEEDBACK_UNSUBSCRIBE},
};

static enum feedback_type
mailgun_type(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(mailgun_types) / sizeof(mailgun_types[0]); i++)
		if (strcmp(mailgun_types[i].name, name) == 0)
			return mailgun_types[i].type;
	return FEEDBACK_OTHER;
}

/* mailgun_status - delivery-status into e's codes and diagnostic. */
static void
mailgun_status(const json_t *st, struct feedback_event *e)
{
	json_t *code = json_object_get(st, "code");
	const char *text = feedback_json_str(st, "message");

	/* Mailgun's own codes (605...) are not SMTP replies. */
	if (json_is_integer(code) && json_integer_value(code) >= 200 &&
	    json_integer_value(code) <= 599)
		e->smtp_code = (int)json_integer_value(code);
	feedback_set(e->enhanced, sizeof(e->enhanced),
	             feedback_json_str(st, "enhanced-code"));
	if (text == NULL || text[0] == '\0')
		text = feedback_json_str(st, "description");
	feedback_set(e->diagnostic, sizeof(e->diagnostic), text);
}

/* mailgun_event - event-data ed into e. 0, or -1 with err. */
static int
mailgun_event(const json_t *ed, struct feedback_event *e, char *err,
              size_t errlen)
{
	const char *name = feedback_json_str(ed, "event");
	const char *id = feedback_json_str(ed, "id");
	const char *severity = feedback_json_str(ed, "severity");
	const char *reason = feedback_json_str(ed, "reason");
	const json_t *st = feedback_json_obj(ed, "delivery-status");
	const json_t *hdrs =
	    feedback_json_obj(feedback_json_obj(ed, "message"), "headers");
	const char *msgid = feedback_json_str(hdrs, "message-id");
	json_t *ts = json_object_get(ed, "timestamp");

	if (name == NULL || id == NULL || id[0] == '\0') {
		snprintf(err, errlen, "event-data has no %s string",
		         name == NULL ? "event" : "id");
		return -1;
	}
	e->type = strcmp(name, "failed") == 0
	              ? mailgun_failed(
	                    severity, reason,
	                    json_integer_value(json_object_get(st, "code")))
	              : mailgun_type(name);
	feedback_set(e->event_id, sizeof(e->event_id), id);
	if (msgid != NULL) {
		size_t l = strlen(msgid);

		if (l >= 2 && msgid[0] == '<' && msgid[l - 1] == '>')
			feedback_set_n(e->provider_msg_id,
			               sizeof(e->provider_msg_id), msgid + 1,
			               l - 2);
		else
			feedback_set(e->provider_msg_id,
			             sizeof(e->provider_msg_id), msgid);
	}
	feedback_set(e->swerve_id, sizeof(e->swerve_id),
	             feedback_json_str(feedback_json_obj(ed, "user-variables"),
	                               "swerve_id"));
	feedback_set_recipient(e, feedback_json_str(ed, "recipient"));
	if (json_is_number(ts) && json_number_value(ts) > 0 &&
	    json_number_value(ts) < 1e11)
		e->occurred_ms = (int64_t)llround(json_number_value(ts) * 1000);
	feedback_set(e->provider_type, sizeof(e->provider_type), name);
	feedback_set(e->provider_subtype, sizeof(e->provider_subtype),
	             severity != NULL ? severity : reason);
	if (st != NULL)
		mailgun_status(st, e);
	if (e->diagnostic[0] == '\0' && reason != NULL)
		feedback_set(e->diagnostic, sizeof(e->diagnostic), reason);
	return 0;
}

int
feedback_mailgun_parse(const char *body, size_t len, const char *provider,
                       struct feedback_event **out, size_t *n, char *err,
                       size_t errlen)
{
	struct feedback_json_out o = {.max = 1};
	json_t *root = feedback_json_load(body, len, JSON_OBJECT, err, errlen);
	const json_t *ed = feedback_json_obj(root, "event-data");
	struct feedback_event *e;
	int rc = -1;

	if (root == NULL)
		return feedback_json_done(&o, -1, out, n);
	if (ed == NULL) {
		snprintf(err, errlen, "no event-data object");
		goto done;
	}
	e = feedback_json_event_add(&o, provider, err, errlen);
	if (e != NULL && mailgun_event(ed, e, err, errlen) == 0)
		rc = 0;
done:
	json_decref(root);
	return feedback_json_done(&o, rc, out, n);
}

/* mailgun_init - a replay cache for this provider. */
static int
mailgun_init(struct feedback_source *src, char *err, size_t errlen)
{
	struct feedback_mailgun_cache *c;

	if (src->provider->events.signing_key == NULL ||
	    src->provider->events.signing_key[0] == '\0') {
		snprintf(err, errlen, "no signing key");
		return -1;
	}
	c = xmalloc(sizeof(*c));
	feedback_mailgun_cache_init(c, FEEDBACK_MAILGUN_CACHE_CAP);
	src->state = c;
	return 0;
}

static void
mailgun_fini(struct feedback_source *src)
{
	if (src->state != NULL) {
		feedback_mailgun_cache_fini(src->state);
		free(src->state);
	}
	src->state = NULL;
}

static enum feedback_check
mailgun_verify(struct feedback_source *src, const struct feedback_request *req,
               char *err, size_t errlen)
{
	const char *key = src->provider->events.signing_key;

	return feedback_mailgun_verify(
	    key, strlen(key), req->body, req->body_len, req->now_ms,
	    (int64_t)src->provider->events.max_age_ms, src->state, err, errlen);
}

/* mailgun_stored - remember the token once its events are durable. */
static void
mailgun_stored(struct feedback_source *src, const struct feedback_request *req)
{
	feedback_mailgun_remember(src->state, req->body, req->body_len,
	                          (int64_t)src->provider->events.max_age_ms);
}

const struct feedback_source_ops feedback_mailgun_ops = {
    .type = "mailgun",
    .init = mailgun_init,
    .fini = mailgun_fini,
    .verify = mailgun_verify,
    .parse = feedback_mailgun_parse,
    .stored = mailgun_stored,
};
