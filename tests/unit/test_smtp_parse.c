/*
 * test_smtp_parse.c - the SMTP command parser.
 *
 * One table row per behaviour; each row runs as its own cmocka test named
 * after the behaviour. Every row also checks the parser's invariants: the
 * views lie inside the line, and errors come with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "ingress/smtp_parse.h"

#define NOVERB SMTP_VERB_COUNT /* the verb is not checked */

struct parse_case {
	const char *name;
	const char *line;
	size_t len; /* 0: strlen(line) */
	int status;
	enum smtp_verb verb;
	const char *arg;  /* expected cmd.arg; NULL: empty */
	const char *path; /* expected cmd.path; NULL: empty */
	bool has_size;
	uint64_t size;
	enum smtp_body body;
	bool smtputf8;
	const char *mech; /* expected auth_mech; NULL: empty */
	const char *init; /* expected auth_initial; NULL: empty */
	const char *why;  /* expected start of the reason; NULL: any */
};

#define OK SMTP_PARSE_OK
#define UNKNOWN SMTP_PARSE_UNKNOWN_VERB
#define SYNTAX SMTP_PARSE_SYNTAX
#define PARAM SMTP_PARSE_BAD_PARAM
#define BYTE SMTP_PARSE_BAD_BYTE

/* A path of n octets: "l...l@example.com" padded in the local part. */
static char long_path_mail[400], long_path_ok[400], long_path_box[400],
    long_local[200], long_domain[400], long_ehlo[400];

static const struct parse_case cases[] = {
    /* HELO / EHLO */
    {.name = "ehlo takes a domain",
     .line = "EHLO mail.example.com",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_EHLO,
     .arg = "mail.example.com"},
    {.name = "helo takes a domain",
     .line = "HELO client",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_HELO,
     .arg = "client"},
    {.name = "verbs are case insensitive",
     .line = "eHlO x.y",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_EHLO,
     .arg = "x.y"},
    {.name = "ehlo takes an ipv4 literal",
     .line = "EHLO [127.0.0.1]",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_EHLO,
     .arg = "[127.0.0.1]"},
    {.name = "ehlo takes an ipv6 literal",
     .line = "EHLO [IPv6:::1]",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_EHLO,
     .arg = "[IPv6:::1]"},
    {.name = "ehlo takes a full ipv6 literal",
     .line = "EHLO [IPv6:2001:db8::ff00:42:8329]",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_EHLO,
     .arg = "[IPv6:2001:db8::ff00:42:8329]"},
    {.name = "ehlo takes an underscore hostname",
     .line = "EHLO my_pc.local",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_EHLO,
     .arg = "my_pc.local"},
    {.name = "ehlo ignores trailing spaces",
     .line = "EHLO host  ",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_EHLO,
     .arg = "host"},
    {.name = "ehlo without domain is syntax",
     .line = "EHLO",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_EHLO},
    {.name = "helo without domain is syntax",
     .line = "HELO ",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_HELO,
     .why = "HELO needs"},
    {.name = "ehlo with two words is syntax",
     .line = "EHLO a b",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_EHLO},
    {.name = "ehlo with bad ipv4 literal is syntax",
     .line = "EHLO [256.0.0.1]",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_EHLO,
     .why = "EHLO needs"},
    {.name = "ehlo with bad ipv6 literal is syntax",
     .line = "EHLO [IPv6:1:::2:::3]",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_EHLO},
    {.name = "ehlo with unterminated literal is syntax",
     .line = "EHLO [1.2.3.4",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_EHLO},
    {.name = "ehlo with general literal is syntax",
     .line = "EHLO [x400:abc]",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_EHLO},
    {.name = "ehlo with label starting with hyphen is syntax",
     .line = "EHLO -a.b",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_EHLO},
    {.name = "ehlo with empty label is syntax",
     .line = "EHLO a..b",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_EHLO},
    {.name = "ehlo with 8-bit byte is bad byte",
     .line = "EHLO h\xc3\xa9.example",
     .len = 0,
     .status = BYTE,
     .verb = SMTP_VERB_EHLO},
    {.name = "ehlo over 255 octets is syntax",
     .line = long_ehlo,
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_EHLO},

    /* MAIL */
    {.name = "mail takes a path",
     .line = "MAIL FROM:<a@b.example>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a@b.example"},
    {.name = "mail takes the null path",
     .line = "mail from:<>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail allows one space after from",
     .line = "MAIL FROM: <a@b>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a@b"},
    {.name = "mail refuses two spaces after from",
     .line = "MAIL FROM:  <a@b>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail takes size and body",
     .line = "MAIL FROM:<a@b> SIZE=123 BODY=8BITMIME",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a@b",
     .has_size = true,
     .size = 123,
     .body = SMTP_BODY_8BITMIME},
    {.name = "mail takes lower case params (smtplib)",
     .line = "mail FROM:<a@b> size=42 body=7bit",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a@b",
     .has_size = true,
     .size = 42,
     .body = SMTP_BODY_7BIT},
    {.name = "mail takes auth=<> (go net/smtp)",
     .line = "MAIL FROM:<a@b> AUTH=<>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a@b"},
    {.name = "mail takes smtputf8 with utf8 path",
     .line = "MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc.example> SMTPUTF8",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "j\xc3\xb6rg@b\xc3\xbc.example",
     .smtputf8 = true},
    {.name = "mail takes size zero",
     .line = "MAIL FROM:<a@b> SIZE=0",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a@b",
     .has_size = true,
     .size = 0},
    {.name = "mail takes max uint64 size",
     .line = "MAIL FROM:<a@b> SIZE=18446744073709551615",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a@b",
     .has_size = true,
     .size = UINT64_MAX},
    {.name = "mail takes a quoted local part",
     .line = "MAIL FROM:<\"a b>c\"@d.example>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "\"a b>c\"@d.example"},
    {.name = "mail takes an escaped quote",
     .line = "MAIL FROM:<\"a\\\"b\"@d>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "\"a\\\"b\"@d"},
    {.name = "mail takes an address literal domain",
     .line = "MAIL FROM:<a@[192.0.2.1]>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a@[192.0.2.1]"},
    {.name = "mail strips a source route",
     .line = "MAIL FROM:<@r1.example,@r2.example:a@b>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a@b"},
    {.name = "mail takes atext specials",
     .line = "MAIL FROM:<a.b+c!#$%&'*/=?^_`{|}~-@x>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a.b+c!#$%&'*/=?^_`{|}~-@x"},
    {.name = "mail of 256 octets is fine",
     .line = long_path_ok,
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = long_path_box},
    {.name = "mail without brackets is syntax",
     .line = "MAIL FROM:a@b",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL,
     .why = "MAIL needs FROM:<"},
    {.name = "mail without closing bracket is syntax",
     .line = "MAIL FROM:<a@b",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail without from is syntax",
     .line = "MAIL <a@b>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail alone is syntax",
     .line = "MAIL",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with space before colon is syntax",
     .line = "MAIL FROM :<a@b>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail path over 256 octets is syntax",
     .line = long_path_mail,
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL,
     .why = "invalid"},
    {.name = "mail local part over 64 is syntax",
     .line = long_local,
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL,
     .why = "invalid"},
    {.name = "mail domain over 255 is syntax",
     .line = long_domain,
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL,
     .why = "invalid"},
    {.name = "mail without domain is syntax",
     .line = "MAIL FROM:<a>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail from postmaster alone is syntax",
     .line = "MAIL FROM:<postmaster>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with two dots is syntax",
     .line = "MAIL FROM:<a..b@c>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL,
     .why = "invalid"},
    {.name = "mail with junk after path is syntax",
     .line = "MAIL FROM:<a@b>x",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with empty domain is syntax",
     .line = "MAIL FROM:<a@>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with bad source route is syntax",
     .line = "MAIL FROM:<@r1:>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL,
     .why = "invalid"},
    {.name = "mail with unknown param is bad param",
     .line = "MAIL FROM:<a@b> RET=FULL",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_MAIL,
     .why = "unknown"},
    {.name = "mail with duplicate size is bad param",
     .line = "MAIL FROM:<a@b> SIZE=1 SIZE=1",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_MAIL,
     .why = "duplicate"},
    {.name = "mail with duplicate body is bad param",
     .line = "MAIL FROM:<a@b> BODY=7BIT body=8bitmime",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with non-numeric size is bad param",
     .line = "MAIL FROM:<a@b> SIZE=12k",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with empty size is bad param",
     .line = "MAIL FROM:<a@b> SIZE=",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with bare size is bad param",
     .line = "MAIL FROM:<a@b> SIZE",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with negative size is bad param",
     .line = "MAIL FROM:<a@b> SIZE=-1",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with overflowing size is bad param",
     .line = "MAIL FROM:<a@b> SIZE=18446744073709551616",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with binarymime body is bad param",
     .line = "MAIL FROM:<a@b> BODY=BINARYMIME",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with smtputf8 value is bad param",
     .line = "MAIL FROM:<a@b> SMTPUTF8=yes",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with malformed param is bad param",
     .line = "MAIL FROM:<a@b> =x",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with utf8 path but no smtputf8 is bad byte",
     .line = "MAIL FROM:<j\xc3\xb6rg@b.example>",
     .len = 0,
     .status = BYTE,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with 8-bit param is bad byte",
     .line = "MAIL FROM:<a@b> SIZE=1\xff",
     .len = 0,
     .status = BYTE,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with invalid utf8 is syntax",
     .line = "MAIL FROM:<a\xc0\xaf@b> SMTPUTF8",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL},
    {.name = "mail with a bidi override in the domain is syntax",
     .line = "MAIL FROM:<a@pay\xe2\x80\xaelap.example> SMTPUTF8",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_MAIL},
    {.name = "rcpt with a zero-width space in the domain is syntax",
     .line = "RCPT TO:<a@pay\xe2\x80\x8bpal.example>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_RCPT},

    {.name = "mail takes python smtplib send_message line",
     .line = "mail FROM:<j\xc3\xb6rg@b\xc3\xbc.example> size=161 SMTPUTF8 "
             "BODY=8BITMIME",
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "j\xc3\xb6rg@b\xc3\xbc.example",
     .has_size = true,
     .size = 161,
     .body = SMTP_BODY_8BITMIME,
     .smtputf8 = true},
    {.name = "mail takes go net/smtp line",
     .line = "MAIL FROM:<a@b> BODY=8BITMIME SMTPUTF8 AUTH=<>",
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a@b",
     .body = SMTP_BODY_8BITMIME,
     .smtputf8 = true},
    {.name = "mail takes nodemailer line",
     .line = "MAIL FROM:<a@b.example> BODY=8BITMIME SIZE=1234",
     .status = OK,
     .verb = SMTP_VERB_MAIL,
     .path = "a@b.example",
     .has_size = true,
     .size = 1234,
     .body = SMTP_BODY_8BITMIME},
    {.name = "mail with duplicate smtputf8 is bad param",
     .line = "MAIL FROM:<a@b> SMTPUTF8 smtputf8",
     .status = PARAM,
     .verb = SMTP_VERB_MAIL,
     .why = "duplicate"},

    /* RCPT */
    {.name = "rcpt takes a path",
     .line = "RCPT TO:<z@w.example>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_RCPT,
     .path = "z@w.example"},
    {.name = "rcpt allows one space after to",
     .line = "rcpt to: <z@w>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_RCPT,
     .path = "z@w"},
    {.name = "rcpt takes bare postmaster",
     .line = "RCPT TO:<postmaster>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_RCPT,
     .path = "postmaster"},
    {.name = "rcpt takes Postmaster in any case",
     .line = "RCPT TO:<PostMaster>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_RCPT,
     .path = "PostMaster"},
    {.name = "rcpt takes utf8 (the session checks smtputf8)",
     .line = "RCPT TO:<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b.cn>",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_RCPT,
     .path = "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b.cn"},
    {.name = "rcpt of the null path is syntax",
     .line = "RCPT TO:<>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_RCPT,
     .why = "invalid"},
    {.name = "rcpt without brackets is syntax",
     .line = "RCPT TO:z@w",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_RCPT,
     .why = "RCPT needs TO:<"},
    {.name = "rcpt with from is syntax",
     .line = "RCPT FROM:<z@w>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_RCPT},
    {.name = "rcpt with params is bad param",
     .line = "RCPT TO:<z@w> NOTIFY=NEVER",
     .len = 0,
     .status = PARAM,
     .verb = SMTP_VERB_RCPT},
    {.name = "rcpt with overlong utf8 is syntax",
     .line = "RCPT TO:<\xc0\xaf@w>",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_RCPT,
     .why = "invalid"},

    /* Commands without arguments */
    {.name = "data alone is fine",
     .line = "DATA",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_DATA},
    {.name = "data with trailing space is fine",
     .line = "DATA ",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_DATA},
    {.name = "data with argument is syntax",
     .line = "DATA x",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_DATA,
     .why = "DATA takes no"},
    {.name = "rset with argument is syntax",
     .line = "RSET now",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_RSET},
    {.name = "quit with argument is syntax",
     .line = "QUIT please",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_QUIT},
    {.name = "starttls alone is fine",
     .line = "STARTTLS",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_STARTTLS},
    {.name = "starttls with argument is syntax",
     .line = "starttls x",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_STARTTLS},
    {.name = "rset alone is fine",
     .line = "rset",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_RSET},
    {.name = "quit alone is fine",
     .line = "QUIT",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_QUIT},

    /* Commands with free text */
    {.name = "noop takes nothing",
     .line = "NOOP",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_NOOP},
    {.name = "noop takes text",
     .line = "NOOP hello there",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_NOOP,
     .arg = "hello there"},
    {.name = "help takes a topic",
     .line = "HELP MAIL",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_HELP,
     .arg = "MAIL"},
    {.name = "vrfy takes a string",
     .line = "VRFY postmaster",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_VRFY,
     .arg = "postmaster"},
    {.name = "vrfy without argument is syntax",
     .line = "VRFY",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_VRFY},
    {.name = "noop with 8-bit text is bad byte",
     .line = "NOOP \xe9",
     .len = 0,
     .status = BYTE,
     .verb = SMTP_VERB_NOOP},

    /* AUTH */
    {.name = "auth plain with initial response",
     .line = "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_AUTH,
     .mech = "PLAIN",
     .init = "AGFsaWNlAHNlY3JldA=="},
    {.name = "auth login alone",
     .line = "AUTH LOGIN",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_AUTH,
     .mech = "LOGIN"},
    {.name = "auth with empty initial response",
     .line = "AUTH PLAIN =",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_AUTH,
     .mech = "PLAIN",
     .init = "="},
    {.name = "auth login with username (smtplib)",
     .line = "AUTH LOGIN dXNlcg==",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_AUTH,
     .mech = "LOGIN",
     .init = "dXNlcg=="},
    {.name = "auth mechanism keeps its case",
     .line = "auth cram-md5",
     .len = 0,
     .status = OK,
     .verb = SMTP_VERB_AUTH,
     .mech = "cram-md5"},
    {.name = "auth without mechanism is syntax",
     .line = "AUTH",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_AUTH},
    {.name = "auth with bad base64 is syntax",
     .line = "AUTH PLAIN abc!",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_AUTH},
    {.name = "auth with unpadded base64 is syntax",
     .line = "AUTH PLAIN abc",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_AUTH},
    {.name = "auth with data after padding is syntax",
     .line = "AUTH PLAIN ab=c",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_AUTH},
    {.name = "auth with three words is syntax",
     .line = "AUTH PLAIN = x",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_AUTH},
    {.name = "auth with long mechanism is syntax",
     .line = "AUTH ABCDEFGHIJKLMNOPQRSTU",
     .len = 0,
     .status = SYNTAX,
     .verb = SMTP_VERB_AUTH},

    /* Bytes and verbs */
    {.name = "empty line is unknown",
     .line = "",
     .len = 0,
     .status = UNKNOWN,
     .verb = NOVERB},
    {.name = "unknown verb is unknown",
     .line = "XYZZY",
     .len = 0,
     .status = UNKNOWN,
     .verb = NOVERB},
    {.name = "partial verb is unknown",
     .line = "MAI FROM:<a@b>",
     .len = 0,
     .status = UNKNOWN,
     .verb = NOVERB},
    {.name = "verb glued to argument is unknown",
     .line = "MAILFROM:<a@b>",
     .len = 0,
     .status = UNKNOWN,
     .verb = NOVERB},
    {.name = "leading space is unknown",
     .line = " NOOP",
     .len = 0,
     .status = UNKNOWN,
     .verb = NOVERB},
    {.name = "nul byte is bad byte",
     .line = "NOOP a\0b",
     .len = 8,
     .status = BYTE,
     .verb = NOVERB,
     .why = "NUL"},
    {.name = "tab is bad byte",
     .line = "NOOP\ta",
     .len = 0,
     .status = BYTE,
     .verb = NOVERB},
    {.name = "cr inside line is bad byte",
     .line = "RCPT TO:<a@b>\rDATA",
     .len = 0,
     .status = BYTE,
     .verb = NOVERB},
    {.name = "lf inside line is bad byte",
     .line = "RSET\nDATA",
     .len = 0,
     .status = BYTE,
     .verb = NOVERB},
    {.name = "del is bad byte",
     .line = "NOOP \x7f",
     .len = 0,
     .status = BYTE,
     .verb = NOVERB},
    {.name = "8-bit in verb is unknown",
     .line = "D\xc3\x81TA",
     .len = 0,
     .status = UNKNOWN,
     .verb = NOVERB},
};

/* view_inside - v is empty or lies within [line, line + len). */
static bool
view_inside(struct str v, const char *line, size_t len)
{
	if (v.len == 0)
		return true;
	return v.p >= line && v.p + v.len <= line + len;
}

/* assert_view - v equals want (NULL meaning empty). */
static void
assert_view(const char *what, struct str v, const char *want)
{
	size_t n = want ? strlen(want) : 0;

	if (v.len != n || (n > 0 && memcmp(v.p, want, n) != 0)) {
		print_error("%s: got \"%.*s\", want \"%s\"\n", what, (int)v.len,
		            v.p ? v.p : "", want ? want : "");
		fail();
	}
}

/* parse_case_run - parse the row's line and check everything it says. */
static void
parse_case_run(void **state)
{
	const struct parse_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->line);
	char *line = malloc(len ? len : 1);
	struct smtp_cmd cmd;
	const char *why = NULL;
	int rc;

	/* An exact-size copy lets ASan catch any read past line[len]. */
	memcpy(line, c->line, len);
	rc = smtp_cmd_parse(line, len, &cmd, &why);
	assert_non_null(why);
	if (rc != c->status)
		print_error("status %d (%s), want %d\n", rc, why, c->status);
	assert_int_equal(rc, c->status);
	if (c->verb != NOVERB)
		assert_int_equal(cmd.verb, c->verb);
	assert_true(view_inside(cmd.arg, line, len));
	assert_true(view_inside(cmd.path, line, len));
	assert_true(view_inside(cmd.auth_mech, line, len));
	assert_true(view_inside(cmd.auth_initial, line, len));
	if (c->why != NULL && strncmp(why, c->why, strlen(c->why)) != 0) {
		print_error("reason \"%s\", want \"%s...\"\n", why, c->why);
		fail();
	}
	if (rc != SMTP_PARSE_OK) {
		assert_true(strlen(why) > 0);
		free(line);
		return;
	}
	assert_view("arg", cmd.arg, c->arg);
	assert_view("path", cmd.path, c->path);
	assert_view("auth_mech", cmd.auth_mech, c->mech);
	assert_view("auth_initial", cmd.auth_initial, c->init);
	assert_int_equal(cmd.has_size, c->has_size);
	assert_true(cmd.size == c->size);
	assert_int_equal(cmd.body, c->body);
	assert_int_equal(cmd.smtputf8, c->smtputf8);
	free(line);
}

/* path_valid_checks_utf8_flag - ASCII/UTF-8 gate the session relies on. */
static void
path_valid_checks_utf8_flag(void **state)
{
	struct str utf = STR_LIT("j\xc3\xb6rg@example.com");

	assert_true(smtp_path_valid(STR_LIT("a@b.example"), false));
	assert_true(smtp_path_valid(utf, true));
	assert_false(smtp_path_valid(utf, false));
	assert_true(smtp_path_valid(STR_LIT("Postmaster"), false));
	assert_false(smtp_path_valid(STR_LIT(""), true));
	assert_false(smtp_path_valid(STR_LIT("a@b."), false));
	assert_false(smtp_path_valid(STR_LIT("a@-b"), false));
	assert_false(smtp_path_valid(STR_LIT("a@b_c"), false));
	assert_false(smtp_path_valid(STR_LIT(".a@b"), false));
	assert_false(smtp_path_valid(STR_LIT("a.@b"), false));
	assert_false(smtp_path_valid(STR_LIT("\"a@b"), false));
	assert_false(smtp_path_valid(STR_LIT("a@b\0c"), false));
	assert_false(smtp_path_valid(STR_LIT("a@[1.2.3]"), false));
	assert_true(smtp_path_valid(STR_LIT("a@[IPv6:::ffff:1.2.3.4]"), false));
	assert_false(smtp_path_valid(STR_LIT("a@[IPv6:::1\0]"), false));
	/* Surrogates and code points above U+10FFFF are not UTF-8. */
	assert_false(smtp_path_valid(STR_LIT("\xed\xa0\x80@b"), true));
	assert_false(smtp_path_valid(STR_LIT("\xf4\x90\x80\x80@b"), true));
	assert_true(smtp_path_valid(STR_LIT("\xf0\x9f\x98\x80@b"), true));
}

/*
 * path_domains_are_idna2008 - U-labels and A-labels pass IDNA2008: bidi
 * controls, zero-width characters, upper case U-labels and broken
 * A-labels are not domains; ASCII domains are as before.
 */
static void
path_domains_are_idna2008(void **state)
{
	static const struct {
		const char *path;
		bool utf8, valid;
	} paths[] = {
	    {"a@b\xc3\xbc"
	     "cher.example",
	     true, true},
	    {"a@B\xc3\xbc"
	     "cher.EXAMPLE",
	     true, true},
	    {"a@xn--bcher-kva.example", false, true},
	    {"a@XN--BCHER-KVA.example", false, true},
	    {"a@\xd7\x90\xd7\x91.example", true, true},
	    {"a@Example.COM", false, true},
	    {"a@pay\xe2\x80\xaepal.example", true, false}, /* RLO */
	    {"a@pay\xe2\x80\x8fpal.example", true, false}, /* RLM */
	    {"a@pay\xe2\x81\xa6pal.example", true, false}, /* LRI */
	    {"a@pay\xe2\x80\x8bpal.example", true, false}, /* ZWSP */
	    {"a@pay\xe2\x80\x8cpal.example", true, false}, /* ZWNJ */
	    {"a@pay\xe2\x80\x8dpal.example", true, false}, /* ZWJ */
	    {"a@pay\xef\xbb\xbfpal.example", true, false}, /* BOM */
	    {"a@pay\xc2\xadpal.example", true, false},     /* SHY */
	    {"a@a\xd7\x90.example", true, false},          /* bidi rule */
	    {"a@\xc3\x9c"
	     "ber.example",
	     true, false},                           /* upper U */
	    {"a@u\xcc\x88.example", true, false},    /* not NFC */
	    {"a@\xef\xbc\xa1.example", true, false}, /* fullwidth */
	    {"a@xn--zz.example", false, false},
	    {"a@xn--bcher-kvaxx.example", false, false},
	    {"a@xn--ls8h.example", false, false}, /* an emoji */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct str p = {paths[i].path, strlen(paths[i].path)};
		if (smtp_path_valid(p, paths[i].utf8) != paths[i].valid)
			fail_msg("case %zu (%s): want %s", i, paths[i].path,
			         paths[i].valid ? "valid" : "invalid");
	}
}

/* verb_names_cover_every_verb - smtp_verb_name for each enum value. */
static void
verb_names_cover_every_verb(void **state)
{
	int v;

	assert_string_equal(smtp_verb_name(SMTP_VERB_EHLO), "EHLO");
	assert_string_equal(smtp_verb_name(SMTP_VERB_STARTTLS), "STARTTLS");
	assert_string_equal(smtp_verb_name(SMTP_VERB_COUNT), "?");
	for (v = 0; v < SMTP_VERB_COUNT; v++) {
		struct smtp_cmd cmd;
		const char *name = smtp_verb_name(v), *why;
		/* Each name parses back to its own verb. */
		smtp_cmd_parse(name, strlen(name), &cmd, &why);
		assert_int_equal(cmd.verb, v);
	}
}

/* why_may_be_null - callers that ignore the reason may pass NULL. */
static void
why_may_be_null(void **state)
{
	struct smtp_cmd cmd;

	assert_int_equal(smtp_cmd_parse("FOO", 3, &cmd, NULL),
	                 SMTP_PARSE_UNKNOWN_VERB);
	assert_int_equal(smtp_cmd_parse(NULL, 0, &cmd, NULL),
	                 SMTP_PARSE_UNKNOWN_VERB);
}

/* long_lines_make - build the length-limit rows' lines. */
static void
long_lines_make(void)
{
	char local[70], dom[70];

	/* "MAIL FROM:<" + 254-octet mailbox + ">" = path of 256 octets. */
	memset(local, 'l', 64);
	local[64] = '\0';
	memset(dom, 'd', 63);
	dom[63] = '\0';
	/* 64 + 1 + 63 + 1 + 63 + 1 + 61 = 254 */
	snprintf(long_path_ok, sizeof(long_path_ok),
	         "MAIL FROM:<%s@%s.%s.%.61s>", local, dom, dom, dom);
	snprintf(long_path_box, sizeof(long_path_box), "%s@%s.%s.%.61s", local,
	         dom, dom, dom);
	snprintf(long_path_mail, sizeof(long_path_mail),
	         "MAIL FROM:<%s@%s.%s.%.62s>", local, dom, dom, dom);
	memset(local, 'l', 65);
	local[65] = '\0';
	snprintf(long_local, sizeof(long_local), "MAIL FROM:<%s@b>", local);
	/* A 256-octet domain of 63-octet labels: rejected even without the
	 * path limit, which it also breaks. */
	snprintf(long_domain, sizeof(long_domain),
	         "MAIL FROM:<a@%s.%s.%s.%s.xxx>", dom, dom, dom, dom);
	snprintf(long_ehlo, sizeof(long_ehlo), "EHLO %s.%s.%s.%s.xxx", dom, dom,
	         dom, dom);
}

int
main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]), i;
	struct CMUnitTest *tests = calloc(n + 4, sizeof(*tests));
	int rc;

	long_lines_make();
	assert_true(strlen(long_path_ok) == 11 + 254 + 1);
	for (i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = parse_case_run;
		tests[i].initial_state = (void *)&cases[i];
	}
	tests[n] =
	    (struct CMUnitTest)cmocka_unit_test(path_valid_checks_utf8_flag);
	tests[n + 1] =
	    (struct CMUnitTest)cmocka_unit_test(verb_names_cover_every_verb);
	tests[n + 2] = (struct CMUnitTest)cmocka_unit_test(why_may_be_null);
	tests[n + 3] =
	    (struct CMUnitTest)cmocka_unit_test(path_domains_are_idna2008);
	rc = _cmocka_run_group_tests("smtp_parse", tests, n + 4, NULL, NULL);
	free(tests);
	return rc;
}
