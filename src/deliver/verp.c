/*
 * verp.c - VERP envelope senders with an HMAC (see verp.h).
 *
 * The mac covers the message id in upper case and the index as written,
 * so the forms swerve writes are the only ones that verify: a leading
 * zero, a sign or a lower-case id in a forged address changes the text
 * the mac is computed over. Decoding normalises only what MTAs are known
 * to alter (the case of the local part) before computing it.
 */
#include "deliver/verp.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* verp_mac - the hex mac of "<msgid>-<idx>" under key into hex. */
static int
verp_mac(const unsigned char *key, size_t keylen, const char *msg_id,
         const char *idx, char hex[VERP_MAC_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char text[ID_SIZE + 16];
	int n, i;

	n = snprintf(text, sizeof(text), "%s-%s", msg_id, idx);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)text,
	         (size_t)n, md, &mdlen) == NULL ||
	    mdlen < VERP_MAC_HEX / 2)
		return -1;
	for (i = 0; i < VERP_MAC_HEX / 2; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[VERP_MAC_HEX] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int
verp_encode(const unsigned char *key, size_t keylen, const char *msg_id,
            int idx, const char *domain, char *out, size_t outlen)
{
	char ix[16], mac[VERP_MAC_HEX + 1];
	int n;

	if (key == NULL || keylen < VERP_KEY_MIN || msg_id == NULL ||
	    !id_valid(msg_id) || domain == NULL || domain[0] == '\0' ||
	    strchr(domain, '@') != NULL ||
	    (idx != VERP_IDX_SEVERAL && (idx < 0 || idx > VERP_IDX_MAX)))
		return -1;
	if (idx == VERP_IDX_SEVERAL)
		snprintf(ix, sizeof(ix), "x");
	else
		snprintf(ix, sizeof(ix), "%d", idx);
	if (verp_mac(key, keylen, msg_id, ix, mac) != 0)
		return -1;
	n = snprintf(out, outlen, "b-%s-%s-%s@%s", msg_id, ix, mac, domain);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

/* verp_upper - ASCII upper case of c. */
static char
verp_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* verp_lower - ASCII lower case of c. */
static char
verp_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * verp_idx_read - the index field p[0..n): "x", or decimal without a
 * leading zero (but "0"), at most 6 digits. Writes it as the mac reads it.
 */
static int
verp_idx_read(const char *p, size_t n, int *idx, char ix[16])
{
	size_t i;
	int v = 0;

	if (n == 1 && (p[0] == 'x' || p[0] == 'X')) {
		*idx = VERP_IDX_SEVERAL;
		snprintf(ix, 16, "x");
		return 0;
	}
	if (n == 0 || n > 6 || (n > 1 && p[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*idx = v;
	snprintf(ix, 16, "%d", v);
	return 0;
}

enum verp_status
verp_decode(const unsigned char *key, size_t keylen, const char *addr,
            char msg_id[ID_SIZE], int *idx, const char **domain,
            size_t *domain_len)
{
	char ix[16], mac[VERP_MAC_HEX + 1], got[VERP_MAC_HEX + 1];
	const char *at, *p, *dash;
	size_t i, len;

	if (key == NULL || keylen < VERP_KEY_MIN || addr == NULL)
		return VERP_MALFORMED;
	at = strrchr(addr, '@');
	/* A domain name has at most 253 octets (RFC 1035, as text). */
	if (at == NULL || at[1] == '\0' || strchr(addr, '@') != at ||
	    strlen(at + 1) > 253)
		return VERP_MALFORMED;
	len = (size_t)(at - addr);
	/* b- id - idx - mac */
	if (len < 2 + ID_LEN + 1 + 1 + 1 + VERP_MAC_HEX ||
	    verp_lower(addr[0]) != 'b' || addr[1] != '-')
		return VERP_MALFORMED;
	p = addr + 2;
	for (i = 0; i < ID_LEN; i++)
		msg_id[i] = verp_upper(p[i]);
	msg_id[ID_LEN] = '\0';
	if (!id_valid(msg_id) || p[ID_LEN] != '-')
		return VERP_MALFORMED;
	p += ID_LEN + 1;
	dash = memchr(p, '-', (size_t)(at - p));
	if (dash == NULL ||
	    verp_idx_read(p, (size_t)(dash - p), idx, ix) != 0 ||
	    (size_t)(at - dash - 1) != VERP_MAC_HEX)
		return VERP_MALFORMED;
	for (i = 0; i < VERP_MAC_HEX; i++) {
		char c = verp_lower(dash[1 + i]);

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return VERP_MALFORMED;
		got[i] = c;
	}
	got[VERP_MAC_HEX] = '\0';
	if (verp_mac(key, keylen, msg_id, ix, mac) != 0)
		return VERP_MALFORMED;
	if (CRYPTO_memcmp(mac, got, VERP_MAC_HEX) != 0)
		return VERP_FORGED;
	*domain = at + 1;
	*domain_len = strlen(at + 1);
	return VERP_OK;
}
