/*
 * smtp_parse.c - the SMTP server's command parser.
 *
 * Turns one command line (CRLF already stripped by the session) into a
 * struct smtp_cmd of views into that line. It checks syntax only: whether
 * a command is allowed in the session's current state, and what reply to
 * send, is the session's business. Nothing here allocates, logs or does
 * I/O, so it can be fuzzed as a plain function.
 *
 * Leniency is deliberate and small: verbs and parameter keywords in any
 * case, runs of spaces between tokens, trailing spaces, one space after
 * "FROM:"/"TO:", and an underscore in the HELO/EHLO name (Windows hosts).
 * Everything else follows RFC 5321 4.1 and RFC 6531; in particular a path
 * must be in angle brackets.
 */
#include "ingress/smtp_parse.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "core/base64.h"
#include "core/idna.h"

#define SMTP_LOCAL_MAX 64   /* octets of a local part (RFC 5321 4.5.3.1.1) */
#define SMTP_DOMAIN_MAX 255 /* octets of a domain (RFC 5321 4.5.3.1.2) */
#define SMTP_LABEL_MAX 63   /* octets of one DNS label (RFC 1035 2.3.4) */
#define SMTP_MECH_MAX 20    /* octets of a SASL mechanism (RFC 4422 3.1) */

/* MAIL parameters seen so far, to refuse duplicates. */
#define MAIL_PARAM_SIZE 0x01u
#define MAIL_PARAM_BODY 0x02u
#define MAIL_PARAM_SMTPUTF8 0x04u
#define MAIL_PARAM_AUTH 0x08u

typedef int smtp_cmd_args_fn(struct str args, struct smtp_cmd *cmd,
                             const char **why);

struct smtp_verb_row {
	const char *name;
	enum smtp_verb verb;
	smtp_cmd_args_fn *args; /* parses what follows the verb */
};

static smtp_cmd_args_fn smtp_cmd_args_hello, smtp_cmd_args_mail,
    smtp_cmd_args_rcpt, smtp_cmd_args_none, smtp_cmd_args_text,
    smtp_cmd_args_auth;

/* Indexed by enum smtp_verb. */
static const struct smtp_verb_row smtp_verbs[SMTP_VERB_COUNT] = {
    {"HELO", SMTP_VERB_HELO, smtp_cmd_args_hello},
    {"EHLO", SMTP_VERB_EHLO, smtp_cmd_args_hello},
    {"MAIL", SMTP_VERB_MAIL, smtp_cmd_args_mail},
    {"RCPT", SMTP_VERB_RCPT, smtp_cmd_args_rcpt},
    {"DATA", SMTP_VERB_DATA, smtp_cmd_args_none},
    {"RSET", SMTP_VERB_RSET, smtp_cmd_args_none},
    {"NOOP", SMTP_VERB_NOOP, smtp_cmd_args_text},
    {"QUIT", SMTP_VERB_QUIT, smtp_cmd_args_none},
    {"VRFY", SMTP_VERB_VRFY, smtp_cmd_args_text},
    {"HELP", SMTP_VERB_HELP, smtp_cmd_args_text},
    {"STARTTLS", SMTP_VERB_STARTTLS, smtp_cmd_args_none},
    {"AUTH", SMTP_VERB_AUTH, smtp_cmd_args_auth},
};

/* smtp_fail - set the reason and return the status. */
static int
smtp_fail(const char **why, enum smtp_parse_status st, const char *reason)
{
	*why = reason;
	return st;
}

/* smtp_is_alpha - ASCII letter (locale-independent). */
static bool
smtp_is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* smtp_is_digit - ASCII digit. */
static bool
smtp_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* smtp_is_atext - RFC 5322 atext, as RFC 5321 Atom uses it. */
static bool
smtp_is_atext(unsigned char c)
{
	return smtp_is_alpha(c) || smtp_is_digit(c) ||
	       (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* smtp_has_8bit - whether any byte of s is outside ASCII. */
static bool
smtp_has_8bit(struct str s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] >= 0x80)
			return true;
	return false;
}

/* smtp_utf8_valid - well-formed UTF-8: no overlongs, surrogates or >U+10FFFF.
 */
static bool
smtp_utf8_valid(const unsigned char *p, size_t len)
{
	size_t i = 0, n, k;
	unsigned char lo, hi;

	while (i < len) {
		unsigned char c = p[i];
		lo = 0x80;
		hi = 0xbf;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0; /* overlong */
			else if (c == 0xed)
				hi = 0x9f; /* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90; /* overlong */
			else if (c == 0xf4)
				hi = 0x8f; /* above U+10FFFF */
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (k = 1; k <= n; k++) {
			unsigned char t = p[i + k];
			if (k == 1 ? (t < lo || t > hi)
			           : (t < 0x80 || t > 0xbf))
				return false;
		}
		i += n + 1;
	}
	return true;
}

/* smtp_ipv4_valid - dotted quad of decimal octets 0..255. */
static bool
smtp_ipv4_valid(const unsigned char *p, size_t len)
{
	size_t i = 0;
	int part, digits, value;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || p[i] != '.')
				return false;
			i++;
		}
		digits = 0;
		value = 0;
		while (i < len && smtp_is_digit(p[i]) && digits < 3) {
			value = value * 10 + (p[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0 || value > 255)
			return false;
	}
	return i == len;
}

/* smtp_addr_literal_valid - "[1.2.3.4]" or "[IPv6:...]" (RFC 5321 4.1.3). */
static bool
smtp_addr_literal_valid(const unsigned char *p, size_t len)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	unsigned char addr[16];

	if (len < 3 || p[0] != '[' || p[len - 1] != ']')
		return false;
	p++;
	len -= 2;
	if (len > 5 && strncasecmp((const char *)p, "IPv6:", 5) == 0) {
		p += 5;
		len -= 5;
		if (len >= sizeof(tmp))
			return false;
		memcpy(tmp, p, len);
		tmp[len] = '\0';
		/* The copy stops inet_pton at len; a NUL inside fails here. */
		return memchr(p, '\0', len) == NULL &&
		       inet_pton(AF_INET6, tmp, addr) == 1;
	}
	/* General-address-literal tags other than IPv6 are not registered. */
	return smtp_ipv4_valid(p, len);
}

/*
 * smtp_domain_valid - a domain name or address literal.
 * utf8 allows U-labels (RFC 6531); underscore allows '_' in labels, which
 * only the HELO/EHLO name gets.
 */
static bool
smtp_domain_valid(const unsigned char *p, size_t len, bool utf8,
                  bool underscore)
{
	size_t i, label = 0;
	unsigned char prev = '.';

	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return false;
	if (p[0] == '[')
		return smtp_addr_literal_valid(p, len);
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (c == '.') {
			if (label == 0 || prev == '-')
				return false;
			label = 0;
		} else if (c == '-') {
			if (label == 0)
				return false;
			label++;
		} else if (smtp_is_alpha(c) || smtp_is_digit(c) ||
		           (utf8 && c >= 0x80) || (underscore && c == '_')) {
			label++;
		} else {
			return false;
		}
		if (label > SMTP_LABEL_MAX)
			return false;
		prev = c;
	}
	if (label == 0 || prev == '-')
		return false;
	if (utf8 && !smtp_utf8_valid(p, len))
		return false;
	/* U-labels and A-labels: bidi controls, zero-width characters and
	 * whatever else IDNA2008 disallows are not a domain. */
	return idna_domain_valid((const char *)p, len);
}

/* smtp_local_valid - dot-string or quoted-string local part. */
static bool
smtp_local_valid(const unsigned char *p, size_t len, bool utf8)
{
	size_t i;

	if (len == 0 || len > SMTP_LOCAL_MAX)
		return false;
	if (utf8 && !smtp_utf8_valid(p, len))
		return false;
	if (p[0] == '"') {
		if (len < 2 || p[len - 1] != '"')
			return false;
		for (i = 1; i < len - 1; i++) {
			unsigned char c = p[i];
			if (c == '\\') {
				/* quoted-pairSMTP: backslash and one ASCII. */
				i++;
				if (i >= len - 1 || p[i] < 32 || p[i] > 126)
					return false;
			} else if (c == '"' || c < 32 || c == 127 ||
			           (c >= 0x80 && !utf8)) {
				return false;
			}
		}
		return true;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (c == '.') {
			if (i == 0 || i == len - 1 || p[i - 1] == '.')
				return false;
		} else if (!smtp_is_atext(c) && !(utf8 && c >= 0x80)) {
			return false;
		}
	}
	return true;
}

/* smtp_is_postmaster - the bare "Postmaster" RCPT TO allows, any case. */
static bool
smtp_is_postmaster(struct str path)
{
	return str_eq_nocase(path, "postmaster");
}

/* smtp_path_valid - a mailbox as RFC 5321/6531 allows, or "Postmaster". */
bool
smtp_path_valid(struct str path, bool utf8)
{
	const unsigned char *p = (const unsigned char *)path.p;
	size_t at;

	if (path.len == 0 || path.len > SMTP_PATH_MAX - 2)
		return false;
	if (smtp_is_postmaster(path))
		return true;
	at = 0;
	if (p[0] == '"') {
		/* Find the closing quote; '@' may appear inside quotes. */
		for (at = 1; at < path.len && p[at] != '"'; at++)
			if (p[at] == '\\')
				at++;
		at++;
	} else {
		while (at < path.len && p[at] != '@')
			at++;
	}
	if (at >= path.len || p[at] != '@')
		return false;
	return smtp_local_valid(p, at, utf8) &&
	       smtp_domain_valid(p + at + 1, path.len - at - 1, utf8, false);
}

/* smtp_verb_name - the verb as written on the wire. */
const char *
smtp_verb_name(enum smtp_verb v)
{
	if ((int)v < 0 || v >= SMTP_VERB_COUNT)
		return "?";
	return smtp_verbs[v].name;
}

/* smtp_str_skip_sp - drop leading spaces from s. */
static struct str
smtp_str_skip_sp(struct str s)
{
	while (s.len > 0 && s.p[0] == ' ') {
		s.p++;
		s.len--;
	}
	return s;
}

/* smtp_str_token - split off the next space-separated token of *s. */
static struct str
smtp_str_token(struct str *s)
{
	struct str tok = {s->p, 0};

	while (tok.len < s->len && s->p[tok.len] != ' ')
		tok.len++;
	s->p += tok.len;
	s->len -= tok.len;
	*s = smtp_str_skip_sp(*s);
	return tok;
}

/* smtp_cmd_args_hello - HELO/EHLO: one domain or address literal. */
static int
smtp_cmd_args_hello(struct str args, struct smtp_cmd *cmd, const char **why)
{
	struct str dom;

	if (args.len == 0)
		return smtp_fail(why, SMTP_PARSE_SYNTAX,
		                 cmd->verb == SMTP_VERB_EHLO
		                     ? "EHLO needs a domain"
		                     : "HELO needs a domain");
	if (smtp_has_8bit(args))
		return smtp_fail(why, SMTP_PARSE_BAD_BYTE,
		                 "non-ASCII byte in command");
	dom = smtp_str_token(&args);
	if (args.len != 0)
		return smtp_fail(why, SMTP_PARSE_SYNTAX,
		                 "HELO/EHLO takes one domain");
	if (!smtp_domain_valid((const unsigned char *)dom.p, dom.len, false,
	                       true))
		return smtp_fail(
		    why, SMTP_PARSE_SYNTAX,
		    cmd->verb == SMTP_VERB_EHLO
		        ? "EHLO needs a valid domain or address literal"
		        : "HELO needs a valid domain or address literal");
	cmd->arg = dom;
	return SMTP_PARSE_OK;
}

/*
 * smtp_cmd_path_scan - find "<...>" at the start of s.
 * Sets *path to the mailbox (source route stripped, may be empty) and *rest
 * to what follows ">". The total, brackets included, may not exceed
 * SMTP_PATH_MAX.
 */
static int
smtp_cmd_path_scan(struct str s, struct str *path, struct str *rest,
                   const char *need, const char **why)
{
	size_t i;
	bool quoted = false;

	if (s.len == 0 || s.p[0] != '<')
		return smtp_fail(why, SMTP_PARSE_SYNTAX, need);
	for (i = 1; i < s.len; i++) {
		if (quoted && s.p[i] == '\\')
			i++;
		else if (s.p[i] == '"')
			quoted = !quoted;
		else if (!quoted && s.p[i] == '>')
			break;
	}
	if (i >= s.len)
		return smtp_fail(why, SMTP_PARSE_SYNTAX,
		                 "address lacks a closing >");
	if (i + 1 > SMTP_PATH_MAX)
		return smtp_fail(why, SMTP_PARSE_SYNTAX,
		                 "invalid address: over 256 octets");
	path->p = s.p + 1;
	path->len = i - 1;
	rest->p = s.p + i + 1;
	rest->len = s.len - i - 1;

	/* Source route "@a,@b:": obsolete, checked then dropped (RFC 5321 C).
	 */
	if (path->len > 0 && path->p[0] == '@') {
		size_t start, j = 0;
		for (;;) {
			if (j >= path->len || path->p[j] != '@')
				goto bad_route;
			start = ++j;
			while (j < path->len && path->p[j] != ',' &&
			       path->p[j] != ':')
				j++;
			if (j >= path->len ||
			    !smtp_domain_valid((const unsigned char *)path->p +
			                           start,
			                       j - start, true, false))
				goto bad_route;
			if (path->p[j++] == ':')
				break;
		}
		path->p += j;
		path->len -= j;
		if (path->len == 0)
			goto bad_route;
	}
	return SMTP_PARSE_OK;
bad_route:
	return smtp_fail(why, SMTP_PARSE_SYNTAX,
	                 "invalid address: bad source route");
}

/* smtp_cmd_prefix - strip "FROM:"/"TO:" (any case) and one optional space. */
static bool
smtp_cmd_prefix(struct str *s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (s->len < n || strncasecmp(s->p, prefix, n) != 0)
		return false;
	s->p += n;
	s->len -= n;
	if (s->len > 0 && s->p[0] == ' ') {
		s->p++;
		s->len--;
	}
	return true;
}

/* smtp_param_value_valid - esmtp-value: 1*(%d33-60 / %d62-126). */
static bool
smtp_param_value_valid(struct str v)
{
	size_t i;

	if (v.len == 0)
		return false;
	for (i = 0; i < v.len; i++) {
		unsigned char c = v.p[i];
		if (c < 33 || c > 126 || c == '=')
			return false;
	}
	return true;
}

/* smtp_param_size - SIZE=n: decimal, fits in uint64_t. */
static bool
smtp_param_size(struct str v, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (v.len == 0)
		return false;
	for (i = 0; i < v.len; i++) {
		unsigned d;
		if (!smtp_is_digit(v.p[i]))
			return false;
		d = (unsigned)(v.p[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*out = n;
	return true;
}

/* smtp_cmd_mail_params - the ESMTP parameters after MAIL FROM:<...>. */
static int
smtp_cmd_mail_params(struct str rest, struct smtp_cmd *cmd, const char **why)
{
	unsigned seen = 0, bit;

	while (rest.len > 0) {
		struct str tok = smtp_str_token(&rest);
		struct str key = tok, val = {NULL, 0};
		const char *eq = memchr(tok.p, '=', tok.len);
		size_t i;

		if (eq != NULL) {
			key.len = (size_t)(eq - tok.p);
			val.p = eq + 1;
			val.len = tok.len - key.len - 1;
		}
		if (key.len == 0 ||
		    !(smtp_is_alpha(key.p[0]) || smtp_is_digit(key.p[0])))
			return smtp_fail(why, SMTP_PARSE_BAD_PARAM,
			                 "malformed MAIL parameter");
		for (i = 1; i < key.len; i++)
			if (!smtp_is_alpha(key.p[i]) &&
			    !smtp_is_digit(key.p[i]) && key.p[i] != '-')
				return smtp_fail(why, SMTP_PARSE_BAD_PARAM,
				                 "malformed MAIL parameter");
		if (eq != NULL && !smtp_param_value_valid(val))
			return smtp_fail(why, SMTP_PARSE_BAD_PARAM,
			                 "malformed MAIL parameter value");

		if (str_eq_nocase(key, "SIZE")) {
			bit = MAIL_PARAM_SIZE;
			if (eq == NULL || !smtp_param_size(val, &cmd->size))
				return smtp_fail(why, SMTP_PARSE_BAD_PARAM,
				                 "SIZE needs a decimal number");
			cmd->has_size = true;
		} else if (str_eq_nocase(key, "BODY")) {
			bit = MAIL_PARAM_BODY;
			if (eq != NULL && str_eq_nocase(val, "7BIT"))
				cmd->body = SMTP_BODY_7BIT;
			else if (eq != NULL && str_eq_nocase(val, "8BITMIME"))
				cmd->body = SMTP_BODY_8BITMIME;
			else
				return smtp_fail(
				    why, SMTP_PARSE_BAD_PARAM,
				    "BODY must be 7BIT or 8BITMIME");
		} else if (str_eq_nocase(key, "SMTPUTF8")) {
			bit = MAIL_PARAM_SMTPUTF8;
			if (eq != NULL)
				return smtp_fail(why, SMTP_PARSE_BAD_PARAM,
				                 "SMTPUTF8 takes no value");
			cmd->smtputf8 = true;
		} else if (str_eq_nocase(key, "AUTH")) {
			/* RFC 4954 5: accepted and ignored, like most MTAs. */
			bit = MAIL_PARAM_AUTH;
			if (eq == NULL)
				return smtp_fail(why, SMTP_PARSE_BAD_PARAM,
				                 "AUTH= needs a value");
		} else {
			return smtp_fail(why, SMTP_PARSE_BAD_PARAM,
			                 "unknown MAIL parameter");
		}
		if (seen & bit)
			return smtp_fail(why, SMTP_PARSE_BAD_PARAM,
			                 "duplicate MAIL parameter");
		seen |= bit;
	}
	return SMTP_PARSE_OK;
}

/* smtp_cmd_args_mail - MAIL FROM:<path> [parameters]. */
static int
smtp_cmd_args_mail(struct str args, struct smtp_cmd *cmd, const char **why)
{
	static const char need[] =
	    "MAIL needs FROM:<address> (in angle brackets)";
	struct str rest;
	int rc;

	if (!smtp_cmd_prefix(&args, "FROM:"))
		return smtp_fail(why, SMTP_PARSE_SYNTAX, need);
	rc = smtp_cmd_path_scan(args, &cmd->path, &rest, need, why);
	if (rc != SMTP_PARSE_OK)
		return rc;
	if (rest.len > 0 && rest.p[0] != ' ')
		return smtp_fail(
		    why, SMTP_PARSE_SYNTAX,
		    "junk after the address; parameters need a space");
	if (smtp_has_8bit(rest))
		return smtp_fail(why, SMTP_PARSE_BAD_BYTE,
		                 "non-ASCII byte in MAIL parameters");
	rc = smtp_cmd_mail_params(smtp_str_skip_sp(rest), cmd, why);
	if (rc != SMTP_PARSE_OK)
		return rc;
	if (!cmd->smtputf8 && smtp_has_8bit(cmd->path))
		return smtp_fail(why, SMTP_PARSE_BAD_BYTE,
		                 "non-ASCII address needs SMTPUTF8");
	if (cmd->path.len > 0 && (smtp_is_postmaster(cmd->path) ||
	                          !smtp_path_valid(cmd->path, cmd->smtputf8)))
		return smtp_fail(why, SMTP_PARSE_SYNTAX,
		                 "invalid sender address");
	return SMTP_PARSE_OK;
}

/* smtp_cmd_args_rcpt - RCPT TO:<path>; no parameters are supported. */
static int
smtp_cmd_args_rcpt(struct str args, struct smtp_cmd *cmd, const char **why)
{
	static const char need[] =
	    "RCPT needs TO:<address> (in angle brackets)";
	struct str rest;
	int rc;

	if (!smtp_cmd_prefix(&args, "TO:"))
		return smtp_fail(why, SMTP_PARSE_SYNTAX, need);
	rc = smtp_cmd_path_scan(args, &cmd->path, &rest, need, why);
	if (rc != SMTP_PARSE_OK)
		return rc;
	if (rest.len > 0 && rest.p[0] != ' ')
		return smtp_fail(why, SMTP_PARSE_SYNTAX,
		                 "junk after the address");
	if (smtp_has_8bit(rest))
		return smtp_fail(why, SMTP_PARSE_BAD_BYTE,
		                 "non-ASCII byte in RCPT parameters");
	if (rest.len > 0)
		return smtp_fail(why, SMTP_PARSE_BAD_PARAM,
		                 "RCPT parameters are not supported");
	if (cmd->path.len == 0)
		return smtp_fail(why, SMTP_PARSE_SYNTAX,
		                 "invalid recipient: <> is not allowed");
	/* UTF-8 passes here; the session knows whether MAIL had SMTPUTF8. */
	if (!smtp_path_valid(cmd->path, true))
		return smtp_fail(why, SMTP_PARSE_SYNTAX,
		                 "invalid recipient address");
	return SMTP_PARSE_OK;
}

/* smtp_cmd_args_none - DATA, RSET, QUIT, STARTTLS take nothing. */
static int
smtp_cmd_args_none(struct str args, struct smtp_cmd *cmd, const char **why)
{
	static const char *const reasons[SMTP_VERB_COUNT] = {
	    [SMTP_VERB_DATA] = "DATA takes no arguments",
	    [SMTP_VERB_RSET] = "RSET takes no arguments",
	    [SMTP_VERB_QUIT] = "QUIT takes no arguments",
	    [SMTP_VERB_STARTTLS] = "STARTTLS takes no arguments",
	};

	if (args.len > 0)
		return smtp_fail(why, SMTP_PARSE_SYNTAX, reasons[cmd->verb]);
	return SMTP_PARSE_OK;
}

/* smtp_cmd_args_text - NOOP/HELP [string], VRFY string: ASCII text. */
static int
smtp_cmd_args_text(struct str args, struct smtp_cmd *cmd, const char **why)
{
	if (cmd->verb == SMTP_VERB_VRFY && args.len == 0)
		return smtp_fail(why, SMTP_PARSE_SYNTAX,
		                 "VRFY needs an argument");
	if (smtp_has_8bit(args))
		return smtp_fail(why, SMTP_PARSE_BAD_BYTE,
		                 "non-ASCII byte in command");
	cmd->arg = args;
	return SMTP_PARSE_OK;
}

/* smtp_base64_valid - padded base64 (RFC 4648 4), or the lone "=". */
static bool
smtp_base64_valid(struct str s)
{
	if (s.len == 1 && s.p[0] == '=')
		return true; /* empty initial response (RFC 4954 4) */
	return s.len > 0 && base64_decode(s, 0, NULL, 0) >= 0;
}

/* smtp_cmd_args_auth - AUTH mechanism [initial-response]. */
static int
smtp_cmd_args_auth(struct str args, struct smtp_cmd *cmd, const char **why)
{
	struct str mech, init;
	size_t i;

	if (smtp_has_8bit(args))
		return smtp_fail(why, SMTP_PARSE_BAD_BYTE,
		                 "non-ASCII byte in command");
	mech = smtp_str_token(&args);
	init = smtp_str_token(&args);
	if (mech.len == 0)
		return smtp_fail(why, SMTP_PARSE_SYNTAX,
		                 "AUTH needs a mechanism");
	if (args.len > 0)
		return smtp_fail(
		    why, SMTP_PARSE_SYNTAX,
		    "AUTH takes a mechanism and one initial response");
	if (mech.len > SMTP_MECH_MAX)
		return smtp_fail(why, SMTP_PARSE_SYNTAX, "bad AUTH mechanism");
	for (i = 0; i < mech.len; i++) {
		unsigned char c = mech.p[i];
		if (!smtp_is_alpha(c) && !smtp_is_digit(c) && c != '-' &&
		    c != '_')
			return smtp_fail(why, SMTP_PARSE_SYNTAX,
			                 "bad AUTH mechanism");
	}
	if (init.len > 0 && !smtp_base64_valid(init))
		return smtp_fail(why, SMTP_PARSE_SYNTAX,
		                 "AUTH initial response is not base64");
	cmd->auth_mech = mech;
	cmd->auth_initial = init;
	return SMTP_PARSE_OK;
}

/* smtp_cmd_parse - one command line (no CRLF) into views of it. */
int
smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd,
               const char **why)
{
	const char *unused;
	struct str s = {line, len}, verb;
	size_t i;

	if (why == NULL)
		why = &unused;
	memset(cmd, 0, sizeof(*cmd));
	*why = "OK";
	if (line == NULL)
		s.len = 0;
	for (i = 0; i < s.len; i++) {
		unsigned char c = s.p[i];
		if (c == 0)
			return smtp_fail(why, SMTP_PARSE_BAD_BYTE,
			                 "NUL byte in command");
		if (c < 0x20 || c == 0x7f)
			return smtp_fail(why, SMTP_PARSE_BAD_BYTE,
			                 "control character in command");
	}
	/* Trailing spaces carry no meaning; some clients send them. */
	while (s.len > 0 && s.p[s.len - 1] == ' ')
		s.len--;
	if (s.len == 0)
		return smtp_fail(why, SMTP_PARSE_UNKNOWN_VERB, "empty command");
	verb = smtp_str_token(&s);
	for (i = 0; i < SMTP_VERB_COUNT; i++) {
		if (str_eq_nocase(verb, smtp_verbs[i].name)) {
			cmd->verb = smtp_verbs[i].verb;
			return smtp_verbs[i].args(s, cmd, why);
		}
	}
	return smtp_fail(why, SMTP_PARSE_UNKNOWN_VERB,
	                 "command not recognized");
}
