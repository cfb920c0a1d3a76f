/*
 * feedback_report.h - what the bounce mailbox's two parsers share:
 * reading a multipart/report (RFC 6522) and its field blocks (contract;
 * used by feedback_dsn.c and feedback_arf.c).
 *
 * Pure functions over a parsed message (mime/mime.h): no I/O, no
 * logging. Strings written into fixed fields go through feedback_set().
 */
#ifndef SWERVE_INGRESS_FEEDBACK_REPORT_H
#define SWERVE_INGRESS_FEEDBACK_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "spool/feedback.h"

struct mime_msg;
struct mime_part;

/* feedback_report_part - the first entity of m whose type is one of
 * types (NULL-terminated list, lower case), depth first; or NULL. */
const struct mime_part *feedback_report_part(const struct mime_msg *m,
                                             const char *const *types);

/* One field of a block, unfolded and trimmed (borrowed views). */
typedef void feedback_report_field_fn(const char *name, size_t nlen,
                                      const char *value, size_t vlen,
                                      void *arg);

/*
 * feedback_report_blocks - walk the field blocks of p[0..len) (blocks
 * are separated by empty lines; a line that is not a field is skipped):
 * field(name, value) for each field, then end(block index) after each
 * block that had a field. Values are unfolded (line breaks of
 * continuation lines removed) and trimmed; longer than 4 KiB: cut.
 */
void feedback_report_blocks(const char *p, size_t len,
                            feedback_report_field_fn *field,
                            void (*end)(size_t block, void *arg), void *arg);

/*
 * feedback_report_addr - an address field's value ("rfc822; <A@Ex.COM>",
 * "utf-8; a@b", or a bare address) into dst[0..cap): the address
 * without its type, angle brackets or blanks (an event's recipient then
 * goes through feedback_set_recipient, which lower-cases the domain);
 * "" when there is none.
 */
void feedback_report_addr(char *dst, size_t cap, const char *v, size_t n);

/*
 * feedback_report_header - the value of the first field name in the
 * header section of the original message or headers carried in part p
 * (message/rfc822, text/rfc822-headers, message/global(-headers)), or of
 * m's own header when p is NULL, unfolded and trimmed, into dst[0..cap);
 * false when there is none.
 */
bool feedback_report_header(const struct mime_msg *m, const struct mime_part *p,
                            const char *name, char *dst, size_t cap);

/* feedback_report_original - the part carrying the original message or
 * its headers, or NULL. */
const struct mime_part *feedback_report_original(const struct mime_msg *m);

/*
 * feedback_report_event_id - e->event_id from the report's Message-ID
 * (msgid, may be "") and e->recipient: "<msgid> <recipient>" when it
 * fits, else "sha256:" and 32 hex digits of a digest of the two; with no
 * Message-ID the digest is over the whole report body instead, so a
 * report sent twice is still one event.
 */
void feedback_report_event_id(struct feedback_event *e, const char *msgid,
                              const char *body, size_t len);

/* feedback_report_is - name[0..nlen) is field f (ASCII case-insensitive). */
bool feedback_report_is(const char *name, size_t nlen, const char *f);

/* feedback_report_smtp_code - the reply code at the start of text ("550
 * 5.1.1 ..."), after a "smtp;" type; 0 when there is none. */
int feedback_report_smtp_code(const char *text);

#endif
