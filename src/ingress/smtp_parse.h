/*
 * smtp_parse.h - the SMTP server's command parser (contract).
 *
 * A pure function over one command line: no sockets, no allocation. The
 * result holds views into the caller's line, valid while the line is.
 * Framing (finding the CRLF, the 512-octet cap) is the session's job; the
 * line given here excludes the CRLF.
 *
 * Accepted syntax (RFC 5321 4.1, with ESMTP parameters):
 *   HELO domain | EHLO domain-or-address-literal
 *   MAIL FROM:<path> [SIZE=n] [BODY=7BIT|8BITMIME] [SMTPUTF8] [AUTH=...]
 *   RCPT TO:<path> | RCPT TO:<Postmaster>
 *   DATA | RSET | NOOP [x] | QUIT | VRFY x | HELP [x] | STARTTLS
 *   AUTH mechanism [initial-response]
 * Verbs are case-insensitive. "FROM:" may be followed by one space
 * ("MAIL FROM: <a@b>") as common clients do. Source routes (<@a,@b:c@d>)
 * are accepted and stripped to the mailbox. Unknown ESMTP parameters,
 * duplicate parameters, NUL or other control bytes, and non-ASCII bytes
 * without SMTPUTF8 are errors.
 */
#ifndef SWERVE_INGRESS_SMTP_PARSE_H
#define SWERVE_INGRESS_SMTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Octets, including CRLF (RFC 5321 4.5.3.1.4). */
#define SMTP_CMD_LINE_MAX 512
#define SMTP_TEXT_LINE_MAX 1000 /* octets, including CRLF */
#define SMTP_PATH_MAX 256       /* octets of a path (RFC 5321 4.5.3.1.3) */

enum smtp_verb {
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_VRFY,
	SMTP_VERB_HELP,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
	SMTP_VERB_COUNT,
};

enum smtp_body {
	SMTP_BODY_NONE, /* no BODY= given */
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
};

struct smtp_cmd {
	enum smtp_verb verb;
	struct str arg;  /* HELO/EHLO domain, VRFY/HELP/NOOP argument */
	struct str path; /* MAIL/RCPT mailbox without <>; len 0 for <> */
	bool has_size;   /* MAIL SIZE= present */
	uint64_t size;   /* MAIL SIZE= value */
	enum smtp_body body;
	bool smtputf8;        /* MAIL SMTPUTF8 */
	struct str auth_mech; /* AUTH mechanism, as given */
	struct str
	    auth_initial; /* AUTH initial response ("=" kept); may be empty */
};

/* What went wrong, and which reply the session should send. */
enum smtp_parse_status {
	SMTP_PARSE_OK = 0,
	SMTP_PARSE_UNKNOWN_VERB = -1, /* 500 5.5.1 */
	SMTP_PARSE_SYNTAX = -2,       /* 501 5.5.4 / 5.1.7 / 5.1.3 */
	SMTP_PARSE_BAD_PARAM = -3,    /* 555 5.5.4 */
	SMTP_PARSE_BAD_BYTE = -4,     /* 500 5.5.2: NUL, control or 8-bit */
};

/*
 * smtp_cmd_parse - parse one command line (without CRLF) into cmd.
 * On error returns a negative enum smtp_parse_status and sets *why to a
 * static, human-readable reason ("MAIL needs FROM:<address>") suitable
 * for the reply text. Never reads past line[len].
 * On success *why is "OK"; why may be NULL. cmd is zeroed first; after
 * SMTP_PARSE_SYNTAX or SMTP_PARSE_BAD_PARAM cmd->verb says which command
 * it was. A SYNTAX reason that starts with "invalid" is about the address
 * itself (reply 5.1.7 for MAIL, 5.1.3 for RCPT); any other reason is about
 * the command's syntax (5.5.4). RCPT paths may hold
 * UTF-8 (the parser cannot know whether MAIL had SMTPUTF8): the session
 * checks smtp_path_valid(cmd->path, false) when it did not.
 */
int smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd,
                   const char **why);

/* smtp_verb_name - "HELO", "EHLO", ... */
const char *smtp_verb_name(enum smtp_verb v);

/*
 * smtp_path_valid - a mailbox "local@domain" as RFC 5321 allows (dot-atom
 * or quoted local part, domain or address literal); utf8 allows non-ASCII
 * (RFC 6531). The empty path is not valid here (callers allow <> for MAIL).
 * The bare "Postmaster" (any case) is valid, as RCPT TO allows it; the
 * parser itself refuses it after MAIL FROM.
 */
bool smtp_path_valid(struct str path, bool utf8);

#endif
