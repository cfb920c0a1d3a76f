/*
 * tmpl_hbs.c - the Handlebars parser (first cut: not yet available).
 */
#include "tmpl/tmpl_ast.h"

int
tmpl_hbs_parse(struct tmpl *t, struct tmpl_error *err)
{
	(void)t;
	tmpl_error_set(err, TMPL_ERR_SYNTAX, 1, 1,
	               "the Handlebars dialect is not available yet");
	return -1;
}
