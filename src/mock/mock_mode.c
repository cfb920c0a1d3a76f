/*
 * mock_mode.c - swerve-mock's fault modes and their text form.
 *
 * Names and parses modes; never acts on them. The parser is strict: a
 * mode that needs an argument without one, or an argument given to a mode
 * that takes none, is an error rather than a guess, so a typo in a drill
 * script fails loudly instead of silently testing the wrong thing.
 */
#include "mock/mock_mode.h"

#include <string.h>
#include <strings.h>

static const char *const mock_mode_names[MOCK_MODE_COUNT] = {
    [MOCK_MODE_ACCEPT] = "accept",     [MOCK_MODE_TEMPFAIL] = "tempfail",
    [MOCK_MODE_PERMFAIL] = "permfail", [MOCK_MODE_REFUSE] = "refuse",
    [MOCK_MODE_HANG] = "hang",         [MOCK_MODE_DROP] = "drop",
    [MOCK_MODE_SLOW] = "slow",         [MOCK_MODE_THROTTLE] = "throttle",
    [MOCK_MODE_AUTHFAIL] = "authfail", [MOCK_MODE_RCPTFAIL] = "rcptfail",
};

/* mock_mode_name - the mode's name. */
const char *
mock_mode_name(enum mock_mode m)
{
	if ((unsigned)m >= MOCK_MODE_COUNT)
		return "unknown";
	return mock_mode_names[m];
}

/* mock_mode_lookup - find a mode by name, ignoring case. */
int
mock_mode_lookup(const char *name, size_t len, enum mock_mode *out)
{
	int m;

	for (m = 0; m < MOCK_MODE_COUNT; m++) {
		if (strlen(mock_mode_names[m]) == len &&
		    strncasecmp(mock_mode_names[m], name, len) == 0) {
			*out = (enum mock_mode)m;
			return 0;
		}
	}
	return -1;
}

int
mock_mode_number(const char *p, size_t len, unsigned lo, unsigned hi,
                 unsigned *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 7)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* mock_mode_build - a complete setting from a name and an argument. */
int
mock_mode_build(const char *name, size_t name_len, const char *arg,
                size_t arg_len, struct mock_mode_set *out, const char **why)
{
	struct mock_mode_set set;
	size_t i;

	memset(&set, 0, sizeof(set));
	if (arg == NULL)
		arg_len = 0;
	if (mock_mode_lookup(name, name_len, &set.mode) < 0) {
		*why =
		    "unknown mode (accept, tempfail, permfail, refuse, hang, "
		    "drop, slow MS, throttle, authfail, rcptfail SUBSTRING)";
		return -1;
	}
	switch (set.mode) {
	case MOCK_MODE_SLOW:
		if (mock_mode_number(arg, arg_len, 1, MOCK_SLOW_MS_MAX,
		                     &set.slow_ms) < 0) {
			*why = "slow needs a delay in milliseconds (1..600000)";
			return -1;
		}
		break;
	case MOCK_MODE_RCPTFAIL:
		if (arg_len == 0 || arg_len > MOCK_MATCH_MAX) {
			*why = "rcptfail needs an address substring "
			       "(1..255 bytes)";
			return -1;
		}
		for (i = 0; i < arg_len; i++) {
			if ((unsigned char)arg[i] <= ' ' ||
			    (unsigned char)arg[i] == 0x7f) {
				*why = "rcptfail substring has a space or "
				       "control byte";
				return -1;
			}
		}
		memcpy(set.match, arg, arg_len);
		set.match[arg_len] = '\0';
		break;
	default:
		if (arg_len != 0) {
			*why = "this mode takes no argument";
			return -1;
		}
		break;
	}
	*out = set;
	return 0;
}

/* mock_mode_space - white space as the text form understands it. */
static int
mock_mode_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* mock_mode_sep - a byte that ends a name in the text form. */
static int
mock_mode_sep(char c)
{
	return mock_mode_space(c) || c == '=' || c == ':';
}

int
mock_mode_text_split(const char *text, size_t len, struct str *name,
                     struct str *arg)
{
	size_t b = 0, e = len, n;

	while (b < e && mock_mode_space(text[b]))
		b++;
	while (e > b && mock_mode_space(text[e - 1]))
		e--;
	for (n = b; n < e && !mock_mode_sep(text[n]); n++)
		;
	*name = (struct str){text + b, n - b};
	*arg = (struct str){NULL, 0};
	if (n < e) {
		while (n < e && mock_mode_sep(text[n]))
			n++;
		*arg = (struct str){text + n, e - n};
	}
	return name->len == 0 ? -1 : 0;
}

/* mock_mode_parse - "name", "name arg", "name=arg" or "name:arg". */
int
mock_mode_parse(const char *text, size_t len, struct mock_mode_set *out,
                const char **why)
{
	struct str name, arg;

	if (mock_mode_text_split(text, len, &name, &arg) < 0) {
		*why = "empty mode";
		return -1;
	}
	return mock_mode_build(name.p, name.len, arg.p, arg.len, out, why);
}
