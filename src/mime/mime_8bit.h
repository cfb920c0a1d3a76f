/*
 * mime_8bit.h - what a message needs of an SMTP server because of its
 * 8-bit octets, and the RFC 6152 downgrade to 7 bits (contract).
 *
 * Pure functions over the bytes of a message as spooled (RFC 5322, CRLF
 * line ends) and its envelope: no I/O, no state. The SMTP relay adapter
 * uses them to fill what the SMTP client declares (SMTPUTF8, BODY=8BITMIME)
 * and to convert a message for a server without 8BITMIME; the fuzzer and
 * the unit tests call them directly.
 *
 * An octet is 8-bit when it is 0x80 or above. The header section is the
 * message's own (mime/header.h decides where it ends); the body is
 * everything after it, MIME part headers included.
 */
#ifndef SWERVE_MIME_MIME_8BIT_H
#define SWERVE_MIME_MIME_8BIT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

#define MIME_8BIT_HEADER 0x1u /* an 8-bit octet in the header section */
#define MIME_8BIT_BODY 0x2u   /* an 8-bit octet in the body */

/* mime_8bit_scan - where msg[0..len) holds 8-bit octets: MIME_8BIT_* bits
 * (0: the message is 7-bit). */
unsigned mime_8bit_scan(const char *msg, size_t len);

/*
 * mime_8bit_needs_smtputf8 - does this message need the SMTPUTF8 extension
 * (RFC 6531 3.2): a non-ASCII envelope sender or recipient, or UTF-8 (any
 * 8-bit octet) in the message's header section? sender and rcpts[0..n) are
 * NUL-terminated; sender may be "" (the null sender) or NULL.
 */
bool mime_8bit_needs_smtputf8(const char *sender, const char *const *rcpts,
                              size_t n, const char *msg, size_t len);

/*
 * mime_8bit_downgrade - the RFC 6152 section 3 conversion of msg[0..len)
 * for a server that does not offer 8BITMIME: every MIME leaf part whose
 * content holds 8-bit octets (and is 7bit, 8bit, binary or unlabelled) is
 * re-encoded as quoted-printable (RFC 2045 6.7), its
 * Content-Transfer-Encoding field replaced by "quoted-printable"; every
 * other byte is kept: header fields, multipart structure (boundaries,
 * preambles and epilogues), 7-bit parts, encapsulated message/rfc822
 * headers. A multipart or message/rfc822 entity labelled 8bit or binary
 * loses that label (7bit is the default). The top level gets
 * "MIME-Version: 1.0" if it has none and something was converted.
 *
 * Appends the 7-bit message to out (which the caller owns) and returns 0.
 * Returns -1 and writes a short reason into why (whylen > 0) when the
 * message cannot be converted: 8-bit octets in a header section (the
 * message's or a part's: that needs SMTPUTF8), in a preamble or epilogue,
 * in a base64 or quoted-printable part, a message/global part, a multipart
 * without a usable boundary, or nesting deeper than 32 levels. out may
 * then hold a partial result.
 */
int mime_8bit_downgrade(const char *msg, size_t len, struct buf *out, char *why,
                        size_t whylen);

#endif
