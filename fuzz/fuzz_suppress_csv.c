/*
 * fuzz_suppress_csv.c - libFuzzer target for the suppression list's CSV
 * (spool/suppress_csv.h), what `swervectl suppression import` reads.
 *
 * Invariants checked: a parse either fails with a message naming a line
 * and nothing returned, or returns entries whose address is a stored
 * form (suppress_addr_store accepts it and gives it back unchanged) and
 * whose expiry, if any, is after its creation; writing those entries
 * out and parsing that again gives the same entries (the export is what
 * an import takes back); nothing reads past the input (ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "spool/suppress_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - abort unless ok (libFuzzer reports the crash). */
static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct suppress_entry *e = NULL, *back = NULL;
	size_t n = 0, nb = 0, i;
	char err[1024], addr[SUPPRESS_ADDR_MAX];
	struct buf b;

	if (suppress_csv_parse((const char *)data, size, 1000000000000LL, &e,
	                       &n, err, sizeof(err)) != 0) {
		fuzz_check(e == NULL && n == 0 &&
		           strncmp(err, "line ", 5) == 0);
		return 0;
	}
	buf_init(&b);
	suppress_csv_header(&b);
	for (i = 0; i < n; i++) {
		fuzz_check(suppress_addr_store(e[i].address, addr,
		                               sizeof(addr)) == 0 &&
		           strcmp(addr, e[i].address) == 0);
		fuzz_check(e[i].expires_ms == 0 ||
		           e[i].expires_ms > e[i].created_ms);
		/* Sub-second times do not survive RFC 3339 seconds. */
		e[i].created_ms -= e[i].created_ms % 1000;
		e[i].expires_ms -= e[i].expires_ms % 1000;
		if (e[i].expires_ms != 0 && e[i].expires_ms <= e[i].created_ms)
			e[i].expires_ms = 0;
		suppress_csv_row(&b, &e[i]);
	}
	fuzz_check(suppress_csv_parse(b.p, b.len, 1000000000000LL, &back, &nb,
	                              err, sizeof(err)) == 0);
	fuzz_check(nb == n);
	for (i = 0; i < n; i++) {
		fuzz_check(strcmp(back[i].address, e[i].address) == 0);
		fuzz_check(back[i].reason == e[i].reason);
		fuzz_check(strcmp(back[i].provider, e[i].provider) == 0);
		fuzz_check(e[i].created_ms == 0 ||
		           back[i].created_ms == e[i].created_ms);
	}
	buf_fini(&b);
	free(back);
	free(e);
	return 0;
}
