/*
 * header_edit.h - remove a field from a message's header section
 * (contract).
 *
 * Pure, in place, over a struct buf holding a whole message (CRLF or bare
 * LF line ends). Used by ingress to strip fields that are instructions to
 * swerve (X-Swerve-Idempotency-Key) before the message is stored and
 * relayed. The header section ends as mime_header_len() says.
 */
#ifndef SWERVE_MIME_HEADER_EDIT_H
#define SWERVE_MIME_HEADER_EDIT_H

#include <stddef.h>

#include "core/buf.h"

/*
 * mime_header_take - remove every field named name (ASCII
 * case-insensitive, with its continuation lines) from the header section
 * of msg[off..]. When value is not NULL, *value is a new string holding
 * the first such field's value, unfolded, outer blanks trimmed (NULL when
 * there was none; the caller frees it). Returns how many fields were
 * removed.
 */
size_t mime_header_take(struct buf *msg, size_t off, const char *name,
                        char **value);

#endif
