/*
 * test_submit_policy.c - who may submit: network trust, credentials,
 * sender domains, and the strict SASL decoding AUTH relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "config/config.h"
#include "ingress/submit_policy.h"

static char *app1_domains[] = {"example.com", "mail.example.net"};
static char *any_domains[] = {"*"};

/* policy_config - two networks, three users (one without a password). */
static void
policy_config(struct config *c, struct config_net nets[2],
              struct config_user users[3])
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(config_parse_net("10.0.0.0/8", &nets[0]), 0);
	assert_int_equal(config_parse_net("2001:db8::/32", &nets[1]), 0);
	c->networks = nets;
	c->n_networks = 2;
	memset(users, 0, 3 * sizeof(users[0]));
	users[0].name = "app1";
	users[0].password = "s3cret";
	users[0].from_domains = app1_domains;
	users[0].n_from_domains = 2;
	users[1].name = "any";
	users[1].password = "pw-any";
	users[1].from_domains = any_domains;
	users[1].n_from_domains = 1;
	users[2].name = "nopass";
	users[2].password = NULL;
	c->users = users;
	c->n_users = 3;
}

static struct sockaddr_storage ss;

/* sa4 - a sockaddr for the IPv4 text a. */
static const struct sockaddr *
sa4(const char *a)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(4242);
	assert_int_equal(inet_pton(AF_INET, a, &in->sin_addr), 1);
	return (const struct sockaddr *)&ss;
}

/* sa6 - a sockaddr for the IPv6 text a. */
static const struct sockaddr *
sa6(const char *a)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(4242);
	assert_int_equal(inet_pton(AF_INET6, a, &in6->sin6_addr), 1);
	return (const struct sockaddr *)&ss;
}

static void
network_match_by_prefix(void **state)
{
	struct config c;
	struct config_net nets[2];
	struct config_user users[3];

	policy_config(&c, nets, users);
	assert_true(submit_policy_net_trusted(&c, sa4("10.1.2.3")));
	assert_true(submit_policy_net_trusted(&c, sa4("10.255.255.255")));
	assert_false(submit_policy_net_trusted(&c, sa4("11.0.0.1")));
	assert_false(submit_policy_net_trusted(&c, sa4("127.0.0.1")));
	assert_true(submit_policy_net_trusted(&c, sa6("2001:db8:1::5")));
	assert_false(submit_policy_net_trusted(&c, sa6("2001:db9::1")));
	assert_false(submit_policy_net_trusted(&c, sa6("::1")));
}

static void
network_v4_mapped_peer_checked_as_v4(void **state)
{
	struct config c;
	struct config_net nets[2];
	struct config_user users[3];

	policy_config(&c, nets, users);
	assert_true(submit_policy_net_trusted(&c, sa6("::ffff:10.9.8.7")));
	assert_false(submit_policy_net_trusted(&c, sa6("::ffff:192.0.2.1")));
}

static void
network_none_configured_trusts_nobody(void **state)
{
	struct config c;
	struct config_net nets[2];
	struct config_user users[3];

	policy_config(&c, nets, users);
	c.n_networks = 0;
	assert_false(submit_policy_net_trusted(&c, sa4("10.1.2.3")));
}

static void
user_right_password_accepted(void **state)
{
	struct config c;
	struct config_net nets[2];
	struct config_user users[3];

	policy_config(&c, nets, users);
	assert_ptr_equal(
	    submit_policy_user_check(&c, STR_LIT("app1"), STR_LIT("s3cret")),
	    &users[0]);
	assert_ptr_equal(
	    submit_policy_user_check(&c, STR_LIT("any"), STR_LIT("pw-any")),
	    &users[1]);
}

static void
user_wrong_password_refused(void **state)
{
	static const char *const wrong[] = {"s3cre", "s3cret ", "S3CRET",
	                                    "",      "pw-any",  "s3cret\n"};
	struct config c;
	struct config_net nets[2];
	struct config_user users[3];
	size_t i;

	policy_config(&c, nets, users);
	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
		assert_null(submit_policy_user_check(&c, STR_LIT("app1"),
		                                     str_from(wrong[i])));
	/* A password with a NUL inside is not the password. */
	assert_null(submit_policy_user_check(&c, STR_LIT("app1"),
	                                     (struct str){"s3cret\0x", 8}));
}

static void
user_unknown_or_passwordless_refused(void **state)
{
	struct config c;
	struct config_net nets[2];
	struct config_user users[3];

	policy_config(&c, nets, users);
	assert_null(
	    submit_policy_user_check(&c, STR_LIT("nobody"), STR_LIT("s3cret")));
	assert_null(
	    submit_policy_user_check(&c, STR_LIT("APP1"), STR_LIT("s3cret")));
	assert_null(
	    submit_policy_user_check(&c, STR_LIT("app"), STR_LIT("s3cret")));
	assert_null(submit_policy_user_check(&c, STR_LIT(""), STR_LIT("")));
	/* The dummy used for unknown users is not a way in either. */
	assert_null(submit_policy_user_check(&c, STR_LIT("nopass"),
	                                     STR_LIT("swerve: no such user")));
	assert_null(
	    submit_policy_user_check(&c, STR_LIT("nopass"), STR_LIT("")));
}

static void
sender_domain_exact_match_any_case(void **state)
{
	struct config c;
	struct config_net nets[2];
	struct config_user users[3];

	policy_config(&c, nets, users);
	assert_true(
	    submit_policy_sender_allowed(&users[0], STR_LIT("a@example.com")));
	assert_true(
	    submit_policy_sender_allowed(&users[0], STR_LIT("a@EXAMPLE.Com")));
	assert_true(submit_policy_sender_allowed(
	    &users[0], STR_LIT("Bounce+x@mail.example.net")));
	assert_true(submit_policy_sender_allowed(
	    &users[0], STR_LIT("\"a@b\"@example.com")));
}

static void
sender_subdomain_and_parent_refused(void **state)
{
	struct config c;
	struct config_net nets[2];
	struct config_user users[3];

	policy_config(&c, nets, users);
	assert_false(submit_policy_sender_allowed(
	    &users[0], STR_LIT("a@sub.example.com")));
	assert_false(
	    submit_policy_sender_allowed(&users[0], STR_LIT("a@example.net")));
	assert_false(submit_policy_sender_allowed(
	    &users[0], STR_LIT("a@example.com.evil.test")));
	assert_false(
	    submit_policy_sender_allowed(&users[0], STR_LIT("a@xexample.com")));
	assert_false(submit_policy_sender_allowed(
	    &users[0], STR_LIT("example.com@evil.test")));
	assert_false(
	    submit_policy_sender_allowed(&users[0], STR_LIT("postmaster")));
	assert_false(submit_policy_sender_allowed(&users[0], STR_LIT("a@")));
}

static void
sender_star_network_and_allowed_null(void **state)
{
	struct config c;
	struct config_net nets[2];
	struct config_user users[3];

	policy_config(&c, nets, users);
	assert_true(submit_policy_sender_allowed(&users[1],
	                                         STR_LIT("x@anything.test")));
	/* The null sender (DSNs) only for users allowed it, "*" or not... */
	assert_false(submit_policy_sender_allowed(&users[0], STR_LIT("")));
	assert_false(submit_policy_sender_allowed(&users[1], STR_LIT("")));
	users[0].allow_null_sender = true;
	assert_true(submit_policy_sender_allowed(&users[0], STR_LIT("")));
	/* ...and anything goes for network-trusted clients (no user). */
	assert_true(
	    submit_policy_sender_allowed(NULL, STR_LIT("x@anything.test")));
	assert_true(submit_policy_sender_allowed(NULL, STR_LIT("")));
	/* A user with no from_domains may send nothing but DSNs. */
	assert_false(
	    submit_policy_sender_allowed(&users[2], STR_LIT("a@example.com")));
}

static void
plain_response_split(void **state)
{
	struct str u, p;

	assert_int_equal(
	    submit_policy_plain_split((const unsigned char *)"\0app1\0s3cret",
	                              12, &u, &p),
	    0);
	assert_true(str_eq_nocase(u, "app1") && u.len == 4);
	assert_int_equal(p.len, 6);
	assert_memory_equal(p.p, "s3cret", 6);
	/* authzid equal to authcid is fine. */
	assert_int_equal(
	    submit_policy_plain_split((const unsigned char *)"app1\0app1\0pw",
	                              12, &u, &p),
	    0);
	assert_int_equal(p.len, 2);
	/* Acting for another user, missing parts, extra NULs: refused. */
	assert_int_equal(
	    submit_policy_plain_split((const unsigned char *)"root\0app1\0pw",
	                              12, &u, &p),
	    -1);
	assert_int_equal(submit_policy_plain_split(
	                     (const unsigned char *)"\0\0pw", 4, &u, &p),
	                 -1);
	assert_int_equal(submit_policy_plain_split(
	                     (const unsigned char *)"\0app1\0", 6, &u, &p),
	                 -1);
	assert_int_equal(submit_policy_plain_split(
	                     (const unsigned char *)"\0app1\0pw\0", 9, &u, &p),
	                 -1);
	assert_int_equal(submit_policy_plain_split(
	                     (const unsigned char *)"app1 pw", 7, &u, &p),
	                 -1);
	assert_int_equal(
	    submit_policy_plain_split((const unsigned char *)"", 0, &u, &p),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(network_match_by_prefix),
	    cmocka_unit_test(network_v4_mapped_peer_checked_as_v4),
	    cmocka_unit_test(network_none_configured_trusts_nobody),
	    cmocka_unit_test(user_right_password_accepted),
	    cmocka_unit_test(user_wrong_password_refused),
	    cmocka_unit_test(user_unknown_or_passwordless_refused),
	    cmocka_unit_test(sender_domain_exact_match_any_case),
	    cmocka_unit_test(sender_subdomain_and_parent_refused),
	    cmocka_unit_test(sender_star_network_and_allowed_null),
	    cmocka_unit_test(plain_response_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
