/*
 * dash_html.h - text into the dashboard's HTML and SVG (contract).
 *
 * Everything the dashboard shows that came from outside its own source
 * (provider and stream names, circuit reasons, incident titles and
 * notes, key names) goes through dash_html_esc: cleaned to valid UTF-8
 * without control characters (each bad sequence or control other than
 * tab and newline becomes U+FFFD) and the five characters that can end
 * a text run or an attribute value written as entities, so hostile text
 * stays text in element content and in quoted attribute values alike.
 * The same rules as the status page's (status/status_text.h), which do
 * the work. Pure.
 */
#ifndef SWERVE_DASH_DASH_HTML_H
#define SWERVE_DASH_DASH_HTML_H

#include "core/buf.h"

/* dash_html_esc - append s (NULL: nothing) to out, escaped as above. */
void dash_html_esc(struct buf *out, const char *s);

#endif
