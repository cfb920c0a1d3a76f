/*
 * fuzz_sendgrid_tmpl.c - SendGrid's template API requests against
 * arbitrary client bytes (compat_sendgrid_tmpl.h): a create or rename
 * body, a version's body (new, and as an edit of a version), and the
 * same bytes as a stored version's meta read back into the model.
 *
 * A refused body must leave nothing behind and carry an HTTP status; an
 * accepted one has a subject, parts that parse and meta that is JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "ingress/compat_sendgrid_tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_version - out from a successful decode. */
static void
check_version(struct tmpl_version *out)
{
	json_t *m = json_loads(out->meta, 0, NULL);

	if (out->part[TMPL_PART_SUBJECT] == NULL || !json_is_object(m))
		abort();
	json_decref(m);
	tmpl_version_fini(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, 0, NULL);
	struct compat_sendgrid_tmpl_model m;
	struct tmpl_version out, rows[2];
	struct api_error e;
	const char *name;
	int active, create;

	memset(&e, 0, sizeof(e));
	for (create = 0; create <= 1; create++)
		if (compat_sendgrid_tmpl_template_decode(body, create, &name,
		                                         &e) == 0) {
			if (name == NULL || name[0] == '\0')
				abort();
		} else if (e.http_status < 400 || name != NULL) {
			abort();
		}
	memset(rows, 0, sizeof(rows));
	rows[0].version = 1;
	rows[0].part[TMPL_PART_SUBJECT] = (char *)"s {{x}}";
	rows[0].meta = xmalloc(size + 1);
	memcpy(rows[0].meta, data, size);
	rows[0].meta[size] = '\0';
	rows[1].version = 2;
	rows[1].active = 1;
	rows[1].part[TMPL_PART_HTML] = (char *)"<p>{{y}}</p>";
	for (create = 0; create <= 1; create++) {
		if (compat_sendgrid_tmpl_version_decode(
		        body, create ? NULL : &rows[0], "vid", &out, &active,
		        &e) == 0)
			check_version(&out);
		else if (out.part[0] != NULL || out.meta != NULL ||
		         e.http_status < 400)
			abort();
	}
	compat_sendgrid_tmpl_model_build(rows, 2, &m);
	json_decref(compat_sendgrid_tmpl_template_json(&m, 1));
	if (m.nv > 0)
		json_decref(compat_sendgrid_tmpl_version_json(&m, &m.v[0]));
	compat_sendgrid_tmpl_model_fini(&m);
	free(rows[0].meta);
	json_decref(body);
	return 0;
}
