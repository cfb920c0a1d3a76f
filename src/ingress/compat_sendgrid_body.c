/*
 * compat_sendgrid_body.c - a SendGrid mail/send request's content and
 * attachments: checked and decoded once per request, then made into each
 * personalization's bodies with the footer
 * (mail_settings.footer), its substitutions and the open tracking tag
 * taken out (see compat_sendgrid_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "ingress/compat.h"
#include "ingress/compat_sendgrid_int.h"

/* body_content - the content array into base's text and html. */
static int
body_content(json_t *c, struct mime_build_msg *base, struct api_error *e)
{
	static const char *const known[] = {"type", "value", NULL};
	size_t i;
	json_t *it;

	if (!compat_sendgrid_present(c) ||
	    (json_is_array(c) && json_array_size(c) == 0))
		return api_error_set(
		    e, 400, "missing_field", "content",
		    "Unless a valid template_id is provided, the content "
		    "parameter is required. There must be at least one "
		    "defined content block.");
	if (!json_is_array(c))
		return api_error_set(e, 400, "invalid_field", "content",
		                     "Invalid type. Expected: array.");
	json_array_foreach(c, i, it)
	{
		char ft[96], fv[96];
		json_t *t, *v;
		bool html;

		snprintf(ft, sizeof(ft), "content.%zu", i);
		if (compat_sendgrid_obj_keys(it, ft, known, e) < 0)
			return -1;
		t = json_object_get(it, "type");
		v = json_object_get(it, "value");
		snprintf(ft, sizeof(ft), "content.%zu.type", i);
		snprintf(fv, sizeof(fv), "content.%zu.value", i);
		if (!json_is_string(t) || json_string_length(t) == 0)
			return api_error_set(e, 400, "invalid_field", ft,
			                     "The content type must be a "
			                     "string at least one character "
			                     "in length.");
		if (!json_is_string(v) || json_string_length(v) == 0)
			return api_error_set(e, 400, "invalid_field", fv,
			                     "The content value must be a "
			                     "string at least one character "
			                     "in length.");
		if (strcasecmp(json_string_value(t), "text/plain") == 0)
			html = false;
		else if (strcasecmp(json_string_value(t), "text/html") == 0)
			html = true;
		else
			return api_error_set(
			    e, 400, "invalid_field", ft,
			    "only text/plain and text/html content is "
			    "supported by this endpoint");
		if ((html ? base->html : base->text) != NULL)
			return api_error_set(e, 400, "invalid_field", ft,
			                     "%s is given twice",
			                     html ? "text/html" : "text/plain");
		if (compat_text_set(base, html, json_string_value(v),
		                    json_string_length(v), fv, e) < 0)
			return -1;
	}
	return 0;
}

/* body_attachment - attachment it (at field f) into base. */
static int
body_attachment(json_t *it, const char *f, struct mime_build_msg *base,
                struct api_error *e)
{
	static const char *const known[] = {
	    "content", "type", "filename", "disposition", "content_id", NULL};
	char *fn = NULL, *ct = NULL, *cid = NULL, *disp = NULL;
	json_t *c;
	int rc = -1;

	if (compat_sendgrid_obj_keys(it, f, known, e) < 0)
		return -1;
	c = json_object_get(it, "content");
	if (!json_is_string(c) || json_string_length(c) == 0)
		return api_error_set(e, 400, "invalid_field", f,
		                     "The attachment content is required.");
	if (compat_json_str(it, "filename", f, true, &fn, e) < 0 ||
	    compat_json_str(it, "type", f, true, &ct, e) < 0 ||
	    compat_json_str(it, "content_id", f, true, &cid, e) < 0 ||
	    compat_json_str(it, "disposition", f, true, &disp, e) < 0)
		goto done;
	if (fn == NULL || fn[0] == '\0') {
		api_error_set(e, 400, "invalid_field", f,
		              "The attachment filename parameter is required.");
		goto done;
	}
	if (ct != NULL && ct[0] == '\0') {
		api_error_set(e, 400, "invalid_field", f,
		              "The attachment type must be at least one "
		              "character in length.");
		goto done;
	}
	if (disp != NULL && strcmp(disp, "inline") != 0 &&
	    strcmp(disp, "attachment") != 0) {
		api_error_set(e, 400, "invalid_field", f,
		              "The disposition must be inline or attachment.");
		goto done;
	}
	if (disp != NULL && strcmp(disp, "inline") == 0 &&
	    (cid == NULL || cid[0] == '\0')) {
		api_error_set(e, 400, "invalid_field", f,
		              "The content_id parameter is required if "
		              "disposition is set to inline.");
		goto done;
	}
	/* A part with a Content-ID is what a cid: reference needs; swerve
	 * makes it inline, so "attachment" with a content_id is refused
	 * rather than the id dropped. */
	if (disp != NULL && strcmp(disp, "attachment") == 0 && cid != NULL) {
		api_error_set(e, 400, "invalid_field", f,
		              "content_id is used only with disposition "
		              "inline: set disposition to inline for a part "
		              "the content refers to, or drop content_id.");
		goto done;
	}
	rc = compat_att_add_b64(base, fn, ct, cid, json_string_value(c),
	                        json_string_length(c), f, e);
done:
	free(fn);
	free(ct);
	free(cid);
	free(disp);
	return rc;
}

/* body_attachments - the attachments array into base. */
static int
body_attachments(json_t *a, struct mime_build_msg *base, struct api_error *e)
{
	size_t i;
	json_t *it;

	if (!compat_sendgrid_present(a))
		return 0;
	if (!json_is_array(a))
		return api_error_set(e, 400, "invalid_field", "attachments",
		                     "Invalid type. Expected: array.");
	json_array_foreach(a, i, it)
	{
		char f[48];

		snprintf(f, sizeof(f), "attachments.%zu", i);
		if (body_attachment(it, f, base, e) < 0)
			return -1;
	}
	return 0;
}

/* body_cut - remove every occurrence of tag from s[0..*n). */
static void
body_cut(char *s, size_t *n, const char *tag)
{
	size_t tl = strlen(tag), i = 0, o = 0;

	while (i < *n) {
		if (tl > 0 && *n - i >= tl && memcmp(s + i, tag, tl) == 0) {
			i += tl;
			continue;
		}
		s[o++] = s[i++];
	}
	*n = o;
	s[o] = '\0';
}

/* body_tail - "</body>" from the end of html[0..n), or NULL. */
static const char *
body_tail(const char *html, size_t n)
{
	size_t i;

	for (i = n; i >= 7; i--)
		if (strncasecmp(html + i - 7, "</body>", 7) == 0)
			return html + i - 7;
	return NULL;
}

/*
 * body_text - one body of the message: base's text (html false) or html,
 * with the footer (text appended after a line end; HTML before the last
 * </body>, else at the end), substitutions applied and the open tracking
 * tag removed, into m.
 */
static int
body_text(const struct compat_sendgrid_opts *o,
          const struct mime_build_msg *base, bool html,
          struct compat_sendgrid_subst *sub, struct mime_build_msg *m,
          struct api_error *e)
{
	const char *src = html ? base->html : base->text;
	size_t n = html ? base->html_len : base->text_len, len;
	const char *foot = html ? o->footer_html : o->footer_text;
	struct buf b;
	char *t;
	int rc;

	if (src == NULL)
		return 0;
	buf_init(&b);
	if (o->footer && foot != NULL && foot[0] != '\0') {
		const char *at = html ? body_tail(src, n) : NULL;
		size_t head = at ? (size_t)(at - src) : n;

		buf_add(&b, src, head);
		if (!html && head > 0 && src[head - 1] != '\n')
			buf_addch(&b, '\n');
		buf_addstr(&b, foot);
		buf_add(&b, src + head, n - head);
	} else {
		buf_add(&b, src, n);
	}
	t = compat_sendgrid_subst_apply(
	    sub, b.p ? b.p : "", b.len, &len,
	    html ? "content.text/html" : "content.text/plain", e);
	buf_fini(&b);
	if (t == NULL)
		return -1;
	if (o->open_tag != NULL)
		body_cut(t, &len, o->open_tag);
	rc = compat_text_set(m, html, t, len, "content", e);
	free(t);
	return rc;
}

int
compat_sendgrid_body_parse(json_t *j, bool templated,
                           struct mime_build_msg *base, struct api_error *e)
{
	if (templated) {
		if (compat_sendgrid_present(json_object_get(j, "content")))
			return api_error_set(
			    e, 400, "invalid_field", "content",
			    "content is not used with a dynamic template: the "
			    "template (template_id) gives the content");
	} else if (body_content(json_object_get(j, "content"), base, e) < 0)
		return -1;
	if (body_attachments(json_object_get(j, "attachments"), base, e) < 0)
		return -1;
	return 0;
}

int
compat_sendgrid_body_build(const struct compat_sendgrid_opts *o,
                           const struct mime_build_msg *base,
                           struct compat_sendgrid_subst *sub,
                           struct mime_build_msg *m, struct api_error *e)
{
	char f[48];
	size_t k;

	if (body_text(o, base, false, sub, m, e) < 0 ||
	    body_text(o, base, true, sub, m, e) < 0)
		return -1;
	for (k = 0; k < base->n_atts; k++) {
		const struct mime_build_att *a = &base->atts[k];

		snprintf(f, sizeof(f), "attachments.%zu", k);
		if (compat_att_add(m, a->filename, a->content_type,
		                   a->content_id, a->data, a->len, f, e) < 0)
			return -1;
	}
	return 0;
}
