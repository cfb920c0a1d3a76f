/*
 * test_compat_mailgun.c - the Mailgun drop-in's fields: indexed file
 * parts (attachment[0], inline[0]), every sending option honoured into
 * msg_meta (o:tag, v:, h:X-Mailgun-Variables, o:deliverytime,
 * o:testmode, o:tracking*, o:sending-ip-pool) or refused naming it,
 * malformed values of each, RFC 2822 dates, messages.mime's X-Mailgun-*
 * header fields taken out of the message into msg_meta and its h:
 * fields put in front of the message's own; batch sends with
 * recipient-variables (one message per To recipient, substituted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "mime/form.h"

/* 2023-11-14T22:13:20Z */
#define NOW ((time_t)1700000000)

#define BASE "from=a%40example.com&to=b%40example.net&text=t"

/* decode - compat_mailgun_decode of an urlencoded body. */
static int
decode(const char *body, struct api_msg *m, struct api_error *e)
{
	char *b = xstrdup(body);
	struct form fm;
	const char *why;
	int rc;

	form_init(&fm);
	assert_int_equal(form_urlencoded_parse(b, strlen(b), &fm, &why), 0);
	memset(e, 0, sizeof(*e));
	rc = compat_mailgun_decode(&fm, NOW, m, e);
	form_fini(&fm);
	free(b);
	return rc;
}

static void
indexed_file_parts_are_attachments_and_inline_parts(void **state)
{
	static const char body[] =
	    "--b\r\nContent-Disposition: form-data; name=\"from\"\r\n\r\n"
	    "a@example.com\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n"
	    "b@example.net\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"html\"\r\n\r\n"
	    "<img src=cid:l.png>\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"attachment[0]\"; "
	    "filename=\"r.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
	    "%PDF\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"attachment[1]\"; "
	    "filename=\"s.txt\"\r\nContent-Type: text/plain\r\n\r\n"
	    "hello\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"inline[0]\"; "
	    "filename=\"l.png\"\r\nContent-Type: image/png\r\n\r\n"
	    "\x89PNG\r\n"
	    "--b--\r\n";
	struct str bs = STR_LIT("b");
	struct api_error e;
	struct api_msg m;
	struct form fm;
	const char *why;

	(void)state;
	form_init(&fm);
	assert_int_equal(
	    form_multipart_parse(body, strlen(body), bs, &fm, &why), 0);
	assert_int_equal(compat_mailgun_decode(&fm, NOW, &m, &e), 0);
	assert_int_equal(m.mail.n_atts, 3);
	assert_string_equal(m.mail.atts[0].filename, "r.pdf");
	assert_null(m.mail.atts[0].content_id);
	assert_string_equal(m.mail.atts[1].filename, "s.txt");
	assert_memory_equal(m.mail.atts[1].data, "hello", 5);
	assert_string_equal(m.mail.atts[2].content_id, "l.png");
	api_msg_fini(&m);
	form_fini(&fm);
}

static void
options_go_into_meta(void **state)
{
	struct api_error e;
	struct api_msg m;

	(void)state;
	assert_int_equal(
	    decode(BASE
	           "&o:tag=welcome&o:tag=onboarding&v:order=42"
	           "&h:X-Mailgun-Variables=%7B%22user%22%3A%7B%22id%22%3A7"
	           "%7D%7D&o:testmode=yes&o:tracking=no"
	           "&o:tracking-clicks=htmlonly&o:sending-ip-pool=pool1"
	           "&o:dkim=yes&o:require-tls=no&o:skip-verification=false"
	           "&o:deliverytime=Wed%2C%2015%20Nov%202023%2010%3A00%3A00"
	           "%20%2B0000",
	           &m, &e),
	    0);
	assert_int_equal(m.meta.n_tags, 2);
	assert_string_equal(m.meta.tags[0].name, "welcome");
	assert_null(m.meta.tags[0].value);
	assert_string_equal(m.meta.tags[1].name, "onboarding");
	assert_non_null(m.meta.metadata);
	assert_non_null(strstr(m.meta.metadata, "\"order\":\"42\""));
	assert_non_null(strstr(m.meta.metadata, "\"user\":{\"id\":7}"));
	assert_true(m.meta.sandbox);
	/* o:tracking is the master switch; o:tracking-clicks wins. */
	assert_int_equal(m.meta.track_opens, MSG_TRACK_OFF);
	assert_int_equal(m.meta.track_clicks, MSG_TRACK_ON);
	assert_string_equal(m.meta.ip_pool, "pool1");
	assert_int_equal(m.meta.send_at, 1700042400);
	/* The options are no header fields of the message. */
	assert_int_equal(m.mail.n_fields, 0);
	api_msg_fini(&m);

	/* testmode=no, a past delivery time: nothing to record. */
	assert_int_equal(
	    decode(BASE "&o:testmode=no&o:deliverytime=Mon%2C%201%20Jan%202001"
	                "%2000%3A00%3A00%20GMT",
	           &m, &e),
	    0);
	assert_true(msg_meta_empty(&m.meta));
	api_msg_fini(&m);
}

/* template and its variables: t:variables, else h:X-Mailgun-Variables;
 * malformed ones refused naming the field. */
static void
template_and_variables(void **state)
{
	static const struct {
		const char *body, *field;
	} bad[] = {
	    {"from=a%40example.com&to=b%40example.net&template=a%2Fb",
	     "template"},
	    {"from=a%40example.com&to=b%40example.net&template=t&template=u",
	     "template"},
	    {"from=a%40example.com&to=b%40example.net&template=t&"
	     "t:variables=%5B1%5D",
	     "t:variables"},
	    {"from=a%40example.com&to=b%40example.net&template=t&"
	     "h:X-Mailgun-Variables=%5B1%5D",
	     "h:X-Mailgun-Variables"},
	};
	struct api_error e;
	struct api_msg m;
	size_t i;

	(void)state;
	assert_int_equal(
	    decode("from=a%40example.com&to=b%40example.net&"
	           "template=welcome&t:variables=%7B%22n%22%3A1%7D",
	           &m, &e),
	    0);
	assert_string_equal(m.template_name, "welcome");
	assert_int_equal(
	    json_integer_value(json_object_get(m.template_data, "n")), 1);
	assert_null(m.mail.text);
	api_msg_fini(&m);
	assert_int_equal(decode("from=a%40example.com&to=b%40example.net&"
	                        "template=welcome&h:X-Mailgun-Variables="
	                        "%7B%22n%22%3A2%7D",
	                        &m, &e),
	                 0);
	assert_int_equal(
	    json_integer_value(json_object_get(m.template_data, "n")), 2);
	api_msg_fini(&m);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (decode(bad[i].body, &m, &e) != -1)
			fail_msg("case %zu accepted", i);
		assert_string_equal(e.field, bad[i].field);
		assert_int_equal(e.http_status, 400);
	}
}

static void
refusals_name_the_option(void **state)
{
	static const struct {
		const char *extra, *field;
	} cases[] = {
	    {"&o:tag=a&o:tag=b&o:tag=c&o:tag=d", "o:tag"},
	    {"&o:tag=", "o:tag"},
	    {"&o:tag=a%01b", "o:tag"},
	    {"&o:testmode=maybe", "o:testmode"},
	    {"&o:tracking=sometimes", "o:tracking"},
	    {"&o:tracking-opens=htmlonly", "o:tracking-opens"},
	    {"&o:tracking-clicks=x", "o:tracking-clicks"},
	    {"&o:dkim=no", "o:dkim"},
	    {"&o:dkim=maybe", "o:dkim"},
	    {"&o:require-tls=yes", "o:require-tls"},
	    {"&o:skip-verification=true", "o:skip-verification"},
	    {"&o:tracking-pixel-location-top=yes",
	     "o:tracking-pixel-location-top"},
	    {"&o:sending-ip=192.0.2.1", "o:sending-ip"},
	    {"&o:sending-ip-pool=", "o:sending-ip-pool"},
	    {"&o:secondary-dkim=example.com%2Fs1", "o:secondary-dkim"},
	    {"&o:secondary-dkim-public=example.com", "o:secondary-dkim-public"},
	    {"&o:deliverytime-optimize-period=24h",
	     "o:deliverytime-optimize-period"},
	    {"&o:time-zone-localize=09%3A00", "o:time-zone-localize"},
	    {"&o:archive-to=https%3A%2F%2Fx", "o:archive-to"},
	    {"&o:suppress-headers=all", "o:suppress-headers"},
	    {"&o:no-such-option=1", "o:no-such-option"},
	    {"&o:deliverytime=tomorrow", "o:deliverytime"},
	    {"&o:deliverytime=Wed%2C%2031%20Feb%202024%2010%3A00%3A00%20%"
	     "2B0000",
	     "o:deliverytime"},
	    /* More than 3 days ahead. */
	    {"&o:deliverytime=Sat%2C%2018%20Nov%202023%2023%3A00%3A00%20%"
	     "2B0000",
	     "o:deliverytime"},
	    {"&v:=x", "v:"},
	    {"&h:X-Mailgun-Variables=%5B1%5D", "h:X-Mailgun-Variables"},
	    {"&h:X-Mailgun-Variables=nope", "h:X-Mailgun-Variables"},
	    {"&h:X-Mailgun-Bogus=1", "h:X-Mailgun-Bogus"},
	    {"&recipient-variables=%7B%7D", "recipient-variables"},
	    {"&template=welcome", "template"},
	    {"&t:version=v2", "t:version"},
	    {"&t:text=yes", "t:text"},
	    {"&t:variables=%7B%7D", "t:variables"},
	    {"&amp-html=%3Chtml%3E", "amp-html"},
	    {"&no-such-field=1", "no-such-field"},
	};
	struct api_error e;
	struct api_msg m;
	char body[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "%s%s", BASE, cases[i].extra);
		if (decode(body, &m, &e) != -1)
			fail_msg("case %zu (%s) accepted", i, cases[i].extra);
		assert_int_equal(e.http_status, 400);
		assert_string_equal(e.code, "invalid_field");
		if (strcmp(e.field, cases[i].field) != 0)
			fail_msg("case %zu: field %s, not %s", i, e.field,
			         cases[i].field);
		/* The sentence names the field too (v: and "" aside). */
		if (cases[i].field[2] != '\0' &&
		    strstr(e.message, cases[i].field) == NULL)
			fail_msg("case %zu: message '%s' does not name %s", i,
			         e.message, cases[i].field);
	}
}

static void
rfc2822_dates(void **state)
{
	static const struct {
		const char *s;
		long long t; /* -1: refused */
	} cases[] = {
	    {"Wed, 15 Nov 2023 10:00:00 +0000", 1700042400},
	    {"15 Nov 2023 10:00:00 +0000", 1700042400},
	    {"Wed, 15 Nov 2023 12:00:00 +0200", 1700042400},
	    {"Wed, 15 Nov 2023 05:00:00 EST", 1700042400},
	    {"Wed, 15 Nov 2023 10:00 GMT", 1700042400},
	    {"Wed, 15 Nov 2023 10:00:00 -0000 (UTC)", 1700042400},
	    {"Wed,  5 Nov 2023 10:00:00 UT", 1699178400},
	    {"Wed, 15 Nov 2023 10:00:00", -1},
	    {"Wed, 15 Foo 2023 10:00:00 +0000", -1},
	    {"Wed, 15 Nov 23 10:00:00 +0000", -1},
	    {"Wed, 15 Nov 2023 24:00:00 +0000", -1},
	    {"Wed, 15 Nov 2023 10:00:00 +2500x", -1},
	    {"Wed, 30 Feb 2023 10:00:00 +0000", -1},
	    {"2023-11-15T10:00:00Z", -1},
	    {"", -1},
	};
	size_t i;
	time_t t;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = compat_mailgun_date_parse(cases[i].s, &t);
		if (cases[i].t < 0 ? rc != -1
		                   : rc != 0 || (long long)t != cases[i].t)
			fail_msg("case %zu (%s): rc %d", i, cases[i].s, rc);
	}
}

/* mime_form - a messages.mime form with message text and extra fields
 * (urlencoded "&name=value" pieces). */
static int
mime_decode(const char *msg, const char *extra, struct compat_raw_req *raw,
            struct msg_meta *meta, struct api_error *e, char **keep)
{
	struct form fm;
	const char *why;
	char *b;
	size_t n = strlen(msg) * 3 + strlen(extra) + 64, i, k;
	int rc;

	b = xmalloc(n);
	k = (size_t)snprintf(b, n, "to=b%%40example.net%s&message=", extra);
	for (i = 0; msg[i] != '\0'; i++)
		k += (size_t)snprintf(b + k, n - k, "%%%02X",
		                      (unsigned char)msg[i]);
	form_init(&fm);
	assert_int_equal(form_urlencoded_parse(b, k, &fm, &why), 0);
	memset(e, 0, sizeof(*e));
	rc = compat_mailgun_mime_decode(&fm, NOW, raw, meta, e);
	form_fini(&fm);
	*keep = b;
	return rc;
}

static void
mime_control_headers_are_taken_into_meta(void **state)
{
	static const char msg[] =
	    "From: a@example.com\r\n"
	    "X-Mailgun-Tag: one\r\n"
	    "To: b@example.net\r\n"
	    "x-mailgun-tag: two\r\n"
	    "X-Mailgun-Variables: {\"order\":\r\n \"42\"}\r\n"
	    "X-Mailgun-Drop-Message: yes\r\n"
	    "X-Mailgun-Deliver-By: Wed, 15 Nov 2023 10:00:00 +0000\r\n"
	    "X-Mailgun-Track: yes\r\n"
	    "X-Mailgun-Track-Opens: no\r\n"
	    "X-Mailgun-Dkim: yes\r\n"
	    "Subject: s\r\n"
	    "\r\n"
	    "X-Mailgun-Tag: in the body stays\r\n";
	struct compat_raw_req raw;
	struct msg_meta meta;
	struct api_error e;
	char *keep, *text;

	(void)state;
	assert_int_equal(mime_decode(msg, "&v:user=7&o:tag=three&h:X-Ref=r1",
	                             &raw, &meta, &e, &keep),
	                 0);
	text = xmemdup(raw.data, raw.len + 1);
	text[raw.len] = '\0';
	assert_string_equal(text, "X-Ref: r1\r\n"
	                          "From: a@example.com\r\n"
	                          "To: b@example.net\r\n"
	                          "Subject: s\r\n"
	                          "\r\n"
	                          "X-Mailgun-Tag: in the body stays\r\n");
	assert_int_equal(raw.n_env_to, 1);
	assert_string_equal(raw.env_to[0], "b@example.net");
	assert_int_equal(meta.n_tags, 3);
	assert_string_equal(meta.tags[0].name, "three");
	assert_string_equal(meta.tags[1].name, "one");
	assert_string_equal(meta.tags[2].name, "two");
	assert_non_null(strstr(meta.metadata, "\"order\":\"42\""));
	assert_non_null(strstr(meta.metadata, "\"user\":\"7\""));
	assert_true(meta.sandbox);
	assert_int_equal(meta.send_at, 1700042400);
	assert_int_equal(meta.track_opens, MSG_TRACK_OFF);
	assert_int_equal(meta.track_clicks, MSG_TRACK_ON);
	free(text);
	free(keep);
	compat_raw_req_fini(&raw);
	msg_meta_fini(&meta);
}

static void
mime_refusals_name_the_field(void **state)
{
	static const struct {
		const char *msg, *extra, *field;
	} cases[] = {
	    {"From: a@example.com\r\nX-Mailgun-Bogus: 1\r\n\r\nx\r\n", "",
	     "X-Mailgun-Bogus"},
	    {"From: a@example.com\r\nX-Mailgun-Drop-Message: perhaps\r\n\r\n"
	     "x\r\n",
	     "", "X-Mailgun-Drop-Message"},
	    {"From: a@example.com\r\nX-Mailgun-Template-Name: t\r\n\r\nx\r\n",
	     "", "X-Mailgun-Template-Name"},
	    {"From: a@example.com\r\nX-Mailgun-Deliver-By: soon\r\n\r\nx\r\n",
	     "", "X-Mailgun-Deliver-By"},
	    {"From: a@example.com\r\nX-Ref: 0\r\n\r\nx\r\n", "&h:X-Ref=1",
	     "h:X-Ref"},
	    {"From: a@example.com\r\n\r\nx\r\n", "&h:From=b%40example.com",
	     "h:From"},
	    {"From: a@example.com\r\n\r\nx\r\n", "&h:X-Ref=a%0d%0ab",
	     "h:X-Ref"},
	    {"From: a@example.com\r\n\r\nx\r\n", "&cc=c%40example.net", "cc"},
	    {"From: a@example.com\r\n\r\nx\r\n", "&o:sending-ip=1",
	     "o:sending-ip"},
	};
	struct compat_raw_req raw;
	struct msg_meta meta;
	struct api_error e;
	char *keep;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (mime_decode(cases[i].msg, cases[i].extra, &raw, &meta, &e,
		                &keep) != -1)
			fail_msg("case %zu accepted", i);
		free(keep);
		assert_int_equal(e.http_status, 400);
		if (strcmp(e.field, cases[i].field) != 0)
			fail_msg("case %zu: field %s", i, e.field);
		assert_null(raw.data);
		assert_true(msg_meta_empty(&meta));
	}
}

/* batch - compat_mailgun_batch_decode of an urlencoded body. */
static int
batch(const char *body, struct api_msg **ms, size_t *n, struct api_error *e)
{
	char *b = xstrdup(body);
	struct form fm;
	const char *why;
	int rc;

	form_init(&fm);
	assert_int_equal(form_urlencoded_parse(b, strlen(b), &fm, &why), 0);
	memset(e, 0, sizeof(*e));
	rc = compat_mailgun_batch_decode(&fm, NOW, ms, n, e);
	form_fini(&fm);
	free(b);
	return rc;
}

static void
recipient_variables_make_one_message_per_recipient(void **state)
{
	struct api_error e;
	struct api_msg *ms;
	size_t n;

	(void)state;
	/* Without recipient-variables: one message, To as given. */
	assert_int_equal(
	    batch("from=a%40example.com&to=b%40example.net,c%40example.net"
	          "&text=t",
	          &ms, &n, &e),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(ms[0].mail.n_to, 2);
	compat_msgs_free(ms, n);

	assert_int_equal(
	    batch(
	        "from=a%40example.com&to=B%40example.net&to=c%40example.net"
	        "&subject=Hi%20%25recipient.name%25"
	        "&text=n%3D%25recipient.n%25%20%25recipient.missing%25%20%25"
	        "&html=%3Cp%3E%25recipient.name%25%3C%2Fp%3E&o:tag=t"
	        "&h:X-Swerve-Idempotency-Key=k"
	        "&recipient-variables=%7B%22b%40example.net%22%3A%7B%22name%22"
	        "%3A%22Bea%22%2C%22n%22%3A1%7D%2C%22c%40example.net%22%3A%7B"
	        "%22name%22%3A%22Cy%22%7D%7D",
	        &ms, &n, &e),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(ms[0].mail.n_to, 1);
	assert_string_equal(ms[0].mail.to[0].addr, "B@example.net");
	assert_string_equal(ms[0].mail.subject, "Hi Bea");
	assert_string_equal(ms[0].mail.text, "n=1 %recipient.missing% %");
	assert_string_equal(ms[0].mail.html, "<p>Bea</p>");
	assert_string_equal(ms[1].mail.to[0].addr, "c@example.net");
	assert_string_equal(ms[1].mail.subject, "Hi Cy");
	assert_string_equal(ms[1].mail.text,
	                    "n=%recipient.n% %recipient.missing% %");
	assert_int_equal(ms[1].meta.n_tags, 1);
	/* A key names one message: each gets its own. */
	assert_string_equal(ms[0].mail.fields[0].value, "k/r1");
	assert_string_equal(ms[1].mail.fields[0].value, "k/r2");
	compat_msgs_free(ms, n);
}

static void
recipient_variables_refusals(void **state)
{
	static const char *const bodies[] = {
	    BASE "&recipient-variables=nope",
	    BASE "&recipient-variables=%5B%5D",
	    BASE "&cc=c%40example.net&recipient-variables=%7B%7D",
	    BASE "&bcc=c%40example.net&recipient-variables=%7B%7D",
	    BASE "&subject=%25recipient.x%25&recipient-variables=%7B%22b%40"
	         "example.net%22%3A%7B%22x%22%3A%22a%5Cr%5Cnb%22%7D%7D",
	};
	struct api_error e;
	struct api_msg *ms;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		if (batch(bodies[i], &ms, &n, &e) != -1)
			fail_msg("case %zu accepted", i);
		assert_null(ms);
		assert_int_equal(n, 0);
		assert_string_equal(e.field, "recipient-variables");
		assert_non_null(strstr(e.message, "recipient-variables"));
	}
	/* Another field's refusal is that field's, in a batch too. */
	assert_int_equal(
	    batch(BASE "&o:dkim=no&recipient-variables=%7B%7D", &ms, &n, &e),
	    -1);
	assert_string_equal(e.field, "o:dkim");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        indexed_file_parts_are_attachments_and_inline_parts),
	    cmocka_unit_test(options_go_into_meta),
	    cmocka_unit_test(refusals_name_the_option),
	    cmocka_unit_test(template_and_variables),
	    cmocka_unit_test(rfc2822_dates),
	    cmocka_unit_test(mime_control_headers_are_taken_into_meta),
	    cmocka_unit_test(mime_refusals_name_the_field),
	    cmocka_unit_test(
	        recipient_variables_make_one_message_per_recipient),
	    cmocka_unit_test(recipient_variables_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
