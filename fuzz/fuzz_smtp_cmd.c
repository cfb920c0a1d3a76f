/*
 * fuzz_smtp_cmd.c - libFuzzer target for the SMTP command parser.
 *
 * Parses arbitrary bytes as one command line and checks the contract:
 * a known status and a reason, views that lie inside the line, no control
 * bytes in an accepted command, paths within the RFC 5321 limits and
 * valid by smtp_path_valid, the same answer twice, and for MAIL/RCPT that
 * the path, written back as a command, parses to the same path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "ingress/smtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - abort unless ok (libFuzzer reports the crash). */
static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* fuzz_view_inside - v is empty or lies within [p, p + n). */
static int
fuzz_view_inside(struct str v, const char *p, size_t n)
{
	return v.len == 0 || (v.p >= p && v.p + v.len <= p + n);
}

/* fuzz_view_clean - no control bytes in v. */
static int
fuzz_view_clean(struct str v)
{
	size_t i;

	for (i = 0; i < v.len; i++) {
		unsigned char c = v.p[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* fuzz_has_8bit - any byte of v outside ASCII. */
static int
fuzz_has_8bit(struct str v)
{
	size_t i;

	for (i = 0; i < v.len; i++)
		if ((unsigned char)v.p[i] >= 0x80)
			return 1;
	return 0;
}

/* fuzz_path_round_trip - "MAIL FROM:<path>" parses back to path. */
static void
fuzz_path_round_trip(const struct smtp_cmd *cmd)
{
	char line[SMTP_CMD_LINE_MAX];
	struct smtp_cmd again;
	const char *why;
	int n, rc;

	n = snprintf(line, sizeof(line), "%s %s:<%.*s>%s",
	             cmd->verb == SMTP_VERB_MAIL ? "MAIL" : "RCPT",
	             cmd->verb == SMTP_VERB_MAIL ? "FROM" : "TO",
	             (int)cmd->path.len, cmd->path.p,
	             cmd->smtputf8 ? " SMTPUTF8" : "");
	fuzz_check(n > 0 && (size_t)n < sizeof(line));
	rc = smtp_cmd_parse(line, (size_t)n, &again, &why);
	fuzz_check(rc == SMTP_PARSE_OK);
	fuzz_check(again.verb == cmd->verb);
	fuzz_check(again.path.len == cmd->path.len &&
	           memcmp(again.path.p, cmd->path.p, cmd->path.len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct smtp_cmd cmd, again;
	const char *why = NULL, *why2 = NULL;
	struct str whole = {line, size};
	size_t i;
	int rc, ctl = 0;

	for (i = 0; i < size; i++)
		if (data[i] < 0x20 || data[i] == 0x7f)
			ctl = 1;

	rc = smtp_cmd_parse(line, size, &cmd, &why);
	fuzz_check(rc == SMTP_PARSE_OK || rc == SMTP_PARSE_UNKNOWN_VERB ||
	           rc == SMTP_PARSE_SYNTAX || rc == SMTP_PARSE_BAD_PARAM ||
	           rc == SMTP_PARSE_BAD_BYTE);
	fuzz_check(why != NULL && why[0] != '\0');
	fuzz_check(!ctl || rc == SMTP_PARSE_BAD_BYTE);
	fuzz_check(fuzz_view_inside(cmd.arg, line, size));
	fuzz_check(fuzz_view_inside(cmd.path, line, size));
	fuzz_check(fuzz_view_inside(cmd.auth_mech, line, size));
	fuzz_check(fuzz_view_inside(cmd.auth_initial, line, size));

	/* A pure function: the same line gives the same answer. */
	fuzz_check(smtp_cmd_parse(line, size, &again, &why2) == rc);
	fuzz_check(why2 == why);

	if (rc == SMTP_PARSE_OK) {
		fuzz_check(cmd.verb < SMTP_VERB_COUNT);
		fuzz_check(fuzz_view_clean(cmd.arg) &&
		           fuzz_view_clean(cmd.path));
		fuzz_check(cmd.path.len + 2 <= SMTP_PATH_MAX);
		if (cmd.verb == SMTP_VERB_MAIL) {
			fuzz_check(!fuzz_has_8bit(cmd.path) || cmd.smtputf8);
			fuzz_check(cmd.path.len == 0 ||
			           smtp_path_valid(cmd.path, cmd.smtputf8));
		} else if (cmd.verb == SMTP_VERB_RCPT) {
			fuzz_check(smtp_path_valid(cmd.path, true));
		} else {
			fuzz_check(cmd.path.len == 0);
		}
		if ((cmd.verb == SMTP_VERB_MAIL && cmd.path.len > 0) ||
		    cmd.verb == SMTP_VERB_RCPT)
			fuzz_path_round_trip(&cmd);
		if (cmd.verb != SMTP_VERB_AUTH)
			fuzz_check(cmd.auth_mech.len == 0);
		else
			fuzz_check(cmd.auth_mech.len > 0 &&
			           !fuzz_has_8bit(cmd.auth_initial));
	}

	/* The validator on its own: ASCII-valid implies UTF-8-valid. */
	if (smtp_path_valid(whole, false))
		fuzz_check(smtp_path_valid(whole, true) &&
		           !fuzz_has_8bit(whole) && size + 2 <= SMTP_PATH_MAX);
	fuzz_check(smtp_verb_name((enum smtp_verb)(size % 20)) != NULL);
	return 0;
}
