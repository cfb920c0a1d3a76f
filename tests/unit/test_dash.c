/*
 * test_dash.c - the dashboard's pure parts: sessions (creation, lookup,
 * expiry, sign-out, eviction, CSRF comparison), the Cookie header reader
 * (well-formed and malformed headers), the ring of 10 s samples, the SVG
 * chart, HTML escaping of hostile text, and the pages' tables.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "dash/dash_assets.h"
#include "dash/dash_chart.h"
#include "dash/dash_cookie.h"
#include "dash/dash_html.h"
#include "dash/dash_page.h"
#include "dash/dash_ring.h"
#include "dash/dash_session.h"

/* --- sessions ------------------------------------------------------------ */

static void
test_session_create_find(void **state)
{
	struct dash_sessions *t = dash_sessions_new(4, 1000);
	const struct dash_session *s, *f;
	char id[DASH_TOKEN_SIZE], csrf[DASH_TOKEN_SIZE];
	size_t i;

	(void)state;
	s = dash_session_create(t, "ops", 5000);
	assert_non_null(s);
	assert_int_equal(strlen(s->id), DASH_TOKEN_HEX);
	assert_int_equal(strlen(s->csrf), DASH_TOKEN_HEX);
	for (i = 0; i < DASH_TOKEN_HEX; i++)
		assert_non_null(strchr("0123456789abcdef", s->id[i]));
	assert_string_not_equal(s->id, s->csrf);
	assert_string_equal(s->who, "ops");
	assert_true(s->expires_ms == 6000);
	memcpy(id, s->id, sizeof(id));
	memcpy(csrf, s->csrf, sizeof(csrf));

	f = dash_session_find(t, id, 5999);
	assert_non_null(f);
	assert_true(dash_session_csrf_ok(f, csrf));
	assert_false(dash_session_csrf_ok(f, NULL));
	assert_false(dash_session_csrf_ok(f, ""));
	assert_false(dash_session_csrf_ok(f, id));
	csrf[10] = csrf[10] == 'a' ? 'b' : 'a';
	assert_false(dash_session_csrf_ok(f, csrf));
	assert_false(dash_session_csrf_ok(NULL, csrf));

	/* Unknown, malformed, prefix, longer. */
	assert_null(dash_session_find(t, NULL, 5000));
	assert_null(dash_session_find(t, "", 5000));
	assert_null(dash_session_find(t, "abc", 5000));
	id[0] = id[0] == '0' ? '1' : '0';
	assert_null(dash_session_find(t, id, 5000));
	id[0] = s->id[0];
	{
		char longer[DASH_TOKEN_SIZE + 1];
		snprintf(longer, sizeof(longer), "%sx", id);
		assert_null(dash_session_find(t, longer, 5000));
	}
	/* Expired at its expiry, and removed. */
	assert_non_null(dash_session_find(t, id, 5999));
	assert_null(dash_session_find(t, id, 6000));
	assert_int_equal(dash_sessions_count(t), 0);
	assert_null(dash_session_find(t, id, 5500));
	dash_sessions_free(t);
}

static void
test_session_end_and_evict(void **state)
{
	struct dash_sessions *t = dash_sessions_new(2, 100000);
	char a[DASH_TOKEN_SIZE], b[DASH_TOKEN_SIZE], c[DASH_TOKEN_SIZE];

	(void)state;
	memcpy(a, dash_session_create(t, "a", 1)->id, sizeof(a));
	memcpy(b, dash_session_create(t, "b", 2)->id, sizeof(b));
	assert_string_not_equal(a, b);
	/* Full: the third pushes out the oldest (a). */
	memcpy(c, dash_session_create(t, "c", 3)->id, sizeof(c));
	assert_int_equal(dash_sessions_count(t), 2);
	assert_null(dash_session_find(t, a, 4));
	assert_string_equal(dash_session_find(t, b, 4)->who, "b");
	assert_string_equal(dash_session_find(t, c, 4)->who, "c");
	/* Sign out. */
	assert_int_equal(dash_session_end(t, b), 0);
	assert_int_equal(dash_session_end(t, b), -1);
	assert_null(dash_session_find(t, b, 4));
	assert_non_null(dash_session_find(t, c, 4));
	assert_int_equal(dash_session_end(t, "nope"), -1);
	dash_sessions_free(t);
	dash_sessions_free(NULL);
}

/* --- the Cookie header ------------------------------------------------------
 */

static void
test_cookie_get(void **state)
{
	char v[16];

	(void)state;
	assert_int_equal(dash_cookie_get("a=1; s=xyz; b=2", "s", v, sizeof(v)),
	                 0);
	assert_string_equal(v, "xyz");
	assert_int_equal(dash_cookie_get("s=first;s=second", "s", v, sizeof(v)),
	                 0);
	assert_string_equal(v, "first");
	assert_int_equal(dash_cookie_get("  s=\"q\"  ", "s", v, sizeof(v)), 0);
	assert_string_equal(v, "q");
	assert_int_equal(dash_cookie_get("s=", "s", v, sizeof(v)), 0);
	assert_string_equal(v, "");
	/* A longer or shorter name is another cookie. */
	assert_int_equal(dash_cookie_get("ss=1; xs=2", "s", v, sizeof(v)), -1);
	assert_int_equal(dash_cookie_get("s1=1", "s", v, sizeof(v)), -1);
	/* Absent, empty, NULL. */
	assert_int_equal(dash_cookie_get("a=1", "s", v, sizeof(v)), -1);
	assert_int_equal(dash_cookie_get("", "s", v, sizeof(v)), -1);
	assert_int_equal(dash_cookie_get(NULL, "s", v, sizeof(v)), -1);
	assert_int_equal(dash_cookie_get(";;; ;", "s", v, sizeof(v)), -1);
	assert_int_equal(dash_cookie_get("s", "s", v, sizeof(v)), -1);
	/* Malformed values: blank, comma, backslash, quote, control, 8-bit. */
	assert_int_equal(dash_cookie_get("s=a b", "s", v, sizeof(v)), -1);
	assert_int_equal(dash_cookie_get("s=a,b", "s", v, sizeof(v)), -1);
	assert_int_equal(dash_cookie_get("s=a\\b", "s", v, sizeof(v)), -1);
	assert_int_equal(dash_cookie_get("s=a\"b", "s", v, sizeof(v)), -1);
	assert_int_equal(dash_cookie_get("s=\"ab", "s", v, sizeof(v)), -1);
	assert_int_equal(dash_cookie_get("s=a\x01", "s", v, sizeof(v)), -1);
	assert_int_equal(dash_cookie_get("s=\xc3\xa9", "s", v, sizeof(v)), -1);
	assert_string_equal(v, "");
	/* Too long for the buffer: refused, not cut. */
	assert_int_equal(
	    dash_cookie_get("s=0123456789abcdef", "s", v, sizeof(v)), -1);
	assert_int_equal(
	    dash_cookie_get("s=0123456789abcde", "s", v, sizeof(v)), 0);
	assert_int_equal(dash_cookie_get("s=1", "s", v, 0), -1);
	assert_int_equal(dash_cookie_get("=1", "", v, sizeof(v)), -1);
}

/* --- the ring
 * ------------------------------------------------------------------ */

static void
test_ring(void **state)
{
	struct dash_ring *r = dash_ring_new(2, 1);
	struct dash_sample s;
	uint64_t ok, failed, dur, sent, lat, q = 7;
	size_t i;

	(void)state;
	assert_int_equal(dash_ring_len(r), 0);
	assert_int_equal(dash_ring_at(r, 0, &s), -1);
	dash_ring_attempt(r, 0, 1, 100);
	dash_ring_attempt(r, 0, 0, 50);
	dash_ring_attempt(r, 1, 1, 10);
	dash_ring_attempt(r, 2, 1, 10); /* out of range: ignored */
	dash_ring_sent(r, 0, 400);
	dash_ring_sent(r, 5, 400); /* ignored */
	dash_ring_tick(r, 10000, &q);
	assert_int_equal(dash_ring_len(r), 1);
	assert_int_equal(dash_ring_at(r, 0, &s), 0);
	assert_true(s.at_ms == 10000);
	assert_true(s.ok[0] == 1 && s.failed[0] == 1 && s.dur_ms[0] == 150);
	assert_true(s.ok[1] == 1 && s.failed[1] == 0);
	assert_true(s.sent[0] == 1 && s.lat_ms[0] == 400 && s.queued[0] == 7);
	/* The next sample starts from zero. */
	dash_ring_tick(r, 20000, NULL);
	assert_int_equal(dash_ring_at(r, 1, &s), 0);
	assert_true(s.ok[0] == 0 && s.queued[0] == 0);
	/* A full hour and more: the oldest fall out, order kept. */
	for (i = 0; i < DASH_RING_SLOTS + 5; i++) {
		dash_ring_attempt(r, 1, 1, 1);
		q = i;
		dash_ring_tick(r, (int64_t)(30000 + i * 10000), &q);
	}
	assert_int_equal(dash_ring_len(r), DASH_RING_SLOTS);
	assert_int_equal(dash_ring_at(r, 0, &s), 0);
	assert_true(s.queued[0] == 5);
	assert_int_equal(dash_ring_at(r, DASH_RING_SLOTS - 1, &s), 0);
	assert_true(s.queued[0] == DASH_RING_SLOTS + 4);
	assert_int_equal(dash_ring_at(r, DASH_RING_SLOTS, &s), -1);
	dash_ring_sent(r, 0, 100);
	dash_ring_sent(r, 0, 300);
	dash_ring_tick(r, 1, NULL);
	dash_ring_sum(r, 30, 1, 0, &ok, &failed, &dur, &sent, &lat);
	assert_true(ok == 29 && failed == 0 && dur == 29);
	assert_true(sent == 2 && lat == 400);
	dash_ring_sum(r, 100000, 9, 9, &ok, NULL, NULL, &sent, NULL);
	assert_true(ok == 0 && sent == 0);
	dash_ring_free(r);
	dash_ring_free(NULL);
}

/* --- HTML and SVG
 * ---------------------------------------------------------------- */

static void
test_html_esc(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	dash_html_esc(&b, "<script>alert('x')</script> & \"q\"");
	assert_string_equal(buf_cstr(&b),
	                    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; "
	                    "&amp; &quot;q&quot;");
	buf_fini(&b);
	/* Controls (but tab and newline) and bad UTF-8 become U+FFFD; good
	 * UTF-8 is kept; overlong forms and surrogates are bad. */
	dash_html_esc(&b, "a\x01[0m\tb\nc\x7f");
	assert_string_equal(buf_cstr(&b), "a\xef\xbf\xbd[0m\tb\nc\xef\xbf\xbd");
	buf_fini(&b);
	dash_html_esc(&b, "\xc3\xa9\xff\xc0\xaf\xed\xa0\x80<");
	assert_true(memcmp(buf_cstr(&b), "\xc3\xa9\xef\xbf\xbd", 5) == 0);
	assert_null(strstr(buf_cstr(&b), "\xff"));
	assert_null(strstr(buf_cstr(&b), "\xc0"));
	assert_null(strstr(buf_cstr(&b), "\xed\xa0"));
	assert_non_null(strstr(buf_cstr(&b), "&lt;"));
	buf_fini(&b);
	dash_html_esc(&b, NULL);
	assert_int_equal(b.len, 0);
	buf_fini(&b);
}

static void
test_chart(void **state)
{
	double a[3] = {0, 3, 7}, c[3] = {1, NAN, 2};
	struct dash_series s[2] = {{"p<1>", a}, {"p2", c}};
	struct buf b;
	const char *t;

	(void)state;
	assert_true(dash_chart_nice_max(0) == 1);
	assert_true(dash_chart_nice_max(NAN) == 1);
	assert_true(dash_chart_nice_max(7) == 10);
	assert_true(dash_chart_nice_max(10) == 10);
	assert_true(dash_chart_nice_max(11) == 20);
	assert_true(dash_chart_nice_max(201) == 500);
	assert_true(dash_chart_nice_max(5000) == 5000);
	buf_init(&b);
	dash_chart_svg(&b, "c1", "Accepted", "per 10 s", s, 2, 3, 360,
	               "60 min");
	t = buf_cstr(&b);
	assert_non_null(strstr(t, "<svg class=\"chart\""));
	assert_non_null(strstr(t, "aria-labelledby=\"c1-t\""));
	assert_non_null(strstr(t, "p&lt;1&gt;"));
	assert_null(strstr(t, "p<1>"));
	assert_non_null(strstr(t, "class=\"ln s0\""));
	assert_non_null(strstr(t, "class=\"ln s1\""));
	assert_null(strstr(t, "nan"));
	/* The newest point is at the right edge (x 632), the max at the top
	 * of a 0..10 axis. */
	assert_non_null(strstr(t, " 632.0,"));
	assert_non_null(strstr(t, ">10</text>"));
	assert_true(strncmp(t + b.len - 6, "</svg>", 6) == 0);
	buf_fini(&b);
	dash_chart_svg(&b, "c2", "Empty", "x", s, 2, 0, 360, "60 min");
	assert_non_null(strstr(buf_cstr(&b), "no samples yet"));
	assert_null(strstr(buf_cstr(&b), "<polyline"));
	buf_fini(&b);
}

static void
test_page_tables(void **state)
{
	struct dash_view_provider p = {.name = "p1",
	                               .type = "smtp",
	                               .mode = "open",
	                               .reason = "<b>5 failures</b>",
	                               .share = 0.25,
	                               .success = 0.5,
	                               .latency_ms = 1500,
	                               .sent = 10,
	                               .failed = 3};
	struct dash_view_stream st = {
	    .name = "bulk\"x", .queued = 0, .latency_ms = -1};
	struct buf b;
	const char *t;

	(void)state;
	buf_init(&b);
	dash_page_providers(&b, &p, 1, "TOKEN");
	t = buf_cstr(&b);
	assert_non_null(strstr(t, "&lt;b&gt;5 failures&lt;/b&gt;"));
	assert_null(strstr(t, "<b>5"));
	assert_non_null(strstr(t, "25.0%"));
	assert_non_null(strstr(t, "1.5 s"));
	assert_non_null(strstr(t, "action=\"/dashboard/providers/p1/pause\""));
	assert_non_null(strstr(t, "name=\"csrf\" value=\"TOKEN\""));
	/* No feedback: no ratio shown. */
	assert_non_null(strstr(t, "no delivery feedback yet"));
	buf_fini(&b);
	p.has_feedback = 1;
	p.bounce = 0.071;
	p.complaint = 0.0012;
	dash_page_providers(&b, &p, 1, "T");
	assert_non_null(strstr(buf_cstr(&b), "7.1%"));
	assert_non_null(strstr(buf_cstr(&b), "0.12%"));
	buf_fini(&b);
	dash_page_streams(&b, &st, 1);
	assert_non_null(strstr(buf_cstr(&b), "bulk&quot;x"));
	buf_fini(&b);
	dash_page_duration(&b, 61000);
	dash_page_duration(&b, 7322000);
	assert_string_equal(buf_cstr(&b), "1 min 1 s2 h 2 min");
	buf_fini(&b);
	dash_page_time(&b, 0);
	assert_string_equal(buf_cstr(&b), "1970-01-01 00:00:00Z");
	buf_fini(&b);
	dash_page_login(&b, "<wrong>");
	assert_non_null(strstr(buf_cstr(&b), "&lt;wrong&gt;"));
	assert_non_null(strstr(buf_cstr(&b), "type=\"password\""));
	buf_fini(&b);
}

static void
test_assets(void **state)
{
	const struct dash_asset *a;

	(void)state;
	a = dash_asset_find("dash.js");
	assert_non_null(a);
	assert_int_equal(a->len, strlen(a->body));
	assert_non_null(strstr(a->body, "X-CSRF-Token"));
	/* Nothing from elsewhere: no URL with a host in any asset. */
	assert_null(strstr(a->body, "//"));
	a = dash_asset_find("dash.css");
	assert_non_null(a);
	assert_null(strstr(a->body, "url("));
	assert_null(strstr(a->body, "@import"));
	assert_non_null(dash_asset_find("icon.svg"));
	assert_null(dash_asset_find("../dash.c"));
	assert_null(dash_asset_find(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_session_create_find),
	    cmocka_unit_test(test_session_end_and_evict),
	    cmocka_unit_test(test_cookie_get),
	    cmocka_unit_test(test_ring),
	    cmocka_unit_test(test_html_esc),
	    cmocka_unit_test(test_chart),
	    cmocka_unit_test(test_page_tables),
	    cmocka_unit_test(test_assets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
