/*
 * test_readiness_verify.c - Mailgun, Postmark and Resend answers about a
 * sender domain's verification (readiness_verify.h), with malformed
 * input. (SES and SendGrid: test_readiness.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "readiness/readiness_verify.h"

typedef int verify_fn(const char *, size_t, const char *,
                      struct readiness_verified *, char *, size_t);

/* check_bad - every body in bad is refused with a reason, verification
 * left unknown. */
static void
check_bad(verify_fn *fn, const char *const *bad, size_t n)
{
	struct readiness_verified v;
	char err[256];
	size_t i;

	for (i = 0; i < n; i++) {
		err[0] = '\0';
		assert_int_equal(fn(bad[i], strlen(bad[i]), "example.com", &v,
		                    err, sizeof(err)),
		                 -1);
		assert_true(err[0] != '\0');
		assert_int_equal(v.verified, READINESS_UNKNOWN);
	}
}

static void
mailgun_domain_state(void **state)
{
	static const char active[] =
	    "{\"domain\":{\"name\":\"example.com\",\"state\":\"active\"},"
	    "\"sending_dns_records\":[{\"record_type\":\"TXT\",\"valid\":"
	    "\"valid\",\"name\":\"example.com\",\"value\":\"v=spf1 "
	    "include:mailgun.org ~all\"},{\"record_type\":\"TXT\",\"valid\":"
	    "\"valid\",\"name\":\"krs._domainkey.example.com\"},"
	    "{\"record_type\":\"CNAME\",\"name\":\"email.example.com\"}]}";
	static const char unverified[] =
	    "{\"domain\":{\"name\":\"example.com\",\"state\":\"unverified\"}}";
	static const char *const bad[] = {"", "[]", "{\"domain\":{}}",
	                                  "{\"domain\":{\"state\":1}}", "{"};
	struct readiness_verified v;
	char err[256];

	(void)state;
	assert_int_equal(readiness_verify_mailgun(active, strlen(active),
	                                          "example.com", &v, err,
	                                          sizeof(err)),
	                 0);
	assert_int_equal(v.verified, READINESS_YES);
	assert_int_equal(v.n_selectors, 1);
	assert_string_equal(v.selectors[0], "krs");
	assert_string_equal(v.return_path, "example.com");
	assert_int_equal(
	    readiness_verify_mailgun(unverified, strlen(unverified),
	                             "example.com", &v, err, sizeof(err)),
	    0);
	assert_int_equal(v.verified, READINESS_NO);
	assert_string_equal(v.words, "domain state unverified");
	check_bad(readiness_verify_mailgun, bad, sizeof(bad) / sizeof(bad[0]));
}

static void
postmark_domain_dkim(void **state)
{
	static const char pending[] =
	    "{\"Name\":\"example.com\",\"SPFVerified\":false,"
	    "\"DKIMVerified\":false,\"DKIMHost\":\"\",\"DKIMPendingHost\":"
	    "\"20240101pm._domainkey.example.com\",\"ReturnPathDomain\":"
	    "\"pm-bounces.example.com\",\"ReturnPathDomainVerified\":false}";
	static const char ok[] = "{\"Name\":\"Example.com\",\"DKIMVerified\":"
	                         "true,\"ReturnPathDomainVerified\":true}";
	static const char *const bad[] = {
	    "", "{}", "{\"Name\":\"example.com\",\"DKIMVerified\":\"yes\"}",
	    "{\"Name\":\"other.example\",\"DKIMVerified\":true}"};
	struct readiness_verified v;
	char err[256];

	(void)state;
	assert_int_equal(readiness_verify_postmark(pending, strlen(pending),
	                                           "example.com", &v, err,
	                                           sizeof(err)),
	                 0);
	assert_int_equal(v.verified, READINESS_NO);
	assert_string_equal(
	    v.words, "DKIMVerified false, ReturnPathDomainVerified false");
	assert_string_equal(v.selectors[0], "20240101pm");
	assert_string_equal(v.return_path, "pm-bounces.example.com");
	assert_int_equal(readiness_verify_postmark(ok, strlen(ok),
	                                           "example.com", &v, err,
	                                           sizeof(err)),
	                 0);
	assert_int_equal(v.verified, READINESS_YES);
	assert_int_equal(v.n_selectors, 0);
	check_bad(readiness_verify_postmark, bad, sizeof(bad) / sizeof(bad[0]));
}

static void
resend_domain_status(void **state)
{
	static const char pending[] =
	    "{\"object\":\"domain\",\"id\":\"d91cd9bd\",\"name\":"
	    "\"example.com\",\"status\":\"pending\",\"records\":[{\"record\":"
	    "\"SPF\",\"name\":\"send\",\"type\":\"MX\",\"status\":\"pending\"},"
	    "{\"record\":\"DKIM\",\"name\":\"resend._domainkey\",\"type\":"
	    "\"TXT\",\"status\":\"verified\"}]}";
	static const char ok[] =
	    "{\"name\":\"example.com\",\"status\":\"verified\"}";
	static const char *const bad[] = {
	    "", "[]", "{\"name\":\"example.com\"}",
	    "{\"name\":\"other.example\",\"status\":\"verified\"}"};
	struct readiness_verified v;
	char err[256];

	(void)state;
	assert_int_equal(readiness_verify_resend(pending, strlen(pending),
	                                         "example.com", &v, err,
	                                         sizeof(err)),
	                 0);
	assert_int_equal(v.verified, READINESS_NO);
	assert_string_equal(v.words, "status pending");
	assert_string_equal(v.selectors[0], "resend");
	assert_string_equal(v.return_path, "send.example.com");
	assert_int_equal(readiness_verify_resend(ok, strlen(ok), "example.com",
	                                         &v, err, sizeof(err)),
	                 0);
	assert_int_equal(v.verified, READINESS_YES);
	check_bad(readiness_verify_resend, bad, sizeof(bad) / sizeof(bad[0]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mailgun_domain_state),
	    cmocka_unit_test(postmark_domain_dkim),
	    cmocka_unit_test(resend_domain_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
