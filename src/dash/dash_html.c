/*
 * dash_html.c - escaping text for HTML element content and attributes:
 * the status page's cleaning and escaping (status/status_text.h), the
 * one pair of them in swerve.
 */
#include "dash/dash_html.h"

#include <stdlib.h>

#include "status/status_text.h"

void
dash_html_esc(struct buf *out, const char *s)
{
	char *clean;

	if (s == NULL)
		return;
	clean = status_text_clean(s);
	status_text_esc(out, clean);
	free(clean);
}
