/*
 * config_tree.c - YAML text -> a small tree of maps, lists and scalars.
 *
 * Reads libyaml's event stream and builds config_node trees, recursing once
 * per nesting level (bounded by CONFIG_TREE_MAX_DEPTH, so a hostile file
 * cannot exhaust the stack). Aliases are refused rather than resolved, so
 * the tree is never larger than the text. Nothing here knows swerve's keys.
 */
#include "config/config_tree.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/xmalloc.h"

struct tree_ctx {
	yaml_parser_t parser;
	const char *name;
	const char *text;
	size_t len;
	char *err;
	size_t errlen;
};

/* tree_error - format "name:line: message" into the caller's err. */
static void __attribute__((format(printf, 3, 4)))
tree_error(struct tree_ctx *t, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t->err != NULL && t->errlen > 0)
		snprintf(t->err, t->errlen, "%s:%d: %s", t->name, line, msg);
}

/* tree_offset_line - the 1-based line holding byte offset off. */
static int
tree_offset_line(const struct tree_ctx *t, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off && i < t->len; i++)
		if (t->text[i] == '\n')
			line++;
	return line;
}

/* tree_next - read the next event, or report libyaml's syntax error. */
static int
tree_next(struct tree_ctx *t, yaml_event_t *ev)
{
	const yaml_parser_t *p = &t->parser;
	const char *problem;
	int line;

	if (yaml_parser_parse(&t->parser, ev))
		return 0;
	problem = p->problem ? p->problem : "cannot parse";
	if (p->error == YAML_READER_ERROR) {
		line = tree_offset_line(t, p->problem_offset);
		tree_error(t, line, "YAML syntax error: %s", problem);
	} else if (p->context != NULL) {
		line = (int)p->problem_mark.line + 1;
		tree_error(t, line, "YAML syntax error: %s (%s at line %d)",
		           problem, p->context, (int)p->context_mark.line + 1);
	} else {
		line = (int)p->problem_mark.line + 1;
		tree_error(t, line, "YAML syntax error: %s", problem);
	}
	return -1;
}

/* tree_scalar_is_null - true for the plain scalars YAML reads as null. */
static bool
tree_scalar_is_null(const yaml_event_t *ev)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	const char *v = (const char *)ev->data.scalar.value;
	size_t i;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	if (ev->data.scalar.tag != NULL &&
	    strcmp((const char *)ev->data.scalar.tag, YAML_STR_TAG) == 0)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(v, nulls[i]) == 0)
			return true;
	return false;
}

/* tree_scalar_check - refuse scalars with NUL bytes (they would be cut). */
static int
tree_scalar_check(struct tree_ctx *t, const yaml_event_t *ev)
{
	if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
		tree_error(t, (int)ev->start_mark.line + 1,
		           "NUL byte in a scalar");
		return -1;
	}
	return 0;
}

static struct config_node *tree_node_parse(struct tree_ctx *t,
                                           const yaml_event_t *ev, int depth);

/* tree_seq_parse - read items until SEQUENCE-END into n. */
static int
tree_seq_parse(struct tree_ctx *t, struct config_node *n, int depth)
{
	yaml_event_t ev;
	struct config_node *item;
	size_t cap = 0;

	for (;;) {
		if (tree_next(t, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		item = tree_node_parse(t, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (item == NULL)
			return -1;
		if (n->n_items == cap) {
			cap = cap ? cap * 2 : 4;
			n->items =
			    xreallocarray(n->items, cap, sizeof(*n->items));
		}
		n->items[n->n_items++] = item;
	}
}

/* tree_map_parse - read key/value pairs until MAPPING-END into n. */
static int
tree_map_parse(struct tree_ctx *t, struct config_node *n, int depth)
{
	yaml_event_t ev;
	struct config_pair *pair;
	size_t cap = 0;

	for (;;) {
		if (tree_next(t, &ev) < 0)
			return -1;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type == YAML_ALIAS_EVENT) {
			tree_error(t, (int)ev.start_mark.line + 1,
			           "YAML aliases are not supported");
			yaml_event_delete(&ev);
			return -1;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			tree_error(t, (int)ev.start_mark.line + 1,
			           "map keys must be plain strings");
			yaml_event_delete(&ev);
			return -1;
		}
		if (tree_scalar_check(t, &ev) < 0) {
			yaml_event_delete(&ev);
			return -1;
		}
		if (n->n_pairs == cap) {
			cap = cap ? cap * 2 : 8;
			n->pairs =
			    xreallocarray(n->pairs, cap, sizeof(*n->pairs));
		}
		pair = &n->pairs[n->n_pairs++];
		pair->key = xstrdup((const char *)ev.data.scalar.value);
		pair->line = (int)ev.start_mark.line + 1;
		pair->value = NULL;
		yaml_event_delete(&ev);

		if (tree_next(t, &ev) < 0)
			return -1;
		pair->value = tree_node_parse(t, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (pair->value == NULL)
			return -1;
	}
}

/*
 * tree_node_parse - build the node that starts with event ev.
 * ev stays the caller's. Returns NULL after reporting an error.
 */
static struct config_node *
tree_node_parse(struct tree_ctx *t, const yaml_event_t *ev, int depth)
{
	struct config_node *n;
	int line = (int)ev->start_mark.line + 1;

	if (depth > CONFIG_TREE_MAX_DEPTH) {
		tree_error(t, line, "nesting deeper than %d levels",
		           CONFIG_TREE_MAX_DEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (tree_scalar_check(t, ev) < 0)
			return NULL;
		n = xcalloc(1, sizeof(*n));
		n->line = line;
		if (tree_scalar_is_null(ev)) {
			n->kind = CONFIG_NODE_NULL;
		} else {
			n->kind = CONFIG_NODE_SCALAR;
			n->str = xmemdup(ev->data.scalar.value,
			                 ev->data.scalar.length);
			n->len = ev->data.scalar.length;
		}
		return n;
	case YAML_SEQUENCE_START_EVENT:
		n = xcalloc(1, sizeof(*n));
		n->kind = CONFIG_NODE_SEQ;
		n->line = line;
		if (tree_seq_parse(t, n, depth) < 0)
			goto fail;
		return n;
	case YAML_MAPPING_START_EVENT:
		n = xcalloc(1, sizeof(*n));
		n->kind = CONFIG_NODE_MAP;
		n->line = line;
		if (tree_map_parse(t, n, depth) < 0)
			goto fail;
		return n;
	case YAML_ALIAS_EVENT:
		tree_error(t, line, "YAML aliases are not supported");
		return NULL;
	default:
		tree_error(t, line, "unexpected YAML event");
		return NULL;
	}
fail:
	config_tree_free(n);
	return NULL;
}

struct config_node *
config_tree_parse(const char *text, size_t len, const char *name, char *err,
                  size_t errlen)
{
	struct tree_ctx t = {.name = name,
	                     .text = text,
	                     .len = len,
	                     .err = err,
	                     .errlen = errlen};
	struct config_node *root = NULL;
	yaml_event_t ev;
	bool done = false;

	if (!yaml_parser_initialize(&t.parser)) {
		tree_error(&t, 0, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&t.parser, (const unsigned char *)text,
	                             len);
	/* STREAM-START, then at most one document, then STREAM-END. */
	while (!done) {
		if (tree_next(&t, &ev) < 0)
			goto fail;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (root != NULL) {
				tree_error(&t, (int)ev.start_mark.line + 1,
				           "only one YAML document is allowed");
				yaml_event_delete(&ev);
				goto fail;
			}
			yaml_event_delete(&ev);
			if (tree_next(&t, &ev) < 0)
				goto fail;
			root = tree_node_parse(&t, &ev, 0);
			if (root == NULL) {
				yaml_event_delete(&ev);
				goto fail;
			}
			break;
		default:
			tree_error(&t, (int)ev.start_mark.line + 1,
			           "unexpected YAML event");
			yaml_event_delete(&ev);
			goto fail;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&t.parser);
	if (root == NULL || root->kind == CONFIG_NODE_NULL) {
		/* An empty file or document means "all defaults". */
		config_tree_free(root);
		root = xcalloc(1, sizeof(*root));
		root->kind = CONFIG_NODE_MAP;
		root->line = 1;
	}
	return root;
fail:
	yaml_parser_delete(&t.parser);
	config_tree_free(root);
	return NULL;
}

void
config_tree_free(struct config_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n_items; i++)
		config_tree_free(n->items[i]);
	for (i = 0; i < n->n_pairs; i++) {
		free(n->pairs[i].key);
		config_tree_free(n->pairs[i].value);
	}
	free(n->items);
	free(n->pairs);
	free(n->str);
	free(n);
}

const struct config_pair *
config_tree_get(const struct config_node *n, const char *key)
{
	size_t i;

	if (n == NULL || n->kind != CONFIG_NODE_MAP)
		return NULL;
	for (i = 0; i < n->n_pairs; i++)
		if (strcmp(n->pairs[i].key, key) == 0)
			return &n->pairs[i];
	return NULL;
}
