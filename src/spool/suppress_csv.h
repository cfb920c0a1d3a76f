/*
 * suppress_csv.h - the suppression list's CSV form, for swervectl's
 * import and export (pure; no I/O).
 *
 * One entry a line: address,reason,created,expires,provider
 *   address   local@domain (required)
 *   reason    hard_bounce, complaint, unsubscribe, soft_bounce, manual or
 *             import; empty: import
 *   created   RFC 3339 date-time; empty: now
 *   expires   RFC 3339 date-time; empty: never
 *   provider  free text (who reported it), may be empty
 * A first line naming the columns ("address,reason,...") is a header and
 * skipped; blank lines are skipped; fields may be quoted as RFC 4180
 * says ("" inside quotes is one "). Line ends LF or CRLF. A row with
 * fewer than one or more than five fields, an address that is not
 * local@domain, an unknown reason, a bad date-time or an expiry not
 * after its creation is malformed: the parse fails naming its line, and
 * nothing is taken (an import is all or nothing, so running it twice
 * gives the same list).
 */
#ifndef SWERVE_SPOOL_SUPPRESS_CSV_H
#define SWERVE_SPOOL_SUPPRESS_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "spool/suppress.h"

/* The most malformed lines one parse reports in err. */
#define SUPPRESS_CSV_ERRORS_MAX 10

/*
 * suppress_csv_parse - buf[0..len) into *out (one malloc'd array the
 * caller frees; *n entries, tenant ""), created defaulting to now_ms.
 * 0, or -1 with err listing up to SUPPRESS_CSV_ERRORS_MAX malformed
 * lines ("line 3: reason: unknown 'bounce'; line 9: ...") and *out
 * NULL.
 */
int suppress_csv_parse(const char *buf, size_t len, int64_t now_ms,
                       struct suppress_entry **out, size_t *n, char *err,
                       size_t errlen);

/* suppress_csv_header - append the header line (LF-terminated). */
void suppress_csv_header(struct buf *b);

/* suppress_csv_row - append e as one line (fields quoted when needed). */
void suppress_csv_row(struct buf *b, const struct suppress_entry *e);

#endif
