/*
 * fuzz_spool_export.c - the spool export file's parser against arbitrary
 * bytes (a damaged or hostile file handed to `swervectl spool import`).
 *
 * Checks: a refusal says why and leaves nothing allocated; an accepted
 * file's messages have valid ids, a queued state and at least one
 * recipient, and each re-encodes to a line that parses back to the same
 * id, state and body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "core/buf.h"
#include "core/id.h"
#include "spool/spool_export.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_export_msg *ms = NULL, *back = NULL;
	char err[256], tr[128], *line;
	unsigned char dg[32];
	size_t n = 0, nb = 0, i;
	struct buf b;

	err[0] = '\0';
	if (spool_export_parse((const char *)data, size, &ms, &n, err,
	                       sizeof(err)) < 0) {
		if (err[0] == '\0' || ms != NULL || n != 0)
			abort();
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!id_valid(ms[i].id) ||
		    !spool_export_state_ok(ms[i].state) || ms[i].n_rcpts == 0)
			abort();
		line = spool_export_line(&ms[i]);
		if (line == NULL)
			continue; /* a text that is not UTF-8 is not written */
		buf_init(&b);
		buf_addstr(&b, SPOOL_EXPORT_MAGIC);
		buf_addstr(&b, line);
		free(line);
		SHA256((const unsigned char *)b.p, b.len, dg);
		spool_export_trailer(tr, sizeof(tr), 1, dg);
		buf_addstr(&b, tr);
		if (spool_export_parse(b.p, b.len, &back, &nb, err,
		                       sizeof(err)) < 0 ||
		    nb != 1 || strcmp(back[0].id, ms[i].id) != 0 ||
		    strcmp(back[0].state, ms[i].state) != 0 ||
		    back[0].body_len != ms[i].body_len ||
		    (ms[i].body_len > 0 &&
		     memcmp(back[0].body, ms[i].body, ms[i].body_len) != 0))
			abort();
		spool_export_free(back, nb);
		buf_fini(&b);
	}
	spool_export_free(ms, n);
	return 0;
}
