/*
 * tmpl_value.c - JSON values as JavaScript template engines see them.
 *
 * Both reference engines (mustache.js, handlebars.js) print values with
 * JavaScript's String() and test them with JavaScript's truthiness; this
 * file is those two rules over jansson values, and the escape sets.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl_value.h"

void
tmpl_value_num(struct buf *b, double d)
{
	char tmp[40], digits[24] = {0};
	int prec, e, k = 0, n, i;
	const char *p;

	if (isnan(d)) {
		buf_addstr(b, "NaN");
		return;
	}
	if (isinf(d)) {
		buf_addstr(b, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (d == 0) {
		buf_addch(b, '0');
		return;
	}
	if (d < 0) {
		buf_addch(b, '-');
		d = -d;
	}
	/* the fewest significant digits that read back as d */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	for (p = tmp; *p != 'e'; p++) {
		if (*p >= '0' && *p <= '9')
			digits[k++] = *p;
	}
	e = atoi(p + 1);
	while (k > 1 && digits[k - 1] == '0')
		k--;
	n = e + 1; /* position of the decimal point */
	if (k <= n && n <= 21) {
		buf_add(b, digits, (size_t)k);
		for (i = k; i < n; i++)
			buf_addch(b, '0');
	} else if (0 < n && n <= 21) {
		buf_add(b, digits, (size_t)n);
		buf_addch(b, '.');
		buf_add(b, digits + n, (size_t)(k - n));
	} else if (-6 < n && n <= 0) {
		buf_addstr(b, "0.");
		for (i = n; i < 0; i++)
			buf_addch(b, '0');
		buf_add(b, digits, (size_t)k);
	} else {
		buf_addch(b, digits[0]);
		if (k > 1) {
			buf_addch(b, '.');
			buf_add(b, digits + 1, (size_t)(k - 1));
		}
		buf_printf(b, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
}

void
tmpl_value_text(struct buf *b, const json_t *v)
{
	size_t i;

	if (v == NULL)
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_add(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_printf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		tmpl_value_num(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_addstr(b, "true");
		break;
	case JSON_FALSE:
		buf_addstr(b, "false");
		break;
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				buf_addch(b, ',');
			tmpl_value_text(b, json_array_get(v, i));
		}
		break;
	case JSON_OBJECT:
		buf_addstr(b, "[object Object]");
		break;
	case JSON_NULL:
		break;
	}
}

int
tmpl_value_falsy(const json_t *v)
{
	if (v == NULL)
		return 1;
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return 1;
	case JSON_STRING:
		return json_string_length(v) == 0;
	case JSON_INTEGER:
		return json_integer_value(v) == 0;
	case JSON_REAL:
		return json_real_value(v) == 0 || isnan(json_real_value(v));
	default:
		return 0;
	}
}

int
tmpl_value_empty(const json_t *v)
{
	if (v != NULL && json_is_number(v) && json_number_value(v) == 0)
		return 0;
	if (tmpl_value_falsy(v))
		return 1;
	return json_is_array(v) && json_array_size(v) == 0;
}

int
tmpl_value_number(const json_t *v, double *d)
{
	const char *s;
	char *end;

	if (v == NULL)
		return -1;
	if (json_is_number(v)) {
		*d = json_number_value(v);
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0)
		return -1;
	s = json_string_value(v);
	*d = strtod(s, &end);
	if (end == s || *end != '\0' || strlen(s) != json_string_length(v))
		return -1;
	return 0;
}

/* The bytes some escape mode replaces (the rest are copied in runs). */
static const unsigned char tmpl_value_special[256] = {
    ['&'] = 1,  ['<'] = 1, ['>'] = 1, ['"'] = 1,
    ['\''] = 1, ['`'] = 1, ['='] = 1, ['/'] = 1,
};

/* One escape table: the entity for each byte that needs one. */
static const char *
tmpl_value_entity(enum tmpl_escape e, enum tmpl_dialect d, unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	default:
		break;
	}
	if (e == TMPL_ESCAPE_SLACK)
		return NULL;
	switch (c) {
	case '"':
		return "&quot;";
	case '\'':
		return d == TMPL_HANDLEBARS ? "&#x27;" : "&#39;";
	case '`':
		return d == TMPL_MUSTACHIO ? NULL : "&#x60;";
	case '=':
		return d == TMPL_MUSTACHIO ? NULL : "&#x3D;";
	case '/':
		return d == TMPL_MUSTACHE ? "&#x2F;" : NULL;
	default:
		return NULL;
	}
}

void
tmpl_value_escape(struct buf *b, enum tmpl_escape e, enum tmpl_dialect d,
                  const char *s, size_t n)
{
	size_t i, run = 0;
	const char *ent;

	if (e == TMPL_ESCAPE_NONE) {
		buf_add(b, s, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (!tmpl_value_special[(unsigned char)s[i]])
			continue;
		ent = tmpl_value_entity(e, d, (unsigned char)s[i]);
		if (ent == NULL)
			continue;
		buf_add(b, s + run, i - run);
		buf_addstr(b, ent);
		run = i + 1;
	}
	buf_add(b, s + run, n - run);
}
