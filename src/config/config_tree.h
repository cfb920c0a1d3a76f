/*
 * config_tree.h - YAML text -> a small tree of maps, lists and scalars.
 *
 * Internal to src/config. libyaml does the parsing (event API); this module
 * only keeps what the loader needs: the shape, the text of every scalar and
 * the line (1-based) where each node and each map key starts. It knows
 * nothing about swerve's keys; config.c walks the tree against its tables.
 *
 * Refused here: YAML syntax errors, more than one document, aliases (they
 * would let one small file expand into a huge tree), keys that are not
 * scalars, scalars holding NUL bytes, nesting deeper than
 * CONFIG_TREE_MAX_DEPTH. Duplicate keys are kept (config.c reports them with
 * their dotted path).
 */
#ifndef SWERVE_CONFIG_CONFIG_TREE_H
#define SWERVE_CONFIG_CONFIG_TREE_H

#include <stddef.h>

#define CONFIG_TREE_MAX_DEPTH 32

enum config_node_kind {
	CONFIG_NODE_NULL,   /* plain "", "~", "null" */
	CONFIG_NODE_SCALAR, /* any other scalar, quoted or not */
	CONFIG_NODE_SEQ,
	CONFIG_NODE_MAP,
};

struct config_pair {
	char *key; /* NUL-terminated, no NUL inside */
	int line;  /* line of the key */
	struct config_node *value;
};

struct config_node {
	enum config_node_kind kind;
	int line;
	char *str;  /* SCALAR: NUL-terminated text; NULL otherwise */
	size_t len; /* SCALAR: strlen(str) */
	struct config_node **items; /* SEQ */
	size_t n_items;
	struct config_pair *pairs; /* MAP, in file order */
	size_t n_pairs;
};

/*
 * config_tree_parse - parse len bytes of YAML text.
 * Returns the root node (an empty MAP for an empty document), or NULL with
 * "name:line: message" in err. The caller frees the tree with
 * config_tree_free.
 */
struct config_node *config_tree_parse(const char *text, size_t len,
                                      const char *name, char *err,
                                      size_t errlen);

/* config_tree_free - release n and all it holds. NULL is a no-op. */
void config_tree_free(struct config_node *n);

/* config_tree_get - the pair for key in map n, or NULL (first match). */
const struct config_pair *config_tree_get(const struct config_node *n,
                                          const char *key);

#endif
