/*
 * tmpl_value.h - JSON values as the template languages see them: their
 * text (JavaScript's String()), truth, and escaping. Internal to
 * src/tmpl. Pure functions; values are borrowed, NULL means undefined.
 */
#ifndef SWERVE_TMPL_TMPL_VALUE_H
#define SWERVE_TMPL_TMPL_VALUE_H

#include <jansson.h>

#include "core/buf.h"
#include "tmpl/tmpl.h"

/*
 * tmpl_value_text - append String(v) as JavaScript writes it: "" for
 * undefined and null, true/false, numbers in their shortest round-trip
 * form (1e+21, 1.5e-7), arrays joined with ",", objects as
 * "[object Object]".
 */
void tmpl_value_text(struct buf *b, const json_t *v);

/* tmpl_value_num - append the double d as JavaScript's String(d). */
void tmpl_value_num(struct buf *b, double d);

/* tmpl_value_falsy - JavaScript's !v (undefined, null, false, 0, NaN, ""). */
int tmpl_value_falsy(const json_t *v);

/* tmpl_value_empty - Handlebars' isEmpty: falsy but not 0, or []. */
int tmpl_value_empty(const json_t *v);

/* tmpl_value_number - v as a number (numbers, numeric strings); 0 or -1. */
int tmpl_value_number(const json_t *v, double *d);

/*
 * tmpl_value_escape - append s[0..n) escaped for mode e in dialect d
 * (see enum tmpl_escape in tmpl.h).
 */
void tmpl_value_escape(struct buf *b, enum tmpl_escape e, enum tmpl_dialect d,
                       const char *s, size_t n);

#endif
