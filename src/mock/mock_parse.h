/*
 * mock_parse.h - swerve-mock's SMTP parsing: commands, DATA, AUTH (contract).
 *
 * Pure functions over buffers, no sockets. The mock has its own small
 * parser on purpose: it is the independent peer that swerve's SMTP client
 * is tested against, so it must not share swerve's ingress parser and its
 * bugs. It is strict where a real provider is strict (CRLF only, line
 * lengths, angle brackets, unknown parameters) and lenient nowhere else.
 *
 * Views returned point into the caller's line and are valid while it is.
 */
#ifndef SWERVE_MOCK_MOCK_PARSE_H
#define SWERVE_MOCK_MOCK_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define MOCK_CMD_LINE_MAX 512   /* octets of a command line incl. CRLF */
#define MOCK_TEXT_LINE_MAX 1000 /* octets of a text line incl. CRLF */
#define MOCK_PATH_MAX 256       /* octets of a path, without <> */

enum mock_verb {
	MOCK_VERB_HELO,
	MOCK_VERB_EHLO,
	MOCK_VERB_MAIL,
	MOCK_VERB_RCPT,
	MOCK_VERB_DATA,
	MOCK_VERB_RSET,
	MOCK_VERB_NOOP,
	MOCK_VERB_QUIT,
	MOCK_VERB_VRFY,
	MOCK_VERB_HELP,
	MOCK_VERB_STARTTLS,
	MOCK_VERB_AUTH,
};

struct mock_cmd {
	enum mock_verb verb;
	struct str arg;  /* HELO/EHLO domain; AUTH mechanism; VRFY text */
	struct str path; /* MAIL/RCPT address without <>; empty for <> */
	struct str auth_initial; /* AUTH initial response, may be empty */
	bool has_size;           /* MAIL ... SIZE=n */
	uint64_t size;
};

/* Parse failures, each with the reply class the session should send. */
enum mock_parse_err {
	MOCK_PARSE_OK = 0,
	MOCK_PARSE_UNKNOWN = -1, /* 500 5.5.1 unknown command */
	MOCK_PARSE_SYNTAX = -2,  /* 501 5.5.4 syntax error in arguments */
	MOCK_PARSE_PARAM = -3,   /* 555 5.5.4 unsupported parameter */
	MOCK_PARSE_BYTE = -4,    /* 500 5.5.2 control or 8-bit byte */
};

/*
 * mock_cmd_parse - parse one command line (len bytes, CRLF removed).
 * MAIL accepts SIZE=, BODY=7BIT|8BITMIME and AUTH= parameters; RCPT none.
 * Returns MOCK_PARSE_OK, or a negative enum mock_parse_err with *why set
 * to a static reason fit for the reply text.
 */
int mock_cmd_parse(const char *line, size_t len, struct mock_cmd *cmd,
                   const char **why);

enum mock_data_fault {
	MOCK_DATA_FAULT_NONE = 0,
	MOCK_DATA_FAULT_BARE_LF,   /* 550 5.6.0 */
	MOCK_DATA_FAULT_BARE_CR,   /* 550 5.6.0 */
	MOCK_DATA_FAULT_NUL,       /* 550 5.6.0 */
	MOCK_DATA_FAULT_LINE_LONG, /* 500 5.5.2 */
	MOCK_DATA_FAULT_TOO_BIG,   /* 552 5.3.4 */
};

/*
 * The DATA reader: un-dot-stuffs the body into out until CRLF.CRLF. Only
 * that sequence ends the data; bare CR or LF, NUL, long lines and
 * oversize bodies are noted as the first fault and reading goes on to the
 * real end, so the message can be refused whole. out never grows beyond
 * max_size bytes.
 */
struct mock_data {
	int state;                  /* private */
	size_t line_len;            /* private: octets in the current line */
	uint64_t max_size;          /* private */
	enum mock_data_fault fault; /* first fault seen */
	struct buf *out;            /* not owned */
};

/* mock_data_init - start reading a body into out (not owned, appended). */
void mock_data_init(struct mock_data *d, struct buf *out, uint64_t max_size);

/*
 * mock_data_feed - consume bytes of p; *used says how many. Returns true
 * once the final CRLF.CRLF was consumed (bytes after it are left unused),
 * false when all len bytes were consumed and more are needed.
 */
bool mock_data_feed(struct mock_data *d, const char *p, size_t len,
                    size_t *used);

/* mock_data_fault_reply - the full reply line (no CRLF) for a fault. */
const char *mock_data_fault_reply(enum mock_data_fault f);

/*
 * mock_auth_plain_split - split a decoded SASL PLAIN message
 * "authzid NUL authcid NUL passwd" into its user (authcid) and password.
 * Returns 0, or -1 if there are not exactly two NULs or user is empty.
 */
int mock_auth_plain_split(struct str msg, struct str *user, struct str *pass);

#endif
