/*
 * spool_export.c - the export file's lines: encode one message, parse a
 * whole file (see spool_export.h). Pure.
 */
#include "spool/spool_export.h"

#include <inttypes.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/id.h"
#include "core/xmalloc.h"

static const char *const export_states[] = {"ready", "inflight", "deferred",
                                            "scheduled"};

int
spool_export_state_ok(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(export_states) / sizeof(*export_states); i++)
		if (strcmp(s, export_states[i]) == 0)
			return 1;
	return 0;
}

/* ---- encoding -------------------------------------------------------- */

/* exp_put - o[key] = s (NULL: null); -1 when s is not UTF-8. */
static int
exp_put(json_t *o, const char *key, const char *s)
{
	json_t *v = s != NULL ? json_string(s) : json_null();

	if (v == NULL)
		return -1;
	json_object_set_new(o, key, v);
	return 0;
}

/* exp_int - o[key] = v. */
static void
exp_int(json_t *o, const char *key, int64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

char *
spool_export_line(const struct spool_export_msg *m)
{
	json_t *o = json_object(), *rs = json_array(), *as = json_array(), *x;
	char *b64 = base64_encode_str(m->body, m->body_len), *js = NULL, *out;
	int bad = 0;
	size_t i, n;

	bad |=
	    exp_put(o, "id", m->id) | exp_put(o, "state", m->state) |
	    exp_put(o, "sender", m->sender) | exp_put(o, "stream", m->stream) |
	    exp_put(o, "tenant", m->tenant) | exp_put(o, "client", m->client) |
	    exp_put(o, "last_error", m->last_error) |
	    exp_put(o, "idempotency_key", m->idempotency_key) |
	    exp_put(o, "idempotency_hash", m->idempotency_hash) |
	    exp_put(o, "meta", m->meta) | exp_put(o, "body", b64);
	exp_int(o, "size", m->size);
	exp_int(o, "created_at", m->created_at);
	exp_int(o, "next_attempt_at", m->next_attempt_at);
	exp_int(o, "attempts", m->attempts);
	for (i = 0; i < m->n_rcpts; i++) {
		const struct spool_export_rcpt *r = &m->rcpts[i];

		x = json_object();
		exp_int(x, "idx", r->idx);
		bad |= exp_put(x, "address", r->address) |
		       exp_put(x, "state", r->state) |
		       exp_put(x, "last_reply", r->last_reply) |
		       exp_put(x, "provider", r->provider) |
		       exp_put(x, "provider_msg_id", r->provider_msg_id) |
		       exp_put(x, "outcome", r->outcome) |
		       exp_put(x, "bounce", r->bounce) |
		       exp_put(x, "outcome_text", r->outcome_text);
		exp_int(x, "outcome_at", r->outcome_at);
		json_array_append_new(rs, x);
	}
	for (i = 0; i < m->n_atts; i++) {
		const struct spool_export_att *a = &m->atts[i];

		x = json_object();
		exp_int(x, "at", a->at);
		exp_int(x, "duration_ms", a->duration_ms);
		bad |= exp_put(x, "provider", a->provider) |
		       exp_put(x, "result", a->result) |
		       exp_put(x, "reply", a->reply) |
		       exp_put(x, "trace", a->trace);
		json_array_append_new(as, x);
	}
	json_object_set_new(o, "rcpts", rs);
	json_object_set_new(o, "attempts_detail", as);
	free(b64);
	if (!bad)
		js = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (js == NULL)
		return NULL;
	n = strlen(js);
	out = xmalloc(n + 2);
	memcpy(out, js, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	free(js);
	return out;
}

void
spool_export_trailer(char *out, size_t outlen, size_t count,
                     const unsigned char digest[32])
{
	char hex[65];
	size_t i;

	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	snprintf(out, outlen, "end %zu %s\n", count, hex);
}

/* ---- parsing --------------------------------------------------------- */

/* exp_str - o[key]: a string without NUL (copied), or null when
 * nullable. 0 or -1. */
static int
exp_str(json_t *o, const char *key, char **out, int nullable)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL)
		return -1;
	if (json_is_null(v))
		return nullable ? 0 : -1;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* exp_num - o[key]: an integer >= 0. 0 or -1. */
static int
exp_num(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

/* exp_rcpt - one element of rcpts. NULL or what is wrong. */
static const char *
exp_rcpt(json_t *x, struct spool_export_rcpt *r)
{
	if (!json_is_object(x))
		return "a recipient is not an object";
	if (exp_num(x, "idx", &r->idx) < 0 ||
	    exp_num(x, "outcome_at", &r->outcome_at) < 0)
		return "a recipient's idx or outcome_at is not an integer >= 0";
	if (exp_str(x, "address", &r->address, 0) < 0 ||
	    exp_str(x, "state", &r->state, 0) < 0 ||
	    exp_str(x, "last_reply", &r->last_reply, 1) < 0 ||
	    exp_str(x, "provider", &r->provider, 1) < 0 ||
	    exp_str(x, "provider_msg_id", &r->provider_msg_id, 1) < 0 ||
	    exp_str(x, "outcome", &r->outcome, 1) < 0 ||
	    exp_str(x, "bounce", &r->bounce, 1) < 0 ||
	    exp_str(x, "outcome_text", &r->outcome_text, 1) < 0)
		return "a recipient's text member is missing or not a string";
	if (r->address[0] == '\0' || r->state[0] == '\0')
		return "a recipient without an address or a state";
	return NULL;
}

/* exp_att - one element of attempts_detail. NULL or what is wrong. */
static const char *
exp_att(json_t *x, struct spool_export_att *a)
{
	if (!json_is_object(x))
		return "an attempt is not an object";
	if (exp_num(x, "at", &a->at) < 0 ||
	    exp_num(x, "duration_ms", &a->duration_ms) < 0)
		return "an attempt's at or duration_ms is not an integer >= 0";
	if (exp_str(x, "provider", &a->provider, 0) < 0 ||
	    exp_str(x, "result", &a->result, 0) < 0 ||
	    exp_str(x, "reply", &a->reply, 1) < 0 ||
	    exp_str(x, "trace", &a->trace, 1) < 0)
		return "an attempt's text member is missing or not a string";
	return NULL;
}

/* exp_msg - one message line. NULL or what is wrong. */
static const char *
exp_msg(const char *line, size_t len, struct spool_export_msg *m)
{
	json_t *o, *rs, *as;
	char *id = NULL, *b64 = NULL;
	const char *bad = NULL;
	struct buf body;
	size_t i, j;

	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return "not a JSON object";
	}
	if (exp_str(o, "id", &id, 0) < 0 || !id_valid(id)) {
		bad = "no valid id";
		goto done;
	}
	memcpy(m->id, id, ID_SIZE);
	if (exp_str(o, "state", &m->state, 0) < 0 ||
	    !spool_export_state_ok(m->state)) {
		bad = "state is not ready, inflight, deferred or scheduled";
		goto done;
	}
	if (exp_str(o, "sender", &m->sender, 0) < 0 ||
	    exp_str(o, "stream", &m->stream, 0) < 0 ||
	    exp_str(o, "tenant", &m->tenant, 1) < 0 ||
	    exp_str(o, "client", &m->client, 1) < 0 ||
	    exp_str(o, "last_error", &m->last_error, 1) < 0 ||
	    exp_str(o, "idempotency_key", &m->idempotency_key, 1) < 0 ||
	    exp_str(o, "idempotency_hash", &m->idempotency_hash, 1) < 0 ||
	    exp_str(o, "meta", &m->meta, 1) < 0 ||
	    exp_str(o, "body", &b64, 0) < 0) {
		bad = "a text member is missing or not a string";
		goto done;
	}
	if (exp_num(o, "size", &m->size) < 0 ||
	    exp_num(o, "created_at", &m->created_at) < 0 ||
	    exp_num(o, "next_attempt_at", &m->next_attempt_at) < 0 ||
	    exp_num(o, "attempts", &m->attempts) < 0) {
		bad = "a count or time is not an integer >= 0";
		goto done;
	}
	buf_init(&body);
	if (base64_decode_buf(str_from(b64), 0, &body) < 0) {
		buf_fini(&body);
		bad = "body is not base64";
		goto done;
	}
	m->body_len = body.len;
	m->body = xmalloc(body.len + 1);
	if (body.len > 0)
		memcpy(m->body, body.p, body.len);
	buf_fini(&body);
	rs = json_object_get(o, "rcpts");
	as = json_object_get(o, "attempts_detail");
	if (!json_is_array(rs) || json_array_size(rs) == 0 ||
	    !json_is_array(as)) {
		bad = "rcpts (at least one) or attempts_detail is not a list";
		goto done;
	}
	m->rcpts = xcalloc(json_array_size(rs), sizeof(*m->rcpts));
	for (i = 0; i < json_array_size(rs) && bad == NULL; i++) {
		bad = exp_rcpt(json_array_get(rs, i), &m->rcpts[i]);
		m->n_rcpts = i + 1;
		for (j = 0; j < i && bad == NULL; j++)
			if (m->rcpts[j].idx == m->rcpts[i].idx)
				bad = "two recipients with one idx";
	}
	if (bad != NULL)
		goto done;
	m->atts = xcalloc(json_array_size(as) ? json_array_size(as) : 1,
	                  sizeof(*m->atts));
	for (i = 0; i < json_array_size(as) && bad == NULL; i++) {
		bad = exp_att(json_array_get(as, i), &m->atts[i]);
		m->n_atts = i + 1;
	}
done:
	free(id);
	free(b64);
	json_decref(o);
	return bad;
}

/* exp_err - err = "line N: what". */
static int
exp_err(char *err, size_t errlen, size_t line, const char *what)
{
	snprintf(err, errlen, "line %zu: %s", line, what);
	return -1;
}

/* exp_trailer - the "end" line buf[0..len) (no "\n"): count, digest. */
static int
exp_trailer(const char *s, size_t len, size_t *count, unsigned char dg[32])
{
	size_t i, c = 0, k;

	/* "end ", 1-20 digits without a leading 0, " ", 64 hex digits. */
	if (len < 4 + 1 + 1 + 64 || memcmp(s, "end ", 4) != 0)
		return -1;
	for (i = 4; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (c > (SIZE_MAX - 9) / 10)
			return -1;
		c = c * 10 + (size_t)(s[i] - '0');
	}
	if (i == 4 || (s[4] == '0' && i > 5) || i >= len || s[i] != ' ' ||
	    len - i - 1 != 64)
		return -1;
	for (k = 0; k < 32; k++) {
		unsigned v = 0;
		int d;

		for (d = 0; d < 2; d++) {
			char ch = s[i + 1 + 2 * k + (size_t)d];

			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= (unsigned)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				v |= (unsigned)(ch - 'a' + 10);
			else
				return -1;
		}
		dg[k] = (unsigned char)v;
	}
	*count = c;
	return 0;
}

int
spool_export_parse(const char *buf, size_t len, struct spool_export_msg **out,
                   size_t *n, char *err, size_t errlen)
{
	size_t mlen = strlen(SPOOL_EXPORT_MAGIC), pos, line = 1, count = 0;
	size_t cap = 0, want = 0, i, j;
	struct spool_export_msg *ms = NULL;
	unsigned char dg[32], got[32];
	const char *bad = NULL, *nl;
	int ended = 0;

	*out = NULL;
	*n = 0;
	if (len < mlen || memcmp(buf, SPOOL_EXPORT_MAGIC, mlen) != 0)
		return exp_err(
		    err, errlen, 1,
		    "not a swerve spool export of version 1 (expected "
		    "\"swerve-spool-export 1\")");
	pos = mlen;
	while (pos < len) {
		line++;
		nl = memchr(buf + pos, '\n', len - pos);
		if (nl == NULL) {
			bad = "the file is cut short (no end of line)";
			break;
		}
		if (ended) {
			bad = "something follows the end line";
			break;
		}
		if ((size_t)(nl - (buf + pos)) >= 4 &&
		    memcmp(buf + pos, "end ", 4) == 0) {
			if (exp_trailer(buf + pos, (size_t)(nl - (buf + pos)),
			                &want, dg) < 0) {
				bad = "a malformed end line";
				break;
			}
			SHA256((const unsigned char *)buf, pos, got);
			if (memcmp(dg, got, 32) != 0) {
				bad =
				    "the checksum does not match: the file is "
				    "damaged";
				break;
			}
			ended = 1;
			pos = (size_t)(nl - buf) + 1;
			continue;
		}
		if (count == cap) {
			cap = cap ? 2 * cap : 16;
			ms = xrealloc(ms, cap * sizeof(*ms));
		}
		memset(&ms[count], 0, sizeof(*ms));
		bad =
		    exp_msg(buf + pos, (size_t)(nl - (buf + pos)), &ms[count]);
		count++;
		if (bad != NULL)
			break;
		pos = (size_t)(nl - buf) + 1;
	}
	if (bad == NULL && !ended) {
		line++;
		bad = "the file is cut short (no end line)";
	}
	if (bad == NULL && want != count)
		bad = "the end line's count is not the number of messages";
	/* Ids are unique (sorted by the exporter, but not relied on). */
	for (i = 0; bad == NULL && i < count; i++)
		for (j = i + 1; bad == NULL && j < count; j++)
			if (strcmp(ms[i].id, ms[j].id) == 0) {
				bad = "the same id twice";
				line = 1 + j + 1;
			}
	if (bad != NULL) {
		spool_export_free(ms, count);
		return exp_err(err, errlen, line, bad);
	}
	*out = ms;
	*n = count;
	return 0;
}

void
spool_export_msg_fini(struct spool_export_msg *m)
{
	size_t i;

	free(m->state);
	free(m->sender);
	free(m->stream);
	free(m->tenant);
	free(m->client);
	free(m->last_error);
	free(m->idempotency_key);
	free(m->idempotency_hash);
	free(m->meta);
	free(m->body);
	for (i = 0; i < m->n_rcpts; i++) {
		struct spool_export_rcpt *r = &m->rcpts[i];

		free(r->address);
		free(r->state);
		free(r->last_reply);
		free(r->provider);
		free(r->provider_msg_id);
		free(r->outcome);
		free(r->bounce);
		free(r->outcome_text);
	}
	free(m->rcpts);
	for (i = 0; i < m->n_atts; i++) {
		free(m->atts[i].provider);
		free(m->atts[i].result);
		free(m->atts[i].reply);
		free(m->atts[i].trace);
	}
	free(m->atts);
	memset(m, 0, sizeof(*m));
}

void
spool_export_free(struct spool_export_msg *ms, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		spool_export_msg_fini(&ms[i]);
	free(ms);
}
