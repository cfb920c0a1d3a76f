/*
 * test_auth_throttle.c - failed AUTH attempts: free failures, doubling
 * waits, the per-user count that slows only failing addresses, clearing
 * on success, forgetting, all on a given clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "ingress/auth_throttle.h"

#define IP_A "192.0.2.1"
#define IP_B "192.0.2.2"

static void
address_waits_double_after_free_failures(void **state)
{
	struct auth_throttle *t = auth_throttle_new();
	uint64_t now = 1000;
	int i;

	for (i = 0; i < AUTH_THROTTLE_FREE_IP; i++) {
		assert_int_equal(auth_throttle_wait(t, IP_A, NULL, now), 0);
		auth_throttle_failed(t, IP_A, NULL, now);
	}
	assert_int_equal(auth_throttle_wait(t, IP_A, NULL, now), 0);
	auth_throttle_failed(t, IP_A, NULL, now); /* the first paid one */
	assert_int_equal(auth_throttle_wait(t, IP_A, NULL, now), 1000);
	assert_int_equal(auth_throttle_wait(t, IP_A, NULL, now + 400), 600);
	now += 1000;
	assert_int_equal(auth_throttle_wait(t, IP_A, NULL, now), 0);
	auth_throttle_failed(t, IP_A, NULL, now);
	assert_int_equal(auth_throttle_wait(t, IP_A, NULL, now), 2000);
	for (i = 0; i < 30; i++)
		auth_throttle_failed(t, IP_A, NULL, now);
	assert_int_equal(auth_throttle_wait(t, IP_A, NULL, now),
	                 AUTH_THROTTLE_MAX_MS);
	auth_throttle_free(t);
}

static void
user_failures_never_slow_a_clean_address(void **state)
{
	struct auth_throttle *t = auth_throttle_new();
	uint64_t now = 1000;
	char ip[32];
	int i;

	/* Guesses at "app1" from many addresses, one each. */
	for (i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		auth_throttle_failed(t, ip, "app1", now);
	}
	/* A guessing address now waits for the user's count ... */
	assert_true(auth_throttle_wait(t, "198.51.100.3", "app1", now) > 0);
	/* ... for that user only ... */
	assert_int_equal(auth_throttle_wait(t, "198.51.100.3", "app2", now), 0);
	/* ... and the user from a clean address does not wait at all. */
	assert_int_equal(auth_throttle_wait(t, IP_B, "app1", now), 0);
	auth_throttle_free(t);
}

static void
success_clears_the_address_and_the_user(void **state)
{
	struct auth_throttle *t = auth_throttle_new();
	int i;

	for (i = 0; i < 10; i++)
		auth_throttle_failed(t, IP_A, "app1", 1000);
	assert_true(auth_throttle_wait(t, IP_A, "app1", 1000) > 0);
	auth_throttle_passed(t, IP_A, "app1");
	assert_int_equal(auth_throttle_wait(t, IP_A, "app1", 1000), 0);
	auth_throttle_failed(t, IP_A, "app1", 1000);
	assert_int_equal(auth_throttle_wait(t, IP_A, "app1", 1000), 0);
	auth_throttle_free(t);
}

/* A credential that names no user (the dashboard's admin key): only the
 * address is counted and cleared. */
static void
no_user_counts_the_address_only(void **state)
{
	struct auth_throttle *t = auth_throttle_new();
	int i;

	for (i = 0; i < 10; i++)
		auth_throttle_failed(t, IP_A, NULL, 1000);
	assert_true(auth_throttle_wait(t, IP_A, NULL, 1000) > 0);
	assert_int_equal(auth_throttle_wait(t, IP_B, NULL, 1000), 0);
	auth_throttle_passed(t, IP_A, NULL);
	assert_int_equal(auth_throttle_wait(t, IP_A, NULL, 1000), 0);
	auth_throttle_free(t);
}

static void
counts_are_forgotten_after_a_quiet_while(void **state)
{
	struct auth_throttle *t = auth_throttle_new();
	uint64_t now = 1000;
	int i;

	for (i = 0; i < AUTH_THROTTLE_FREE_IP + 1; i++)
		auth_throttle_failed(t, IP_A, NULL, now);
	now += 1000 + AUTH_THROTTLE_FORGET_MS + 1;
	auth_throttle_failed(t, IP_A, NULL, now); /* counts from one again */
	assert_int_equal(auth_throttle_wait(t, IP_A, NULL, now), 0);
	auth_throttle_free(t);
	auth_throttle_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(address_waits_double_after_free_failures),
	    cmocka_unit_test(user_failures_never_slow_a_clean_address),
	    cmocka_unit_test(success_clears_the_address_and_the_user),
	    cmocka_unit_test(no_user_counts_the_address_only),
	    cmocka_unit_test(counts_are_forgotten_after_a_quiet_while),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
