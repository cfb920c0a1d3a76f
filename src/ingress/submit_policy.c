/*
 * submit_policy.c - who may submit mail over SMTP.
 *
 * Network trust, credential checks and sender rules for the SMTP server,
 * and the strict base64 / PLAIN decoding AUTH needs. Everything here is a
 * pure function of the configuration and its arguments; the session owns
 * the dialogue, the replies and the logging.
 */
#include "ingress/submit_policy.h"

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "config/config.h"

bool
submit_policy_net_trusted(const struct config *cfg, const struct sockaddr *sa)
{
	struct sockaddr_in v4;
	size_t i;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		/* A dual-stack listener shows IPv4 peers as ::ffff:a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memset(&v4, 0, sizeof(v4));
			v4.sin_family = AF_INET;
			v4.sin_port = s6->sin6_port;
			memcpy(&v4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
			sa = (const struct sockaddr *)&v4;
		}
	}
	for (i = 0; i < cfg->n_networks; i++)
		if (config_net_contains(&cfg->networks[i], sa))
			return true;
	return false;
}

/* submit_policy_digest - SHA-256 of n bytes of p into md. */
static void
submit_policy_digest(const void *p, size_t n, unsigned char md[32])
{
	unsigned int mdlen = 32;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1)
		memset(md, 0xff, 32);
}

const struct config_user *
submit_policy_user_check(const struct config *cfg, struct str user,
                         struct str pass)
{
	static const char dummy[] = "swerve: no such user";
	const struct config_user *found = NULL, *u;
	unsigned char given[32], want[32];
	const char *pw;
	size_t i;
	int ok;

	for (i = 0; i < cfg->n_users; i++) {
		u = &cfg->users[i];
		if (strlen(u->name) == user.len &&
		    memcmp(u->name, user.p, user.len) == 0)
			found = u;
	}
	/*
	 * Hash both sides so the comparison is over equal lengths whatever
	 * the password lengths are, and do the same work for unknown users.
	 */
	pw = found && found->password ? found->password : dummy;
	submit_policy_digest(pass.p, pass.len, given);
	submit_policy_digest(pw, strlen(pw), want);
	ok = CRYPTO_memcmp(given, want, sizeof(want)) == 0;
	OPENSSL_cleanse(given, sizeof(given));
	OPENSSL_cleanse(want, sizeof(want));
	if (!ok || found == NULL || found->password == NULL)
		return NULL;
	return found;
}

bool
submit_policy_sender_allowed(const struct config_user *u, struct str sender)
{
	const char *at;
	struct str dom;
	size_t i;

	if (u == NULL)
		return true;
	/* The null sender escapes bounces and names no domain: "*" does not
	 * cover it. */
	if (sender.len == 0)
		return u->allow_null_sender;
	at = memrchr(sender.p, '@', sender.len);
	dom.p = at ? at + 1 : NULL;
	dom.len = at ? sender.len - (size_t)(at + 1 - sender.p) : 0;
	for (i = 0; i < u->n_from_domains; i++) {
		const char *d = u->from_domains[i];

		if (strcmp(d, "*") == 0)
			return true;
		if (dom.len > 0 && str_eq_nocase(dom, d))
			return true;
	}
	return false;
}

int
submit_policy_plain_split(const unsigned char *p, size_t len, struct str *user,
                          struct str *pass)
{
	const unsigned char *nul1, *nul2;
	struct str authz;

	nul1 = memchr(p, '\0', len);
	if (nul1 == NULL)
		return -1;
	nul2 = memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - p));
	if (nul2 == NULL ||
	    memchr(nul2 + 1, '\0', len - (size_t)(nul2 + 1 - p)) != NULL)
		return -1;
	authz.p = (const char *)p;
	authz.len = (size_t)(nul1 - p);
	user->p = (const char *)nul1 + 1;
	user->len = (size_t)(nul2 - nul1 - 1);
	pass->p = (const char *)nul2 + 1;
	pass->len = len - (size_t)(nul2 + 1 - p);
	if (user->len == 0 || pass->len == 0)
		return -1;
	/* We do not let one user act for another. */
	if (authz.len != 0 && (authz.len != user->len ||
	                       memcmp(authz.p, user->p, user->len) != 0))
		return -1;
	return 0;
}
