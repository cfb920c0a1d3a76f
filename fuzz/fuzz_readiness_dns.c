/*
 * fuzz_readiness_dns.c - failover readiness's DNS answer reader
 * (readiness_dnsmsg.h) and the Postmark / Resend domain lists
 * (readiness_verify_list) on arbitrary bytes: either an error with a
 * reason, or an answer within bounds (each kept TXT record at most
 * READINESS_TXT_MAX + 1 bytes and terminated; an id only when found),
 * and every answer's meaning for a lookup is a fact with words.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "readiness/readiness_check.h"
#include "readiness/readiness_dnsmsg.h"
#include "readiness/readiness_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct readiness_dns_answer a;
	struct readiness_query q[READINESS_QUERIES_MAX];
	struct readiness_qresult res;
	char err[128], id[64];
	size_t i, n;
	int rc;

	err[0] = '\0';
	if (readiness_dns_answer_parse(data, size, &a, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();
	} else {
		if (a.n_txt > READINESS_DNS_TXT_MAX)
			abort();
		for (i = 0; i < a.n_txt; i++)
			if (a.txt_len[i] > READINESS_TXT_MAX + 1 ||
			    a.txt[i][a.txt_len[i]] != '\0')
				abort();
		n = readiness_check_plan("sendgrid", "example.com", NULL, q);
		for (i = 0; i < n; i++) {
			readiness_check_answer("sendgrid", &q[i],
			                       READINESS_DNS_OK, &a, NULL,
			                       &res);
			if (res.tri > READINESS_NO || res.words[0] == '\0')
				abort();
		}
	}
	err[0] = '\0';
	id[0] = 'x';
	rc = readiness_verify_list(
	    (const char *)data, size, size % 2 ? "postmark" : "resend",
	    "example.com", id, sizeof(id), err, sizeof(err));
	if (rc < -1 || rc > 1 || (rc == -1 && err[0] == '\0') ||
	    (rc == 1 && id[0] == '\0') || (rc == 0 && id[0] != '\0'))
		abort();
	return 0;
}
