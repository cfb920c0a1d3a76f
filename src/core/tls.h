/*
 * tls.h - OpenSSL contexts for swerve's TLS servers, and for its clients
 * that present a certificate or trust a private CA (contract).
 *
 * Builds an SSL_CTX from PEM files (the certificate chain and its private
 * key) under a policy: the lowest protocol version and the cipher suites
 * for TLS 1.2 and TLS 1.3. The default policy is Mozilla's "intermediate"
 * profile: TLS 1.2 and 1.3 only, forward-secret key exchange (ECDHE, DHE
 * over the ffdhe2048 group) with AEAD ciphers (AES-GCM, ChaCha20-Poly1305); no
 * static RSA key exchange, no CBC, no SHA-1 MACs. Compression and renegotiation
 * are off; the server's cipher order wins. Nothing here does I/O on sockets:
 * sessions wrap their bufferevents with bufferevent_openssl themselves.
 */
#ifndef SWERVE_CORE_TLS_H
#define SWERVE_CORE_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* Mozilla "intermediate" TLS 1.2 suites (OpenSSL names), preferred first. */
#define TLS_CIPHERS_DEFAULT                                                    \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"           \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"                 \
	"DHE-RSA-CHACHA20-POLY1305"

/* The TLS 1.3 suites (all AEAD and forward-secret by design). */
#define TLS_CIPHERSUITES_DEFAULT                                               \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"                       \
	"TLS_CHACHA20_POLY1305_SHA256"

/* What a server context accepts. Strings are borrowed. */
struct tls_policy {
	int min_version;          /* TLS1_2_VERSION or TLS1_3_VERSION */
	const char *ciphers;      /* TLS 1.2 list, OpenSSL syntax */
	const char *ciphersuites; /* TLS 1.3 list, OpenSSL syntax */
};

/* tls_policy_default - fill pol with the defaults described above. */
void tls_policy_default(struct tls_policy *pol);

/*
 * tls_policy_check - does OpenSSL accept pol (a known version, cipher
 * strings that name at least one suite)? 0, or -1 with a one-line reason
 * in err. Reads no files; used to validate a configuration.
 */
int tls_policy_check(const struct tls_policy *pol, char *err, size_t errlen);

/*
 * tls_server_ctx_new - a server SSL_CTX from cert (PEM chain, leaf first)
 * and key (PEM private key) under pol (NULL: the defaults). Returns a new
 * context (caller frees it with SSL_CTX_free), or NULL with a one-line
 * message in err naming the file and OpenSSL's reason.
 */
SSL_CTX *tls_server_ctx_new(const char *cert, const char *key,
                            const struct tls_policy *pol, char *err,
                            size_t errlen);

/*
 * tls_client_ctx_new - a client SSL_CTX (TLS 1.2 or later) that verifies
 * peers against the PEM CA certificates in ca_file (NULL: the system's
 * trust store) and, when cert is set, presents the client certificate
 * chain cert with its PEM private key key (both or neither). Verification
 * itself is switched on per connection by the caller. Returns a new
 * context (caller frees it with SSL_CTX_free), or NULL with a one-line
 * message in err naming the file and OpenSSL's reason.
 */
SSL_CTX *tls_client_ctx_new(const char *ca_file, const char *cert,
                            const char *key, char *err, size_t errlen);

/*
 * tls_cert_pin - the pin of the public key in the PEM certificate file
 * cert (its first certificate), as curl's CURLOPT_PINNEDPUBLICKEY takes
 * it: "sha256//" and the base64 SHA-256 of the DER SubjectPublicKeyInfo.
 * Writes it to out (TLS_PIN_SIZE bytes); 0, or -1 with err set.
 */
#define TLS_PIN_SIZE 64
int tls_cert_pin(const char *cert, char *out, char *err, size_t errlen);

#endif
