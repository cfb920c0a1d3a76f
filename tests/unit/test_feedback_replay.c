/*
 * test_feedback_replay.c - the identity of an inbound webhook request
 * for the fleet's replay check: Mailgun's token, the Svix id, else the
 * body's digest; malformed signatures and ids fall back to the digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ingress/feedback_replay.h"

static struct feedback_request
req(const char *body, const struct feedback_header *h, size_t nh)
{
	struct feedback_request r;

	memset(&r, 0, sizeof(r));
	r.body = body;
	r.body_len = strlen(body);
	r.headers = h;
	r.n_headers = nh;
	return r;
}

static void
mailgun_token_is_the_key(void **state)
{
	const char *a = "{\"signature\":{\"timestamp\":\"1\",\"token\":"
	                "\"tok123\",\"signature\":\"00\"},\"event-data\":{}}";
	const char *b = "{\"event-data\":{\"id\":\"other\"},\"signature\":{"
	                "\"timestamp\":\"2\",\"token\":\"tok123\","
	                "\"signature\":\"11\"}}";
	struct feedback_request r = req(a, NULL, 0);
	char k[FEEDBACK_REPLAY_KEY_MAX], k2[FEEDBACK_REPLAY_KEY_MAX];

	(void)state;
	feedback_replay_key("mailgun", &r, k, sizeof(k));
	assert_string_equal(k, "mg:tok123");
	/* Another body around the same token: the same request replayed
	 * with its event changed is still the token's. */
	r = req(b, NULL, 0);
	feedback_replay_key("mailgun", &r, k2, sizeof(k2));
	assert_string_equal(k, k2);
}

static void
malformed_falls_back_to_the_body(void **state)
{
	static const char *const bodies[] = {
	    "",
	    "not json",
	    "{\"signature\":{\"timestamp\":\"1\",\"token\":\"a b\","
	    "\"signature\":\"00\"}}",
	    "{\"signature\":{\"timestamp\":\"1\",\"token\":\"\","
	    "\"signature\":\"00\"}}",
	    "{\"signature\":\"x\"}",
	    "{\"signature\":{\"token\":\"\\u0000x\"}}",
	};
	char k[FEEDBACK_REPLAY_KEY_MAX];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct feedback_request r = req(bodies[i], NULL, 0);

		n = feedback_replay_key("mailgun", &r, k, sizeof(k));
		assert_int_equal(n, 5 + 64);
		assert_memory_equal(k, "body:", 5);
	}
	/* The digest of the empty body, computed independently. */
	{
		struct feedback_request r = req("", NULL, 0);

		feedback_replay_key("sendgrid", &r, k, sizeof(k));
		assert_string_equal(k, "body:e3b0c44298fc1c149afbf4c8996fb924"
		                       "27ae41e4649b934ca495991b7852b855");
	}
}

static void
svix_id_is_the_key(void **state)
{
	struct feedback_header h[2] = {{"Svix-Id", "msg_2Kx9"},
	                               {"svix-timestamp", "1"}};
	struct feedback_header bad = {"webhook-id", "has space"};
	struct feedback_header wh = {"webhook-id", "msg_7"};
	struct feedback_request r = req("{}", h, 2);
	char k[FEEDBACK_REPLAY_KEY_MAX];

	(void)state;
	feedback_replay_key("resend", &r, k, sizeof(k));
	assert_string_equal(k, "svix:msg_2Kx9");
	r = req("{}", &wh, 1);
	feedback_replay_key("resend", &r, k, sizeof(k));
	assert_string_equal(k, "svix:msg_7");
	r = req("{}", &bad, 1);
	feedback_replay_key("resend", &r, k, sizeof(k));
	assert_memory_equal(k, "body:", 5);
	/* Other types never look at the header. */
	r = req("{}", h, 2);
	feedback_replay_key("postmark", &r, k, sizeof(k));
	assert_memory_equal(k, "body:", 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mailgun_token_is_the_key),
	    cmocka_unit_test(malformed_falls_back_to_the_body),
	    cmocka_unit_test(svix_id_is_the_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
