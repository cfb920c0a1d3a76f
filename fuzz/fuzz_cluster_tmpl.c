/*
 * fuzz_cluster_tmpl.c - the fleet's template values (cluster_tmpl_decode)
 * against arbitrary bytes.
 *
 * A value that decodes to a version must encode again (through a parsed
 * entry, when its parts parse) to a value that decodes to the same
 * dialect and parts; a refused value leaves nothing to free.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_tmpl.h"
#include "tmpl/tmpl_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl_version v, w;
	struct tmpl_store_entry *e;
	struct tmpl_error te;
	enum tmpl_part bad;
	char err[160], *json;
	int removed, removed2, i;

	if (cluster_tmpl_decode((const char *)data, size, "t", "n", &v,
	                        &removed, err, sizeof(err)) != 0) {
		for (i = 0; i < TMPL_PARTS; i++)
			if (v.part[i] != NULL)
				abort();
		return 0;
	}
	if (removed)
		return 0;
	e = tmpl_store_entry_new(&v, &bad, &te);
	if (e != NULL) {
		json = cluster_tmpl_encode(e);
		if (cluster_tmpl_decode(json, strlen(json), "t", "n", &w,
		                        &removed2, err, sizeof(err)) != 0 ||
		    removed2 || w.dialect != v.dialect)
			abort();
		for (i = 0; i < TMPL_PARTS; i++)
			if ((v.part[i] == NULL) != (w.part[i] == NULL) ||
			    (v.part[i] != NULL &&
			     strcmp(v.part[i], w.part[i]) != 0))
				abort();
		tmpl_version_fini(&w);
		free(json);
		tmpl_store_entry_free(e);
	}
	tmpl_version_fini(&v);
	return 0;
}
