/*
 * idna.c - IDNA2008 checks of domains, through libidn2.
 *
 * Only domains that need it reach libidn2: one with a non-ASCII byte or an
 * "xn--" label. TR46 mapping is off on purpose: it would map a zero-width
 * space or a soft hyphen to nothing and call the domain valid, while the
 * bytes that a reader sees (and that go on to the provider) keep them.
 * ASCII letters are lowered first, since a mailbox's domain is not case
 * sensitive and IDNA2008 only allows lower case. Does not: convert
 * between U-labels and A-labels for anyone.
 */
#include "core/idna.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

/* The longest domain looked at: 255 octets as A-labels can take up to
 * about four times as many as UTF-8 U-labels. */
#define IDNA_DOMAIN_MAX 1024

/* idna_needs_check - has p[0..len) a non-ASCII byte or an "xn--" label? */
static bool
idna_needs_check(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)p[i] >= 0x80)
			return true;
		if ((i == 0 || p[i - 1] == '.') && len - i >= 4 &&
		    strncasecmp(p + i, "xn--", 4) == 0)
			return true;
	}
	return false;
}

bool
idna_domain_valid(const char *p, size_t len)
{
	char d[IDNA_DOMAIN_MAX + 1];
	uint8_t *out = NULL;
	size_t i;
	int rc;

	if (!idna_needs_check(p, len))
		return true;
	if (len > IDNA_DOMAIN_MAX || memchr(p, '\0', len) != NULL)
		return false;
	for (i = 0; i < len; i++)
		d[i] = p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] - 'A' + 'a')
		                                  : p[i];
	d[len] = '\0';
	rc = idn2_lookup_u8((const uint8_t *)d, &out,
	                    IDN2_NO_TR46 | IDN2_ALABEL_ROUNDTRIP);
	free(out);
	return rc == IDN2_OK;
}
