/*
 * tls.c - OpenSSL contexts for swerve's TLS servers.
 *
 * Only context construction lives here: load the chain and the key, check
 * that they match, and pin the protocol floor at TLS 1.2. Per-connection
 * objects (SSL) are made by the sessions that use them.
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

SSL_CTX *
tls_server_ctx_new(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if (cert == NULL || key == NULL) {
		snprintf(err, errlen,
		         "tls: both a certificate and a key "
		         "are needed");
		return NULL;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		tls_err_format(err, errlen, "cannot create context for", cert);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		tls_err_format(err, errlen, "cannot set TLS 1.2 floor for",
		               cert);
		goto fail;
	}
	/*
	 * No compression (CRIME), no client-initiated renegotiation, and our
	 * cipher preference: the defaults of OpenSSL 3 are otherwise sane.
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
