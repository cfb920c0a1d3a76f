/*
 * status_text.h - text forms the status page renderers share (contract).
 *
 * Pure functions: cleaning untrusted text to valid UTF-8, escaping for
 * HTML and XML, and the two date formats the page uses. No I/O, no
 * locale, no time zone database (everything is UTC).
 */
#ifndef SWERVE_STATUS_STATUS_TEXT_H
#define SWERVE_STATUS_STATUS_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define STATUS_TEXT_DATE_SIZE 40

/*
 * status_text_clean - a malloc'd copy of s (NULL: "") that is valid
 * UTF-8 without control characters: each invalid or overlong sequence,
 * surrogate, and control character other than TAB and LF (C0, DEL, C1)
 * becomes U+FFFD; CR LF and lone CR become LF. The caller frees it.
 */
char *status_text_clean(const char *s);

/*
 * status_text_esc - append s to b with & < > " ' as character references
 * (&amp; &lt; &gt; &quot; &#39;): safe in HTML and XML text and in
 * double- or single-quoted attributes. s should be clean (see above).
 */
void status_text_esc(struct buf *b, const char *s);

/* status_text_rfc3339 - "2026-12-08T01:02:03.456Z" for ms since the
 * epoch (UTC, milliseconds). out has STATUS_TEXT_DATE_SIZE bytes. */
void status_text_rfc3339(char *out, int64_t ms);

/* status_text_rfc822 - "Tue, 08 Dec 2026 01:02:03 +0000" (RSS 2.0's
 * dates, RFC 822 with a four-digit year). */
void status_text_rfc822(char *out, int64_t ms);

/* status_text_human - "8 Dec 2026, 01:02 UTC" (what people read). */
void status_text_human(char *out, int64_t ms);

/* status_text_day - "2026-12-08" for the UTC day ms falls in. */
void status_text_day(char *out, int64_t ms);

#endif
