/*
 * notify_webhook.c - the generic webhook's JSON and its HMAC signature.
 *
 * Body (one object, compact, keys sorted):
 *
 *   {"version": 1, "source": "swerve", "host": "mx1",
 *    "status": "firing" | "resolved", "change": "firing" | "repeat" |
 *    "resolved", "sent_at": RFC 3339,
 *    "alert": {"id": "rule/subject", "rule", "kind", "severity",
 *              "provider" | null, "stream" | null, "summary",
 *              "value", "threshold", "since", "started_at",
 *              "resolved_at" | null}}
 *
 * Signature (header X-Swerve-Signature): "t=<unix seconds>,v1=<hex>",
 * hex = lower-case HMAC-SHA256 keyed with the secret over the bytes
 * "<t>." followed by the exact body. Pure functions; no I/O.
 */
#include "observe/notify.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"

/* webhook_str - a JSON string, or null for NULL. */
static json_t *
webhook_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* webhook_time - an RFC 3339 string, or null for 0. */
static json_t *
webhook_time(int64_t ms)
{
	char t[40];

	if (ms <= 0)
		return json_null();
	clock_wall_text(ms, t, sizeof(t));
	return json_string(t);
}

char *
notify_webhook_body(const struct alert_info *a, enum alert_change ch,
                    const char *host, int64_t now_ms)
{
	json_t *al = json_object(), *o = json_object();
	char id[160];
	char *s;

	snprintf(id, sizeof(id), "%s/%s", a->rule,
	         a->provider ? a->provider
	         : a->stream ? a->stream
	                     : "-");
	json_object_set_new(al, "id", json_string(id));
	json_object_set_new(al, "rule", json_string(a->rule));
	json_object_set_new(al, "kind", json_string(a->kind));
	json_object_set_new(al, "severity", json_string(a->severity));
	json_object_set_new(al, "provider", webhook_str(a->provider));
	json_object_set_new(al, "stream", webhook_str(a->stream));
	json_object_set_new(al, "summary", json_string(a->summary));
	json_object_set_new(al, "value", json_real(a->value));
	json_object_set_new(al, "threshold", json_real(a->threshold));
	json_object_set_new(al, "since", webhook_time(a->since_ms));
	json_object_set_new(al, "started_at", webhook_time(a->fired_ms));
	json_object_set_new(al, "resolved_at", webhook_time(a->resolved_ms));

	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "source", json_string("swerve"));
	json_object_set_new(o, "host", json_string(host ? host : ""));
	json_object_set_new(
	    o, "status",
	    json_string(ch == ALERT_CHANGE_RESOLVED ? "resolved" : "firing"));
	json_object_set_new(o, "change", json_string(alert_change_name(ch)));
	json_object_set_new(o, "sent_at", webhook_time(now_ms));
	json_object_set_new(o, "alert", al);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		log_panic("notify: json_dumps failed");
	return s;
}

void
notify_webhook_sign(const char *secret, int64_t ts, const char *body,
                    size_t len, char out[NOTIFY_SIG_SIZE])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0, i;
	char prefix[32];
	size_t plen;
	struct buf msg;
	int w;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "%lld.", (long long)ts);
	buf_init(&msg);
	buf_add(&msg, prefix, plen);
	buf_add(&msg, body, len);
	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	     (const unsigned char *)msg.p, msg.len, mac, &mlen);
	buf_fini(&msg);
	w = snprintf(out, NOTIFY_SIG_SIZE, "t=%lld,v1=", (long long)ts);
	for (i = 0; i < mlen && w + 2 < NOTIFY_SIG_SIZE; i++)
		w += snprintf(out + w, NOTIFY_SIG_SIZE - (size_t)w, "%02x",
		              mac[i]);
	OPENSSL_cleanse(mac, sizeof(mac));
}
