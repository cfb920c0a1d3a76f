/*
 * idna.h - internationalised domain names checked as IDNA2008 (contract).
 *
 * A domain in an address may carry U-labels (SMTPUTF8, RFC 6531; header
 * fields, RFC 6532) or A-labels ("xn--..."). Bytes that pass a parser's
 * "8-bit is allowed" rule can still spell a bidi override, a zero-width
 * space or joiner, or a look-alike that IDNA2008 disallows, and make a
 * domain that reads as another. Every parser that accepts a domain asks
 * here before it does. Pure; no allocation visible to the caller;
 * thread-safe.
 */
#ifndef SWERVE_CORE_IDNA_H
#define SWERVE_CORE_IDNA_H

#include <stdbool.h>
#include <stddef.h>

/*
 * idna_domain_valid - may the len bytes at p (a domain without brackets,
 * not an address literal) stand as a domain? A domain of ASCII labels none
 * of which starts with "xn--" is left to the caller's LDH rules (true).
 * Otherwise the domain, ASCII letters lowered, must pass libidn2's
 * IDNA2008 lookup without TR46 mapping (U-labels in NFC, CONTEXTJ/O and
 * bidi rules, A-labels that decode and round-trip).
 */
bool idna_domain_valid(const char *p, size_t len);

#endif
