/*
 * test_verp.c - VERP envelope senders: what is written decodes to the
 * same message and recipient; a changed mac, id or index, a truncated
 * or padded address, another key, and every malformed form are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "deliver/verp.h"

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[] = "0123456789abcdef0123456789abcdeF";
#define KLEN (sizeof(key) - 1)
#define ID "01HZX3K9Q8W7E6R5T4Y3"

static enum verp_status
dec(const unsigned char *k, const char *addr, char id[ID_SIZE], int *idx)
{
	const char *d = NULL;
	size_t dlen = 0;

	return verp_decode(k, KLEN, addr, id, idx, &d, &dlen);
}

static void
an_address_round_trips(void **state)
{
	char a[VERP_ADDR_MAX], id[ID_SIZE];
	const char *d = NULL;
	size_t dlen = 0;
	int idx = -5;

	(void)state;
	assert_int_equal(
	    verp_encode(key, KLEN, ID, 3, "bounce.example", a, sizeof(a)), 0);
	assert_int_equal(strncmp(a, "b-" ID "-3-", 2 + 20 + 3), 0);
	assert_non_null(strstr(a, "@bounce.example"));
	assert_int_equal(strlen(a), 2 + 20 + 1 + 1 + 1 + VERP_MAC_HEX + 1 + 14);
	assert_int_equal(verp_decode(key, KLEN, a, id, &idx, &d, &dlen),
	                 VERP_OK);
	assert_string_equal(id, ID);
	assert_int_equal(idx, 3);
	assert_int_equal(dlen, 14);
	assert_memory_equal(d, "bounce.example", 14);
	/* Several recipients: "x". */
	assert_int_equal(
	    verp_encode(key, KLEN, ID, VERP_IDX_SEVERAL, "b.ex", a, sizeof(a)),
	    0);
	assert_int_equal(strncmp(a, "b-" ID "-x-", 2 + 20 + 3), 0);
	assert_int_equal(dec(key, a, id, &idx), VERP_OK);
	assert_int_equal(idx, VERP_IDX_SEVERAL);
	/* The highest index, and 0. */
	assert_int_equal(
	    verp_encode(key, KLEN, ID, VERP_IDX_MAX, "b.ex", a, sizeof(a)), 0);
	assert_int_equal(dec(key, a, id, &idx), VERP_OK);
	assert_int_equal(idx, VERP_IDX_MAX);
	assert_int_equal(verp_encode(key, KLEN, ID, 0, "b.ex", a, sizeof(a)),
	                 0);
	assert_int_equal(dec(key, a, id, &idx), VERP_OK);
	assert_int_equal(idx, 0);
}

static void
the_local_part_may_change_case(void **state)
{
	char a[VERP_ADDR_MAX], id[ID_SIZE];
	size_t i;
	int idx;

	(void)state;
	assert_int_equal(verp_encode(key, KLEN, ID, 12, "b.ex", a, sizeof(a)),
	                 0);
	for (i = 0; a[i] != '@'; i++)
		if (a[i] >= 'a' && a[i] <= 'z')
			a[i] = (char)(a[i] - 'a' + 'A');
		else if (a[i] >= 'A' && a[i] <= 'Z')
			a[i] = (char)(a[i] - 'A' + 'a');
	assert_int_equal(dec(key, a, id, &idx), VERP_OK);
	assert_string_equal(id, ID);
	assert_int_equal(idx, 12);
}

static void
forgeries_are_refused(void **state)
{
	char a[VERP_ADDR_MAX], b[VERP_ADDR_MAX], id[ID_SIZE];
	char *mac;
	int idx;

	(void)state;
	assert_int_equal(verp_encode(key, KLEN, ID, 1, "b.ex", a, sizeof(a)),
	                 0);
	/* Another key. */
	assert_int_equal(dec(key2, a, id, &idx), VERP_FORGED);
	/* Each mac digit changed. */
	mac = strchr(a, '@') - VERP_MAC_HEX;
	for (size_t i = 0; i < VERP_MAC_HEX; i++) {
		memcpy(b, a, sizeof(a));
		b[mac - a + (ptrdiff_t)i] = mac[i] == '0' ? '1' : '0';
		assert_int_equal(dec(key, b, id, &idx), VERP_FORGED);
	}
	/* Another recipient with this message's mac. */
	memcpy(b, a, sizeof(a));
	b[2 + 20 + 1] = '2';
	assert_int_equal(dec(key, b, id, &idx), VERP_FORGED);
	/* Another message with this mac (a valid id, one digit changed). */
	memcpy(b, a, sizeof(a));
	b[2 + 19] = b[2 + 19] == 'Y' ? 'Z' : 'Y';
	assert_int_equal(dec(key, b, id, &idx), VERP_FORGED);
	/* "x" with a single recipient's mac. */
	memcpy(b, a, sizeof(a));
	b[2 + 20 + 1] = 'x';
	assert_int_equal(dec(key, b, id, &idx), VERP_FORGED);
	/* The domain is not under the mac: the caller checks it. */
	snprintf(b, sizeof(b), "%.*s@other.example", (int)(strchr(a, '@') - a),
	         a);
	assert_int_equal(dec(key, b, id, &idx), VERP_OK);
}

static void
truncated_and_padded_addresses_are_malformed(void **state)
{
	char a[VERP_ADDR_MAX], b[VERP_ADDR_MAX + 8], id[ID_SIZE];
	size_t at, i;
	int idx;

	(void)state;
	assert_int_equal(verp_encode(key, KLEN, ID, 7, "b.ex", a, sizeof(a)),
	                 0);
	at = (size_t)(strchr(a, '@') - a);
	/* Every shorter local part. */
	for (i = 0; i < at; i++) {
		snprintf(b, sizeof(b), "%.*s%s", (int)i, a, a + at);
		assert_int_not_equal(dec(key, b, id, &idx), VERP_OK);
	}
	/* A mac digit more. */
	snprintf(b, sizeof(b), "%.*s0%s", (int)at, a, a + at);
	assert_int_equal(dec(key, b, id, &idx), VERP_MALFORMED);
	/* No domain, an empty one, two '@'. */
	snprintf(b, sizeof(b), "%.*s", (int)at, a);
	assert_int_equal(dec(key, b, id, &idx), VERP_MALFORMED);
	snprintf(b, sizeof(b), "%.*s@", (int)at, a);
	assert_int_equal(dec(key, b, id, &idx), VERP_MALFORMED);
	snprintf(b, sizeof(b), "x@%s", a);
	assert_int_equal(dec(key, b, id, &idx), VERP_MALFORMED);
	/* A domain longer than a domain name can be (found by fuzz_verp). */
	{
		char big[VERP_ADDR_MAX + 300];

		snprintf(big, sizeof(big), "%.*s@%0254d", (int)at, a, 0);
		assert_int_equal(dec(key, big, id, &idx), VERP_MALFORMED);
		snprintf(big, sizeof(big), "%.*s@%0253d", (int)at, a, 0);
		assert_int_equal(dec(key, big, id, &idx), VERP_OK);
	}
}

static void
every_malformed_form_is_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "@",
	    "postmaster@b.ex",
	    "b-@b.ex",
	    "c-" ID "-1-0123456789abcdef@b.ex",
	    "b_" ID "-1-0123456789abcdef@b.ex",
	    "b-" ID "1-0123456789abcdef@b.ex",
	    "b-01HZX3K9Q8W7E6R5T4YU-1-0123456789abcdef@b.ex", /* U: not id */
	    "b-01HZX3K9Q8W7E6R5T4Y-1-0123456789abcdef@b.ex",  /* 19 chars */
	    "b-" ID "--0123456789abcdef@b.ex",
	    "b-" ID "-01-0123456789abcdef@b.ex",
	    "b-" ID "-+1-0123456789abcdef@b.ex",
	    "b--" ID "-1-0123456789abcdef@b.ex",
	    "b-" ID "-1000000-0123456789abcdef@b.ex",
	    "b-" ID "-1a-0123456789abcdef@b.ex",
	    "b-" ID "-1-0123456789abcdeg@b.ex",
	    "b-" ID "-1-0123456789abcde@b.ex",
	    "b-" ID "-1-0123456789abcdef-@b.ex",
	    "b-" ID "-1-0123456789abcdef",
	    "b-" ID "-1-0123456789abcdef@",
	    "<b-" ID "-1-0123456789abcdef@b.ex>",
	    "b-" ID "-1-0123456789abcdef@b@ex",
	};
	char id[ID_SIZE];
	size_t i;
	int idx;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dec(key, bad[i], id, &idx) != VERP_MALFORMED)
			fail_msg("not malformed: %s", bad[i]);
	/* A key too short to trust is refused both ways. */
	assert_int_equal(verp_decode(key, VERP_KEY_MIN - 1,
	                             "b-" ID "-1-0123456789abcdef@b.ex", id,
	                             &idx, &(const char *){NULL}, &(size_t){0}),
	                 VERP_MALFORMED);
}

static void
encoding_refuses_what_it_cannot_write(void **state)
{
	char a[VERP_ADDR_MAX];

	(void)state;
	assert_int_equal(
	    verp_encode(key, VERP_KEY_MIN - 1, ID, 0, "b.ex", a, sizeof(a)),
	    -1);
	assert_int_equal(
	    verp_encode(key, KLEN, "nope", 0, "b.ex", a, sizeof(a)), -1);
	assert_int_equal(verp_encode(key, KLEN, ID, -2, "b.ex", a, sizeof(a)),
	                 -1);
	assert_int_equal(
	    verp_encode(key, KLEN, ID, VERP_IDX_MAX + 1, "b.ex", a, sizeof(a)),
	    -1);
	assert_int_equal(verp_encode(key, KLEN, ID, 0, "", a, sizeof(a)), -1);
	assert_int_equal(verp_encode(key, KLEN, ID, 0, "a@b", a, sizeof(a)),
	                 -1);
	assert_int_equal(verp_encode(key, KLEN, ID, 0, "b.ex", a, 20), -1);
	assert_string_equal(a, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(an_address_round_trips),
	    cmocka_unit_test(the_local_part_may_change_case),
	    cmocka_unit_test(forgeries_are_refused),
	    cmocka_unit_test(truncated_and_padded_addresses_are_malformed),
	    cmocka_unit_test(every_malformed_form_is_refused),
	    cmocka_unit_test(encoding_refuses_what_it_cannot_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
