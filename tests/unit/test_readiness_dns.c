/*
 * test_readiness_dns.c - failover readiness's DNS answer reader with
 * well-formed and malformed messages, what each lookup's answer means
 * (the check plan, SPF / DKIM / DMARC / return path), and the providers'
 * verification requests and lists (Postmark, Resend) with malformed
 * answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "providers/http_adapter.h"
#include "readiness/readiness_check.h"
#include "readiness/readiness_dnsmsg.h"
#include "readiness/readiness_req.h"
#include "readiness/readiness_verify.h"

/* A DNS response being built. */
struct msg {
	unsigned char b[2048];
	size_t n;
};

static void
put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
u16(struct msg *m, unsigned v)
{
	unsigned char b[2] = {(unsigned char)(v >> 8), (unsigned char)v};

	put(m, b, 2);
}

static void
name(struct msg *m, const char *dotted)
{
	const char *p = dotted;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		m->b[m->n++] = (unsigned char)l;
		put(m, p, l);
		p += l + (dot ? 1 : 0);
	}
	m->b[m->n++] = 0;
}

/* start - header (response, rcode) and the question qname/type. */
static void
start(struct msg *m, int rcode, unsigned an, const char *qname, unsigned type)
{
	m->n = 0;
	u16(m, 0x1234);
	u16(m, 0x8180 | (unsigned)rcode);
	u16(m, 1);
	u16(m, an);
	u16(m, 0);
	u16(m, 0);
	name(m, qname);
	u16(m, type);
	u16(m, 1);
}

/* rr - an answer pointing at the question's name, with rdata. */
static void
rr(struct msg *m, unsigned type, const void *rdata, size_t len)
{
	u16(m, 0xC00C);
	u16(m, type);
	u16(m, 1);
	u16(m, 0);
	u16(m, 60);
	u16(m, (unsigned)len);
	put(m, rdata, len);
}

/* txt_rr - a TXT answer of the given strings. */
static void
txt_rr(struct msg *m, const char *a, const char *b)
{
	unsigned char d[600];
	size_t n = 0, la = strlen(a), lb = b ? strlen(b) : 0;

	d[n++] = (unsigned char)la;
	memcpy(d + n, a, la);
	n += la;
	if (b) {
		d[n++] = (unsigned char)lb;
		memcpy(d + n, b, lb);
		n += lb;
	}
	rr(m, READINESS_DNS_T_TXT, d, n);
}

static void
dnsmsg_reads_answers(void **state)
{
	struct readiness_dns_answer a;
	struct msg m;
	char err[128];

	(void)state;
	start(&m, 0, 3, "example.com", READINESS_DNS_T_TXT);
	txt_rr(&m, "v=spf1 include:sendgrid.net", " ~all");
	txt_rr(&m, "google-site-verification=x", NULL);
	rr(&m, READINESS_DNS_T_CNAME, "\x02u1\x00", 4);
	assert_int_equal(
	    readiness_dns_answer_parse(m.b, m.n, &a, err, sizeof(err)), 0);
	assert_int_equal(a.rcode, 0);
	assert_int_equal(a.n_answers, 3);
	assert_int_equal(a.n_txt, 2);
	assert_int_equal(a.n_cname, 1);
	assert_string_equal(a.txt[0], "v=spf1 include:sendgrid.net ~all");
	assert_int_equal(a.txt_len[0], strlen(a.txt[0]));

	start(&m, 3, 0, "nope.example.com", READINESS_DNS_T_MX);
	assert_int_equal(
	    readiness_dns_answer_parse(m.b, m.n, &a, err, sizeof(err)), 0);
	assert_int_equal(a.rcode, 3);
	assert_int_equal(a.n_answers, 0);

	start(&m, 0, 1, "example.com", READINESS_DNS_T_MX);
	rr(&m, READINESS_DNS_T_MX, "\x00\x0a\x03mxa\x00", 7);
	assert_int_equal(
	    readiness_dns_answer_parse(m.b, m.n, &a, err, sizeof(err)), 0);
	assert_int_equal(a.n_mx, 1);
}

static void
dnsmsg_refuses_malformed(void **state)
{
	struct readiness_dns_answer a;
	struct msg m, cut;
	char err[128];
	size_t i;

	(void)state;
	err[0] = '\0';
	assert_int_equal(
	    readiness_dns_answer_parse(NULL, 0, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "shorter than a DNS header"));
	/* a question (QR 0) */
	start(&m, 0, 0, "example.com", READINESS_DNS_T_TXT);
	m.b[2] = 0x01;
	assert_int_equal(
	    readiness_dns_answer_parse(m.b, m.n, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a response"));
	/* every cut of a good answer is refused, never read past */
	start(&m, 0, 1, "example.com", READINESS_DNS_T_TXT);
	txt_rr(&m, "v=DMARC1; p=none", NULL);
	for (i = 0; i < m.n; i++) {
		cut = m;
		cut.n = i;
		err[0] = '\0';
		assert_int_equal(readiness_dns_answer_parse(cut.b, cut.n, &a,
		                                            err, sizeof(err)),
		                 -1);
		assert_true(err[0] != '\0');
	}
	/* a TXT string longer than its record */
	start(&m, 0, 1, "example.com", READINESS_DNS_T_TXT);
	rr(&m, READINESS_DNS_T_TXT, "\x09short", 6);
	assert_int_equal(
	    readiness_dns_answer_parse(m.b, m.n, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "TXT string runs past"));
	/* a TXT record without strings */
	start(&m, 0, 1, "example.com", READINESS_DNS_T_TXT);
	rr(&m, READINESS_DNS_T_TXT, "", 0);
	assert_int_equal(
	    readiness_dns_answer_parse(m.b, m.n, &a, err, sizeof(err)), -1);
	/* a label of the reserved types 0x40 / 0x80 */
	start(&m, 0, 0, "example.com", READINESS_DNS_T_TXT);
	m.b[12] = 0x47;
	assert_int_equal(
	    readiness_dns_answer_parse(m.b, m.n, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown type"));
	/* a pointer past the end */
	start(&m, 0, 1, "example.com", READINESS_DNS_T_TXT);
	u16(&m, 0xC7FF);
	assert_int_equal(
	    readiness_dns_answer_parse(m.b, m.n, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "pointer"));
	/* more answers promised than given */
	start(&m, 0, 2, "example.com", READINESS_DNS_T_TXT);
	txt_rr(&m, "x", NULL);
	assert_int_equal(
	    readiness_dns_answer_parse(m.b, m.n, &a, err, sizeof(err)), -1);
}

static void
dnsmsg_keeps_at_most_a_bounded_record(void **state)
{
	struct readiness_dns_answer *a = malloc(sizeof(*a));
	unsigned char d[READINESS_TXT_MAX + 400];
	char err[128];
	size_t n = 0, i;

	(void)state;
	/* 20 strings of 250: 5000 bytes, over READINESS_TXT_MAX */
	for (i = 0; i < 20 && n + 251 <= sizeof(d); i++) {
		d[n++] = 250;
		memset(d + n, 'a', 250);
		n += 250;
	}
	{
		static unsigned char big[8192];
		size_t k = 0;

		memcpy(big, "\x12\x34\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00",
		       12);
		k = 12;
		memcpy(big + k, "\x00\x00\x10\x00\x01\x00\x00\x00\x3c", 9);
		k += 9;
		big[k++] = (unsigned char)(n >> 8);
		big[k++] = (unsigned char)n;
		memcpy(big + k, d, n);
		k += n;
		assert_int_equal(
		    readiness_dns_answer_parse(big, k, a, err, sizeof(err)), 0);
	}
	assert_int_equal(a->n_txt, 1);
	assert_int_equal(a->txt_len[0], READINESS_TXT_MAX + 1);
	free(a);
}

/* answer_of - the meaning of a one-record answer to q. */
static struct readiness_qresult
answer_of(const char *type, const struct readiness_query *q,
          enum readiness_dns_status st, const char *txt, unsigned rtype)
{
	struct readiness_dns_answer a;
	struct readiness_qresult res;
	struct msg m;
	char err[128];

	start(&m, 0, txt || rtype ? 1 : 0, q->name, (unsigned)q->type);
	if (txt != NULL)
		txt_rr(&m, txt, NULL);
	else if (rtype != 0)
		rr(&m, rtype, "\x00\x0a\x00", 3);
	assert_int_equal(
	    readiness_dns_answer_parse(m.b, m.n, &a, err, sizeof(err)), 0);
	readiness_check_answer(type, q, st, st == READINESS_DNS_OK ? &a : NULL,
	                       st == READINESS_DNS_FAIL ? "timeout" : NULL,
	                       &res);
	return res;
}

static void
check_plan_and_answers(void **state)
{
	struct readiness_verified v;
	struct readiness_query q[READINESS_QUERIES_MAX];
	struct readiness_qresult res[READINESS_QUERIES_MAX], r;
	struct readiness_facts f;
	size_t n;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.verified = READINESS_YES;
	strcpy(v.selectors[0], "s1");
	strcpy(v.selectors[1], "s2");
	v.n_selectors = 2;
	strcpy(v.return_path, "em1.example.com");
	n = readiness_check_plan("sendgrid", "example.com", &v, q);
	assert_int_equal(n, 5);
	assert_string_equal(q[0].name, "example.com");
	assert_string_equal(q[1].name, "s1._domainkey.example.com");
	assert_string_equal(q[2].name, "s2._domainkey.example.com");
	assert_string_equal(q[3].name, "_dmarc.example.com");
	assert_string_equal(q[4].name, "em1.example.com");
	assert_int_equal(q[4].type, READINESS_DNS_T_MX);
	/* SES with a custom MAIL FROM: SPF lives there */
	strcpy(v.return_path, "mail.example.com");
	assert_int_equal(readiness_check_plan("ses", "example.com", &v, q), 5);
	assert_string_equal(q[0].name, "mail.example.com");
	/* nothing known: SPF and DMARC only */
	assert_int_equal(readiness_check_plan("resend", "example.com", NULL, q),
	                 2);

	n = readiness_check_plan("sendgrid", "example.com", &v, q);
	r = answer_of("sendgrid", &q[0], READINESS_DNS_OK,
	              "v=spf1 include:sendgrid.net -all", 0);
	assert_int_equal(r.tri, READINESS_YES);
	r = answer_of("sendgrid", &q[0], READINESS_DNS_OK,
	              "v=spf1 include:mailgun.org -all", 0);
	assert_int_equal(r.tri, READINESS_NO);
	assert_non_null(strstr(r.words, "lacks include:sendgrid.net"));
	r = answer_of("sendgrid", &q[0], READINESS_DNS_OK,
	              "v=spf1 include: -all", 0);
	assert_int_equal(r.tri, READINESS_UNKNOWN);
	assert_non_null(strstr(r.words, "unreadable"));
	r = answer_of("sendgrid", &q[0], READINESS_DNS_OK, "hello", 0);
	assert_int_equal(r.tri, READINESS_NO);
	assert_non_null(strstr(r.words, "no SPF record at example.com"));
	r = answer_of("sendgrid", &q[1], READINESS_DNS_OK, NULL,
	              READINESS_DNS_T_CNAME);
	assert_int_equal(r.tri, READINESS_YES);
	r = answer_of("sendgrid", &q[1], READINESS_DNS_OK, "k=rsa; p=MIGf", 0);
	assert_int_equal(r.tri, READINESS_YES);
	r = answer_of("sendgrid", &q[1], READINESS_DNS_NONE, NULL, 0);
	assert_int_equal(r.tri, READINESS_NO);
	assert_non_null(strstr(r.words, "no TXT or CNAME at s1._domainkey"));
	r = answer_of("sendgrid", &q[3], READINESS_DNS_OK, "v=DMARC1; p=reject",
	              0);
	assert_int_equal(r.tri, READINESS_YES);
	r = answer_of("sendgrid", &q[3], READINESS_DNS_OK, "v=DMARC1; p=maybe",
	              0);
	assert_int_equal(r.tri, READINESS_UNKNOWN);
	r = answer_of("sendgrid", &q[4], READINESS_DNS_OK, NULL,
	              READINESS_DNS_T_MX);
	assert_int_equal(r.tri, READINESS_YES);
	r = answer_of("sendgrid", &q[4], READINESS_DNS_FAIL, NULL, 0);
	assert_int_equal(r.tri, READINESS_UNKNOWN);
	assert_non_null(strstr(r.words, "failed: timeout"));

	/* folding: one missing selector makes dkim no; a failure unknown */
	res[0] = answer_of("sendgrid", &q[0], READINESS_DNS_OK,
	                   "v=spf1 include:sendgrid.net", 0);
	res[1] = answer_of("sendgrid", &q[1], READINESS_DNS_OK, NULL,
	                   READINESS_DNS_T_CNAME);
	res[2] = answer_of("sendgrid", &q[2], READINESS_DNS_NONE, NULL, 0);
	res[3] = answer_of("sendgrid", &q[3], READINESS_DNS_FAIL, NULL, 0);
	res[4] = answer_of("sendgrid", &q[4], READINESS_DNS_OK, NULL,
	                   READINESS_DNS_T_CNAME);
	readiness_facts_init(&f);
	readiness_check_finish(&f, q, res, n);
	assert_int_equal(f.dns[READINESS_SPF], READINESS_YES);
	assert_int_equal(f.dns[READINESS_DKIM], READINESS_NO);
	assert_non_null(strstr(f.dns_words[READINESS_DKIM], "s2._domainkey"));
	assert_int_equal(f.dns[READINESS_DMARC], READINESS_UNKNOWN);
	assert_int_equal(f.dns[READINESS_RETURN_PATH], READINESS_YES);
	/* no selector named: dkim unknown; no return path: the provider's */
	assert_int_equal(readiness_check_plan("ses", "example.com", NULL, q),
	                 2);
	readiness_facts_init(&f);
	readiness_check_finish(&f, q, res, 0);
	assert_int_equal(f.dns[READINESS_DKIM], READINESS_UNKNOWN);
	assert_int_equal(f.dns[READINESS_RETURN_PATH], READINESS_YES);
	assert_null(readiness_check_spf_include("smtp"));
	assert_string_equal(readiness_check_spf_include("postmark"),
	                    "spf.mtasv.net");
}

#define PM_LIST                                                                \
	"{\"Domains\":[{\"Name\":\"a.example\",\"ID\":3},"                     \
	"{\"Name\":\"Example.COM\",\"ID\":36735}]}"
#define RS_OTHER "{\"data\":[{\"name\":\"x.example\",\"id\":\"d-1\"}]}"
#define RS_BADID "{\"data\":[{\"name\":\"example.com\",\"id\":\"../../x\"}]}"

static void
lists_and_requests(void **state)
{
	struct config_provider cfg;
	struct readiness_verified v;
	struct http_out out;
	char id[64], why[200];
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"Domains\": 3}",
	    "{\"Domains\": [{\"Name\": "
	    "\"example.com\"}]}",
	    "{\"Domains\": [{\"Name\": \"example.com\", \"ID\": -4}]}",
	    "nope",
	};
	size_t i;

	(void)state;
	assert_int_equal(readiness_verify_list(PM_LIST, strlen(PM_LIST),
	                                       "postmark", "example.com", id,
	                                       sizeof(id), why, sizeof(why)),
	                 1);
	assert_string_equal(id, "36735");
	assert_int_equal(readiness_verify_list(RS_OTHER, strlen(RS_OTHER),
	                                       "resend", "example.com", id,
	                                       sizeof(id), why, sizeof(why)),
	                 0);
	assert_int_equal(readiness_verify_list(RS_BADID, strlen(RS_BADID),
	                                       "resend", "example.com", id,
	                                       sizeof(id), why, sizeof(why)),
	                 -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(
		    readiness_verify_list(bad[i], strlen(bad[i]), "postmark",
		                          "example.com", id, sizeof(id), why,
		                          sizeof(why)),
		    -1);
		assert_true(why[0] != '\0');
	}

	/* reading answers: 404 is "no identity", 500 a reason */
	assert_int_equal(readiness_req_read("ses", "example.com", NULL, 404,
	                                    "{}", 2, &v, id, sizeof(id), why,
	                                    sizeof(why)),
	                 0);
	assert_int_equal(v.verified, READINESS_NO);
	assert_non_null(strstr(v.words, "no identity example.com at ses"));
	assert_int_equal(readiness_req_read("sendgrid", "example.com", NULL,
	                                    500, "oops\n", 5, &v, id,
	                                    sizeof(id), why, sizeof(why)),
	                 -1);
	assert_string_equal(why, "sendgrid: HTTP 500: oops?");
	assert_int_equal(v.verified, READINESS_UNKNOWN);
	assert_int_equal(readiness_req_read("postmark", "example.com", NULL,
	                                    200, "{\"Domains\":[]}", 14, &v, id,
	                                    sizeof(id), why, sizeof(why)),
	                 0);
	assert_int_equal(v.verified, READINESS_NO);
	assert_non_null(strstr(v.words, "not among postmark's domains"));
	assert_int_equal(readiness_req_read("resend", "example.com", "d-1", 200,
	                                    "garbage", 7, &v, id, sizeof(id),
	                                    why, sizeof(why)),
	                 -1);
	assert_non_null(strstr(why, "resend: not JSON"));

	/* building: the endpoint and the key; a name that is not DNS */
	memset(&cfg, 0, sizeof(cfg));
	cfg.type = "sendgrid";
	cfg.name = "sg";
	cfg.endpoint = "http://127.0.0.1:9";
	cfg.api_key = "SG.k";
	http_out_init(&out);
	assert_int_equal(readiness_req_build(&cfg, "example.com", NULL, 0, &out,
	                                     why, sizeof(why)),
	                 0);
	assert_string_equal(out.url, "http://127.0.0.1:9/v3/whitelabel/"
	                             "domains?domain=example.com");
	assert_string_equal(http_out_header_get(&out, "Authorization"),
	                    "Bearer SG.k");
	http_out_fini(&out);
	http_out_init(&out);
	assert_int_equal(readiness_req_build(&cfg, "ex ample.com/../x", NULL, 0,
	                                     &out, why, sizeof(why)),
	                 -1);
	assert_non_null(strstr(why, "not a DNS name"));
	http_out_fini(&out);
	cfg.type = "smtp";
	http_out_init(&out);
	assert_int_equal(readiness_req_build(&cfg, "example.com", NULL, 0, &out,
	                                     why, sizeof(why)),
	                 -1);
	assert_false(readiness_req_supported("smtp"));
	http_out_fini(&out);
	cfg.type = "ses";
	http_out_init(&out);
	assert_int_equal(readiness_req_build(&cfg, "example.com", NULL, 0, &out,
	                                     why, sizeof(why)),
	                 -1); /* no credentials */
	cfg.access_key_id = "AKIDEXAMPLE";
	cfg.secret_access_key = "secret";
	assert_int_equal(readiness_req_build(&cfg, "example.com", NULL, 0, &out,
	                                     why, sizeof(why)),
	                 0);
	assert_string_equal(out.url, "http://127.0.0.1:9/v2/email/identities/"
	                             "example.com");
	assert_non_null(strstr(http_out_header_get(&out, "Authorization"),
	                       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
	http_out_fini(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dnsmsg_reads_answers),
	    cmocka_unit_test(dnsmsg_refuses_malformed),
	    cmocka_unit_test(dnsmsg_keeps_at_most_a_bounded_record),
	    cmocka_unit_test(check_plan_and_answers),
	    cmocka_unit_test(lists_and_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
