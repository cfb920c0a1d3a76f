/*
 * xmalloc.h - allocation that never returns NULL.
 *
 * A daemon cannot usefully go on after running out of memory, so these
 * wrappers abort with one clear line instead of returning NULL. Sizes are
 * overflow-checked. xfree-style helpers are not needed: free(NULL) is fine.
 */
#ifndef SWERVE_CORE_XMALLOC_H
#define SWERVE_CORE_XMALLOC_H

#include <stddef.h>

/* xmalloc - malloc(size) or abort. */
void *xmalloc(size_t size);
/* xcalloc - calloc(n, size) with overflow check, or abort. */
void *xcalloc(size_t n, size_t size);
/* xrealloc - realloc(p, size) or abort. */
void *xrealloc(void *p, size_t size);
/* xreallocarray - realloc(p, n * size) with overflow check, or abort. */
void *xreallocarray(void *p, size_t n, size_t size);
/* xstrdup - strdup(s) or abort; s must not be NULL. */
char *xstrdup(const char *s);
/* xstrndup - copy at most n bytes of s and a NUL, or abort. */
char *xstrndup(const char *s, size_t n);
/* xmemdup - copy n bytes of p plus a trailing NUL (not counted), or abort. */
void *xmemdup(const void *p, size_t n);

#endif
