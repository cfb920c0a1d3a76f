/*
 * feedback.c - names of feedback event types and the fixed-field copy
 * the parsers use (see feedback.h).
 */
#include "spool/feedback.h"

#include <string.h>

static const char *const feedback_names[FEEDBACK_TYPE_COUNT] = {
    [FEEDBACK_SENT] = "sent",
    [FEEDBACK_DELIVERED] = "delivered",
    [FEEDBACK_DELAYED] = "delayed",
    [FEEDBACK_SOFT_BOUNCE] = "soft_bounce",
    [FEEDBACK_HARD_BOUNCE] = "hard_bounce",
    [FEEDBACK_COMPLAINT] = "complaint",
    [FEEDBACK_REJECTED] = "rejected",
    [FEEDBACK_UNSUBSCRIBE] = "unsubscribe",
    [FEEDBACK_OTHER] = "other",
};

const char *
feedback_type_name(enum feedback_type t)
{
	if ((unsigned)t >= FEEDBACK_TYPE_COUNT)
		return "other";
	return feedback_names[t];
}

int
feedback_type_parse(const char *name)
{
	for (int t = 0; t < FEEDBACK_TYPE_COUNT; t++)
		if (strcmp(feedback_names[t], name) == 0)
			return t;
	return -1;
}

void
feedback_set_n(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = 0;

	if (cap == 0)
		return;
	if (src != NULL) {
		const void *nul = memchr(src, '\0', len);

		if (nul != NULL)
			len = (size_t)((const char *)nul - src);
		n = len < cap - 1 ? len : cap - 1;
		/* Cut at a character boundary: drop continuation octets
		 * whose lead octet was cut away. */
		if (n < len)
			while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
				n--;
		memcpy(dst, src, n);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
				dst[i] = ' ';
	}
	dst[n] = '\0';
}

void
feedback_set(char *dst, size_t cap, const char *src)
{
	feedback_set_n(dst, cap, src, src != NULL ? strlen(src) : 0);
}

void
feedback_set_recipient(struct feedback_event *e, const char *addr)
{
	char *at;

	feedback_set(e->recipient, sizeof(e->recipient), addr);
	at = strrchr(e->recipient, '@');
	if (at == NULL)
		return;
	for (at++; *at != '\0'; at++)
		if (*at >= 'A' && *at <= 'Z')
			*at = (char)(*at - 'A' + 'a');
}
