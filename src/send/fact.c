/*
 * fact.c - names for the kinds of facts (logs, the fallback text of a
 * result). Decides nothing: see send/policy.h.
 */
#include "send/fact.h"

static const char *const send_fact_kind_names[SEND_FACT_KIND_COUNT] = {
    [SEND_FACT_REPLY] = "reply",     [SEND_FACT_REFUSED] = "refused",
    [SEND_FACT_TIMEOUT] = "timeout", [SEND_FACT_LOST] = "lost",
    [SEND_FACT_TLS] = "tls",         [SEND_FACT_NO_STARTTLS] = "no-starttls",
    [SEND_FACT_NO_AUTH] = "no-auth", [SEND_FACT_PROTOCOL] = "protocol",
    [SEND_FACT_LOCAL] = "local",     [SEND_FACT_NO_EXTENSION] = "no-extension",
};

/* send_fact_kind_name - the kind as a short word. */
const char *
send_fact_kind_name(enum send_fact_kind k)
{
	if ((unsigned)k >= SEND_FACT_KIND_COUNT)
		return "invalid";
	return send_fact_kind_names[k];
}
