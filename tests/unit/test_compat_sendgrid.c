/*
 * test_compat_sendgrid.c - the SendGrid v3 mail/send decoder
 * (compat_sendgrid*.c): one message per personalization with its own
 * from, recipients, subject, headers, substitutions, custom_args and
 * send_at; the request-wide options into msg_meta (categories,
 * ip_pool_name, sandbox, tracking, recorded options); the footer; and a
 * refusal naming the field for malformed input in every field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/compat_sendgrid_int.h"

#define NOW 1700000000
#define PNG_B64 "iVBORw0KGgo="

/* The smallest valid request; each case patches it. */
static const char base_req[] =
    "{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}]}],"
    "\"from\":{\"email\":\"a@example.com\"},\"subject\":\"s\","
    "\"content\":[{\"type\":\"text/plain\",\"value\":\"t\"}]}";

/*
 * sg - decode base_req with the members of the JSON object patch put
 * over its own (a member whose value is the string "-" is removed).
 */
static int
sg(const char *patch, struct api_msg **ms, size_t *n, struct api_error *e)
{
	json_t *b = json_loads(base_req, 0, NULL);
	json_t *p =
	    json_loads(patch, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	const char *k;
	json_t *v;
	char *text;
	int rc;

	if (p == NULL)
		fail_msg("bad patch %s", patch);
	json_object_foreach(p, k, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), "-") == 0)
			json_object_del(b, k);
		else
			json_object_set(b, k, v);
	}
	text = json_dumps(b, JSON_COMPACT);
	memset(e, 0, sizeof(*e));
	rc = compat_sendgrid_decode(text, strlen(text), NOW, ms, n, e);
	free(text);
	json_decref(b);
	json_decref(p);
	return rc;
}

/* meta_json - the msg_meta of m as JSON (for readable checks). */
static json_t *
meta_json(const struct api_msg *m)
{
	char *s = msg_meta_encode(&m->meta);
	json_t *j = s ? json_loads(s, 0, NULL) : json_object();

	free(s);
	return j;
}

static void
personalizations_become_messages_with_their_own_parts(void **state)
{
	static const char patch[] =
	    "{\"personalizations\":["
	    "{\"to\":[{\"email\":\"b@example.net\",\"name\":\"-name-\"}],"
	    "\"subject\":\"Hi -name-\",\"headers\":{\"X-P\":\"-name-\","
	    "\"x-shared\":\"mine\"},\"substitutions\":{\"-name-\":\"Bob\","
	    "\"-city-\":\"Oslo\"},\"custom_args\":{\"k\":\"p0\"},"
	    "\"send_at\":1700003600},"
	    "{\"from\":{\"email\":\"sales@example.com\",\"name\":\"Sales\"},"
	    "\"to\":[{\"email\":\"c@example.net\"}],\"cc\":[{\"email\":"
	    "\"d@example.net\"}],\"bcc\":[{\"email\":\"e@example.net\"}],"
	    "\"substitutions\":{\"-name-\":\"Cy\"}}],"
	    "\"from\":{\"email\":\"a@example.com\",\"name\":\"A\"},"
	    "\"reply_to\":{\"email\":\"r@example.com\",\"name\":\"R -name-\"},"
	    "\"subject\":\"shared -name-\",\"headers\":{\"X-Shared\":\"top\"},"
	    "\"content\":[{\"type\":\"text/plain\",\"value\":\"Dear -name- "
	    "of "
	    "-city-\"},{\"type\":\"text/html\",\"value\":\"<p>-name-</p>\"}],"
	    "\"attachments\":[{\"content\":\"" PNG_B64 "\",\"filename\":"
	    "\"l.png\",\"type\":\"image/png\",\"disposition\":\"inline\","
	    "\"content_id\":\"l@x\"},{\"content\":\"JVBERg==\",\"filename\":"
	    "\"r.pdf\",\"disposition\":\"attachment\"},{\"content\":"
	    "\"JVBERg==\",\"filename\":\"c.png\",\"content_id\":\"c@x\"}],"
	    "\"custom_args\":{\"k\":\"top\",\"j\":\"top\"},\"send_at\":"
	    "1600000000}";
	struct api_msg *ms;
	struct api_error e;
	size_t n;
	json_t *m0, *m1;

	(void)state;
	assert_int_equal(sg(patch, &ms, &n, &e), 0);
	assert_int_equal(n, 2);
	/* personalization 0: its subject and substitutions, top from */
	assert_string_equal(ms[0].mail.subject, "Hi Bob");
	assert_string_equal(ms[0].mail.text, "Dear Bob of Oslo");
	assert_string_equal(ms[0].mail.html, "<p>Bob</p>");
	assert_string_equal(ms[0].mail.from.addr, "a@example.com");
	assert_string_equal(ms[0].mail.reply_to[0].name, "R Bob");
	/* the display name of a recipient is not substituted */
	assert_string_equal(ms[0].mail.to[0].name, "-name-");
	assert_int_equal(ms[0].mail.n_fields, 2);
	assert_string_equal(ms[0].mail.fields[0].name, "X-P");
	assert_string_equal(ms[0].mail.fields[0].value, "Bob");
	assert_string_equal(ms[0].mail.fields[1].value, "mine");
	assert_int_equal(ms[0].mail.n_atts, 3);
	assert_string_equal(ms[0].mail.atts[0].content_id, "l@x");
	assert_null(ms[0].mail.atts[1].content_id);
	/* content_id without disposition: an inline part */
	assert_string_equal(ms[0].mail.atts[2].content_id, "c@x");
	/* personalization 1: its own from, request subject, its recipients */
	assert_string_equal(ms[1].mail.from.addr, "sales@example.com");
	assert_string_equal(ms[1].mail.from.name, "Sales");
	assert_string_equal(ms[1].mail.subject, "shared Cy");
	assert_string_equal(ms[1].mail.text, "Dear Cy of -city-");
	assert_int_equal(ms[1].mail.n_cc, 1);
	assert_int_equal(ms[1].n_bcc, 1);
	assert_string_equal(ms[1].mail.fields[0].name, "X-Shared");
	assert_string_equal(ms[1].mail.fields[0].value, "top");
	assert_int_equal(ms[1].mail.n_atts, 3);
	/* custom_args merged over the request's; send_at per personalization
	 * over the request's (which is past: at once) */
	m0 = meta_json(&ms[0]);
	m1 = meta_json(&ms[1]);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(m0, "metadata"), "k")),
	                    "p0");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(m0, "metadata"), "j")),
	                    "top");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(m1, "metadata"), "k")),
	                    "top");
	assert_int_equal(ms[0].meta.send_at, 1700003600);
	assert_int_equal(ms[1].meta.send_at, 0);
	json_decref(m0);
	json_decref(m1);
	compat_msgs_free(ms, n);
}

static void
options_go_to_msg_meta(void **state)
{
	static const char patch[] =
	    "{\"categories\":[\"welcome\",\"b\"],\"ip_pool_name\":\"pool1\","
	    "\"send_at\":1700259200,"
	    "\"mail_settings\":{\"sandbox_mode\":{\"enable\":true},"
	    "\"bypass_spam_management\":{\"enable\":true},"
	    "\"bypass_bounce_management\":{\"enable\":false},"
	    "\"footer\":{\"enable\":false,\"text\":\"never\"}},"
	    "\"tracking_settings\":{\"click_tracking\":{\"enable\":false,"
	    "\"enable_text\":true},\"open_tracking\":{\"enable\":true},"
	    "\"subscription_tracking\":{\"enable\":false,\"text\":\"x\"},"
	    "\"ganalytics\":{\"enable\":true,\"utm_source\":\"news\"}}}";
	struct api_msg *ms;
	struct api_error e;
	size_t n;
	json_t *m, *o;

	(void)state;
	assert_int_equal(sg(patch, &ms, &n, &e), 0);
	assert_true(ms[0].meta.sandbox);
	assert_int_equal(ms[0].meta.n_tags, 2);
	assert_string_equal(ms[0].meta.tags[0].name, "welcome");
	assert_null(ms[0].meta.tags[0].value);
	assert_string_equal(ms[0].meta.ip_pool, "pool1");
	assert_int_equal(ms[0].meta.send_at, 1700259200); /* exactly 72 h */
	assert_int_equal(ms[0].meta.track_opens, MSG_TRACK_ON);
	assert_int_equal(ms[0].meta.track_clicks, MSG_TRACK_OFF);
	assert_string_equal(ms[0].mail.text, "t"); /* footer disabled */
	m = meta_json(&ms[0]);
	o = json_object_get(m, "options");
	assert_true(json_is_true(
	    json_object_get(o, "mail_settings.bypass_spam_management.enable")));
	assert_null(json_object_get(
	    o, "mail_settings.bypass_bounce_management.enable"));
	o = json_object_get(o, "not applied");
	assert_true(json_is_true(json_object_get(
	    o, "tracking_settings.click_tracking.enable_text")));
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(o, "tracking_settings.ganalytics"),
	        "utm_source")),
	    "news");
	json_decref(m);
	compat_msgs_free(ms, n);
	/* nothing asked: nothing recorded, tracking unset */
	assert_int_equal(sg("{}", &ms, &n, &e), 0);
	assert_true(msg_meta_empty(&ms[0].meta));
	compat_msgs_free(ms, n);
}

static void
footer_is_appended_and_open_tag_removed(void **state)
{
	static const char patch[] =
	    "{\"content\":[{\"type\":\"text/plain\",\"value\":\"Hi -n-\"},"
	    "{\"type\":\"text/html\",\"value\":\"<html><body><p>x</p>%open%"
	    "</BODY></html>\"}],"
	    "\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	    "\"substitutions\":{\"-n-\":\"Ann\",\"-u-\":\"U\"}}],"
	    "\"mail_settings\":{\"footer\":{\"enable\":true,\"text\":"
	    "\"-- bye -u-\",\"html\":\"<hr>-u-\"}},"
	    "\"tracking_settings\":{\"open_tracking\":{\"substitution_tag\":"
	    "\"%open%\"}}}";
	struct api_msg *ms;
	struct api_error e;
	size_t n;

	(void)state;
	assert_int_equal(sg(patch, &ms, &n, &e), 0);
	assert_string_equal(ms[0].mail.text, "Hi Ann\n-- bye U");
	assert_string_equal(ms[0].mail.html,
	                    "<html><body><p>x</p><hr>U</BODY></html>");
	assert_int_equal(ms[0].meta.track_opens, MSG_TRACK_UNSET);
	compat_msgs_free(ms, n);
}

static void
substitution_rules(void **state)
{
	struct compat_sendgrid_subst s;
	size_t work = SG_SUBST_WORK_MAX;
	struct api_error e;
	json_t *v;
	size_t len;
	char *t, big[10100];

	(void)state;
	/* longest key wins; replaced text is not read again */
	v = json_loads("{\"-a-\":\"-ab-\",\"-ab-\":\"X\",\"%\":\"-a-\"}", 0,
	               NULL);
	assert_int_equal(compat_sendgrid_subst_parse(v, "f", &work, &s, &e), 0);
	t = compat_sendgrid_subst_apply(&s, "-ab- -a- % -a", 13, &len, "f", &e);
	assert_string_equal(t, "X -ab- -a- -a");
	assert_int_equal(len, strlen(t));
	free(t);
	compat_sendgrid_subst_fini(&s);
	json_decref(v);
	/* the budget of comparisons */
	v = json_loads("{\"aab\":\"1\",\"aac\":\"2\"}", 0, NULL);
	assert_int_equal(compat_sendgrid_subst_parse(v, "f", &work, &s, &e), 0);
	work = 5;
	assert_null(
	    compat_sendgrid_subst_apply(&s, "aaaaaaaa", 8, &len, "f", &e));
	assert_string_equal(e.field, "f");
	compat_sendgrid_subst_fini(&s);
	json_decref(v);
	/* 10,000 bytes of keys and values at most */
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	v = json_pack("{s:s}", "k", big + 100 - 2);
	assert_int_equal(compat_sendgrid_subst_parse(v, "f", &work, &s, &e),
	                 -1);
	json_decref(v);
	v = json_pack("{s:s}", "k", big + 101);
	assert_int_equal(compat_sendgrid_subst_parse(v, "f", &work, &s, &e), 0);
	compat_sendgrid_subst_fini(&s);
	json_decref(v);
}

/* A request-wide idempotency key becomes one key per personalization. */
static void
idempotency_key_per_personalization(void **state)
{
	static const char two[] =
	    "{\"headers\":{\"X-Swerve-Idempotency-Key\":\"k1\"},"
	    "\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}]},"
	    "{\"to\":[{\"email\":\"c@example.net\"}],\"headers\":{"
	    "\"x-swerve-idempotency-key\":\"own\"}},"
	    "{\"to\":[{\"email\":\"d@example.net\"}]}]}";
	struct api_msg *ms;
	struct api_error e;
	size_t n;

	(void)state;
	assert_int_equal(sg(two, &ms, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ms[0].mail.fields[0].value, "k1/p0");
	assert_string_equal(ms[1].mail.fields[0].value, "own");
	assert_string_equal(ms[2].mail.fields[0].value, "k1/p2");
	compat_msgs_free(ms, n);
	assert_int_equal(
	    sg("{\"headers\":{\"X-Swerve-Idempotency-Key\":\"k1\"}}", &ms, &n,
	       &e),
	    0);
	assert_string_equal(ms[0].mail.fields[0].value, "k1");
	compat_msgs_free(ms, n);
}

/* nodemailer's SendGrid transport names a Message-ID twice, in two
 * cases, with one value: one field. Two values: refused, naming it. */
static void
header_named_twice_in_two_cases(void **state)
{
	struct api_msg *ms;
	struct api_error e;
	size_t n;

	(void)state;
	assert_int_equal(
	    sg("{\"headers\":{\"Message-ID\":\"<a.1@example.com>\","
	       "\"message-id\":\"<a.1@example.com>\"}}",
	       &ms, &n, &e),
	    0);
	assert_int_equal(ms[0].mail.n_fields, 1);
	assert_string_equal(ms[0].mail.fields[0].value, "<a.1@example.com>");
	compat_msgs_free(ms, n);
	assert_int_equal(
	    sg("{\"headers\":{\"Message-ID\":\"<a.1@example.com>\","
	       "\"message-id\":\"<b.2@example.com>\"}}",
	       &ms, &n, &e),
	    -1);
	assert_string_equal(e.field, "headers");
	assert_non_null(strstr(e.message, "message-id"));
}

static void
send_at_limits(void **state)
{
	struct api_msg *ms;
	struct api_error e;
	size_t n;

	(void)state;
	assert_int_equal(sg("{\"send_at\":1700259201}", &ms, &n, &e), -1);
	assert_string_equal(e.field, "send_at");
	assert_int_equal(
	    sg("{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	       "\"send_at\":1800000000}]}",
	       &ms, &n, &e),
	    -1);
	assert_string_equal(e.field, "personalizations.0.send_at");
	assert_int_equal(sg("{\"send_at\":0}", &ms, &n, &e), 0);
	assert_int_equal(ms[0].meta.send_at, 0);
	compat_msgs_free(ms, n);
	assert_int_equal(sg("{\"send_at\":1700000001}", &ms, &n, &e), 0);
	assert_int_equal(ms[0].meta.send_at, 1700000001);
	compat_msgs_free(ms, n);
}

/* template_id and each personalization's dynamic_template_data: the
 * messages carry the template's name and their data (rendered later);
 * no content is needed. */
static void
dynamic_template_per_personalization(void **state)
{
	struct api_msg *ms;
	struct api_error e;
	size_t n;

	(void)state;
	assert_int_equal(
	    sg("{\"template_id\":\"d-0123abc\",\"content\":\"-\","
	       "\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	       "\"dynamic_template_data\":{\"name\":\"B\",\"n\":[1,2]}},"
	       "{\"to\":[{\"email\":\"c@example.net\"}]}]}",
	       &ms, &n, &e),
	    0);
	assert_int_equal(n, 2);
	assert_string_equal(ms[0].template_name, "d-0123abc");
	assert_string_equal(
	    json_string_value(json_object_get(ms[0].template_data, "name")),
	    "B");
	assert_int_equal(
	    json_array_size(json_object_get(ms[0].template_data, "n")), 2);
	assert_string_equal(ms[1].template_name, "d-0123abc");
	assert_int_equal(json_object_size(ms[1].template_data), 0);
	assert_null(ms[0].mail.text);
	assert_null(ms[0].mail.html);
	compat_msgs_free(ms, n);
}

/* Each malformed or refused field: -1, its code and field path. */
static void
refusals_name_the_field(void **state)
{
	static const struct {
		const char *patch, *code, *field;
	} cases[] = {
	    /* the request and unknown fields */
	    {"{\"sections\":{\"a\":\"b\"}}", "invalid_field", "sections"},
	    {"{\"personalizations\":\"-\"}", "missing_field",
	     "personalizations"},
	    {"{\"personalizations\":[]}", "missing_field", "personalizations"},
	    {"{\"personalizations\":[1]}", "invalid_field", "personalizations"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"x\":1}]}",
	     "invalid_field", "personalizations.0.x"},
	    /* templates: a dynamic template gives the content */
	    {"{\"template_id\":\"d-1\"}", "invalid_field", "content"},
	    {"{\"template_id\":\"a b\",\"content\":\"-\"}", "invalid_field",
	     "template_id"},
	    {"{\"template_id\":7,\"content\":\"-\"}", "invalid_field",
	     "template_id"},
	    {"{\"template_id\":\"d-1\",\"content\":\"-\",\"personalizations\":"
	     "[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"dynamic_template_data\":[1]}]}",
	     "invalid_field", "personalizations.0.dynamic_template_data"},
	    {"{\"template_id\":\"d-1\",\"content\":\"-\",\"mail_settings\":"
	     "{\"footer\":{\"enable\":true,\"text\":\"f\"}}}",
	     "invalid_field", "mail_settings.footer"},
	    /* refused features */
	    {"{\"dynamic_template_data\":{}}", "invalid_field",
	     "dynamic_template_data"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"dynamic_template_data\":{\"a\":1}}]}",
	     "invalid_field", "personalizations.0.dynamic_template_data"},
	    {"{\"batch_id\":\"b1\"}", "invalid_field", "batch_id"},
	    {"{\"asm\":{\"group_id\":1}}", "invalid_field", "asm"},
	    {"{\"tracking_settings\":{\"subscription_tracking\":{\"enable\":"
	     "true}}}",
	     "invalid_field", "tracking_settings.subscription_tracking.enable"},
	    /* from */
	    {"{\"from\":\"-\"}", "missing_field", "from"},
	    {"{\"from\":\"a@example.com\"}", "invalid_field", "from"},
	    {"{\"from\":{\"name\":\"A\"}}", "invalid_field", "from"},
	    {"{\"from\":{\"email\":\"not an address\"}}", "invalid_field",
	     "from"},
	    {"{\"from\":{\"email\":\"a@example.com\",\"name\":7}}",
	     "invalid_field", "from"},
	    {"{\"from\":{\"email\":\"a@example.com\",\"x\":1}}",
	     "invalid_field", "from.x"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"from\":{\"email\":\"bad\"}}]}",
	     "invalid_field", "personalizations.0.from"},
	    /* to, cc, bcc */
	    {"{\"personalizations\":[{}]}", "missing_field",
	     "personalizations.0.to"},
	    {"{\"personalizations\":[{\"to\":[]}]}", "missing_field",
	     "personalizations.0.to"},
	    {"{\"personalizations\":[{\"to\":{\"email\":\"b@example.net\"}}]}",
	     "invalid_field", "personalizations.0.to"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"A <b@example.net>\""
	     "}]}]}",
	     "invalid_field", "personalizations.0.to.0"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\","
	     "\"name\":\"x\\r\\nBcc: e@evil\"}]}]}",
	     "invalid_field", "personalizations.0.to.0"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"cc\":[{\"email\":\"\"}]}]}",
	     "invalid_field", "personalizations.0.cc.0"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"bcc\":\"c@example.net\"}]}",
	     "invalid_field", "personalizations.0.bcc"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"bcc\":[{\"email\":\"B@example.net\"}]}]}",
	     "invalid_field", "personalizations.0"},
	    /* subject */
	    {"{\"subject\":\"-\"}", "missing_field", "subject"},
	    {"{\"subject\":\"\"}", "invalid_field", "subject"},
	    {"{\"subject\":5}", "invalid_field", "subject"},
	    {"{\"subject\":\"a\\r\\nBcc: x@evil.org\"}", "invalid_field",
	     "subject"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"subject\":[]}]}",
	     "invalid_field", "personalizations.0.subject"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"subject\":\"-x-\",\"substitutions\":{\"-x-\":\"a\\nb\"}}]}",
	     "invalid_field", "personalizations.0.subject"},
	    /* headers */
	    {"{\"headers\":[]}", "invalid_field", "headers"},
	    {"{\"headers\":{\"X-A\":1}}", "invalid_field", "headers"},
	    {"{\"headers\":{\"X-A\":\"1\\r\\nBcc: x\"}}", "invalid_field",
	     "headers"},
	    {"{\"headers\":{\"DKIM-Signature\":\"x\"}}", "invalid_field",
	     "headers"},
	    {"{\"headers\":{\"X-SG-ID\":\"x\"}}", "invalid_field", "headers"},
	    {"{\"headers\":{\"Subject\":\"x\"}}", "invalid_field", "headers"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"headers\":{\"Received\":\"x\"}}]}",
	     "invalid_field", "personalizations.0.headers"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"headers\":\"X-A: 1\"}]}",
	     "invalid_field", "personalizations.0.headers"},
	    /* substitutions */
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"substitutions\":[]}]}",
	     "invalid_field", "personalizations.0.substitutions"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"substitutions\":{\"-a-\":1}}]}",
	     "invalid_field", "personalizations.0.substitutions"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"substitutions\":{\"\":\"x\"}}]}",
	     "invalid_field", "personalizations.0.substitutions"},
	    /* custom_args */
	    {"{\"custom_args\":\"k=v\"}", "invalid_field", "custom_args"},
	    {"{\"custom_args\":{\"k\":1}}", "invalid_field", "custom_args"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"custom_args\":{\"k\":true}}]}",
	     "invalid_field", "personalizations.0.custom_args"},
	    /* send_at */
	    {"{\"send_at\":\"tomorrow\"}", "invalid_field", "send_at"},
	    {"{\"send_at\":-5}", "invalid_field", "send_at"},
	    {"{\"send_at\":1.5}", "invalid_field", "send_at"},
	    {"{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}],"
	     "\"send_at\":\"x\"}]}",
	     "invalid_field", "personalizations.0.send_at"},
	    /* reply_to, reply_to_list */
	    {"{\"reply_to\":{\"email\":\"nope\"}}", "invalid_field",
	     "reply_to"},
	    {"{\"reply_to\":[{\"email\":\"r@example.com\"}]}", "invalid_field",
	     "reply_to"},
	    {"{\"reply_to\":{\"email\":\"r@example.com\"},\"reply_to_list\":"
	     "[{\"email\":\"q@example.com\"}]}",
	     "invalid_field", "reply_to_list"},
	    {"{\"reply_to_list\":{\"email\":\"q@example.com\"}}",
	     "invalid_field", "reply_to_list"},
	    {"{\"reply_to_list\":[{\"name\":\"Q\"}]}", "invalid_field",
	     "reply_to_list.0"},
	    {"{\"reply_to_list\":[{\"email\":\"q@example.com\"},{\"email\":"
	     "\"Q@example.com\"}]}",
	     "invalid_field", "reply_to_list"},
	    /* content */
	    {"{\"content\":\"-\"}", "missing_field", "content"},
	    {"{\"content\":[]}", "missing_field", "content"},
	    {"{\"content\":{\"type\":\"text/plain\",\"value\":\"t\"}}",
	     "invalid_field", "content"},
	    {"{\"content\":[{\"type\":\"text/plain\"}]}", "invalid_field",
	     "content.0.value"},
	    {"{\"content\":[{\"type\":\"text/plain\",\"value\":\"\"}]}",
	     "invalid_field", "content.0.value"},
	    {"{\"content\":[{\"value\":\"t\"}]}", "invalid_field",
	     "content.0.type"},
	    {"{\"content\":[{\"type\":\"text/calendar\",\"value\":\"x\"}]}",
	     "invalid_field", "content.0.type"},
	    {"{\"content\":[{\"type\":\"text/plain\",\"value\":\"a\"},"
	     "{\"type\":\"text/plain\",\"value\":\"b\"}]}",
	     "invalid_field", "content.1.type"},
	    {"{\"content\":[{\"type\":\"text/"
	     "plain\",\"value\":\"a\",\"x\":1}]}",
	     "invalid_field", "content.0.x"},
	    /* NUL anywhere: the whole body is refused as bad JSON */
	    {"{\"content\":[{\"type\":\"text/plain\",\"value\":\"a\\u0000\"}]}",
	     "invalid_json", ""},
	    /* attachments */
	    {"{\"attachments\":{}}", "invalid_field", "attachments"},
	    {"{\"attachments\":[{\"filename\":\"a\"}]}", "invalid_field",
	     "attachments.0"},
	    {"{\"attachments\":[{\"content\":\"JVBERg==\"}]}", "invalid_field",
	     "attachments.0"},
	    {"{\"attachments\":[{\"content\":\"!!\",\"filename\":\"a\"}]}",
	     "invalid_field", "attachments.0"},
	    {"{\"attachments\":[{\"content\":\"JVBERg==\",\"filename\":\"a\","
	     "\"type\":\"\"}]}",
	     "invalid_field", "attachments.0"},
	    {"{\"attachments\":[{\"content\":\"JVBERg==\",\"filename\":\"a\","
	     "\"type\":\"nonsense\"}]}",
	     "invalid_field", "attachments.0"},
	    {"{\"attachments\":[{\"content\":\"JVBERg==\",\"filename\":\"a\","
	     "\"disposition\":\"attached\"}]}",
	     "invalid_field", "attachments.0"},
	    {"{\"attachments\":[{\"content\":\"JVBERg==\",\"filename\":\"a\","
	     "\"disposition\":\"inline\"}]}",
	     "invalid_field", "attachments.0"},
	    {"{\"attachments\":[{\"content\":\"JVBERg==\",\"filename\":\"a\","
	     "\"disposition\":\"attachment\",\"content_id\":\"c1\"}]}",
	     "invalid_field", "attachments.0"},
	    {"{\"attachments\":[{\"content\":\"JVBERg==\",\"filename\":\"a\","
	     "\"disposition\":\"inline\",\"content_id\":\"a b\"}]}",
	     "invalid_field", "attachments.0"},
	    {"{\"attachments\":[{\"content\":\"JVBERg==\",\"filename\":"
	     "\"a\\r\\nb\"}]}",
	     "invalid_field", "attachments.0"},
	    {"{\"attachments\":[{\"content\":\"JVBERg==\",\"filename\":\"a\","
	     "\"size\":4}]}",
	     "invalid_field", "attachments.0.size"},
	    /* categories */
	    {"{\"categories\":\"a\"}", "invalid_field", "categories"},
	    {"{\"categories\":[1]}", "invalid_field", "categories"},
	    {"{\"categories\":[\"a\",\"a\"]}", "invalid_field", "categories"},
	    {"{\"categories\":[\"\"]}", "invalid_field", "categories"},
	    {"{\"categories\":[\"a\\tb\"]}", "invalid_field", "categories"},
	    {"{\"categories\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\","
	     "\"8\",\"9\",\"10\",\"11\"]}",
	     "invalid_field", "categories"},
	    /* ip_pool_name */
	    {"{\"ip_pool_name\":\"a\"}", "invalid_field", "ip_pool_name"},
	    {"{\"ip_pool_name\":7}", "invalid_field", "ip_pool_name"},
	    {"{\"ip_pool_name\":\"pool\\nx\"}", "invalid_field",
	     "ip_pool_name"},
	    /* mail_settings */
	    {"{\"mail_settings\":[]}", "invalid_field", "mail_settings"},
	    {"{\"mail_settings\":{\"spam_check\":{\"enable\":true}}}",
	     "invalid_field", "mail_settings.spam_check"},
	    {"{\"mail_settings\":{\"sandbox_mode\":{\"enable\":\"yes\"}}}",
	     "invalid_field", "mail_settings.sandbox_mode"},
	    {"{\"mail_settings\":{\"sandbox_mode\":true}}", "invalid_field",
	     "mail_settings.sandbox_mode"},
	    {"{\"mail_settings\":{\"footer\":{\"enable\":true,\"text\":5}}}",
	     "invalid_field", "mail_settings.footer"},
	    {"{\"mail_settings\":{\"footer\":{\"enable\":1}}}", "invalid_field",
	     "mail_settings.footer"},
	    {"{\"mail_settings\":{\"footer\":{\"html\":[]}}}", "invalid_field",
	     "mail_settings.footer"},
	    {"{\"mail_settings\":{\"footer\":{\"color\":\"red\"}}}",
	     "invalid_field", "mail_settings.footer.color"},
	    {"{\"mail_settings\":{\"bypass_list_management\":{\"enable\":"
	     "\"no\"}}}",
	     "invalid_field", "mail_settings.bypass_list_management"},
	    {"{\"mail_settings\":{\"bypass_list_management\":{\"enable\":true},"
	     "\"bypass_unsubscribe_management\":{\"enable\":true}}}",
	     "invalid_field", "mail_settings.bypass_list_management"},
	    {"{\"mail_settings\":{\"bypass_spam_management\":[]}}",
	     "invalid_field", "mail_settings.bypass_spam_management"},
	    {"{\"mail_settings\":{\"bypass_bounce_management\":{\"on\":true}}}",
	     "invalid_field", "mail_settings.bypass_bounce_management.on"},
	    {"{\"mail_settings\":{\"bypass_unsubscribe_management\":{"
	     "\"enable\":"
	     "0}}}",
	     "invalid_field", "mail_settings.bypass_unsubscribe_management"},
	    /* tracking_settings */
	    {"{\"tracking_settings\":1}", "invalid_field", "tracking_settings"},
	    {"{\"tracking_settings\":{\"pixel\":{}}}", "invalid_field",
	     "tracking_settings.pixel"},
	    {"{\"tracking_settings\":{\"click_tracking\":{\"enable\":\"1\"}}}",
	     "invalid_field", "tracking_settings.click_tracking"},
	    {"{\"tracking_settings\":{\"click_tracking\":{\"enable_text\":1}}}",
	     "invalid_field", "tracking_settings.click_tracking"},
	    {"{\"tracking_settings\":{\"open_tracking\":{\"enable\":null,"
	     "\"substitution_tag\":3}}}",
	     "invalid_field", "tracking_settings.open_tracking"},
	    {"{\"tracking_settings\":{\"open_tracking\":{\"enable\":[]}}}",
	     "invalid_field", "tracking_settings.open_tracking"},
	    {"{\"tracking_settings\":{\"subscription_tracking\":{\"html\":1}}}",
	     "invalid_field", "tracking_settings.subscription_tracking"},
	    {"{\"tracking_settings\":{\"subscription_tracking\":{"
	     "\"substitution_tag\":[]}}}",
	     "invalid_field", "tracking_settings.subscription_tracking"},
	    {"{\"tracking_settings\":{\"ganalytics\":{\"utm_source\":1}}}",
	     "invalid_field", "tracking_settings.ganalytics"},
	    {"{\"tracking_settings\":{\"ganalytics\":{\"enable\":\"y\"}}}",
	     "invalid_field", "tracking_settings.ganalytics"},
	    {"{\"tracking_settings\":{\"ganalytics\":{\"utm_x\":\"1\"}}}",
	     "invalid_field", "tracking_settings.ganalytics.utm_x"},
	};
	struct api_msg *ms;
	struct api_error e;
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sg(cases[i].patch, &ms, &n, &e) != -1)
			fail_msg("case %zu accepted: %s", i, cases[i].patch);
		if (strcmp(e.code, cases[i].code) != 0 ||
		    strcmp(e.field, cases[i].field) != 0)
			fail_msg("case %zu (%s): %s at %s: %s", i,
			         cases[i].patch, e.code, e.field, e.message);
		assert_true(e.message[0] != '\0');
		assert_null(ms);
		assert_int_equal(n, 0);
	}
}

static void
limits_over_the_request(void **state)
{
	json_t *b = json_loads(base_req, 0, NULL), *ps = json_array(), *p;
	struct api_msg *ms;
	struct api_error e;
	char *text, addr[64], big[1001];
	size_t n, i;

	(void)state;
	/* 1001 recipients over 2 personalizations */
	for (i = 0; i < 2; i++) {
		json_t *to = json_array();
		size_t k;

		for (k = 0; k < (i ? 1 : 1000); k++) {
			snprintf(addr, sizeof(addr), "r%zu.%zu@example.net", i,
			         k);
			json_array_append_new(
			    to, json_pack("{s:s}", "email", addr));
		}
		p = json_pack("{s:o}", "to", to);
		json_array_append_new(ps, p);
	}
	json_object_set_new(b, "personalizations", ps);
	text = json_dumps(b, JSON_COMPACT);
	assert_int_equal(
	    compat_sendgrid_decode(text, strlen(text), NOW, &ms, &n, &e), -1);
	assert_string_equal(e.field, "personalizations");
	free(text);
	/* custom_args over 10,000 bytes once merged: 9 * (2 + 1000) over
	 * the request, 1 + 1000 more in the personalization */
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_object_set_new(b, "personalizations",
	                    json_pack("[{s:[{s:s}],s:{s:s}}]", "to", "email",
	                              "b@example.net", "custom_args", "b",
	                              big));
	p = json_object();
	for (i = 0; i < 9; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%zu", i);
		json_object_set_new(p, k, json_string(big));
	}
	json_object_set_new(b, "custom_args", p);
	text = json_dumps(b, JSON_COMPACT);
	assert_int_equal(
	    compat_sendgrid_decode(text, strlen(text), NOW, &ms, &n, &e), -1);
	assert_string_equal(e.field, "personalizations.0.custom_args");
	free(text);
	/* 1000 personalizations of 70 KiB content: over 64 MiB in all */
	json_object_del(b, "custom_args");
	ps = json_array();
	for (i = 0; i < 1000; i++)
		json_array_append_new(
		    ps, json_pack("[{s:s}]", "email", "b@example.net"));
	p = json_array();
	for (i = 0; i < 1000; i++)
		json_array_append_new(
		    p, json_pack("{s:O}", "to", json_array_get(ps, i)));
	json_decref(ps);
	json_object_set_new(b, "personalizations", p);
	text = xmalloc(70 * 1024 + 1);
	memset(text, 'x', 70 * 1024);
	text[70 * 1024] = '\0';
	json_object_set_new(
	    b, "content",
	    json_pack("[{s:s,s:s}]", "type", "text/plain", "value", text));
	free(text);
	text = json_dumps(b, JSON_COMPACT);
	assert_int_equal(
	    compat_sendgrid_decode(text, strlen(text), NOW, &ms, &n, &e), -1);
	assert_string_equal(e.code, "too_large");
	assert_string_equal(e.field, "personalizations");
	free(text);
	json_decref(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        personalizations_become_messages_with_their_own_parts),
	    cmocka_unit_test(options_go_to_msg_meta),
	    cmocka_unit_test(footer_is_appended_and_open_tag_removed),
	    cmocka_unit_test(substitution_rules),
	    cmocka_unit_test(idempotency_key_per_personalization),
	    cmocka_unit_test(header_named_twice_in_two_cases),
	    cmocka_unit_test(send_at_limits),
	    cmocka_unit_test(refusals_name_the_field),
	    cmocka_unit_test(dynamic_template_per_personalization),
	    cmocka_unit_test(limits_over_the_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
