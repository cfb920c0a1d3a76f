/*
 * test_feedback_dsn.c - RFC 3464 delivery status notifications as
 * Postfix and Exim write them, and RFC 6533's global form: one event per
 * recipient block with the right type, recipient, status, reply code
 * and diagnostic; the same report gives the same event ids; what is not
 * a DSN is refused with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingress/feedback_dsn.h"
#include "report_test.h"

/* parse - name must parse into want events, into *ev. */
static void
parse(const char *name, size_t want, struct feedback_event **ev)
{
	struct buf b;
	char err[256] = "";
	size_t n = 0;

	report_test_read(name, &b);
	if (feedback_dsn_parse(b.p, b.len, "relay", ev, &n, err, sizeof(err)) !=
	    0)
		fail_msg("%s: %s", name, err);
	assert_int_equal(n, want);
	buf_fini(&b);
}

static void
a_postfix_bounce(void **state)
{
	struct feedback_event *ev = NULL;

	(void)state;
	parse("postfix-dsn.eml", 2, &ev);
	assert_int_equal(ev[0].type, FEEDBACK_HARD_BOUNCE);
	/* Original-Recipient first: the address swerve sent to. */
	assert_string_equal(ev[0].recipient, "Bob@example.net");
	assert_string_equal(ev[0].provider, "relay");
	assert_string_equal(ev[0].enhanced, "5.1.1");
	assert_int_equal(ev[0].smtp_code, 550);
	assert_string_equal(ev[0].provider_type, "failed");
	assert_string_equal(ev[0].diagnostic,
	                    "550 5.1.1 <bob@example.net>: Recipient address "
	                    "rejected: User unknown");
	assert_string_equal(ev[0].provider_msg_id, "<orig-1@swerve.example>");
	assert_string_equal(
	    ev[0].event_id,
	    "<20241207223905.9B0A31E00A6@mx.example.org> Bob@example.net");
	assert_int_equal(ev[1].type, FEEDBACK_DELAYED);
	assert_string_equal(ev[1].recipient, "carol@example.net");
	assert_string_equal(ev[1].enhanced, "4.4.1");
	assert_int_equal(ev[1].smtp_code, 0);
	free(ev);
}

static void
an_exim_bounce_hard_and_soft(void **state)
{
	struct feedback_event *ev = NULL, *again = NULL;

	(void)state;
	parse("exim-dsn.eml", 2, &ev);
	assert_int_equal(ev[0].type, FEEDBACK_HARD_BOUNCE);
	assert_string_equal(ev[0].recipient, "nobody@example.net");
	assert_string_equal(ev[0].enhanced, "5.0.0");
	assert_int_equal(ev[0].smtp_code, 550);
	assert_string_equal(ev[0].provider_msg_id, "<orig-2@swerve.example>");
	/* Action failed with a 4.x.x status: final, but transient. */
	assert_int_equal(ev[1].type, FEEDBACK_SOFT_BOUNCE);
	assert_string_equal(ev[1].recipient, "full@example.net");
	assert_int_equal(ev[1].smtp_code, 452);
	assert_string_not_equal(ev[0].event_id, ev[1].event_id);
	/* A retry of the same report: the same ids. */
	parse("exim-dsn.eml", 2, &again);
	assert_memory_equal(ev, again, 2 * sizeof(*ev));
	free(ev);
	free(again);
}

static void
a_global_delivery_status(void **state)
{
	struct feedback_event *ev = NULL;

	(void)state;
	parse("global-dsn.eml", 1, &ev);
	assert_int_equal(ev[0].type, FEEDBACK_DELIVERED);
	assert_string_equal(ev[0].recipient, "jörg@bücher.example");
	/* No Message-ID: the id is a digest of the report. */
	assert_int_equal(strncmp(ev[0].event_id, "sha256:", 7), 0);
	assert_int_equal(strlen(ev[0].event_id), 7 + 32);
	free(ev);
}

/* one - the single event of a minimal report with this block. */
static int
one(const char *block, struct feedback_event *out)
{
	struct buf b;
	struct feedback_event *ev = NULL;
	char err[256];
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&b);
	buf_printf(&b,
	           "Message-ID: <r@x>\r\nContent-Type: multipart/report; "
	           "report-type=delivery-status; boundary=\"b\"\r\n\r\n"
	           "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
	           "Reporting-MTA: dns; x\r\n\r\n%s\r\n--b--\r\n",
	           block);
	rc = feedback_dsn_parse(b.p, b.len, "r", &ev, &n, err, sizeof(err));
	buf_fini(&b);
	if (rc != 0)
		return -1;
	assert_int_equal(n, 1);
	*out = ev[0];
	free(ev);
	return 0;
}

static void
actions_map_to_types(void **state)
{
	struct feedback_event e;

	(void)state;
	assert_int_equal(one("Final-Recipient: rfc822; a@b\r\nAction: failed"
	                     "\r\n",
	                     &e),
	                 0);
	assert_int_equal(e.type, FEEDBACK_HARD_BOUNCE); /* no Status */
	assert_int_equal(one("Final-Recipient: rfc822; a@b\r\nAction: "
	                     "FAILED\r\nStatus: 4.7.1 (greylisted)\r\n",
	                     &e),
	                 0);
	assert_int_equal(e.type, FEEDBACK_SOFT_BOUNCE);
	assert_string_equal(e.enhanced, "4.7.1");
	assert_int_equal(one("Final-Recipient: rfc822; a@b\r\nAction: "
	                     "relayed\r\nStatus: 2.0.0\r\n",
	                     &e),
	                 0);
	assert_int_equal(e.type, FEEDBACK_DELIVERED);
	assert_int_equal(one("Final-Recipient: rfc822; a@b\r\nAction: "
	                     "expanded\r\n",
	                     &e),
	                 0);
	assert_int_equal(e.type, FEEDBACK_DELIVERED);
	assert_int_equal(one("Final-Recipient: rfc822; a@b\r\nAction: "
	                     "novel\r\n",
	                     &e),
	                 0);
	assert_int_equal(e.type, FEEDBACK_OTHER);
	/* Folded fields, a bare address. */
	assert_int_equal(one("Final-Recipient:\r\n <A@B.EX>\r\nAction:\r\n "
	                     "delayed\r\n",
	                     &e),
	                 0);
	assert_string_equal(e.recipient, "A@b.ex");
	assert_int_equal(e.type, FEEDBACK_DELAYED);
}

static void
what_is_not_a_dsn_is_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "Subject: hi\r\n\r\nhello\r\n",
	    /* A report of another type. */
	    "Content-Type: multipart/report; report-type=feedback-report; "
	    "boundary=b\r\n\r\n--b\r\nContent-Type: "
	    "message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n--b--\r\n",
	    /* A delivery status without per-recipient blocks. */
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=b\r\n\r\n--b\r\nContent-Type: "
	    "message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n--b--\r\n",
	    /* A recipient field with no address in it. */
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=b\r\n\r\n--b\r\nContent-Type: "
	    "message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n"
	    "Final-Recipient: rfc822; <>\r\nAction: failed\r\n--b--\r\n",
	    /* Garbage lines only. */
	    "Content-Type: message/delivery-status\r\n\r\n\r\n:::\r\n \r\n",
	};
	(void)state;
	report_test_refused(feedback_dsn_parse, bad,
	                    sizeof(bad) / sizeof(bad[0]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_postfix_bounce),
	    cmocka_unit_test(an_exim_bounce_hard_and_soft),
	    cmocka_unit_test(a_global_delivery_status),
	    cmocka_unit_test(actions_map_to_types),
	    cmocka_unit_test(what_is_not_a_dsn_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
