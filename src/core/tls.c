/*
 * tls.c - OpenSSL contexts for swerve's TLS servers.
 *
 * Only context construction lives here: apply the policy (protocol floor,
 * cipher suites), load the chain and the key, check that they match.
 * Per-connection objects (SSL) are made by the sessions that use them.
 */
#include "core/tls.h"

#include <stdio.h>

#include <openssl/err.h>

/* tls_err_format - "what file: OpenSSL reason" into err; clears the queue. */
static void
tls_err_format(char *err, size_t errlen, const char *what, const char *file)
{
	char reason[256];
	unsigned long e;

	e = ERR_peek_last_error();
	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "unknown error");
	ERR_clear_error();
	snprintf(err, errlen, "tls: %s %s: %s", what, file ? file : "(none)",
	         reason);
}

void
tls_policy_default(struct tls_policy *pol)
{
	pol->min_version = TLS1_2_VERSION;
	pol->ciphers = TLS_CIPHERS_DEFAULT;
	pol->ciphersuites = TLS_CIPHERSUITES_DEFAULT;
}

/* tls_policy_apply - pol onto ctx. 0, or -1 with err set. */
static int
tls_policy_apply(SSL_CTX *ctx, const struct tls_policy *pol, char *err,
                 size_t errlen)
{
	if (pol->min_version != TLS1_2_VERSION &&
	    pol->min_version != TLS1_3_VERSION) {
		snprintf(err, errlen, "tls: unsupported minimum version 0x%x",
		         (unsigned)pol->min_version);
		return -1;
	}
	if (SSL_CTX_set_min_proto_version(ctx, pol->min_version) != 1) {
		tls_err_format(err, errlen, "cannot set minimum version", NULL);
		return -1;
	}
	/* Fails when the list names no suite OpenSSL knows. */
	if (SSL_CTX_set_cipher_list(ctx, pol->ciphers) != 1) {
		tls_err_format(err, errlen, "no usable suite in ciphers",
		               pol->ciphers);
		return -1;
	}
	if (SSL_CTX_set_ciphersuites(ctx, pol->ciphersuites) != 1) {
		tls_err_format(err, errlen, "no usable suite in ciphersuites",
		               pol->ciphersuites);
		return -1;
	}
	/*
	 * DHE suites need a group: let OpenSSL pick one of the RFC 7919
	 * groups sized to the certificate's key, as Mozilla's profile does
	 * with ffdhe2048.
	 */
	if (SSL_CTX_set_dh_auto(ctx, 1) != 1) {
		tls_err_format(err, errlen, "cannot enable DHE groups", NULL);
		return -1;
	}
	return 0;
}

int
tls_policy_check(const struct tls_policy *pol, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	int rc;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		tls_err_format(err, errlen, "cannot create context", NULL);
		return -1;
	}
	rc = tls_policy_apply(ctx, pol, err, errlen);
	SSL_CTX_free(ctx);
	return rc;
}

SSL_CTX *
tls_server_ctx_new(const char *cert, const char *key,
                   const struct tls_policy *pol, char *err, size_t errlen)
{
	struct tls_policy def;
	SSL_CTX *ctx;

	if (cert == NULL || key == NULL) {
		snprintf(err, errlen,
		         "tls: both a certificate and a key "
		         "are needed");
		return NULL;
	}
	if (pol == NULL) {
		tls_policy_default(&def);
		pol = &def;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		tls_err_format(err, errlen, "cannot create context for", cert);
		return NULL;
	}
	if (tls_policy_apply(ctx, pol, err, errlen) != 0)
		goto fail;
	/*
	 * No compression (CRIME), no client-initiated renegotiation, and our
	 * cipher preference (every suite the policy allows is strong; the
	 * order only decides among them).
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	                             SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_err_format(err, errlen, "cannot load certificate", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_err_format(err, errlen, "cannot load key", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_err_format(err, errlen, "key does not match certificate",
		               key);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
