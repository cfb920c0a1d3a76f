/*
 * tls.h - OpenSSL contexts for swerve's TLS servers (contract).
 *
 * Builds an SSL_CTX from PEM files: the certificate chain and its private
 * key. Protocols below TLS 1.2 are refused; compression and renegotiation
 * are off; the server's cipher order wins. Nothing here does I/O on sockets:
 * sessions wrap their bufferevents with bufferevent_openssl themselves.
 */
#ifndef SWERVE_CORE_TLS_H
#define SWERVE_CORE_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/*
 * tls_server_ctx_new - a server SSL_CTX from cert (PEM chain, leaf first)
 * and key (PEM private key). Returns a new context (caller frees it with
 * SSL_CTX_free), or NULL with a one-line message in err naming the file
 * and OpenSSL's reason.
 */
SSL_CTX *tls_server_ctx_new(const char *cert, const char *key, char *err,
                            size_t errlen);

#endif
