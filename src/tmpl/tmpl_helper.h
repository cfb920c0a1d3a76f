/*
 * tmpl_helper.h - the Handlebars helpers that compute a value: SendGrid's
 * documented set (equals notEquals greaterThan lessThan and or length
 * formatDate insert), Mailgun's equal, and Handlebars' lookup. The block
 * helpers that steer rendering (if unless each with) live in
 * tmpl_render.c. Internal to src/tmpl.
 */
#ifndef SWERVE_TMPL_TMPL_HELPER_H
#define SWERVE_TMPL_TMPL_HELPER_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"

enum tmpl_helper_id {
	TMPL_H_NONE,
	TMPL_H_IF,
	TMPL_H_UNLESS,
	TMPL_H_EACH,
	TMPL_H_WITH,
	TMPL_H_LOOKUP,
	TMPL_H_LOG,
	TMPL_H_EQUALS,
	TMPL_H_NOTEQUALS,
	TMPL_H_GREATERTHAN,
	TMPL_H_LESSTHAN,
	TMPL_H_AND,
	TMPL_H_OR,
	TMPL_H_LENGTH,
	TMPL_H_FORMATDATE,
	TMPL_H_INSERT,
};

/* tmpl_helper_find - the helper called name, or TMPL_H_NONE. */
enum tmpl_helper_id tmpl_helper_find(struct str name);

/*
 * tmpl_helper_call - run value helper h on args[0..n) (NULL entries are
 * undefined). On success returns 0 and *out is a new reference (NULL for
 * undefined) the caller releases; on refusal returns -1 with a sentence
 * in msg.
 */
int tmpl_helper_call(enum tmpl_helper_id h, json_t *const *args, size_t n,
                     json_t **out, char *msg, size_t msglen);

/*
 * tmpl_helper_format_date - SendGrid's formatDate: append the instant t
 * (unix seconds) shifted by off_min minutes, written by the moment.js-like
 * format fmt[0..len) (YYYY YY MMMM MMM MM M DD D dddd ddd HH H hh h mm m
 * ss s A a ZZ Z; any other byte is copied).
 */
void tmpl_helper_format_date(struct buf *b, int64_t t, int off_min,
                             const char *fmt, size_t len);

#endif
