/*
 * tmpl_helper.c - value helpers of the Handlebars dialect.
 *
 * SendGrid documents its helpers by example (equals, notEquals,
 * greaterThan, lessThan, and, or, length, formatDate, insert); Mailgun
 * adds equal. Comparisons take numbers and numeric strings as numbers,
 * otherwise compare the JSON values; and/or use Handlebars' truth (a
 * value is true unless it is empty: undefined, null, false, "", []).
 * formatDate reads RFC 3339 instants and writes moment.js-style formats.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/rfc3339.h"
#include "tmpl/tmpl_helper.h"
#include "tmpl/tmpl_value.h"

static const struct {
	const char *name;
	enum tmpl_helper_id id;
} tmpl_helpers[] = {
    {"if", TMPL_H_IF},
    {"unless", TMPL_H_UNLESS},
    {"each", TMPL_H_EACH},
    {"with", TMPL_H_WITH},
    {"lookup", TMPL_H_LOOKUP},
    {"log", TMPL_H_LOG},
    {"equals", TMPL_H_EQUALS},
    {"equal", TMPL_H_EQUALS},
    {"notEquals", TMPL_H_NOTEQUALS},
    {"greaterThan", TMPL_H_GREATERTHAN},
    {"lessThan", TMPL_H_LESSTHAN},
    {"and", TMPL_H_AND},
    {"or", TMPL_H_OR},
    {"length", TMPL_H_LENGTH},
    {"formatDate", TMPL_H_FORMATDATE},
    {"insert", TMPL_H_INSERT},
};

enum tmpl_helper_id
tmpl_helper_find(struct str name)
{
	size_t i;

	for (i = 0; i < sizeof(tmpl_helpers) / sizeof(*tmpl_helpers); i++) {
		if (strlen(tmpl_helpers[i].name) == name.len &&
		    memcmp(tmpl_helpers[i].name, name.p, name.len) == 0)
			return tmpl_helpers[i].id;
	}
	return TMPL_H_NONE;
}

/* helper_truthy - Handlebars' #if truth. */
static int
helper_truthy(const json_t *v)
{
	return !tmpl_value_falsy(v) && !tmpl_value_empty(v);
}

/* helper_cmp - compare a and b: -1, 0, 1, or 2 when they do not order. */
static int
helper_cmp(const json_t *a, const json_t *b)
{
	double x, y;

	if (tmpl_value_number(a, &x) == 0 && tmpl_value_number(b, &y) == 0)
		return x < y ? -1 : x > y ? 1 : 0;
	if (a == NULL || b == NULL)
		return a == b ? 0 : 2;
	if (json_is_string(a) && json_is_string(b)) {
		int c = strcmp(json_string_value(a), json_string_value(b));

		return c < 0 ? -1 : c > 0 ? 1 : 0;
	}
	return json_equal((json_t *)a, (json_t *)b) ? 0 : 2;
}

/* helper_bool - a new JSON boolean. */
static json_t *
helper_bool(int b)
{
	return b ? json_true() : json_false();
}

/* helper_offset - "-0800", "+05:30" or minutes as a number; 0 or -1. */
static int
helper_offset(const json_t *v, int *min)
{
	const char *s;
	int h, m, sign;

	*min = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		if (json_integer_value(v) <= -1440 ||
		    json_integer_value(v) >= 1440)
			return -1;
		*min = (int)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s == '-' ? -1 : 1;
	if (sscanf(s + 1, "%2d:%2d", &h, &m) != 2 &&
	    sscanf(s + 1, "%2d%2d", &h, &m) != 2)
		return -1;
	if (h > 23 || m > 59)
		return -1;
	*min = sign * (h * 60 + m);
	return 0;
}

static const char *const helper_months[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
static const char *const helper_days[] = {"Sunday",    "Monday",   "Tuesday",
                                          "Wednesday", "Thursday", "Friday",
                                          "Saturday"};

/* helper_tok - does fmt[i..) start with token tok? */
static int
helper_tok(const char *fmt, size_t len, size_t i, const char *tok)
{
	size_t n = strlen(tok);

	return len - i >= n && memcmp(fmt + i, tok, n) == 0;
}

void
tmpl_helper_format_date(struct buf *b, int64_t t, int off_min, const char *fmt,
                        size_t len)
{
	time_t tt = (time_t)(t + (int64_t)off_min * 60);
	struct tm tm;
	size_t i = 0;
	int h12, a = off_min < 0 ? -off_min : off_min;

	gmtime_r(&tt, &tm);
	h12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
	while (i < len) {
		if (helper_tok(fmt, len, i, "YYYY")) {
			buf_printf(b, "%04d", tm.tm_year + 1900);
			i += 4;
		} else if (helper_tok(fmt, len, i, "YY")) {
			buf_printf(b, "%02d", (tm.tm_year + 1900) % 100);
			i += 2;
		} else if (helper_tok(fmt, len, i, "MMMM")) {
			buf_addstr(b, helper_months[tm.tm_mon]);
			i += 4;
		} else if (helper_tok(fmt, len, i, "MMM")) {
			buf_add(b, helper_months[tm.tm_mon], 3);
			i += 3;
		} else if (helper_tok(fmt, len, i, "MM")) {
			buf_printf(b, "%02d", tm.tm_mon + 1);
			i += 2;
		} else if (helper_tok(fmt, len, i, "M")) {
			buf_printf(b, "%d", tm.tm_mon + 1);
			i += 1;
		} else if (helper_tok(fmt, len, i, "DD")) {
			buf_printf(b, "%02d", tm.tm_mday);
			i += 2;
		} else if (helper_tok(fmt, len, i, "D")) {
			buf_printf(b, "%d", tm.tm_mday);
			i += 1;
		} else if (helper_tok(fmt, len, i, "dddd")) {
			buf_addstr(b, helper_days[tm.tm_wday]);
			i += 4;
		} else if (helper_tok(fmt, len, i, "ddd")) {
			buf_add(b, helper_days[tm.tm_wday], 3);
			i += 3;
		} else if (helper_tok(fmt, len, i, "HH")) {
			buf_printf(b, "%02d", tm.tm_hour);
			i += 2;
		} else if (helper_tok(fmt, len, i, "H")) {
			buf_printf(b, "%d", tm.tm_hour);
			i += 1;
		} else if (helper_tok(fmt, len, i, "hh")) {
			buf_printf(b, "%02d", h12);
			i += 2;
		} else if (helper_tok(fmt, len, i, "h")) {
			buf_printf(b, "%d", h12);
			i += 1;
		} else if (helper_tok(fmt, len, i, "mm")) {
			buf_printf(b, "%02d", tm.tm_min);
			i += 2;
		} else if (helper_tok(fmt, len, i, "m")) {
			buf_printf(b, "%d", tm.tm_min);
			i += 1;
		} else if (helper_tok(fmt, len, i, "ss")) {
			buf_printf(b, "%02d", tm.tm_sec);
			i += 2;
		} else if (helper_tok(fmt, len, i, "s")) {
			buf_printf(b, "%d", tm.tm_sec);
			i += 1;
		} else if (helper_tok(fmt, len, i, "A")) {
			buf_addstr(b, tm.tm_hour < 12 ? "AM" : "PM");
			i += 1;
		} else if (helper_tok(fmt, len, i, "a")) {
			buf_addstr(b, tm.tm_hour < 12 ? "am" : "pm");
			i += 1;
		} else if (helper_tok(fmt, len, i, "ZZ")) {
			buf_printf(b, "%c%02d%02d", off_min < 0 ? '-' : '+',
			           a / 60, a % 60);
			i += 2;
		} else if (helper_tok(fmt, len, i, "Z")) {
			buf_printf(b, "%c%02d:%02d", off_min < 0 ? '-' : '+',
			           a / 60, a % 60);
			i += 1;
		} else {
			buf_addch(b, fmt[i++]);
		}
	}
}

/* helper_format_date - {{formatDate instant format [offset]}}. */
static int
helper_format_date(json_t *const *args, size_t n, json_t **out, char *msg,
                   size_t msglen)
{
	int64_t t;
	int off;
	struct buf b;

	if (n < 2 || n > 3) {
		snprintf(msg, msglen,
		         "wants an instant, a format and an "
		         "optional offset");
		return -1;
	}
	if (args[0] == NULL || !json_is_string(args[0]) ||
	    rfc3339_parse(json_string_value(args[0]),
	                  json_string_length(args[0]), &t) != 0)
		return 0; /* no date: nothing, as SendGrid renders it */
	if (args[1] == NULL || !json_is_string(args[1])) {
		snprintf(msg, msglen, "the format must be a string");
		return -1;
	}
	if (helper_offset(n == 3 ? args[2] : NULL, &off) != 0) {
		snprintf(msg, msglen, "the offset must look like -0800");
		return -1;
	}
	buf_init(&b);
	tmpl_helper_format_date(&b, t, off, json_string_value(args[1]),
	                        json_string_length(args[1]));
	*out = json_stringn(b.p ? b.p : "", b.len);
	buf_fini(&b);
	return 0;
}

/* helper_insert - {{insert value "default=text"}}. */
static int
helper_insert(json_t *const *args, size_t n, json_t **out, char *msg,
              size_t msglen)
{
	const char *d;

	if (n < 1 || n > 2) {
		snprintf(msg, msglen,
		         "wants a value and an optional "
		         "\"default=text\"");
		return -1;
	}
	if (!tmpl_value_falsy(args[0])) {
		*out = json_incref(args[0]);
		return 0;
	}
	if (n == 2 && args[1] != NULL && json_is_string(args[1])) {
		d = json_string_value(args[1]);
		if (strncmp(d, "default=", 8) == 0)
			*out = json_stringn(d + 8,
			                    json_string_length(args[1]) - 8);
	}
	return 0;
}

int
tmpl_helper_call(enum tmpl_helper_id h, json_t *const *args, size_t n,
                 json_t **out, char *msg, size_t msglen)
{
	size_t i;
	int c, acc;
	json_t *v;

	*out = NULL;
	switch (h) {
	case TMPL_H_EQUALS:
	case TMPL_H_NOTEQUALS:
	case TMPL_H_GREATERTHAN:
	case TMPL_H_LESSTHAN:
		if (n != 2) {
			snprintf(msg, msglen, "wants exactly two values");
			return -1;
		}
		c = helper_cmp(args[0], args[1]);
		*out = helper_bool(h == TMPL_H_EQUALS        ? c == 0
		                   : h == TMPL_H_NOTEQUALS   ? c != 0
		                   : h == TMPL_H_GREATERTHAN ? c == 1
		                                             : c == -1);
		return 0;
	case TMPL_H_AND:
	case TMPL_H_OR:
		if (n < 1) {
			snprintf(msg, msglen, "wants at least one value");
			return -1;
		}
		acc = h == TMPL_H_AND;
		for (i = 0; i < n; i++) {
			if (h == TMPL_H_AND)
				acc = acc && helper_truthy(args[i]);
			else
				acc = acc || helper_truthy(args[i]);
		}
		*out = helper_bool(acc);
		return 0;
	case TMPL_H_LENGTH:
		if (n != 1) {
			snprintf(msg, msglen, "wants exactly one value");
			return -1;
		}
		v = args[0];
		*out = json_integer(
		    v == NULL           ? 0
		    : json_is_array(v)  ? (json_int_t)json_array_size(v)
		    : json_is_object(v) ? (json_int_t)json_object_size(v)
		    : json_is_string(v) ? (json_int_t)json_string_length(v)
		                        : 0);
		return 0;
	case TMPL_H_FORMATDATE:
		return helper_format_date(args, n, out, msg, msglen);
	case TMPL_H_INSERT:
		return helper_insert(args, n, out, msg, msglen);
	case TMPL_H_LOOKUP:
		if (n != 2) {
			snprintf(msg, msglen, "wants an object and a key");
			return -1;
		}
		if (args[0] != NULL && json_is_object(args[0]) &&
		    args[1] != NULL && json_is_string(args[1]))
			*out = json_incref(json_object_getn(
			    args[0], json_string_value(args[1]),
			    json_string_length(args[1])));
		else if (args[0] != NULL && json_is_array(args[0]) &&
		         args[1] != NULL && json_is_integer(args[1]) &&
		         json_integer_value(args[1]) >= 0)
			*out = json_incref(json_array_get(
			    args[0], (size_t)json_integer_value(args[1])));
		return 0;
	case TMPL_H_LOG:
		return 0;
	default:
		snprintf(msg, msglen, "is not a value helper");
		return -1;
	}
}
