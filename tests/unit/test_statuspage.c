/*
 * test_statuspage.c - status page parsers: Atlassian Statuspage JSON, AWS
 * Health RSS, RFC 822 dates, format detection, and hostile bodies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "route/statuspage.h"

/* json - parse a NUL-terminated body; asserts the return code. */
static struct status_report
json(const char *body, const char *const *names, size_t n, int want_rc,
     char *err, size_t errlen)
{
	struct status_report r;
	char e[256];

	memset(&r, 0x55, sizeof(r)); /* garbage in: must be overwritten */
	assert_int_equal(statuspage_parse_json(body, strlen(body), names, n, &r,
	                                       err ? err : e,
	                                       err ? errlen : sizeof(e)),
	                 want_rc);
	return r;
}

/* rss - parse a NUL-terminated RSS body. */
static struct status_report
rss(const char *body, int want_rc, char *err, size_t errlen)
{
	struct status_report r;
	char e[256];

	memset(&r, 0x55, sizeof(r));
	assert_int_equal(statuspage_parse_rss(body, strlen(body), &r,
	                                      err ? err : e,
	                                      err ? errlen : sizeof(e)),
	                 want_rc);
	return r;
}

/* assert_printable - description is printable ASCII and NUL-ended. */
static void
assert_printable(const struct status_report *r)
{
	size_t i, n = strnlen(r->description, sizeof(r->description));

	assert_true(n < sizeof(r->description));
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)r->description[i];
		assert_true(c >= 0x20 && c <= 0x7e);
	}
}

/* A summary.json trimmed to what matters. */
static const char summary[] =
    "{\"page\":{\"id\":\"x\",\"name\":\"Prov\"},"
    "\"status\":{\"indicator\":\"minor\","
    "\"description\":\"Minor Service Outage\"},"
    "\"components\":["
    "{\"id\":\"1\",\"name\":\"SMTP Relay\",\"status\":\"operational\"},"
    "{\"id\":\"2\",\"name\":\"API\",\"status\":\"degraded_performance\"},"
    "{\"id\":\"3\",\"name\":\"Dashboard\",\"status\":\"major_outage\"},"
    "{\"id\":\"4\",\"name\":\"Webhooks\",\"status\":\"partial_outage\"},"
    "{\"id\":\"5\",\"name\":\"Billing\",\"status\":\"under_maintenance\"}"
    "]}";

static void
status_json_indicator_none_is_ok(void **state)
{
	struct status_report r =
	    json("{\"page\":{},\"status\":{\"indicator\":\"none\","
	         "\"description\":\"All Systems Operational\"}}",
	         NULL, 0, 0, NULL, 0);

	assert_int_equal(r.level, STATUS_OK);
	assert_string_equal(r.description, "All Systems Operational");
}

static void
status_json_indicators_map_to_levels(void **state)
{
	static const struct {
		const char *ind;
		enum status_level level;
	} cases[] = {
	    {"minor", STATUS_MINOR},       {"major", STATUS_MAJOR},
	    {"critical", STATUS_CRITICAL}, {"maintenance", STATUS_MAINTENANCE},
	    {"purple", STATUS_UNKNOWN},
	};
	char body[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
		         "{\"status\":{\"indicator\":\"%s\"}}", cases[i].ind);
		struct status_report r = json(body, NULL, 0, 0, NULL, 0);
		assert_int_equal(r.level, cases[i].level);
		assert_true(r.description[0] != '\0');
	}
	/* An unknown word is named in the description, not an error. */
	struct status_report r = json("{\"status\":{\"indicator\":\"purple\"}}",
	                              NULL, 0, 0, NULL, 0);
	assert_non_null(strstr(r.description, "purple"));
}

static void
summary_without_names_uses_overall_indicator(void **state)
{
	struct status_report r = json(summary, NULL, 0, 0, NULL, 0);

	assert_int_equal(r.level, STATUS_MINOR);
	assert_string_equal(r.description, "Minor Service Outage");
}

static void
named_components_worst_wins(void **state)
{
	const char *names[] = {"SMTP Relay", "API", "Webhooks"};
	struct status_report r = json(summary, names, 3, 0, NULL, 0);

	assert_int_equal(r.level, STATUS_MAJOR);
	assert_non_null(strstr(r.description, "Webhooks: partial_outage"));
	assert_non_null(strstr(r.description, "API: degraded_performance"));
	assert_null(strstr(r.description, "Dashboard"));
}

static void
named_components_only_those_count(void **state)
{
	const char *ok[] = {"SMTP Relay"};
	const char *maint[] = {"SMTP Relay", "Billing"};
	const char *crit[] = {"Dashboard"};
	struct status_report r;

	r = json(summary, ok, 1, 0, NULL, 0);
	assert_int_equal(r.level, STATUS_OK);
	assert_string_equal(r.description, "1 component operational");
	r = json(summary, maint, 2, 0, NULL, 0);
	assert_int_equal(r.level, STATUS_MAINTENANCE);
	r = json(summary, crit, 1, 0, NULL, 0);
	assert_int_equal(r.level, STATUS_CRITICAL);
}

static void
component_names_match_ignoring_case_and_spaces(void **state)
{
	const char *names[] = {"  smtp relay ", "API"};
	struct status_report r = json(summary, names, 2, 0, NULL, 0);

	assert_int_equal(r.level, STATUS_MINOR);
	assert_null(strstr(r.description, "not on page"));
}

static void
missing_named_component_is_reported(void **state)
{
	const char *names[] = {"SMTP Relay", "Inbound Parse"};
	struct status_report r = json(summary, names, 2, 0, NULL, 0);

	assert_int_equal(r.level, STATUS_OK);
	assert_non_null(strstr(r.description, "not on page: Inbound Parse"));
}

static void
no_named_component_found_is_unknown(void **state)
{
	const char *names[] = {"Inbound Parse", "Marketing"};
	struct status_report r = json(summary, names, 2, 0, NULL, 0);

	assert_int_equal(r.level, STATUS_UNKNOWN);
	assert_non_null(strstr(r.description, "Inbound Parse, Marketing"));
	/* status.json has no components at all: same answer. */
	r = json("{\"status\":{\"indicator\":\"critical\"}}", names, 2, 0, NULL,
	         0);
	assert_int_equal(r.level, STATUS_UNKNOWN);
}

static void
components_json_without_names_worst_of_all(void **state)
{
	struct status_report r =
	    json("{\"components\":[{\"name\":\"a\",\"status\":\"operational\"},"
	         "{\"name\":\"b\",\"status\":\"partial_outage\"}]}",
	         NULL, 0, 0, NULL, 0);

	assert_int_equal(r.level, STATUS_MAJOR);
	assert_string_equal(r.description, "b: partial_outage");
	r = json("{\"components\":[]}", NULL, 0, 0, NULL, 0);
	assert_int_equal(r.level, STATUS_UNKNOWN);
}

static void
many_names_beyond_the_small_array(void **state)
{
	const char *names[40];
	char bufs[40][16];
	size_t i;

	for (i = 0; i < 40; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "nope%zu", i);
		names[i] = bufs[i];
	}
	names[39] = "Dashboard";
	struct status_report r = json(summary, names, 40, 0, NULL, 0);
	assert_int_equal(r.level, STATUS_CRITICAL);
	assert_printable(&r);
}

static void
malformed_json_fails_with_a_reason(void **state)
{
	static const char *bodies[] = {
	    "",
	    "{",
	    "{\"status\":{\"indicator\":\"no",
	    "[1,2,3]",
	    "\"status\"",
	    "{\"status\":\"none\"}",
	    "{\"status\":{\"indicator\":3}}",
	    "{\"status\":{}}",
	    "{\"status\":{\"indicator\":\"none\",\"description\":[]}}",
	    "{\"components\":{}}",
	    "{\"components\":[1]}",
	    "{\"components\":[{\"name\":1,\"status\":\"operational\"}]}",
	    "{\"components\":[{\"name\":\"a\"}]}",
	    "{\"page\":{}}",
	    "{\"status\":{\"indicator\":\"none\"}} trailing",
	    "{\"status\":{\"indicator\":\"\xff\xfe\"}}",
	    "{\"status\":{\"indicator\":\"a\\u0000b\"}}",
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct status_report r =
		    json(bodies[i], NULL, 0, -1, err, sizeof(err));
		assert_int_equal(r.level, STATUS_UNKNOWN);
		assert_string_equal(r.description, "");
		assert_non_null(strstr(err, "statuspage: "));
		assert_printable((const struct status_report *)&r);
		for (char *p = err; *p; p++)
			assert_true(*p >= 0x20 && *p <= 0x7e);
	}
	/* Shape errors count even in components nobody asked for. */
	const char *names[] = {"a"};
	json("{\"components\":[{\"name\":\"a\",\"status\":\"operational\"},"
	     "{\"name\":\"b\",\"status\":null}]}",
	     names, 1, -1, err, sizeof(err));
	assert_non_null(strstr(err, "components[1]"));
}

static void
huge_and_hostile_strings_are_cut_and_sanitised(void **state)
{
	size_t n = 100000, i;
	char *body = malloc(n * 16 + 100);
	char *p = body;

	p += sprintf(p, "{\"status\":{\"indicator\":\"major\","
	                "\"description\":\"");
	for (i = 0; i < n; i++)
		*p++ = i == n / 2 ? '\t' : 'a';
	strcpy(p, "\"}}");
	/* Raw tabs are invalid in JSON strings: this must fail cleanly. */
	struct status_report r = json(body, NULL, 0, -1, NULL, 0);
	assert_int_equal(r.level, STATUS_UNKNOWN);

	p = body + sprintf(body, "{\"status\":{\"indicator\":\"major\","
	                         "\"description\":\"  ");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s",
		             i % 3 == 0   ? "\xc3\xa9"
		             : i % 3 == 1 ? "\\n\\u0007"
		                          : "Z");
	strcpy(p, "\"}}");
	body = realloc(body, strlen(body) + 1);
	r = json(body, NULL, 0, 0, NULL, 0);
	assert_int_equal(r.level, STATUS_MAJOR);
	assert_int_equal(strlen(r.description), STATUSPAGE_DESC_SIZE - 1);
	assert_printable(&r);
	assert_true(strncmp(r.description, "? ?Z? ?Z", 8) == 0);
	free(body);
}

static void
deep_nesting_and_oversize_are_refused(void **state)
{
	size_t depth = 100000, i;
	char *body = malloc(2 * depth + 1);
	char err[256];
	struct status_report r;

	for (i = 0; i < depth; i++) {
		body[i] = '[';
		body[depth + i] = ']';
	}
	body[2 * depth] = '\0';
	r = json(body, NULL, 0, -1, err, sizeof(err));
	assert_int_equal(r.level, STATUS_UNKNOWN);
	/* The length check comes before any byte is read. */
	assert_int_equal(statuspage_parse_json(body, STATUSPAGE_BODY_MAX + 1,
	                                       NULL, 0, &r, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "over the limit"));
	assert_int_equal(statuspage_parse_rss(body, STATUSPAGE_BODY_MAX + 1, &r,
	                                      err, sizeof(err)),
	                 -1);
	free(body);
}

/* ------------------------------------------------------------------ */
/* AWS Health RSS                                                      */

#define RSS_HEAD                                                               \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<rss version=\"2.0\" "                                                \
	"xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"                     \
	"<channel>\n<title>Amazon Simple Email Service (N. Virginia) "         \
	"Service Status</title>\n"                                             \
	"<link>http://status.aws.amazon.com/</link>\n"                         \
	"<language>en-us</language>\n"
#define RSS_TAIL "</channel>\n</rss>\n"
#define ITEM(title, date)                                                      \
	"<item><title type=\"text\">" title "</title>"                         \
	"<link>http://status.aws.amazon.com/</link>"                           \
	"<pubDate>" date "</pubDate>"                                          \
	"<guid isPermaLink=\"false\">x</guid>"                                 \
	"<description type=\"text\">Some words.</description></item>\n"

static void
rss_titles_map_to_levels(void **state)
{
	static const struct {
		const char *body;
		enum status_level level;
	} cases[] = {
	    {RSS_HEAD ITEM("Service is operating normally: [RESOLVED] "
	                   "Increased Error Rates",
	                   "Tue, 14 Nov 2023 10:52:33 PST") RSS_TAIL,
	     STATUS_OK},
	    {RSS_HEAD ITEM("[RESOLVED] Increased API Error Rates",
	                   "Tue, 14 Nov 2023 10:52:33 PST") RSS_TAIL,
	     STATUS_OK},
	    {RSS_HEAD ITEM("Informational message: [Resolved] Delayed "
	                   "bounces",
	                   "Tue, 14 Nov 2023 10:52:33 PST") RSS_TAIL,
	     STATUS_OK},
	    {RSS_HEAD ITEM("Informational message: Delayed bounce "
	                   "notifications",
	                   "Tue, 14 Nov 2023 10:52:33 PST") RSS_TAIL,
	     STATUS_MINOR},
	    {RSS_HEAD ITEM("Performance issues: Increased sending latency",
	                   "Tue, 14 Nov 2023 10:52:33 PST") RSS_TAIL,
	     STATUS_MINOR},
	    {RSS_HEAD ITEM("Service disruption: Increased error rates",
	                   "Tue, 14 Nov 2023 10:52:33 PST") RSS_TAIL,
	     STATUS_MAJOR},
	    {RSS_HEAD ITEM("Something new", "Tue, 14 Nov 2023 10:52:33 PST")
	         RSS_TAIL,
	     STATUS_UNKNOWN},
	    {RSS_HEAD RSS_TAIL, STATUS_OK},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct status_report r = rss(cases[i].body, 0, NULL, 0);
		assert_int_equal(r.level, cases[i].level);
		assert_true(r.description[0] != '\0');
		assert_printable(&r);
	}
}

static void
rss_newest_item_by_date_decides(void **state)
{
	/* Document order oldest first: the later resolved item wins. */
	struct status_report r =
	    rss(RSS_HEAD ITEM("Service disruption: SMTP endpoint errors",
	                      "Tue, 14 Nov 2023 09:00:00 PST")
	            ITEM("[RESOLVED] SMTP endpoint errors",
	                 "Tue, 14 Nov 2023 17:30:00 -0000")
	                ITEM("Informational message: older",
	                     "Mon, 13 Nov 2023 09:00:00 GMT") RSS_TAIL,
	        0, NULL, 0);

	assert_int_equal(r.level, STATUS_OK);
	assert_string_equal(r.description, "[RESOLVED] SMTP endpoint errors");
	/* Time zones matter: 10:00 PST is after 17:30 UTC. */
	r = rss(RSS_HEAD ITEM("[RESOLVED] x", "Tue, 14 Nov 2023 17:30:00 UT")
	            ITEM("Service disruption: y",
	                 "Tue, 14 Nov 2023 10:00:00 PST") RSS_TAIL,
	        0, NULL, 0);
	assert_int_equal(r.level, STATUS_MAJOR);
}

static void
rss_undated_items_rank_below_dated_ones(void **state)
{
	struct status_report r =
	    rss(RSS_HEAD ITEM("Service disruption: a", "yesterday")
	            ITEM("Performance issues: b",
	                 "Tue, 14 Nov 2023 10:00:00 PST") RSS_TAIL,
	        0, NULL, 0);

	assert_int_equal(r.level, STATUS_MINOR);
	/* None dated: the first in the document (feeds list newest first). */
	r = rss(RSS_HEAD ITEM("Service disruption: a", "")
	            ITEM("[RESOLVED] b", "") RSS_TAIL,
	        0, NULL, 0);
	assert_int_equal(r.level, STATUS_MAJOR);
}

static void
rss_cdata_entities_and_latin1_are_read(void **state)
{
	struct status_report r = rss(
	    RSS_HEAD "<item><title><![CDATA[Service disruption: <b>x</b>]]>"
	             "</title><pubDate>Tue, 14 Nov 2023 10:00:00 PST</pubDate>"
	             "</item>" RSS_TAIL,
	    0, NULL, 0);

	assert_int_equal(r.level, STATUS_MAJOR);
	assert_string_equal(r.description, "Service disruption: <b>x</b>");
	r = rss(RSS_HEAD "<item><title>Performance issues: a &amp; b &#233;"
	                 "</title></item>" RSS_TAIL,
	        0, NULL, 0);
	assert_int_equal(r.level, STATUS_MINOR);
	assert_string_equal(r.description, "Performance issues: a & b ?");
	r = rss("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel>"
	        "<item><title>Informational message: caf\xe9\n\t  ok</title>"
	        "</item></channel></rss>",
	        0, NULL, 0);
	assert_int_equal(r.level, STATUS_MINOR);
	assert_string_equal(r.description, "Informational message: caf? ok");
}

static void
rss_entities_and_doctypes_are_refused(void **state)
{
	static const char *bodies[] = {
	    /* Billion laughs. */
	    "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
	    "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
	    "<!ENTITY lol3 "
	    "\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
	    "<!ENTITY lol4 "
	    "\"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
	    "<!ENTITY lol5 "
	    "\"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
	    "<!ENTITY lol6 "
	    "\"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
	    "<!ENTITY lol7 "
	    "\"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
	    "<!ENTITY lol8 "
	    "\"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
	    "<!ENTITY lol9 "
	    "\"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">"
	    "]><rss><channel><item><title>&lol9;</title></item></channel>"
	    "</rss>",
	    /* External entity (XXE). */
	    "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\">]><rss><channel><item><title>&x;</title>"
	    "</item></channel></rss>",
	    /* External DTD over the network. */
	    "<?xml version=\"1.0\"?><!DOCTYPE rss SYSTEM "
	    "\"http://127.0.0.1:1/x.dtd\"><rss><channel/></rss>",
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct status_report r = rss(bodies[i], -1, err, sizeof(err));
		assert_int_equal(r.level, STATUS_UNKNOWN);
		assert_non_null(strstr(err, "DOCTYPE"));
	}
}

static void
rss_doctype_in_utf16_is_refused_too(void **state)
{
	const char *ascii = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
	                    "<!DOCTYPE r [<!ENTITY x \"y\">]>"
	                    "<rss><channel/></rss>";
	size_t n = strlen(ascii), i;
	char *u16 = malloc(2 * n + 2);
	struct status_report r;
	char err[256];

	u16[0] = (char)0xff; /* little-endian BOM */
	u16[1] = (char)0xfe;
	for (i = 0; i < n; i++) {
		u16[2 + 2 * i] = ascii[i];
		u16[3 + 2 * i] = 0;
	}
	assert_int_equal(
	    statuspage_parse_rss(u16, 2 * n + 2, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "DOCTYPE"));
	free(u16);
}

static void
malformed_rss_fails_with_a_reason(void **state)
{
	static const char *bodies[] = {
	    "",
	    "<",
	    "<rss><channel><item><title>x</title>",
	    "<rss><channel></rss>",
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>",
	    "<rss version=\"2.0\"></rss>",
	    "<rss><channel><item><title>caf\xff</title></item></channel></rss>",
	    "<rss><channel><title>&nosuch;</title></channel></rss>",
	    "<rss><channel/></rss><rss/>",
	    "not xml at all",
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct status_report r = rss(bodies[i], -1, err, sizeof(err));
		assert_int_equal(r.level, STATUS_UNKNOWN);
		assert_string_equal(r.description, "");
		assert_non_null(strstr(err, "statuspage: "));
		for (char *p = err; *p; p++)
			assert_true(*p >= 0x20 && *p <= 0x7e);
	}
}

static void
rss_deep_nesting_is_refused(void **state)
{
	size_t depth = 50000, i;
	struct buf_s {
		char *p;
		size_t n;
	} b = {malloc(depth * 7 + 64), 0};
	char err[256];
	struct status_report r;

	b.n += (size_t)sprintf(b.p, "<rss><channel>");
	for (i = 0; i < depth; i++) {
		memcpy(b.p + b.n, "<a>", 3);
		b.n += 3;
	}
	assert_int_equal(statuspage_parse_rss(b.p, b.n, &r, err, sizeof(err)),
	                 -1);
	free(b.p);
}

/* ------------------------------------------------------------------ */
/* Dates, detection, levels                                             */

static void
rfc822_dates_parse_to_utc(void **state)
{
	long long t;

	assert_int_equal(
	    statuspage_date_parse("Tue, 14 Nov 2023 10:52:33 PST", &t), 0);
	assert_int_equal(t, 1699987953LL);
	assert_int_equal(statuspage_date_parse("2 Jan 06 15:04 +0100", &t), 0);
	assert_int_equal(t, 1136210640LL);
	assert_int_equal(
	    statuspage_date_parse(" Thu, 01 Jan 1970 00:00:00 GMT ", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(
	    statuspage_date_parse("29 Feb 2024 23:59:60 -0930", &t), 0);
	assert_int_equal(t, 1709285400LL); /* 2024-03-01T09:30:00Z */
}

static void
bad_dates_are_refused(void **state)
{
	static const char *bad[] = {
	    "",
	    "Tue",
	    "Tue, 14 Nov",
	    "Tue 14 Nov 2023 10:00 GMT",
	    "32 Nov 2023 10:00 GMT",
	    "14 Foo 2023 10:00 GMT",
	    "14 Nov 2023 24:00 GMT",
	    "14 Nov 2023 10:60 GMT",
	    "14 Nov 2023 10:00 XYZ",
	    "14 Nov 2023 10:00 GMT junk",
	    "14 Nov 123 10:00 GMT",
	    "14 Nov 2023 10:00 +01",
	    "0 Nov 2023 1:0 Z",
	    "14 Nov 20231 10:00 GMT",
	    "2023-11-14T10:00:00Z",
	};
	long long t;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(statuspage_date_parse(bad[i], &t), -1);
	}
}

static void
format_detected_by_type_then_body(void **state)
{
	assert_int_equal(statuspage_format_detect("application/json; "
	                                          "charset=utf-8",
	                                          "<", 1),
	                 STATUSPAGE_FORMAT_JSON);
	assert_int_equal(
	    statuspage_format_detect("application/rss+xml", "{", 1),
	    STATUSPAGE_FORMAT_RSS);
	assert_int_equal(statuspage_format_detect("TEXT/XML", "", 0),
	                 STATUSPAGE_FORMAT_RSS);
	assert_int_equal(statuspage_format_detect("text/plain",
	                                          "\xef\xbb\xbf"
	                                          " \n{}",
	                                          7),
	                 STATUSPAGE_FORMAT_JSON);
	assert_int_equal(statuspage_format_detect(NULL, "\r\n<rss/>", 8),
	                 STATUSPAGE_FORMAT_RSS);
	assert_int_equal(statuspage_format_detect("text/html; x=json", "hi", 2),
	                 STATUSPAGE_FORMAT_UNKNOWN);
	assert_int_equal(statuspage_format_detect(NULL, "", 0),
	                 STATUSPAGE_FORMAT_UNKNOWN);
}

static void
parse_dispatches_on_detected_format(void **state)
{
	struct status_report r;
	char err[256];
	const char *j = "{\"status\":{\"indicator\":\"major\"}}";
	const char *x = RSS_HEAD ITEM("Service disruption: x",
	                              "Tue, 14 Nov 2023 10:00:00 PST") RSS_TAIL;

	assert_int_equal(
	    statuspage_parse(NULL, j, strlen(j), NULL, 0, &r, err, sizeof(err)),
	    0);
	assert_int_equal(r.level, STATUS_MAJOR);
	assert_int_equal(statuspage_parse("text/xml", x, strlen(x), NULL, 0, &r,
	                                  err, sizeof(err)),
	                 0);
	assert_int_equal(r.level, STATUS_MAJOR);
	assert_int_equal(statuspage_parse("text/html\x01", "oops", 4, NULL, 0,
	                                  &r, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "text/html?"));
}

static void
levels_rank_and_name(void **state)
{
	assert_true(statuspage_level_worse(STATUS_CRITICAL, STATUS_MAJOR));
	assert_true(statuspage_level_worse(STATUS_MAJOR, STATUS_MINOR));
	assert_true(statuspage_level_worse(STATUS_MINOR, STATUS_MAINTENANCE));
	assert_true(statuspage_level_worse(STATUS_MAINTENANCE, STATUS_OK));
	assert_true(statuspage_level_worse(STATUS_OK, STATUS_UNKNOWN));
	assert_false(statuspage_level_worse(STATUS_OK, STATUS_OK));
	assert_true(statuspage_level_outage(STATUS_MAJOR));
	assert_true(statuspage_level_outage(STATUS_CRITICAL));
	assert_false(statuspage_level_outage(STATUS_MINOR));
	assert_string_equal(statuspage_level_name(STATUS_MAINTENANCE),
	                    "maintenance");
	assert_string_equal(statuspage_level_name((enum status_level)99),
	                    "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(status_json_indicator_none_is_ok),
	    cmocka_unit_test(status_json_indicators_map_to_levels),
	    cmocka_unit_test(summary_without_names_uses_overall_indicator),
	    cmocka_unit_test(named_components_worst_wins),
	    cmocka_unit_test(named_components_only_those_count),
	    cmocka_unit_test(component_names_match_ignoring_case_and_spaces),
	    cmocka_unit_test(missing_named_component_is_reported),
	    cmocka_unit_test(no_named_component_found_is_unknown),
	    cmocka_unit_test(components_json_without_names_worst_of_all),
	    cmocka_unit_test(many_names_beyond_the_small_array),
	    cmocka_unit_test(malformed_json_fails_with_a_reason),
	    cmocka_unit_test(huge_and_hostile_strings_are_cut_and_sanitised),
	    cmocka_unit_test(deep_nesting_and_oversize_are_refused),
	    cmocka_unit_test(rss_titles_map_to_levels),
	    cmocka_unit_test(rss_newest_item_by_date_decides),
	    cmocka_unit_test(rss_undated_items_rank_below_dated_ones),
	    cmocka_unit_test(rss_cdata_entities_and_latin1_are_read),
	    cmocka_unit_test(rss_entities_and_doctypes_are_refused),
	    cmocka_unit_test(rss_doctype_in_utf16_is_refused_too),
	    cmocka_unit_test(malformed_rss_fails_with_a_reason),
	    cmocka_unit_test(rss_deep_nesting_is_refused),
	    cmocka_unit_test(rfc822_dates_parse_to_utc),
	    cmocka_unit_test(bad_dates_are_refused),
	    cmocka_unit_test(format_detected_by_type_then_body),
	    cmocka_unit_test(parse_dispatches_on_detected_format),
	    cmocka_unit_test(levels_rank_and_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
