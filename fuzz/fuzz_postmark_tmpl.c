/*
 * fuzz_postmark_tmpl.c - Postmark's template API requests against
 * arbitrary client bytes (compat_postmark_tmpl.h): a create or edit
 * body built into a version (new, and over a stored one whose meta is
 * the same bytes), and /templates/validate (with a layout and without);
 * the engine's suggested model of whatever parses.
 *
 * A refused body must leave nothing behind and carry ErrorCode and 422;
 * an accepted one has a part, parts that parse and meta that is JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "ingress/compat_postmark_tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tmpl_store_entry *layout;

/* the_layout - a stored layout to validate inside. */
static const struct tmpl_store_entry *
the_layout(void)
{
	struct tmpl_version v;
	struct tmpl_error err;
	enum tmpl_part bad;

	if (layout == NULL) {
		memset(&v, 0, sizeof(v));
		v.dialect = TMPL_MUSTACHIO;
		v.part[TMPL_PART_HTML] = (char *)"<b>{{{@content}}}</b>{{x}}";
		layout = tmpl_store_entry_new(&v, &bad, &err);
		if (layout == NULL)
			abort();
	}
	return layout;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, 0, NULL), *o;
	struct compat_postmark_tmpl_req q;
	char target[TMPL_STORE_NAME_MAX];
	struct tmpl_version base, out;
	struct api_error e;
	json_t *m;
	int round;

	memset(&base, 0, sizeof(base));
	memcpy(base.name, "4242", 5);
	base.part[TMPL_PART_SUBJECT] = (char *)"s {{a}}";
	base.part[TMPL_PART_TEXT] = (char *)"t";
	base.meta = xmalloc(size + 1);
	memcpy(base.meta, data, size);
	base.meta[size] = '\0';
	(void)compat_postmark_tmpl_kind(&base, target);
	json_decref(compat_postmark_tmpl_json(&base, 1));
	for (round = 0; round < 2; round++) {
		memset(&e, 0, sizeof(e));
		if (compat_postmark_tmpl_decode(body, &q, &e) < 0) {
			if (compat_postmark_tmpl_error_code(&e) == 0)
				abort();
			break;
		}
		if (compat_postmark_tmpl_build(&q, round ? &base : NULL, "77",
		                               &out, &e) < 0) {
			if (out.meta != NULL || out.part[0] != NULL ||
			    compat_postmark_tmpl_error_code(&e) == 0)
				abort();
			continue;
		}
		m = json_loads(out.meta, 0, NULL);
		if (!json_is_object(m) || (out.part[TMPL_PART_HTML] == NULL &&
		                           out.part[TMPL_PART_TEXT] == NULL))
			abort();
		json_decref(m);
		json_decref(compat_postmark_tmpl_json(&out, 1));
		tmpl_version_fini(&out);
	}
	for (round = 0; round < 2; round++) {
		o = compat_postmark_tmpl_validate(
		    body, round ? the_layout() : NULL, &e);
		if (o == NULL && compat_postmark_tmpl_error_code(&e) == 0)
			abort();
		if (o != NULL &&
		    !json_is_boolean(json_object_get(o, "AllContentIsValid")))
			abort();
		json_decref(o);
	}
	free(base.meta);
	json_decref(body);
	return 0;
}
