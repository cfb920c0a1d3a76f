/*
 * readiness_dnsmsg.h - a pure reader of the DNS answers failover
 * readiness asks for (issue 18 item 4): a response message as the
 * resolver (c-ares) hands it over, walked RR by RR, with what the checks
 * need: the response code, whether the answer section has a CNAME or an
 * MX, and the text of each TXT record (its character strings joined).
 *
 * Owner names are not compared with the question (a CNAME chain answers
 * for another name): the checks ask one name at a time. Name compression
 * is followed only to skip names. Malformed messages (truncated header,
 * question or RR, a label or pointer that runs past the end, a bad label
 * type, character strings that do not fill a TXT record's data exactly,
 * not a response) are errors with a reason; nothing is guessed.
 */
#ifndef SWERVE_READINESS_READINESS_DNSMSG_H
#define SWERVE_READINESS_READINESS_DNSMSG_H

#include <stddef.h>

#include "readiness/readiness_txt.h"

/* At most this many TXT records of one answer are kept (more: ignored). */
#define READINESS_DNS_TXT_MAX 4

#define READINESS_DNS_T_CNAME 5
#define READINESS_DNS_T_MX 15
#define READINESS_DNS_T_TXT 16

struct readiness_dns_answer {
	int rcode;              /* 0 NOERROR, 3 NXDOMAIN, ... */
	unsigned n_answers;     /* RRs in the answer section */
	unsigned n_cname, n_mx; /* of those, CNAMEs and MXs */
	unsigned n_txt;         /* TXT records kept in txt[] */
	/* Each TXT record's strings joined, len bytes, NUL-terminated; a
	 * record longer than READINESS_TXT_MAX is kept cut (len is
	 * READINESS_TXT_MAX + 1 then: the TXT parsers refuse it). */
	char txt[READINESS_DNS_TXT_MAX][READINESS_TXT_MAX + 2];
	size_t txt_len[READINESS_DNS_TXT_MAX];
};

/*
 * readiness_dns_answer_parse - read the DNS response msg (len bytes)
 * into out (zeroed first). 0, or -1 with a reason in err. Nothing is
 * allocated.
 */
int readiness_dns_answer_parse(const unsigned char *msg, size_t len,
                               struct readiness_dns_answer *out, char *err,
                               size_t errlen);

#endif
