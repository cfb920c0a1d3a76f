/*
 * test_readiness.c - failover readiness (issue 18 item 4): SPF and DMARC
 * record parsing with malformed input, the verdict model, the SES and
 * SendGrid verification answers, and the table routing asks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "observe/metrics.h"
#include "readiness/readiness.h"
#include "readiness/readiness_model.h"
#include "readiness/readiness_txt.h"
#include "readiness/readiness_verify.h"

static int
spf(const char *txt, const char *inc, char *err, size_t errlen)
{
	err[0] = '\0';
	return readiness_spf_includes(txt, strlen(txt), inc, err, errlen);
}

static void
spf_finds_the_include(void **state)
{
	char err[128];

	(void)state;
	assert_int_equal(spf("v=spf1 include:amazonses.com ~all",
	                     "amazonses.com", err, sizeof(err)),
	                 1);
	assert_int_equal(spf("V=SPF1 +include:SendGrid.NET. -all",
	                     "sendgrid.net", err, sizeof(err)),
	                 1);
	assert_int_equal(
	    spf("v=spf1  mx\tinclude:a.example include:sendgrid.net",
	        "sendgrid.net", err, sizeof(err)),
	    1);
	/* Without it, or only with a failing qualifier: valid, not there. */
	assert_int_equal(spf("v=spf1 include:amazonses.com ~all",
	                     "sendgrid.net", err, sizeof(err)),
	                 0);
	assert_int_equal(spf("v=spf1 -include:sendgrid.net ~all",
	                     "sendgrid.net", err, sizeof(err)),
	                 0);
	assert_int_equal(spf("v=spf1 include:sendgrid.net.evil.example",
	                     "sendgrid.net", err, sizeof(err)),
	                 0);
	assert_int_equal(spf("v=spf1", "sendgrid.net", err, sizeof(err)), 0);
}

static void
spf_refuses_malformed_records(void **state)
{
	static const char *const bad[] = {
	    "",
	    "spf1 include:sendgrid.net",
	    "v=spf10 include:sendgrid.net",
	    "v=spf1 include:",
	    "v=spf1 include",
	    "v=spf1 include:a..b",
	    "v=spf1 include:.sendgrid.net",
	    "v=spf1 include:sendgrid.net\x01",
	    "v=spf1 include:s\xc3\xa9ndgrid.net",
	};
	char err[128], big[READINESS_TXT_MAX + 16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(spf(bad[i], "sendgrid.net", err, sizeof(err)),
		                 -1);
		assert_true(err[0] != '\0');
	}
	memset(big, ' ', sizeof(big));
	memcpy(big, "v=spf1", 6);
	assert_int_equal(
	    readiness_spf_includes(big, sizeof(big), "x.y", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "longer"));
	/* A NUL inside the record is a control byte, not its end. */
	assert_int_equal(readiness_spf_includes("v=spf1 \0include:x.y", 19,
	                                        "x.y", err, sizeof(err)),
	                 -1);
}

static int
dmarc(const char *txt, enum readiness_dmarc_policy *p, char *err, size_t errlen)
{
	err[0] = '\0';
	return readiness_dmarc_parse(txt, strlen(txt), p, err, errlen);
}

static void
dmarc_reads_the_policy(void **state)
{
	enum readiness_dmarc_policy p = READINESS_DMARC_REJECT;
	char err[128];

	(void)state;
	assert_int_equal(dmarc("v=DMARC1; p=none", &p, err, sizeof(err)), 0);
	assert_int_equal(p, READINESS_DMARC_NONE);
	assert_int_equal(dmarc(" v = DMARC1 ;p=Quarantine; rua=mailto:d@x.y;",
	                       &p, err, sizeof(err)),
	                 0);
	assert_int_equal(p, READINESS_DMARC_QUARANTINE);
	assert_int_equal(
	    dmarc("v=DMARC1;pct=50;p=reject", &p, err, sizeof(err)), 0);
	assert_int_equal(p, READINESS_DMARC_REJECT);
}

static void
dmarc_refuses_malformed_records(void **state)
{
	static const struct {
		const char *txt, *why;
	} bad[] = {
	    {"", "empty"},
	    {";;", "empty"},
	    {"p=none; v=DMARC1", "no v=DMARC1 first"},
	    {"v=DMARC2; p=none", "no v=DMARC1 first"},
	    {"v=DMARC1", "no policy"},
	    {"v=DMARC1; rua=mailto:a@b.c", "no policy"},
	    {"v=DMARC1; p=none; p=reject", "twice"},
	    {"v=DMARC1; p=maybe", "unknown policy p=maybe"},
	    {"v=DMARC1; p", "no '='"},
	    {"v=DMARC1; =none", "no name"},
	    {"v=DMARC1; p=none\x7f", "byte 0x7f"},
	};
	enum readiness_dmarc_policy p = READINESS_DMARC_QUARANTINE;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dmarc(bad[i].txt, &p, err, sizeof(err)), -1);
		assert_non_null(strstr(err, bad[i].why));
		/* Bad input changes nothing. */
		assert_int_equal(p, READINESS_DMARC_QUARANTINE);
	}
}

static void
all_dns(struct readiness_facts *f, enum readiness_tri t)
{
	int c;

	for (c = 0; c < READINESS_N_DNS; c++)
		f->dns[c] = t;
}

static void
verdicts_with_reasons(void **state)
{
	struct readiness_facts f;
	char reason[1024];

	(void)state;
	readiness_facts_init(&f);
	assert_int_equal(readiness_judge(&f, reason, sizeof(reason)),
	                 READINESS_V_UNKNOWN);
	assert_non_null(strstr(reason, "verification unknown"));

	f.verified = READINESS_NO;
	strcpy(f.verified_words, "VerificationStatus PENDING");
	all_dns(&f, READINESS_YES);
	assert_int_equal(readiness_judge(&f, reason, sizeof(reason)),
	                 READINESS_V_NOT_VERIFIED);
	assert_non_null(strstr(reason, "VerificationStatus PENDING"));

	f.verified = READINESS_YES;
	assert_int_equal(readiness_judge(&f, reason, sizeof(reason)),
	                 READINESS_V_READY);

	f.dns[READINESS_DKIM] = READINESS_NO;
	strcpy(f.dns_words[READINESS_DKIM], "no TXT at s1._domainkey.x.y");
	f.dns[READINESS_DMARC] = READINESS_UNKNOWN;
	assert_int_equal(readiness_judge(&f, reason, sizeof(reason)),
	                 READINESS_V_DNS_INCOMPLETE);
	assert_string_equal(reason,
	                    "DNS missing: dkim (no TXT at s1._domainkey.x.y)");

	f.dns[READINESS_DKIM] = READINESS_YES;
	assert_int_equal(readiness_judge(&f, reason, sizeof(reason)),
	                 READINESS_V_UNKNOWN);
	assert_string_equal(reason, "DNS unknown: dmarc");

	/* A tiny buffer is still terminated. */
	assert_int_equal(readiness_judge(&f, reason, 4), READINESS_V_UNKNOWN);
	assert_int_equal(strlen(reason), 3);
	assert_string_equal(readiness_verdict_name(READINESS_V_DNS_INCOMPLETE),
	                    "dns_incomplete");
}

static void
ses_identity_answers(void **state)
{
	static const char ok[] =
	    "{\"IdentityType\":\"DOMAIN\",\"VerifiedForSendingStatus\":true,"
	    "\"VerificationStatus\":\"SUCCESS\",\"DkimAttributes\":{"
	    "\"SigningEnabled\":true,\"Status\":\"SUCCESS\",\"Tokens\":"
	    "[\"abc\",\"def\",\"ghi\"]},\"MailFromAttributes\":{"
	    "\"MailFromDomain\":\"bounce.example.com\","
	    "\"MailFromDomainStatus\":\"SUCCESS\"}}";
	static const char pending[] = "{\"VerifiedForSendingStatus\":false,"
	                              "\"VerificationStatus\":\"PENDING\"}";
	static const char *const bad[] = {
	    "", "[]", "{\"VerifiedForSendingStatus\":\"yes\"}", "{",
	    "{\"VerificationStatus\":\"SUCCESS\"}"};
	struct readiness_verified v;
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(readiness_verify_ses(ok, strlen(ok), "example.com", &v,
	                                      err, sizeof(err)),
	                 0);
	assert_int_equal(v.verified, READINESS_YES);
	assert_int_equal(v.n_selectors, 3);
	assert_string_equal(v.selectors[1], "def");
	assert_string_equal(v.return_path, "bounce.example.com");

	assert_int_equal(readiness_verify_ses(pending, strlen(pending),
	                                      "example.com", &v, err,
	                                      sizeof(err)),
	                 0);
	assert_int_equal(v.verified, READINESS_NO);
	assert_non_null(strstr(v.words, "VerificationStatus PENDING"));
	assert_int_equal(v.n_selectors, 0);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(readiness_verify_ses(bad[i], strlen(bad[i]),
		                                      "example.com", &v, err,
		                                      sizeof(err)),
		                 -1);
		assert_true(err[0] != '\0');
		assert_int_equal(v.verified, READINESS_UNKNOWN);
	}
}

static void
sendgrid_domain_answers(void **state)
{
	static const char list[] =
	    "[{\"id\":1,\"domain\":\"other.example\",\"valid\":true},"
	    "{\"id\":2,\"domain\":\"Example.COM\",\"valid\":false,\"dns\":{"
	    "\"mail_cname\":{\"valid\":true,\"host\":\"em1.example.com\"},"
	    "\"dkim1\":{\"valid\":false,\"host\":\"s1._domainkey.example.com\"}"
	    ","
	    "\"dkim2\":{\"valid\":true,\"host\":\"s2._domainkey.example.com\"}"
	    "}}]";
	static const char *const bad[] = {"", "{}",
	                                  "[{\"domain\":"
	                                  "\"example.com\"}]",
	                                  "[1,"};
	struct readiness_verified v;
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(readiness_verify_sendgrid(list, strlen(list),
	                                           "example.com", &v, err,
	                                           sizeof(err)),
	                 0);
	assert_int_equal(v.verified, READINESS_NO);
	assert_non_null(strstr(v.words, "not valid"));
	assert_non_null(strstr(v.words, "dkim1 s1._domainkey.example.com"));
	assert_int_equal(v.n_selectors, 2);
	assert_string_equal(v.selectors[0], "s1");
	assert_string_equal(v.return_path, "em1.example.com");

	assert_int_equal(readiness_verify_sendgrid(list, strlen(list),
	                                           "other.example", &v, err,
	                                           sizeof(err)),
	                 0);
	assert_int_equal(v.verified, READINESS_YES);

	assert_int_equal(readiness_verify_sendgrid(list, strlen(list),
	                                           "missing.example", &v, err,
	                                           sizeof(err)),
	                 0);
	assert_int_equal(v.verified, READINESS_NO);
	assert_non_null(strstr(v.words, "not among"));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(readiness_verify_sendgrid(
		                     bad[i], strlen(bad[i]), "example.com", &v,
		                     err, sizeof(err)),
		                 -1);
		assert_true(err[0] != '\0');
	}
}

static void
routing_blocks_only_known_unverified(void **state)
{
	struct readiness *r = readiness_new();
	struct readiness_facts f;
	char why[512] = "";
	json_t *j;

	(void)state;
	assert_non_null(r);
	/* Unknown never blocks. */
	assert_false(
	    readiness_blocks(NULL, "ses", "example.com", why, sizeof(why)));
	assert_false(
	    readiness_blocks(r, "ses", "example.com", why, sizeof(why)));
	readiness_facts_init(&f);
	assert_int_equal(readiness_set(r, "ses", "example.com", &f), 0);
	assert_false(
	    readiness_blocks(r, "ses", "example.com", why, sizeof(why)));
	/* DNS incomplete does not block either. */
	f.verified = READINESS_YES;
	f.dns[READINESS_DKIM] = READINESS_NO;
	assert_int_equal(readiness_set(r, "ses", "example.com", &f), 0);
	assert_false(
	    readiness_blocks(r, "ses", "example.com", why, sizeof(why)));
	assert_int_equal(readiness_get(r, "ses", "EXAMPLE.com")->verdict,
	                 READINESS_V_DNS_INCOMPLETE);

	f.verified = READINESS_NO;
	strcpy(f.verified_words, "not among SendGrid's authenticated domains");
	assert_int_equal(readiness_set(r, "sendgrid", "example.com", &f), 0);
	assert_true(
	    readiness_blocks(r, "sendgrid", "Example.com", why, sizeof(why)));
	assert_string_equal(why, "sender domain example.com not verified at "
	                         "sendgrid: not among SendGrid's "
	                         "authenticated domains");
	assert_false(readiness_blocks(r, "sendgrid", "", why, sizeof(why)));
	assert_false(
	    readiness_blocks(r, "sendgrid", "other.example", why, sizeof(why)));
	assert_int_equal(readiness_count(r), 2);

	j = readiness_json(r, 0);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "entries")), 2);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "entries"), 1), "verdict")),
	    "not_verified");
	json_decref(j);
	readiness_free(r);
}

static void
seen_domains_fill_the_matrix(void **state)
{
	static const char *const provs[] = {"primary", "backup"};
	struct readiness *r = readiness_new();
	struct readiness_seen *s = readiness_seen_of(r);
	const char *out[4];
	struct readiness_facts f;
	json_t *j, *e;
	char name[32];
	int i;

	(void)state;
	readiness_seen_add(s, "Example.COM", 1000);
	readiness_seen_add(s, "old.example", 10);
	readiness_seen_add(s, "example.com", 2000);
	readiness_seen_add(s, "", 3000);
	readiness_seen_add(s, NULL, 3000);
	assert_int_equal(readiness_seen_since(s, 0, out, 4), 2);
	assert_string_equal(out[0], "example.com");
	assert_int_equal(readiness_seen_since(s, 1500, out, 4), 1);
	assert_int_equal(readiness_seen_since(s, 2001, out, 4), 0);

	readiness_providers_set(r, provs, 2);
	readiness_facts_init(&f);
	f.verified = READINESS_NO;
	strcpy(f.verified_words, "VerificationStatus FAILED");
	assert_int_equal(readiness_set(r, "backup", "example.com", &f), 0);
	j = readiness_json(r, 1500);
	assert_non_null(j);
	/* backup's known entry kept; primary's added as unknown; the domain
	 * not seen since 1500 left out. */
	assert_int_equal(json_array_size(json_object_get(j, "entries")), 2);
	e = json_array_get(json_object_get(j, "entries"), 1);
	assert_string_equal(json_string_value(json_object_get(e, "provider")),
	                    "primary");
	assert_string_equal(json_string_value(json_object_get(e, "verdict")),
	                    "unknown");
	assert_non_null(strstr(json_string_value(json_object_get(e, "reason")),
	                       "not checked yet"));
	json_decref(j);
	assert_string_equal(readiness_at(r, 0)->facts.verified_words,
	                    "VerificationStatus FAILED");

	/* Bounded: the least recently seen domain is replaced. */
	for (i = 0; i < READINESS_SEEN_MAX + 5; i++) {
		snprintf(name, sizeof(name), "d%d.example", i);
		readiness_seen_add(s, name, 5000 + i);
	}
	assert_int_equal(readiness_seen_since(s, 0, out, 4), 4);
	assert_string_equal(out[0], "d5.example");
	readiness_free(r);
}

/* set_verdict - provider x domain verified as v, DNS all yes. */
static void
set_verdict(struct readiness *r, const char *p, const char *d,
            enum readiness_tri v)
{
	struct readiness_facts f;
	int c;

	readiness_facts_init(&f);
	f.verified = v;
	strcpy(f.verified_words, v == READINESS_NO ? "status pending" : "ok");
	for (c = 0; c < READINESS_N_DNS; c++)
		f.dns[c] = READINESS_YES;
	assert_int_equal(readiness_set(r, p, d, &f), 0);
}

static void
not_ready_and_capped_metrics(void **state)
{
	struct readiness *r = readiness_new();
	struct readiness_seen *s = readiness_seen_of(r);
	struct metrics_writer w;
	struct buf out;
	char note[400];

	(void)state;
	readiness_seen_add(s, "a.example", 1000);
	readiness_seen_add(s, "b.example", 1000);
	readiness_seen_add(s, "old.example", 10);
	set_verdict(r, "backup", "a.example", READINESS_NO);
	set_verdict(r, "backup", "b.example", READINESS_YES);
	set_verdict(r, "backup", "old.example", READINESS_NO);
	set_verdict(r, "primary", "a.example", READINESS_YES);
	/* only domains sent since the time asked count */
	assert_int_equal(
	    readiness_not_ready(r, "backup", 500, note, sizeof(note)), 1);
	assert_non_null(strstr(note, "a.example: not verified at the "
	                             "provider: status pending"));
	assert_null(strstr(note, "old.example"));
	assert_int_equal(
	    readiness_not_ready(r, "backup", 0, note, sizeof(note)), 2);
	assert_int_equal(
	    readiness_not_ready(r, "primary", 0, note, sizeof(note)), 0);
	assert_string_equal(note, "");
	assert_int_equal(
	    readiness_not_ready(NULL, "primary", 0, note, sizeof(note)), 0);

	/* metrics: one series per pair of a recent domain, at most cap */
	buf_init(&out);
	metrics_writer_text(&w, &out);
	readiness_metrics_render(r, &w, 500, 2);
	assert_non_null(strstr(buf_cstr(&out),
	                       "swerve_readiness{provider=\"backup\",domain="
	                       "\"a.example\",verdict=\"not_verified\"} 1"));
	assert_null(strstr(buf_cstr(&out), "old.example"));
	assert_non_null(
	    strstr(buf_cstr(&out), "swerve_readiness_series_dropped 1"));
	assert_non_null(strstr(buf_cstr(&out),
	                       "swerve_readiness_pairs{verdict=\"ready\"} 2"));
	assert_non_null(
	    strstr(buf_cstr(&out),
	           "swerve_readiness_pairs{verdict=\"not_verified\"} 1"));
	buf_fini(&out);
	readiness_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(spf_finds_the_include),
	    cmocka_unit_test(spf_refuses_malformed_records),
	    cmocka_unit_test(dmarc_reads_the_policy),
	    cmocka_unit_test(dmarc_refuses_malformed_records),
	    cmocka_unit_test(verdicts_with_reasons),
	    cmocka_unit_test(ses_identity_answers),
	    cmocka_unit_test(sendgrid_domain_answers),
	    cmocka_unit_test(routing_blocks_only_known_unverified),
	    cmocka_unit_test(seen_domains_fill_the_matrix),
	    cmocka_unit_test(not_ready_and_capped_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
