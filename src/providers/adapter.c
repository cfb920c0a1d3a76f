/*
 * adapter.c - the table of built-in provider types, and adapter life cycle.
 *
 * Adding a provider type is one file defining its struct adapter_ops and
 * one line in adapter_types[] below.
 */
#include "providers/adapter.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "providers/providers_http.h"

static const struct adapter_ops *const adapter_types[] = {
    &adapter_smtp_ops,
    &adapter_ses_ops,
    &adapter_sendgrid_ops,
    &adapter_mailgun_ops,
    &adapter_postmark_ops,
    &adapter_resend_ops,
    NULL,
};

/* The test seam's stand-in type, or NULL (production). */
static const struct adapter_ops *adapter_test_ops;

void
adapter_ops_test_set(const struct adapter_ops *ops)
{
	adapter_test_ops = ops;
}

const struct adapter_ops *
adapter_ops_find(const char *type)
{
	size_t i;

	if (adapter_test_ops != NULL && type != NULL &&
	    strcmp(adapter_test_ops->type, type) == 0)
		return adapter_test_ops;
	for (i = 0; type != NULL && adapter_types[i] != NULL; i++)
		if (strcmp(adapter_types[i]->type, type) == 0)
			return adapter_types[i];
	return NULL;
}

struct adapter *
adapter_new(const struct config_provider *cfg, const struct adapter_env *env)
{
	const struct adapter_ops *ops = adapter_ops_find(cfg->type);
	struct adapter *a;

	if (ops == NULL) {
		log_error("provider %s: no adapter for type \"%s\"", cfg->name,
		          cfg->type ? cfg->type : "");
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->ops = ops;
	a->cfg = cfg;
	a->env = env;
	if (ops->init != NULL && ops->init(a) != 0) {
		free(a);
		return NULL;
	}
	return a;
}

void
adapter_free(struct adapter *a)
{
	if (a == NULL)
		return;
	if (a->ops->fini != NULL)
		a->ops->fini(a);
	free(a);
}
