/*
 * test_smtp_mailparam.c - what the server's EHLO answer and the message's
 * needs make of MAIL's parameters, case by case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/smtp_mailparam.h"

struct mailparam_case {
	const char *name;
	bool size, eightbitmime, smtputf8; /* offered */
	bool needs_utf8, eightbit;         /* the message */
	enum smtp_mailparam_verdict want;
	const char *params;
};

#define OK SMTP_MAILPARAM_OK
#define DG SMTP_MAILPARAM_DOWNGRADE
#define NO SMTP_MAILPARAM_NO_SMTPUTF8

static const struct mailparam_case cases[] = {
    {"7-bit message, bare server: no parameters", false, false, false, false,
     false, OK, ""},
    {"7-bit message: SIZE when offered, no BODY", true, true, true, false,
     false, OK, " SIZE=1234"},
    {"8-bit body and 8BITMIME: BODY=8BITMIME", true, true, false, false, true,
     OK, " SIZE=1234 BODY=8BITMIME"},
    {"8-bit body, no 8BITMIME: a 7-bit form is needed", true, false, true,
     false, true, DG, ""},
    {"UTF-8 address and SMTPUTF8: both parameters", false, true, true, true,
     true, OK, " BODY=8BITMIME SMTPUTF8"},
    {"UTF-8 address, ASCII content: SMTPUTF8 alone", true, true, true, true,
     false, OK, " SIZE=1234 SMTPUTF8"},
    {"UTF-8 address, no SMTPUTF8: cannot go", true, true, false, true, false,
     NO, ""},
    {"UTF-8 and 8-bit, neither offered: SMTPUTF8 decides", false, false, false,
     true, true, NO, ""},
    {"7-bit form of a UTF-8 message (SMTPUTF8 but no 8BITMIME)", false, false,
     true, true, false, OK, " SMTPUTF8"},
};

static void
mailparam_table(void **state)
{
	char out[SMTP_MAILPARAM_SIZE];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mailparam_case *c = &cases[i];
		struct smtp_ehlo e;

		memset(&e, 0, sizeof(e));
		e.size = c->size;
		e.eightbitmime = c->eightbitmime;
		e.smtputf8 = c->smtputf8;
		print_message("case: %s\n", c->name);
		assert_int_equal(smtp_mailparam_build(&e, c->needs_utf8,
		                                      c->eightbit, 1234, out),
		                 c->want);
		assert_string_equal(out, c->params);
	}
}

/* The longest parameters fit the buffer. */
static void
mailparam_longest_fits(void **state)
{
	char out[SMTP_MAILPARAM_SIZE];
	struct smtp_ehlo e = {
	    .size = true, .eightbitmime = true, .smtputf8 = true};

	assert_int_equal(smtp_mailparam_build(&e, true, true, SIZE_MAX, out),
	                 OK);
	assert_string_equal(
	    out, " SIZE=18446744073709551615 BODY=8BITMIME SMTPUTF8");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mailparam_table),
	    cmocka_unit_test(mailparam_longest_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
