/*
 * result.c - names and small helpers for the delivery outcome vocabulary.
 *
 * Decides nothing: see send/policy.h for what an outcome means.
 */
#include "send/result.h"

#include <string.h>

static const char *const send_class_names[SEND_CLASS_COUNT] = {
    [SEND_ACCEPTED] = "accepted", [SEND_REJECTED] = "rejected",
    [SEND_DEFERRED] = "deferred", [SEND_THROTTLED] = "throttled",
    [SEND_CONFIG] = "config",     [SEND_UNKNOWN] = "unknown",
};

static const char *const send_stage_names[SEND_STAGE_COUNT] = {
    [SEND_STAGE_NONE] = "none",         [SEND_STAGE_CONNECT] = "connect",
    [SEND_STAGE_GREETING] = "greeting", [SEND_STAGE_EHLO] = "ehlo",
    [SEND_STAGE_STARTTLS] = "starttls", [SEND_STAGE_AUTH] = "auth",
    [SEND_STAGE_MAIL] = "mail",         [SEND_STAGE_RCPT] = "rcpt",
    [SEND_STAGE_DATA] = "data",         [SEND_STAGE_DOT] = "dot",
    [SEND_STAGE_REQUEST] = "request",   [SEND_STAGE_RESPONSE] = "response",
};

/* send_class_name - the class as a lower-case word. */
const char *
send_class_name(enum send_class c)
{
	if ((unsigned)c >= SEND_CLASS_COUNT)
		return "invalid";
	return send_class_names[c];
}

/* send_stage_name - the stage as a lower-case word. */
const char *
send_stage_name(enum send_stage s)
{
	if ((unsigned)s >= SEND_STAGE_COUNT)
		return "invalid";
	return send_stage_names[s];
}

/* send_result_init - zero r, then set class and stage. */
void
send_result_init(struct send_result *r, enum send_class c, enum send_stage s)
{
	memset(r, 0, sizeof(*r));
	r->class = c;
	r->stage = s;
}

/* send_result_text_set - sanitised, truncated copy into r->text. */
void
send_result_text_set(struct send_result *r, const char *text, size_t len)
{
	size_t i;

	if (len > sizeof(r->text) - 1)
		len = sizeof(r->text) - 1;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		r->text[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	r->text[len] = '\0';
}
