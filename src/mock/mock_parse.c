/*
 * mock_parse.c - swerve-mock's SMTP parsing: commands, DATA, AUTH.
 *
 * Pure: no sockets, and the only allocation is appending to the caller's
 * output buffer. Everything here is fuzzed (fuzz/fuzz_mock_parse.c).
 */
#include "mock/mock_parse.h"

#include <string.h>
#include <strings.h>

struct mock_verb_row {
	const char *name;
	enum mock_verb verb;
};

static const struct mock_verb_row mock_verbs[] = {
    {"HELO", MOCK_VERB_HELO},         {"EHLO", MOCK_VERB_EHLO},
    {"MAIL", MOCK_VERB_MAIL},         {"RCPT", MOCK_VERB_RCPT},
    {"DATA", MOCK_VERB_DATA},         {"RSET", MOCK_VERB_RSET},
    {"NOOP", MOCK_VERB_NOOP},         {"QUIT", MOCK_VERB_QUIT},
    {"VRFY", MOCK_VERB_VRFY},         {"HELP", MOCK_VERB_HELP},
    {"STARTTLS", MOCK_VERB_STARTTLS}, {"AUTH", MOCK_VERB_AUTH},
};

/* mock_parse_fail - set *why and return err. */
static int
mock_parse_fail(const char **why, const char *reason, int err)
{
	*why = reason;
	return err;
}

/* mock_atext - an RFC 5322 atext character. */
static bool
mock_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* mock_dot_atom_valid - atext runs separated by single dots. */
static bool
mock_dot_atom_valid(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || p[0] == '.' || p[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (p[i + 1] == '.')
				return false;
		} else if (!mock_atext((unsigned char)p[i])) {
			return false;
		}
	}
	return true;
}

/* mock_domain_valid - a dotted domain name or an address literal. */
static bool
mock_domain_valid(const char *p, size_t len)
{
	size_t i, label = 0;

	if (len >= 2 && p[0] == '[') {
		if (p[len - 1] != ']')
			return false;
		for (i = 1; i + 1 < len; i++)
			if (p[i] == '[' || p[i] == ']' || p[i] == '\\')
				return false;
		return len > 2;
	}
	if (len == 0 || len > 255 || p[0] == '.' || p[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '-') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* mock_mailbox_valid - local@domain with a dot-atom or quoted local part. */
static bool
mock_mailbox_valid(const char *p, size_t len)
{
	size_t i, at;

	if (len > 0 && p[0] == '"') {
		for (i = 1; i < len && p[i] != '"'; i++)
			if (p[i] == '\\' && ++i >= len)
				return false;
		if (i >= len || i + 1 >= len || p[i + 1] != '@')
			return false;
		at = i + 1;
	} else {
		for (at = len; at > 0 && p[at - 1] != '@'; at--)
			;
		if (at == 0)
			return false;
		at--;
		if (!mock_dot_atom_valid(p, at))
			return false;
	}
	return mock_domain_valid(p + at + 1, len - at - 1);
}

/*
 * mock_path_parse - "<path>" at *pos: strips a source route, checks the
 * mailbox, and leaves *pos after '>'. allow_null permits "<>".
 */
static int
mock_path_parse(const char *line, size_t len, size_t *pos, struct str *path,
                bool allow_null, const char **why)
{
	size_t b, e, i = *pos;

	if (i >= len || line[i] != '<')
		return mock_parse_fail(why,
		                       "Address must be in <angle brackets>",
		                       MOCK_PARSE_SYNTAX);
	b = i + 1;
	for (e = b; e < len && line[e] != '>'; e++)
		if (line[e] == '"')
			for (e++; e < len && line[e] != '"'; e++)
				if (line[e] == '\\')
					e++;
	if (e >= len)
		return mock_parse_fail(why, "Missing closing >",
		                       MOCK_PARSE_SYNTAX);
	*pos = e + 1;
	/* A source route (<@a,@b:user@c>) is obsolete; keep the mailbox. */
	if (b < e && line[b] == '@') {
		while (b < e && line[b] != ':')
			b++;
		if (b == e)
			return mock_parse_fail(why, "Bad source route",
			                       MOCK_PARSE_SYNTAX);
		b++;
	}
	path->p = line + b;
	path->len = e - b;
	if (path->len == 0) {
		if (allow_null)
			return MOCK_PARSE_OK;
		return mock_parse_fail(why, "Empty recipient address",
		                       MOCK_PARSE_SYNTAX);
	}
	if (path->len > MOCK_PATH_MAX)
		return mock_parse_fail(why, "Address too long",
		                       MOCK_PARSE_SYNTAX);
	if (!allow_null && str_eq_nocase(*path, "postmaster"))
		return MOCK_PARSE_OK;
	if (!mock_mailbox_valid(path->p, path->len))
		return mock_parse_fail(why, "Bad address syntax",
		                       MOCK_PARSE_SYNTAX);
	return MOCK_PARSE_OK;
}

/* mock_size_parse - a decimal SIZE= value without overflow. */
static int
mock_size_parse(const char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

/* mock_mail_params - MAIL's ESMTP parameters after the path. */
static int
mock_mail_params(const char *line, size_t len, size_t pos, struct mock_cmd *cmd,
                 const char **why)
{
	bool seen_body = false, seen_auth = false;

	while (pos < len) {
		size_t b, e, eq;
		struct str key, val;

		if (line[pos] != ' ')
			return mock_parse_fail(
			    why, "Parameters must be separated by a space",
			    MOCK_PARSE_SYNTAX);
		b = ++pos;
		for (e = b; e < len && line[e] != ' '; e++)
			;
		pos = e;
		if (b == e)
			continue;
		for (eq = b; eq < e && line[eq] != '='; eq++)
			;
		key = (struct str){line + b, eq - b};
		val = (struct str){line + eq + 1, eq < e ? e - eq - 1 : 0};
		if (str_eq_nocase(key, "SIZE") && eq < e) {
			if (cmd->has_size ||
			    mock_size_parse(val.p, val.len, &cmd->size) < 0)
				return mock_parse_fail(why,
				                       "Bad SIZE parameter",
				                       MOCK_PARSE_SYNTAX);
			cmd->has_size = true;
		} else if (str_eq_nocase(key, "BODY") && eq < e) {
			if (seen_body || !(str_eq_nocase(val, "7BIT") ||
			                   str_eq_nocase(val, "8BITMIME")))
				return mock_parse_fail(why,
				                       "Bad BODY parameter",
				                       MOCK_PARSE_SYNTAX);
			seen_body = true;
		} else if (str_eq_nocase(key, "AUTH") && eq < e && val.len) {
			if (seen_auth)
				return mock_parse_fail(
				    why, "Duplicate AUTH parameter",
				    MOCK_PARSE_SYNTAX);
			seen_auth = true;
		} else {
			return mock_parse_fail(why, "Unsupported parameter",
			                       MOCK_PARSE_PARAM);
		}
	}
	return MOCK_PARSE_OK;
}

/* mock_prefix_eat - consume the case-insensitive prefix s at *pos. */
static bool
mock_prefix_eat(const char *line, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (len - *pos < n || strncasecmp(line + *pos, s, n) != 0)
		return false;
	*pos += n;
	return true;
}

/* mock_cmd_parse - parse one command line. */
int
mock_cmd_parse(const char *line, size_t len, struct mock_cmd *cmd,
               const char **why)
{
	size_t i, v, pos;
	struct str verb, rest;
	int rc;

	memset(cmd, 0, sizeof(*cmd));
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return mock_parse_fail(
			    why, "Control or 8-bit byte in command",
			    MOCK_PARSE_BYTE);
	}
	for (pos = 0; pos < len && line[pos] != ' '; pos++)
		;
	verb = (struct str){line, pos};
	for (v = 0; v < sizeof(mock_verbs) / sizeof(mock_verbs[0]); v++)
		if (str_eq_nocase(verb, mock_verbs[v].name))
			break;
	if (v == sizeof(mock_verbs) / sizeof(mock_verbs[0]))
		return mock_parse_fail(why, "Command unrecognized",
		                       MOCK_PARSE_UNKNOWN);
	cmd->verb = mock_verbs[v].verb;
	rest = (struct str){line + pos, len - pos};
	if (rest.len > 0) { /* skip the one separating space */
		rest.p++;
		rest.len--;
	}

	switch (cmd->verb) {
	case MOCK_VERB_HELO:
	case MOCK_VERB_EHLO:
		while (rest.len > 0 && rest.p[rest.len - 1] == ' ')
			rest.len--;
		if (rest.len == 0 || memchr(rest.p, ' ', rest.len) != NULL)
			return mock_parse_fail(why, "Syntax: EHLO hostname",
			                       MOCK_PARSE_SYNTAX);
		cmd->arg = rest;
		return MOCK_PARSE_OK;
	case MOCK_VERB_DATA:
	case MOCK_VERB_RSET:
	case MOCK_VERB_QUIT:
	case MOCK_VERB_STARTTLS:
		if (rest.len != 0 || pos != len)
			return mock_parse_fail(why, "No arguments allowed",
			                       MOCK_PARSE_SYNTAX);
		return MOCK_PARSE_OK;
	case MOCK_VERB_NOOP:
	case MOCK_VERB_HELP:
		cmd->arg = rest;
		return MOCK_PARSE_OK;
	case MOCK_VERB_VRFY:
		if (rest.len == 0)
			return mock_parse_fail(why, "Syntax: VRFY address",
			                       MOCK_PARSE_SYNTAX);
		cmd->arg = rest;
		return MOCK_PARSE_OK;
	case MOCK_VERB_AUTH:
		for (i = 0; i < rest.len && rest.p[i] != ' '; i++)
			;
		cmd->arg = (struct str){rest.p, i};
		if (i < rest.len)
			cmd->auth_initial =
			    (struct str){rest.p + i + 1, rest.len - i - 1};
		if (cmd->arg.len == 0 ||
		    memchr(cmd->auth_initial.p ? cmd->auth_initial.p : "", ' ',
		           cmd->auth_initial.len) != NULL)
			return mock_parse_fail(
			    why, "Syntax: AUTH mechanism [initial-response]",
			    MOCK_PARSE_SYNTAX);
		return MOCK_PARSE_OK;
	case MOCK_VERB_MAIL:
		pos = (size_t)(rest.p - line);
		if (pos == len || line[pos - 1] != ' ' ||
		    !mock_prefix_eat(line, len, &pos, "FROM:"))
			return mock_parse_fail(why,
			                       "Syntax: MAIL FROM:<address>",
			                       MOCK_PARSE_SYNTAX);
		if (pos < len && line[pos] == ' ')
			pos++;
		rc = mock_path_parse(line, len, &pos, &cmd->path, true, why);
		if (rc < 0)
			return rc;
		return mock_mail_params(line, len, pos, cmd, why);
	case MOCK_VERB_RCPT:
		pos = (size_t)(rest.p - line);
		if (pos == len || line[pos - 1] != ' ' ||
		    !mock_prefix_eat(line, len, &pos, "TO:"))
			return mock_parse_fail(why, "Syntax: RCPT TO:<address>",
			                       MOCK_PARSE_SYNTAX);
		if (pos < len && line[pos] == ' ')
			pos++;
		rc = mock_path_parse(line, len, &pos, &cmd->path, false, why);
		if (rc < 0)
			return rc;
		while (pos < len && line[pos] == ' ')
			pos++;
		if (pos < len)
			return mock_parse_fail(why, "Unsupported parameter",
			                       MOCK_PARSE_PARAM);
		return MOCK_PARSE_OK;
	}
	return mock_parse_fail(why, "Command unrecognized", MOCK_PARSE_UNKNOWN);
}

/* DATA reader states. */
enum {
	MOCK_DATA_BOL,   /* at the start of a line */
	MOCK_DATA_DOT,   /* "." at the start of a line */
	MOCK_DATA_DOTCR, /* ".\r" at the start of a line */
	MOCK_DATA_MID,   /* inside a line */
	MOCK_DATA_CR,    /* "\r" inside a line */
};

/* mock_data_init - start reading a body. */
void
mock_data_init(struct mock_data *d, struct buf *out, uint64_t max_size)
{
	memset(d, 0, sizeof(*d));
	d->state = MOCK_DATA_BOL;
	d->max_size = max_size;
	d->out = out;
}

/* mock_data_note - remember the first fault only. */
static void
mock_data_note(struct mock_data *d, enum mock_data_fault f)
{
	if (d->fault == MOCK_DATA_FAULT_NONE)
		d->fault = f;
}

/* mock_data_emit - append body bytes unless the size cap is reached. */
static void
mock_data_emit(struct mock_data *d, const char *p, size_t n)
{
	if (d->out->len + n > d->max_size) {
		mock_data_note(d, MOCK_DATA_FAULT_TOO_BIG);
		return;
	}
	buf_add(d->out, p, n);
}

/* mock_data_mid - one byte inside a line (not after a CR). */
static void
mock_data_mid(struct mock_data *d, char c)
{
	if (c == '\r') {
		d->state = MOCK_DATA_CR;
		return;
	}
	if (c == '\n')
		mock_data_note(d, MOCK_DATA_FAULT_BARE_LF);
	else if (c == '\0')
		mock_data_note(d, MOCK_DATA_FAULT_NUL);
	mock_data_emit(d, &c, 1);
	d->state = MOCK_DATA_MID;
}

/* mock_data_feed - consume body bytes up to the end of data. */
bool
mock_data_feed(struct mock_data *d, const char *p, size_t len, size_t *used)
{
	size_t i = 0, run;

	while (i < len) {
		char c = p[i];

		if (d->state == MOCK_DATA_MID) {
			/* Fast path: copy a run of ordinary bytes at once. */
			for (run = i; run < len && p[run] != '\r' &&
			              p[run] != '\n' && p[run] != '\0';
			     run++)
				;
			if (run > i) {
				d->line_len += run - i;
				if (d->line_len > MOCK_TEXT_LINE_MAX)
					mock_data_note(
					    d, MOCK_DATA_FAULT_LINE_LONG);
				mock_data_emit(d, p + i, run - i);
				i = run;
				continue;
			}
		}
		i++;
		if (++d->line_len > MOCK_TEXT_LINE_MAX)
			mock_data_note(d, MOCK_DATA_FAULT_LINE_LONG);
		switch (d->state) {
		case MOCK_DATA_BOL:
			if (c == '.')
				d->state = MOCK_DATA_DOT;
			else
				mock_data_mid(d, c);
			break;
		case MOCK_DATA_DOT:
			/* The leading dot is stuffing: drop it. */
			if (c == '\r')
				d->state = MOCK_DATA_DOTCR;
			else
				mock_data_mid(d, c);
			break;
		case MOCK_DATA_DOTCR:
			if (c == '\n') {
				*used = i;
				return true;
			}
			mock_data_note(d, MOCK_DATA_FAULT_BARE_CR);
			mock_data_emit(d, "\r", 1);
			d->state = MOCK_DATA_MID;
			mock_data_mid(d, c);
			break;
		case MOCK_DATA_MID:
			mock_data_mid(d, c);
			break;
		case MOCK_DATA_CR:
			if (c == '\n') {
				mock_data_emit(d, "\r\n", 2);
				d->state = MOCK_DATA_BOL;
				d->line_len = 0;
			} else {
				mock_data_note(d, MOCK_DATA_FAULT_BARE_CR);
				mock_data_emit(d, "\r", 1);
				mock_data_mid(d, c);
			}
			break;
		}
	}
	*used = len;
	return false;
}

/* mock_data_fault_reply - the reply for a refused body. */
const char *
mock_data_fault_reply(enum mock_data_fault f)
{
	switch (f) {
	case MOCK_DATA_FAULT_NONE:
		break;
	case MOCK_DATA_FAULT_BARE_LF:
		return "550 5.6.0 Bare LF in message; lines must end with CRLF";
	case MOCK_DATA_FAULT_BARE_CR:
		return "550 5.6.0 Bare CR in message; lines must end with CRLF";
	case MOCK_DATA_FAULT_NUL:
		return "550 5.6.0 NUL byte in message";
	case MOCK_DATA_FAULT_LINE_LONG:
		return "500 5.5.2 Line too long (over 1000 octets)";
	case MOCK_DATA_FAULT_TOO_BIG:
		return "552 5.3.4 Message size exceeds fixed limit";
	}
	return "250 2.0.0 Ok";
}

/* mock_auth_plain_split - authzid NUL authcid NUL passwd. */
int
mock_auth_plain_split(struct str msg, struct str *user, struct str *pass)
{
	const char *a, *b;

	a = memchr(msg.p, '\0', msg.len);
	if (a == NULL)
		return -1;
	b = memchr(a + 1, '\0', msg.len - (size_t)(a + 1 - msg.p));
	if (b == NULL || b == a + 1 ||
	    memchr(b + 1, '\0', msg.len - (size_t)(b + 1 - msg.p)) != NULL)
		return -1;
	*user = (struct str){a + 1, (size_t)(b - a - 1)};
	*pass = (struct str){b + 1, msg.len - (size_t)(b + 1 - msg.p)};
	return 0;
}
