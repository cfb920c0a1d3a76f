/*
 * config_status.c - the public_status: section: what the public status
 * page (src/status/) shows and how it is named.
 *
 *   listen:
 *     status: 0.0.0.0:8081           the page's own listener (optional)
 *   public_status:
 *     title: Example Mail            the page's name
 *     url: https://status.example.com/   where it is published (feeds)
 *     on_http: false                 also at /status/ on listen.http
 *     show_providers: false          providers as components (names!)
 *     show_drills: false             drill incidents on the page
 *     streams:                       components, in this order
 *       transactional: {name: Password reset emails, description: ...}
 *     providers:                     display names with show_providers
 *       ses: {name: Sending partner A}
 *
 * Rules spanning keys: url is http:// or https://; every stream and
 * provider named exists.
 */
#include "config/config_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S struct config_status_comp
static const struct config_key keys_status_comp[] = {
    {ROW("name", KEY_STR, 0), FIELD(S, name)},
    {ROW("description", KEY_STR, 0), FIELD(S, description)},
    {.name = NULL},
};
#undef S

/* status_comp_init - nothing set. */
static void
status_comp_init(void *elem)
{
	memset(elem, 0, sizeof(struct config_status_comp));
}

/* status_comp_fini - free one entry. */
static void
status_comp_fini(void *elem)
{
	struct config_status_comp *s = elem;

	free(s->id);
	free(s->name);
	free(s->description);
	memset(s, 0, sizeof(*s));
}

static const struct key_list list_status_comps = {
    .elem_size = sizeof(struct config_status_comp),
    .keys = keys_status_comp,
    .init = status_comp_init,
    .fini = status_comp_fini,
    .name_off = offsetof(struct config_status_comp, id),
};

#define C struct config
const struct config_key config_keys_public_status[] = {
    {ROW("title", KEY_STR, 0), FIELD(C, public_status.title)},
    {ROW("url", KEY_STR, 0), FIELD(C, public_status.url)},
    {ROW("on_http", KEY_BOOL, 0), FIELD(C, public_status.on_http)},
    {ROW("show_providers", KEY_BOOL, 0),
     FIELD(C, public_status.show_providers)},
    {ROW("show_drills", KEY_BOOL, 0), FIELD(C, public_status.show_drills)},
    {ROW("streams", KEY_NAMED, 0), FIELD(C, public_status.streams),
     COUNT(C, public_status.n_streams), .list = &list_status_comps},
    {ROW("providers", KEY_NAMED, 0), FIELD(C, public_status.providers),
     COUNT(C, public_status.n_providers), .list = &list_status_comps},
    {.name = NULL},
};
#undef C

/* config_status_line - the line of public_status.<key> (1 if absent). */
static int
config_status_line(const struct config_node *root, const char *key)
{
	const struct config_pair *sec = config_tree_get(root, "public_status");
	const struct config_pair *p =
	    sec != NULL ? config_tree_get(sec->value, key) : NULL;

	return p != NULL ? p->line : sec != NULL ? sec->line : 1;
}

int
config_status_check(struct config_ctx *x, const struct config_node *root,
                    const struct config *c)
{
	const struct config_public_status *ps = &c->public_status;
	char kpath[CONFIG_PATH_SIZE];
	size_t i, j;

	if (ps->url != NULL && strncmp(ps->url, "https://", 8) != 0 &&
	    strncmp(ps->url, "http://", 7) != 0)
		return config_error(x, config_status_line(root, "url"),
		                    "public_status.url",
		                    "expected an http:// or https:// URL");
	for (i = 0; i < ps->n_streams; i++)
		if (!config_stream_known(c, ps->streams[i].id)) {
			snprintf(kpath, sizeof(kpath), "public_status.streams");
			return config_error(
			    x, config_status_line(root, "streams"), kpath,
			    "no stream named \"%s\"", ps->streams[i].id);
		}
	for (i = 0; i < ps->n_providers; i++) {
		for (j = 0; j < c->n_providers; j++)
			if (strcmp(c->providers[j].name, ps->providers[i].id) ==
			    0)
				break;
		if (j == c->n_providers)
			return config_error(
			    x, config_status_line(root, "providers"),
			    "public_status.providers",
			    "no provider named \"%s\"", ps->providers[i].id);
	}
	return 0;
}

void
config_status_free(struct config *c)
{
	struct config_public_status *ps = &c->public_status;
	size_t i;

	free(ps->title);
	free(ps->url);
	for (i = 0; i < ps->n_streams; i++)
		status_comp_fini(&ps->streams[i]);
	free(ps->streams);
	for (i = 0; i < ps->n_providers; i++)
		status_comp_fini(&ps->providers[i]);
	free(ps->providers);
	memset(ps, 0, sizeof(*ps));
}
