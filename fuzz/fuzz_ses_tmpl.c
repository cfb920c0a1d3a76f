/*
 * fuzz_ses_tmpl.c - SES's templated requests against arbitrary client
 * bytes: SendBulkEmail (compat_ses_v2_bulk_decode), TemplateData
 * (compat_ses_tmpl_data), and v1's SendBulkTemplatedEmail and template
 * actions (compat_ses_v1_bulk_decode, compat_ses_v1_tmpl_decode).
 *
 * Whatever the outcome, the results must be releasable; a failure must
 * carry an HTTP status and a code and leave nothing behind; a success
 * has 1..50 messages, each with the template's name and an object of
 * data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/compat_ses_tmpl.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_batch b;
	struct api_error e;
	char *fb = NULL, *copy;
	json_t *d = NULL;
	size_t i;

	memset(&e, 0, sizeof(e));
	if (compat_ses_v2_bulk_decode((const char *)data, size, &b, &fb, &e) ==
	    0) {
		if (b.n < 1 || b.n > COMPAT_SES_BULK_MAX)
			abort();
		for (i = 0; i < b.n; i++)
			if (b.msgs[i].template_name == NULL ||
			    !json_is_object(b.msgs[i].template_data))
				abort();
		api_batch_fini(&b);
		free(fb);
	} else if (e.http_status < 400 || e.code[0] == '\0' || fb != NULL ||
	           b.n != 0) {
		abort();
	}
	copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (compat_ses_tmpl_data(copy, "TemplateData", &d, &e) == 0) {
		if (!json_is_object(d))
			abort();
		json_decref(d);
	} else if (d != NULL) {
		abort();
	}
	/* The v1 decoders work in place: a fresh copy for each. */
	memcpy(copy, data, size);
	memset(&e, 0, sizeof(e));
	if (compat_ses_v1_bulk_decode(copy, size, &b, &fb, &e) == 0) {
		if (b.n < 1 || b.n > COMPAT_SES_BULK_MAX)
			abort();
		api_batch_fini(&b);
		free(fb);
	} else if (e.http_status < 400 || fb != NULL) {
		abort();
	}
	for (i = COMPAT_SES_CREATE_TEMPLATE;
	     i <= COMPAT_SES_TEST_RENDER_TEMPLATE; i++) {
		struct compat_ses_v1_tmpl t;

		memcpy(copy, data, size);
		if (compat_ses_v1_tmpl_decode(
		        copy, size, (enum compat_ses_action)i, &t, &e) == 0) {
			if (i != COMPAT_SES_LIST_TEMPLATES &&
			    !tmpl_store_name_ok(t.name))
				abort();
			compat_ses_v1_tmpl_fini(&t);
		} else if (t.data != NULL || t.part[0] != NULL) {
			abort();
		}
	}
	free(copy);
	return 0;
}
