/*
 * test_feedback_arf.c - RFC 5965 abuse reports: RFC 5965's own example
 * (Original-Rcpt-To named), a redacted one that only the original's To
 * names, several recipients, types other than abuse, and what is not an
 * abuse report refused with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingress/feedback_arf.h"
#include "report_test.h"

static void
rfc5965s_example(void **state)
{
	struct feedback_event *ev = NULL;
	struct buf b;
	char err[256] = "";
	size_t n = 0;

	(void)state;
	report_test_read("rfc5965-arf.eml", &b);
	assert_int_equal(
	    feedback_arf_parse(b.p, b.len, "relay", &ev, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].type, FEEDBACK_COMPLAINT);
	assert_string_equal(ev[0].recipient, "user@example.com");
	assert_string_equal(ev[0].provider_type, "arf");
	assert_string_equal(ev[0].provider_subtype, "abuse");
	assert_string_equal(ev[0].provider_msg_id,
	                    "8787KJKJ3K4J3K4J3K4J3.mail@example.net");
	assert_string_equal(ev[0].event_id,
	                    "<arf-1@example.com> user@example.com");
	assert_non_null(strstr(ev[0].diagnostic, "SomeGenerator/1.0"));
	free(ev);
	buf_fini(&b);
}

static void
a_redacted_report_uses_the_single_to(void **state)
{
	struct feedback_event *ev = NULL;
	struct buf b;
	char err[256] = "";
	size_t n = 0;

	(void)state;
	report_test_read("redacted-arf.eml", &b);
	assert_int_equal(
	    feedback_arf_parse(b.p, b.len, "relay", &ev, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].type, FEEDBACK_COMPLAINT);
	assert_string_equal(ev[0].recipient, "dana@example.org");
	assert_string_equal(ev[0].provider_msg_id, "<orig-3@swerve.example>");
	/* No Message-ID on the report: a digest names the event. */
	assert_int_equal(strncmp(ev[0].event_id, "sha256:", 7), 0);
	free(ev);
	buf_fini(&b);
}

/* arf - parse a minimal report with block and original headers. */
static int
arf(const char *block, const char *orig, struct feedback_event **ev, size_t *n)
{
	struct buf b;
	char err[256];
	int rc;

	buf_init(&b);
	buf_printf(&b,
	           "Message-ID: <r@x>\r\nContent-Type: multipart/report; "
	           "report-type=feedback-report; boundary=\"b\"\r\n\r\n"
	           "--b\r\nContent-Type: message/feedback-report\r\n\r\n%s"
	           "\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\n%s"
	           "\r\n--b--\r\n",
	           block, orig);
	*ev = NULL;
	rc = feedback_arf_parse(b.p, b.len, "r", ev, n, err, sizeof(err));
	buf_fini(&b);
	return rc;
}

static void
types_and_recipients(void **state)
{
	struct feedback_event *ev;
	size_t n;

	(void)state;
	assert_int_equal(arf("Feedback-Type: fraud\r\nOriginal-Rcpt-To: "
	                     "a@x.ex\r\nOriginal-Rcpt-To: <b@X.EX>\r\n",
	                     "To: a@x.ex, b@x.ex\r\n", &ev, &n),
	                 0);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].type, FEEDBACK_COMPLAINT);
	assert_string_equal(ev[0].recipient, "a@x.ex");
	assert_string_equal(ev[1].recipient, "b@x.ex");
	assert_string_not_equal(ev[0].event_id, ev[1].event_id);
	free(ev);
	/* Several addresses in To and none named: no guess. */
	assert_int_equal(
	    arf("Feedback-Type: abuse\r\n", "To: a@x.ex, b@x.ex\r\n", &ev, &n),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(ev[0].recipient, "");
	free(ev);
	assert_int_equal(
	    arf("Feedback-Type: not-spam\r\n", "To: a@x.ex\r\n", &ev, &n), 0);
	assert_int_equal(ev[0].type, FEEDBACK_OTHER);
	free(ev);
	assert_int_equal(
	    arf("Feedback-Type: auth-failure\r\n", "To: a@x.ex\r\n", &ev, &n),
	    0);
	assert_int_equal(ev[0].type, FEEDBACK_OTHER);
	free(ev);
	assert_int_equal(
	    arf("Feedback-Type: VIRUS\r\n", "To: a@x.ex\r\n", &ev, &n), 0);
	assert_int_equal(ev[0].type, FEEDBACK_COMPLAINT);
	free(ev);
}

static void
what_is_not_an_abuse_report_is_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "Subject: spam\r\n\r\nthis is spam\r\n",
	    /* A DSN is not an abuse report. */
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=b\r\n\r\n--b\r\nContent-Type: "
	    "message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n"
	    "Final-Recipient: rfc822; a@b\r\nAction: failed\r\n--b--\r\n",
	    /* No Feedback-Type. */
	    "Content-Type: multipart/report; report-type=feedback-report; "
	    "boundary=b\r\n\r\n--b\r\nContent-Type: "
	    "message/feedback-report\r\n\r\nUser-Agent: x/1\r\n--b--\r\n",
	};
	(void)state;
	report_test_refused(feedback_arf_parse, bad,
	                    sizeof(bad) / sizeof(bad[0]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rfc5965s_example),
	    cmocka_unit_test(a_redacted_report_uses_the_single_to),
	    cmocka_unit_test(types_and_recipients),
	    cmocka_unit_test(what_is_not_an_abuse_report_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
