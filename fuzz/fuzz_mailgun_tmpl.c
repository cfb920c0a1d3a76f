/*
 * fuzz_mailgun_tmpl.c - Mailgun's template API against arbitrary client
 * bytes (compat_mailgun_tmpl.h): the bytes as a version's template (new,
 * and as an edit), as a tag, as a path, and as a stored row's meta read
 * back into the model.
 *
 * A refused version leaves nothing behind and carries a 400; an accepted
 * one has its part and meta that is JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "ingress/compat_mailgun_tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	struct compat_mailgun_tmpl_model m;
	struct tmpl_version rows[2], out;
	struct api_error e;
	json_t *meta, *t;
	int round;

	memcpy(s, data, size);
	s[size] = '\0';
	(void)compat_mailgun_tmpl_path(s);
	memset(rows, 0, sizeof(rows));
	memcpy(rows[0].name, "t", 2);
	rows[0].meta = s;
	rows[0].part[TMPL_PART_HTML] = (char *)"<b>{{x}}</b>";
	rows[1].active = 1;
	rows[1].version = 2;
	rows[1].part[TMPL_PART_HTML] = (char *)"y";
	for (round = 0; round < 3; round++) {
		memset(&e, 0, sizeof(e));
		if (compat_mailgun_tmpl_version(
		        round == 2 ? "x" : s, round == 2 ? s : "v1", s, NULL, s,
		        round == 1 ? &rows[0] : NULL, &out, &e) == 0) {
			meta = json_loads(out.meta, 0, NULL);
			if (out.part[TMPL_PART_HTML] == NULL ||
			    !json_is_object(meta))
				abort();
			json_decref(meta);
			tmpl_version_fini(&out);
		} else if (out.meta != NULL ||
		           out.part[TMPL_PART_HTML] != NULL ||
		           e.http_status != 400) {
			abort();
		}
	}
	compat_mailgun_tmpl_model_build(rows, 2, &m);
	t = compat_mailgun_tmpl_json(&m, m.nv > 0 ? &m.v[0] : NULL, 1, 1);
	json_decref(t);
	compat_mailgun_tmpl_model_fini(&m);
	free(s);
	return 0;
}
