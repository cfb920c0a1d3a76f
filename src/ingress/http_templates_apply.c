/*
 * http_templates_apply.c - a send's template rendered into its message
 * (http_templates.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ingress/http_templates.h"
#include "mime/mime_build.h"

int
http_templates_apply(const char *tenant, struct api_msg *m,
                     const struct tmpl_store_render_opts *o,
                     struct api_error *e)
{
	struct tmpl_store *s = tmpl_store_active();

	return http_templates_apply_entry(
	    s != NULL ? s->be->find(s->impl, tenant != NULL ? tenant : "",
	                            m->template_name)
	              : NULL,
	    NULL, m, o, e);
}

int
http_templates_apply_entry(const struct tmpl_store_entry *t,
                           const struct tmpl_store_entry *layout,
                           struct api_msg *m,
                           const struct tmpl_store_render_opts *o,
                           struct api_error *e)
{
	static const struct tmpl_store_render_opts native = {
	    {TMPL_ESCAPE_NONE, TMPL_ESCAPE_HTML, TMPL_ESCAPE_NONE}, 0};
	struct tmpl_rendered r;
	struct tmpl_error err;
	enum tmpl_part bad;
	const char *subj;
	int i;

	if (t == NULL)
		return api_error_set(e, 404, "template_not_found",
		                     "template.name", "no template named %s",
		                     m->template_name);
	if (tmpl_store_render_layout(t, layout, m->template_data,
	                             o != NULL ? o : &native, &r, &bad,
	                             &err) != 0)
		return api_error_set(e, 400, "render_failed", "template",
		                     "%s %s: line %u, column %u: %s",
		                     m->template_name, tmpl_part_name(bad),
		                     err.line, err.col, err.msg);
	for (i = 0; i < TMPL_PARTS; i++)
		if (r.part[i] != NULL && strlen(r.part[i]) != r.len[i]) {
			tmpl_rendered_fini(&r);
			return api_error_set(e, 400, "invalid_field",
			                     "template",
			                     "the rendered %s contains NUL",
			                     tmpl_part_name((enum tmpl_part)i));
		}
	subj = r.part[TMPL_PART_SUBJECT];
	if (subj != NULL &&
	    (strpbrk(subj, "\r\n") != NULL ||
	     r.len[TMPL_PART_SUBJECT] > MIME_BUILD_SUBJECT_MAX)) {
		tmpl_rendered_fini(&r);
		return api_error_set(e, 400, "invalid_field",
		                     "template.subject",
		                     "the rendered subject has a line break or "
		                     "is over %d octets",
		                     MIME_BUILD_SUBJECT_MAX);
	}
	if (r.part[TMPL_PART_HTML] == NULL && r.part[TMPL_PART_TEXT] == NULL) {
		tmpl_rendered_fini(&r);
		return api_error_set(e, 400, "invalid_field", "template",
		                     "the template has neither html nor text");
	}
	if (subj != NULL) {
		free(m->mail.subject);
		m->mail.subject = r.part[TMPL_PART_SUBJECT];
	}
	free(m->mail.html);
	free(m->mail.text);
	m->mail.html = r.part[TMPL_PART_HTML];
	m->mail.html_len = r.len[TMPL_PART_HTML];
	m->mail.text = r.part[TMPL_PART_TEXT];
	m->mail.text_len = r.len[TMPL_PART_TEXT];
	return 0;
}
