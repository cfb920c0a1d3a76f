/*
 * config_walk.c - apply one YAML map to a struct through a key table.
 *
 * For each key of the map: find its row (unknown keys are errors, naming
 * the keys that would do), refuse a second occurrence, check the value's
 * type and range, and store it at the row's offset, replacing (and freeing)
 * what was there. Lists of maps recurse through their element table and
 * then run the element check. Required keys are checked last. Every error
 * is "file:line: dotted.key: expected ...; got ...", secrets not shown.
 */
#include "config/config_keys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"

/* key_choice_find - the choice named s, or NULL. */
static const struct key_choice *
key_choice_find(const struct key_choice *c, const char *s)
{
	for (; c->name != NULL; c++)
		if (strcmp(c->name, s) == 0)
			return c;
	return NULL;
}

/* key_what - what a value of key k must look like, for messages. */
static void
key_what(const struct config_key *k, char *out, size_t n)
{
	const struct key_choice *c;
	struct buf b;

	switch (k->type) {
	case KEY_SECTION:
		snprintf(out, n, "a map");
		return;
	case KEY_STR:
		if (k->flags & KEYF_NAME)
			snprintf(out, n,
			         "a name of a-z, 0-9, _ and - "
			         "(at most 64 characters)");
		else if (k->flags & KEYF_HOST)
			snprintf(out, n, "a host name or IP address");
		else
			snprintf(out, n, "a non-empty string");
		return;
	case KEY_WORD:
	case KEY_ENUM:
		buf_init(&b);
		for (c = k->choices; c->name != NULL; c++)
			buf_printf(&b, "%s%s", c == k->choices ? "" : ", ",
			           c->name);
		snprintf(out, n, "one of %s", buf_cstr(&b));
		buf_fini(&b);
		return;
	case KEY_INT:
		snprintf(out, n, "an integer in %lld..%lld", (long long)k->min,
		         (long long)k->max);
		return;
	case KEY_BOOL:
		snprintf(out, n, "true or false");
		return;
	case KEY_SIZE:
		snprintf(out, n, "a size%s like \"25MB\" (B, KB, MB, GB)",
		         k->min > 0 ? " > 0" : "");
		return;
	case KEY_RATE:
		snprintf(out, n, "a rate like \"1KB\" (bytes per second)");
		return;
	case KEY_DURATION:
		snprintf(out, n, "a duration%s like \"30s\" (ms, s, m, h, d)",
		         k->min > 0 ? " > 0" : "");
		return;
	case KEY_ADDRS:
		snprintf(out, n, "\"host:port\" or a list of them");
		return;
	case KEY_NETS:
		snprintf(out, n, "a list of networks like \"10.0.0.0/8\"");
		return;
	case KEY_DOMAINS:
		snprintf(out, n, "a list of domains");
		return;
	case KEY_FILE:
	case KEY_SECRET_FILE:
		snprintf(out, n, "a file name");
		return;
	case KEY_LIST:
		snprintf(out, n, "a list of maps");
		return;
	case KEY_NAMED:
		snprintf(out, n, "a map of names to maps");
		return;
	case KEY_NUMBER:
		snprintf(out, n, "a number in %lld..%lld", (long long)k->min,
		         (long long)k->max);
		return;
	case KEY_PERCENT:
		snprintf(out, n, "a percentage like \"2%%\" (0%%..100%%)");
		return;
	case KEY_STRS:
		snprintf(out, n, "a list of %s",
		         (k->flags & KEYF_NAME) ? "names" : "strings");
		return;
	case KEY_SECRET_ENV:
		snprintf(out, n, "the name of a set environment variable");
		return;
	}
	snprintf(out, n, "?");
}

/* key_int_parse - a whole decimal integer with an optional '-'. */
static int
key_int_parse(const char *s, int64_t *out)
{
	const char *digits = s[0] == '-' ? s + 1 : s;
	char *end;
	long long v;

	if (*digits < '0' || *digits > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* key_int_store - write v into an integer field of size bytes. */
static void
key_int_store(void *field, size_t size, int64_t v)
{
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;
	uint64_t u64 = (uint64_t)v;

	/* Ranges in the tables keep v within the field; two's complement
	 * makes the unsigned copy right for the signed fields too. */
	switch (size) {
	case sizeof(u16):
		memcpy(field, &u16, sizeof(u16));
		break;
	case sizeof(u32):
		memcpy(field, &u32, sizeof(u32));
		break;
	case sizeof(u64):
		memcpy(field, &u64, sizeof(u64));
		break;
	default:
		log_panic("config: integer field of size %zu", size);
	}
}

/* key_bool_parse - YAML's usual spellings of true and false. */
static int
key_bool_parse(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	size_t i;

	for (i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* key_name_ok - provider names: [a-z0-9_-]{1,64}. */
static bool
key_name_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-");

	return n > 0 && n <= 64 && s[n] == '\0';
}

/* key_host_ok - a host name, IPv4 or IPv6 literal (no brackets). */
static bool
key_host_ok(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";
	unsigned char a6[16];
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	if (strchr(s, ':') != NULL)
		return inet_pton(AF_INET6, s, a6) == 1;
	return strspn(s, ok) == n;
}

/* key_domain_ok - "*" or dot-separated labels of [a-z0-9-]. */
static bool
key_domain_ok(const char *s)
{
	size_t label = 0;

	if (strcmp(s, "*") == 0)
		return true;
	if (s[0] == '\0' || strlen(s) > 253)
		return false;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((*s >= 'a' && *s <= 'z') ||
		           (*s >= '0' && *s <= '9') || *s == '-') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/*
 * key_number_parse - "1.25", "14", and with percent "2%" (-> 0.02). No
 * exponents, no hex, no sign: plain decimal text only.
 */
static int
key_number_parse(const char *s, bool percent, double *out)
{
	size_t n = strlen(s), digits = 0, dots = 0, i;
	char *end;
	double d;

	if (percent) {
		if (n < 2 || s[n - 1] != '%')
			return -1;
		n--;
	}
	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && dots++ == 0)
			continue;
		else
			return -1;
	}
	if (digits == 0 || digits > 15)
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || (size_t)(end - s) != n)
		return -1;
	*out = percent ? d / 100.0 : d;
	return 0;
}

/* key_string_replace - free *slot (wiping secrets) and store s. */
static void
key_string_replace(char **slot, char *s, bool secret)
{
	if (*slot != NULL && secret)
		explicit_bzero(*slot, strlen(*slot));
	free(*slot);
	*slot = s;
}

/* key_scalar_apply - store a scalar value v of key k into base. */
static int
key_scalar_apply(struct config_ctx *x, const struct config_key *k,
                 const struct config_node *v, const char *path, void *base)
{
	void *field = (char *)base + k->off;
	bool secret = (k->flags & KEYF_SECRET) != 0;
	const struct key_choice *ch;
	char what[256], *copy;
	uint64_t u;
	int64_t i;
	double d;
	bool b;
	size_t n;

	key_what(k, what, sizeof(what));
	if (v->kind != CONFIG_NODE_SCALAR)
		return config_expect(x, v, path, secret, what);
	switch (k->type) {
	case KEY_STR:
		if (v->len == 0 ||
		    ((k->flags & KEYF_NAME) && !key_name_ok(v->str)) ||
		    ((k->flags & KEYF_HOST) && !key_host_ok(v->str)))
			return config_expect(x, v, path, secret, what);
		key_string_replace(field, xstrdup(v->str), secret);
		return 0;
	case KEY_WORD:
		if ((ch = key_choice_find(k->choices, v->str)) == NULL)
			return config_expect(x, v, path, secret, what);
		key_string_replace(field, xstrdup(ch->name), false);
		return 0;
	case KEY_ENUM:
		if ((ch = key_choice_find(k->choices, v->str)) == NULL)
			return config_expect(x, v, path, secret, what);
		if (k->size != sizeof(int))
			log_panic("config: %s: enum field size", path);
		memcpy(field, &ch->value, sizeof(int));
		return 0;
	case KEY_INT:
		if (key_int_parse(v->str, &i) < 0 || i < k->min || i > k->max)
			return config_expect(x, v, path, secret, what);
		key_int_store(field, k->size, i);
		return 0;
	case KEY_BOOL:
		if (key_bool_parse(v->str, &b) < 0)
			return config_expect(x, v, path, secret, what);
		memcpy(field, &b, sizeof(b));
		return 0;
	case KEY_SIZE:
	case KEY_RATE:
		copy = xstrdup(v->str);
		n = strlen(copy);
		if (k->type == KEY_RATE && n > 2 &&
		    strcmp(copy + n - 2, "/s") == 0)
			copy[n - 2] = '\0';
		if (config_parse_size(copy, &u) < 0 || u < (uint64_t)k->min) {
			free(copy);
			return config_expect(x, v, path, secret, what);
		}
		free(copy);
		memcpy(field, &u, sizeof(u));
		return 0;
	case KEY_DURATION:
		if (config_parse_duration(v->str, &u) < 0 ||
		    u < (uint64_t)k->min)
			return config_expect(x, v, path, secret, what);
		memcpy(field, &u, sizeof(u));
		return 0;
	case KEY_FILE:
		if (v->len == 0)
			return config_expect(x, v, path, secret, what);
		return config_file_check(x, v, path, field);
	case KEY_SECRET_FILE:
		if (v->len == 0)
			return config_expect(x, v, path, secret, what);
		return config_secret_read(x, v, path, field);
	case KEY_NUMBER:
	case KEY_PERCENT:
		if (key_number_parse(v->str, k->type == KEY_PERCENT, &d) < 0 ||
		    (k->type == KEY_NUMBER &&
		     (d < (double)k->min || d > (double)k->max)) ||
		    (k->type == KEY_PERCENT && (d < 0 || d > 1)))
			return config_expect(x, v, path, secret, what);
		memcpy(field, &d, sizeof(d));
		return 0;
	case KEY_SECRET_ENV:
		copy = v->len > 0 ? getenv(v->str) : NULL;
		if (copy == NULL || copy[0] == '\0')
			return config_expect(x, v, path, false, what);
		key_string_replace(field, xstrdup(copy), true);
		return 0;
	default:
		log_panic("config: %s: not a scalar key", path);
	}
}

/* key_addrs_apply - "host:port" or a list of them; replaces the list. */
static int
key_addrs_apply(struct config_ctx *x, const struct config_key *k,
                const struct config_node *v, const char *path, void *base)
{
	static const char what[] =
	    "\"host:port\" (port 1..65535, IPv6 in [brackets])";
	struct config_addr **slot = (void *)((char *)base + k->off);
	size_t *count = (void *)((char *)base + k->count_off);
	struct config_addr *arr;
	char ipath[CONFIG_PATH_SIZE], kwhat[128];
	size_t n, i;

	if (v->kind != CONFIG_NODE_SCALAR && v->kind != CONFIG_NODE_SEQ) {
		key_what(k, kwhat, sizeof(kwhat));
		return config_expect(x, v, path, false, kwhat);
	}
	n = v->kind == CONFIG_NODE_SEQ ? v->n_items : 1;
	arr = n > 0 ? xcalloc(n, sizeof(*arr)) : NULL;
	for (i = 0; i < n; i++) {
		const struct config_node *item =
		    v->kind == CONFIG_NODE_SEQ ? v->items[i] : v;
		if (v->kind == CONFIG_NODE_SEQ)
			config_path_index(ipath, sizeof(ipath), path, i);
		else
			snprintf(ipath, sizeof(ipath), "%s", path);
		if (item->kind != CONFIG_NODE_SCALAR ||
		    config_parse_addr(item->str, &arr[i]) < 0) {
			config_addrs_free(arr, i);
			return config_expect(x, item, ipath, false, what);
		}
	}
	config_addrs_free(*slot, *count);
	*slot = arr;
	*count = n;
	return 0;
}

/* key_nets_apply - a list of networks; [] is allowed (nobody). */
static int
key_nets_apply(struct config_ctx *x, const struct config_key *k,
               const struct config_node *v, const char *path, void *base)
{
	static const char what[] =
	    "a network like \"10.0.0.0/8\" or \"::1/128\" (no host bits set)";
	struct config_net **slot = (void *)((char *)base + k->off);
	size_t *count = (void *)((char *)base + k->count_off);
	struct config_net *arr;
	char ipath[CONFIG_PATH_SIZE], kwhat[128];
	size_t i;

	if (v->kind != CONFIG_NODE_SEQ) {
		key_what(k, kwhat, sizeof(kwhat));
		return config_expect(x, v, path, false, kwhat);
	}
	arr = v->n_items > 0 ? xcalloc(v->n_items, sizeof(*arr)) : NULL;
	for (i = 0; i < v->n_items; i++) {
		const struct config_node *item = v->items[i];
		if (item->kind != CONFIG_NODE_SCALAR ||
		    config_parse_net(item->str, &arr[i]) < 0) {
			free(arr);
			config_path_index(ipath, sizeof(ipath), path, i);
			return config_expect(x, item, ipath, false, what);
		}
	}
	free(*slot);
	*slot = arr;
	*count = v->n_items;
	return 0;
}

/* key_domains_free - free n strings and the array. */
static void
key_domains_free(char **d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(d[i]);
	free(d);
}

/* key_domains_apply - a list of sender domains, lower-cased. */
static int
key_domains_apply(struct config_ctx *x, const struct config_key *k,
                  const struct config_node *v, const char *path, void *base)
{
	static const char what[] = "a domain like \"example.com\", or \"*\"";
	char ***slot = (void *)((char *)base + k->off);
	size_t *count = (void *)((char *)base + k->count_off);
	char **arr, *s, ipath[CONFIG_PATH_SIZE], kwhat[128];
	size_t i, j;

	if (v->kind != CONFIG_NODE_SEQ) {
		key_what(k, kwhat, sizeof(kwhat));
		return config_expect(x, v, path, false, kwhat);
	}
	arr = v->n_items > 0 ? xcalloc(v->n_items, sizeof(*arr)) : NULL;
	for (i = 0; i < v->n_items; i++) {
		const struct config_node *item = v->items[i];
		if (item->kind == CONFIG_NODE_SCALAR) {
			s = xstrdup(item->str);
			for (j = 0; s[j] != '\0'; j++)
				if (s[j] >= 'A' && s[j] <= 'Z')
					s[j] = (char)(s[j] - 'A' + 'a');
			if (key_domain_ok(s)) {
				arr[i] = s;
				continue;
			}
			free(s);
		}
		key_domains_free(arr, i);
		config_path_index(ipath, sizeof(ipath), path, i);
		return config_expect(x, item, ipath, false, what);
	}
	key_domains_free(*slot, *count);
	*slot = arr;
	*count = v->n_items;
	return 0;
}

/* key_strs_apply - a list of strings (names with KEYF_NAME); replaces. */
static int
key_strs_apply(struct config_ctx *x, const struct config_key *k,
               const struct config_node *v, const char *path, void *base)
{
	char ***slot = (void *)((char *)base + k->off);
	size_t *count = (void *)((char *)base + k->count_off);
	char **arr, ipath[CONFIG_PATH_SIZE], what[128];
	size_t i;

	key_what(k, what, sizeof(what));
	if (v->kind != CONFIG_NODE_SEQ)
		return config_expect(x, v, path, false, what);
	arr = v->n_items > 0 ? xcalloc(v->n_items, sizeof(*arr)) : NULL;
	for (i = 0; i < v->n_items; i++) {
		const struct config_node *item = v->items[i];
		if (item->kind == CONFIG_NODE_SCALAR && item->len > 0 &&
		    (!(k->flags & KEYF_NAME) || key_name_ok(item->str))) {
			arr[i] = xstrdup(item->str);
			continue;
		}
		key_domains_free(arr, i);
		config_path_index(ipath, sizeof(ipath), path, i);
		return config_expect(x, item, ipath, false,
		                     (k->flags & KEYF_NAME)
		                         ? "a name of a-z, 0-9, _ and -"
		                         : "a non-empty string");
	}
	key_domains_free(*slot, *count);
	*slot = arr;
	*count = v->n_items;
	return 0;
}

/*
 * key_named_apply - a map of name -> map (streams); replaces the list.
 * Elements keep the file's order; each name is checked like KEYF_NAME.
 */
static int
key_named_apply(struct config_ctx *x, const struct config_key *k,
                const struct config_node *v, const char *path, void *base)
{
	const struct key_list *l = k->list;
	char **slot = (void *)((char *)base + k->off);
	size_t *count = (void *)((char *)base + k->count_off);
	char ipath[CONFIG_PATH_SIZE], kwhat[128];
	char *arr, *elem;
	size_t i, j;

	if (v->kind != CONFIG_NODE_MAP) {
		key_what(k, kwhat, sizeof(kwhat));
		return config_expect(x, v, path, false, kwhat);
	}
	for (i = 0; i < *count; i++)
		l->fini(*slot + i * l->elem_size);
	free(*slot);
	arr = v->n_pairs > 0 ? xcalloc(v->n_pairs, l->elem_size) : NULL;
	for (i = 0; i < v->n_pairs; i++)
		l->init(arr + i * l->elem_size);
	*slot = arr;
	*count = v->n_pairs;
	for (i = 0; i < v->n_pairs; i++) {
		const struct config_pair *pair = &v->pairs[i];
		config_path_key(ipath, sizeof(ipath), path, pair->key);
		if (!key_name_ok(pair->key))
			return config_error(
			    x, pair->line, ipath,
			    "expected a name of a-z, 0-9, _ and "
			    "- (at most 64 characters)");
		for (j = 0; j < i; j++)
			if (strcmp(v->pairs[j].key, pair->key) == 0)
				return config_error(
				    x, pair->line, ipath,
				    "duplicate key (first at line %d)",
				    v->pairs[j].line);
		elem = arr + i * l->elem_size;
		key_string_replace((char **)(elem + l->name_off),
		                   xstrdup(pair->key), false);
		/* "bulk:" with nothing under it: all defaults. */
		if (pair->value->kind != CONFIG_NODE_NULL &&
		    config_walk_map(x, pair->value, ipath, l->keys, elem) < 0)
			return -1;
		if (l->check != NULL &&
		    l->check(x, pair->value, ipath, arr, i) < 0)
			return -1;
	}
	return 0;
}

/* key_list_apply - a list of maps (users, providers); replaces the list. */
static int
key_list_apply(struct config_ctx *x, const struct config_key *k,
               const struct config_node *v, const char *path, void *base)
{
	const struct key_list *l = k->list;
	char **slot = (void *)((char *)base + k->off);
	size_t *count = (void *)((char *)base + k->count_off);
	char ipath[CONFIG_PATH_SIZE], kwhat[128];
	char *arr;
	size_t i;

	if (v->kind != CONFIG_NODE_SEQ) {
		key_what(k, kwhat, sizeof(kwhat));
		return config_expect(x, v, path, false, kwhat);
	}
	for (i = 0; i < *count; i++)
		l->fini(*slot + i * l->elem_size);
	free(*slot);
	/* Store first, fill after: a failure half-way leaves a list that
	 * config_free can release. */
	arr = v->n_items > 0 ? xcalloc(v->n_items, l->elem_size) : NULL;
	for (i = 0; i < v->n_items; i++)
		l->init(arr + i * l->elem_size);
	*slot = arr;
	*count = v->n_items;
	for (i = 0; i < v->n_items; i++) {
		config_path_index(ipath, sizeof(ipath), path, i);
		if (v->items[i]->kind != CONFIG_NODE_MAP)
			return config_expect(x, v->items[i], ipath, false,
			                     "a map");
		if (config_walk_map(x, v->items[i], ipath, l->keys,
		                    arr + i * l->elem_size) < 0)
			return -1;
		if (l->check != NULL &&
		    l->check(x, v->items[i], ipath, arr, i) < 0)
			return -1;
	}
	return 0;
}

/* key_apply - store the value v of key k into base. */
static int
key_apply(struct config_ctx *x, const struct config_key *k,
          const struct config_node *v, const char *path, void *base)
{
	switch (k->type) {
	case KEY_SECTION:
		/* "tls:" with every line below commented out: no change. */
		if (v->kind == CONFIG_NODE_NULL)
			return 0;
		return config_walk_map(x, v, path, k->sub, base);
	case KEY_ADDRS:
		return key_addrs_apply(x, k, v, path, base);
	case KEY_NETS:
		return key_nets_apply(x, k, v, path, base);
	case KEY_DOMAINS:
		return key_domains_apply(x, k, v, path, base);
	case KEY_LIST:
		return key_list_apply(x, k, v, path, base);
	case KEY_NAMED:
		return key_named_apply(x, k, v, path, base);
	case KEY_STRS:
		return key_strs_apply(x, k, v, path, base);
	default:
		return key_scalar_apply(x, k, v, path, base);
	}
}

/* key_find - the row for name in keys, or NULL. */
static const struct config_key *
key_find(const struct config_key *keys, const char *name)
{
	for (; keys->name != NULL; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

int
config_walk_map(struct config_ctx *x, const struct config_node *map,
                const char *path, const struct config_key *keys, void *base)
{
	char kpath[CONFIG_PATH_SIZE];
	const struct config_key *k;
	const struct config_pair *pair;
	struct buf names;
	size_t i, j;
	int rc;

	if (map->kind != CONFIG_NODE_MAP)
		return config_expect(x, map, path, false, "a map");
	for (i = 0; i < map->n_pairs; i++) {
		pair = &map->pairs[i];
		config_path_key(kpath, sizeof(kpath), path, pair->key);
		if ((k = key_find(keys, pair->key)) == NULL) {
			buf_init(&names);
			for (k = keys; k->name != NULL; k++)
				buf_printf(&names, "%s%s",
				           k == keys ? "" : ", ", k->name);
			rc = config_error(x, pair->line, kpath,
			                  "unknown key; expected one of %s",
			                  buf_cstr(&names));
			buf_fini(&names);
			return rc;
		}
		/* Earlier keys are all known, so this scan stays short. */
		for (j = 0; j < i; j++)
			if (strcmp(map->pairs[j].key, pair->key) == 0)
				return config_error(
				    x, pair->line, kpath,
				    "duplicate key (first at line %d)",
				    map->pairs[j].line);
		if (key_apply(x, k, pair->value, kpath, base) < 0)
			return -1;
	}
	for (k = keys; k->name != NULL; k++) {
		if (!(k->flags & KEYF_REQUIRED) ||
		    config_tree_get(map, k->name) != NULL)
			continue;
		config_path_key(kpath, sizeof(kpath), path, k->name);
		return config_error(x, map->line, kpath,
		                    "missing; this key is required");
	}
	return 0;
}
