/*
 * mime_int.h - helpers shared by the mime_*.c files; not a public contract.
 *
 * Decoders append to a caller-owned struct buf and report problems as
 * enum mime_flag bits OR-ed into *flags; they never fail hard.
 */
#ifndef SWERVE_MIME_MIME_INT_H
#define SWERVE_MIME_MIME_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "mime/mime.h"

/* mime_hex_value - the value of hex digit c (either case), or -1. */
int mime_hex_value(unsigned char c);

/*
 * mime_eol - the line at p[0..n): returns its length through its LF (n if
 * it has none) and sets *content to its length without CRLF or LF.
 */
size_t mime_eol(const char *p, size_t n, size_t *content);

/*
 * mime_delim - is the line p[0..n) (without its line end) a delimiter
 * for boundary b of length bl (RFC 2046 5.1.1: "--b", trailing blanks
 * allowed)? Sets *close for the close delimiter "--b--".
 */
bool mime_delim(const char *p, size_t n, const char *b, size_t bl, bool *close);

/* mime_qp_decode - quoted-printable in[0..n) to out; -1 on bad escapes
 * (which are copied literally). */
int mime_qp_decode(const char *in, size_t n, struct buf *out);

/* mime_utf8_valid - true when p[0..n) is well-formed UTF-8. */
bool mime_utf8_valid(const char *p, size_t n);

/*
 * mime_charset_to_utf8 - append in[0..n), in charset cs, to out as UTF-8.
 * Returns 0, or MIME_F_CHARSET (invalid bytes) or MIME_F_UNKNOWN_CS (out
 * is then unchanged).
 */
unsigned mime_charset_to_utf8(const char *cs, const char *in, size_t n,
                              struct buf *out);

/*
 * mime_words_decode - decode RFC 2047 encoded-words in unstructured text
 * s[0..n) into out (UTF-8). Invalid encoded-words are left as they are.
 */
void mime_words_decode(const char *s, size_t n, struct buf *out,
                       unsigned *flags);

/*
 * mime_ctype_parse - parse "token/token *(; param)" or, when slash is
 * false, "token *(; param)" (Content-Disposition). Sets *value to the
 * lowercased value and *params to RFC 2231-joined parameters; returns 0,
 * or -1 when the value itself is unusable (then *value is NULL; params
 * may still be set). Parameter problems set MIME_F_PARAM in *flags.
 */
int mime_ctype_parse(const char *s, size_t n, bool slash, char **value,
                     struct mime_param **params, size_t *nparams,
                     unsigned *flags);

/* mime_params_free - release n parameters and the array. */
void mime_params_free(struct mime_param *p, size_t n);

/* mime_note - record flag bits in m; text (or a default) if first. */
void mime_note(struct mime_msg *m, unsigned bits, const char *text);

/* mime_json_extract - fill m's text/html/attachments/custom and verdict. */
void mime_json_extract(struct mime_msg *m);

#endif
