/*
 * tls.c - OpenSSL contexts for swerve's TLS servers.
 *
 * Only context construction lives here: apply the policy (protocol floor,
 * cipher suites), load the chain and the key, check that they match.
 * Per-connection objects (SSL) are made by the sessions that use them.
 */
#include "core/tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/dh.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "core/base64.h"

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

/*
 * tls_dh_set - the group for TLS 1.2 DHE suites: ffdhe2048 (RFC 7919), as
 * Mozilla's profile says. OpenSSL's automatic choice would be the older
 * RFC 3526 group, which scanners flag as a widely shared prime.
 */
static int
tls_dh_set(SSL_CTX *ctx, char *err, size_t errlen)
{
	EVP_PKEY_CTX *pctx;
	EVP_PKEY *dh = NULL;
	int ok;

	pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	ok = pctx != NULL && EVP_PKEY_paramgen_init(pctx) == 1 &&
	     EVP_PKEY_CTX_set_dh_nid(pctx, NID_ffdhe2048) == 1 &&
	     EVP_PKEY_paramgen(pctx, &dh) == 1;
	EVP_PKEY_CTX_free(pctx);
	/* On success the context owns dh. */
	if (ok && SSL_CTX_set0_tmp_dh_pkey(ctx, dh) == 1)
		return 0;
	EVP_PKEY_free(dh);
	tls_err_format(err, errlen, "cannot set the DHE group", "ffdhe2048");
	return -1;
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
	return tls_dh_set(ctx, err, errlen);
}

/* tls_identity_load - our certificate chain and its key onto ctx. 0, or
 * -1 with err naming the file. */
static int
tls_identity_load(SSL_CTX *ctx, const char *cert, const char *key, char *err,
                  size_t errlen)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_err_format(err, errlen, "cannot load certificate", cert);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_err_format(err, errlen, "cannot load key", key);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_err_format(err, errlen, "key does not match certificate",
		               key);
		return -1;
	}
	return 0;
}

int
tls_cert_pin(const char *cert, char *out, char *err, size_t errlen)
{
	unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
	X509 *x = NULL;
	FILE *f;
	int n, rc = -1;

	ERR_clear_error();
	f = fopen(cert, "r");
	if (f == NULL) {
		snprintf(err, errlen, "tls: cannot open %s: %s", cert,
		         strerror(errno));
		return -1;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		tls_err_format(err, errlen, "cannot read certificate", cert);
		return -1;
	}
	n = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	if (n <= 0) {
		tls_err_format(err, errlen, "no public key in", cert);
		goto done;
	}
	SHA256(der, (size_t)n, md);
	memcpy(out, "sha256//", 8);
	/* 44 characters of base64 and a NUL: fits TLS_PIN_SIZE. */
	base64_encode_mem(out + 8, md, sizeof(md));
	rc = 0;
done:
	OPENSSL_free(der);
	X509_free(x);
	return rc;
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
	if (tls_identity_load(ctx, cert, key, err, errlen) != 0)
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *
tls_client_ctx_new(const char *ca_file, const char *cert, const char *key,
                   char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if ((cert == NULL) != (key == NULL)) {
		snprintf(err, errlen,
		         "tls: a client certificate and its key go together");
		return NULL;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		tls_err_format(err, errlen, "cannot create client context",
		               NULL);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		tls_err_format(err, errlen, "cannot set minimum version", NULL);
		goto fail;
	}
	if (ca_file != NULL &&
	    SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		tls_err_format(err, errlen, "cannot load CA certificates",
		               ca_file);
		goto fail;
	}
	if (ca_file == NULL && SSL_CTX_set_default_verify_paths(ctx) != 1) {
		tls_err_format(err, errlen,
		               "cannot load the system trust store", NULL);
		goto fail;
	}
	if (cert != NULL && tls_identity_load(ctx, cert, key, err, errlen) != 0)
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
