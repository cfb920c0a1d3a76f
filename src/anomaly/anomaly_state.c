/*
 * anomaly_state.c - the learning file's records.
 */
#include "anomaly/anomaly_state.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"

void
anomaly_state_header(struct buf *out)
{
	buf_printf(out, "swerve-anomaly %d %zu\n", ANOMALY_MODEL_VERSION,
	           sizeof(struct anomaly_model));
}

void
anomaly_state_record(struct buf *out, const char *key,
                     const struct anomaly_model *m)
{
	size_t n = strlen(key);
	unsigned char len[2];

	if (n == 0 || n > ANOMALY_KEY_MAX)
		return;
	len[0] = (unsigned char)(n >> 8);
	len[1] = (unsigned char)(n & 0xff);
	buf_add(out, len, 2);
	buf_add(out, key, n);
	buf_add(out, m, sizeof(*m));
}

/* state_model_ok - do the bytes read as a model hold sane numbers? */
static int
state_model_ok(const struct anomaly_model *m)
{
	size_t i;

	for (i = 0; i < 168 + 24 + 1; i++) {
		const struct anomaly_bucket *b = i < 168   ? &m->week[i]
		                                 : i < 192 ? &m->day[i - 168]
		                                           : &m->all;
		if (!isfinite(b->m) || !isfinite(b->s) || b->s < 0)
			return 0;
	}
	return 1;
}

int
anomaly_state_decode(const char *buf, size_t len, anomaly_state_fn *fn,
                     void *arg, char *err, size_t errlen)
{
	char want[64], key[ANOMALY_KEY_MAX + 1];
	struct anomaly_model m;
	const char *nl = memchr(buf, '\n', len);
	size_t pos, wl;

	wl = (size_t)snprintf(want, sizeof(want), "swerve-anomaly %d %zu",
	                      ANOMALY_MODEL_VERSION,
	                      sizeof(struct anomaly_model));
	if (nl == NULL || (size_t)(nl - buf) != wl ||
	    memcmp(buf, want, wl) != 0) {
		snprintf(err, errlen,
		         "not this version's learning file (expected \"%s\")",
		         want);
		return -1;
	}
	pos = wl + 1;
	while (pos < len) {
		size_t kl;

		if (len - pos < 2) {
			snprintf(err, errlen, "record cut at byte %zu", pos);
			return -1;
		}
		kl = (size_t)(unsigned char)buf[pos] << 8 |
		     (unsigned char)buf[pos + 1];
		pos += 2;
		if (kl == 0 || kl > ANOMALY_KEY_MAX ||
		    len - pos < kl + sizeof(m)) {
			snprintf(err, errlen,
			         "record cut or malformed at byte %zu",
			         pos - 2);
			return -1;
		}
		memcpy(key, buf + pos, kl);
		key[kl] = '\0';
		pos += kl;
		memcpy(&m, buf + pos, sizeof(m));
		pos += sizeof(m);
		if (memchr(key, '\0', kl) != NULL || !state_model_ok(&m)) {
			snprintf(err, errlen,
			         "malformed record before byte %zu", pos);
			return -1;
		}
		fn(key, &m, arg);
	}
	return 0;
}
