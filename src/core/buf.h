/*
 * buf.h - owned, growable byte buffers and borrowed string views.
 *
 * struct buf owns its bytes; it always keeps one spare byte so that
 * buf_cstr() can NUL-terminate without reallocating. struct str is a view:
 * it owns nothing and is valid only as long as the bytes it points into.
 */
#ifndef SWERVE_CORE_BUF_H
#define SWERVE_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

struct str {
	const char *p;
	size_t len;
};

#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})

/* buf_init - make b an empty buffer (no allocation). */
void buf_init(struct buf *b);
/* buf_fini - release b's bytes; b is empty afterwards and may be reused. */
void buf_fini(struct buf *b);
/* buf_reserve - make room for n more bytes (plus the spare NUL byte). */
void buf_reserve(struct buf *b, size_t n);
/* buf_add - append n bytes from p. */
void buf_add(struct buf *b, const void *p, size_t n);
/* buf_addstr - append the C string s. */
void buf_addstr(struct buf *b, const char *s);
/* buf_addch - append one byte. */
void buf_addch(struct buf *b, char c);
/* buf_printf - append printf-formatted text. */
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* buf_cstr - NUL-terminate b (not counted in len) and return its bytes. */
const char *buf_cstr(struct buf *b);
/* buf_steal - hand b's bytes (NUL-terminated) to the caller; b is emptied. */
char *buf_steal(struct buf *b, size_t *lenp);

/* str_from - view of the C string s. */
struct str str_from(const char *s);
/* str_eq_nocase - ASCII case-insensitive equality of a view and a string. */
bool str_eq_nocase(struct str a, const char *b);
/* str_dup - NUL-terminated heap copy of a view; caller frees. */
char *str_dup(struct str s);

#endif
