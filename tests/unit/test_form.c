/*
 * test_form.c - form bodies: multipart/form-data boundaries, parts with
 * and without file names, preamble and transport padding, refusals
 * (missing closing delimiter, header not form-data, header section too
 * long, too many fields, bad boundaries), folded part header lines,
 * urlencoded decoding in place. One parser serves ingress's drop-in
 * endpoints and swerve-mock's fake Mailgun; these cases are both's.
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
#include "core/xmalloc.h"
#include "mime/form.h"

/* eq - does the view hold exactly s? */
static void
assert_view(struct str v, const char *s)
{
	if (!form_str_eq(v, s))
		fail_msg("view \"%.*s\" != \"%s\"", (int)v.len, v.p, s);
}

/* parse - multipart body s with boundary b; returns rc, *why set. */
static int
parse(const char *s, const char *b, struct form *fm, const char **why)
{
	struct str bs = {b, strlen(b)};

	form_init(fm);
	*why = "";
	return form_multipart_parse(s, strlen(s), bs, fm, why);
}

static void
boundary_quoted_or_not(void **state)
{
	struct str b;
	const char *why;

	(void)state;
	assert_int_equal(
	    form_boundary_get("multipart/form-data; boundary=----abc123", &b,
	                      &why),
	    0);
	assert_view(b, "----abc123");
	assert_int_equal(
	    form_boundary_get(
	        "Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b:c\"", &b,
	        &why),
	    0);
	assert_view(b, "a b:c");
}

static void
boundary_refusals(void **state)
{
	struct str b;
	const char *why;

	(void)state;
	assert_int_equal(
	    form_boundary_get("multipart/mixed; boundary=x", &b, &why), -1);
	assert_int_equal(form_boundary_get("multipart/form-data", &b, &why),
	                 -1);
	assert_int_equal(
	    form_boundary_get("multipart/form-data; boundary=", &b, &why), -1);
	assert_int_equal(
	    form_boundary_get("multipart/form-data; boundary=\"unterminated",
	                      &b, &why),
	    -1);
	assert_int_equal(form_boundary_get("multipart/form-data; boundary="
	                                   "01234567890123456789012345678901234"
	                                   "567890123456789012345678901234"
	                                   "567890",
	                                   &b, &why),
	                 -1);
	assert_int_equal(
	    form_boundary_get("multipart/form-data; boundary=a<b", &b, &why),
	    -1);
	assert_int_equal(form_boundary_get(NULL, &b, &why), -1);
	assert_int_equal(form_boundary_get("multipart/form-data; "
	                                   "boundary=\"ends in space \"",
	                                   &b, &why),
	                 -1);
	assert_int_equal(
	    form_boundary_get("multipart/form-data; boundary=a{b}", &b, &why),
	    -1);
	assert_int_equal(
	    form_boundary_get("multipart/form-dataX; boundary=a", &b, &why),
	    -1);
}

static void
fields_files_and_binary_values(void **state)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"from\"\r\n"
	    "\r\n"
	    "A <a@example.com>\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"attachment\"; "
	    "filename=\"r\xc3\xa9port.pdf\"\r\n"
	    "Content-Type: application/pdf\r\n"
	    "\r\n"
	    "%PDF\0\r\n--XyZ not a delimiter\r\n"
	    "--XyZ\r\n"
	    "content-disposition: form-data; name=empty\r\n"
	    "\r\n"
	    "\r\n"
	    "--XyZ--\r\n";
	struct str bs = STR_LIT("XyZ");
	struct form fm;
	const char *why = "";

	(void)state;
	form_init(&fm);
	assert_int_equal(
	    form_multipart_parse(body, sizeof(body) - 1, bs, &fm, &why), 0);
	assert_int_equal(fm.n, 3);
	assert_view(fm.f[0].name, "from");
	assert_view(fm.f[0].value, "A <a@example.com>");
	assert_false(fm.f[0].is_file);
	assert_view(fm.f[1].name, "attachment");
	assert_true(fm.f[1].is_file);
	assert_view(fm.f[1].filename, "r\xc3\xa9port.pdf");
	assert_view(fm.f[1].ctype, "application/pdf");
	assert_int_equal(fm.f[1].value.len, 28);
	assert_memory_equal(fm.f[1].value.p, "%PDF\0\r\n--XyZ not a delimiter",
	                    28);
	assert_view(fm.f[2].name, "empty");
	assert_int_equal(fm.f[2].value.len, 0);
	assert_ptr_equal(form_field_get(&fm, "from"), &fm.f[0]);
	assert_null(form_field_get(&fm, "to"));
	form_fini(&fm);
}

static void
folded_lines_case_and_parameter_order(void **state)
{
	static const char body[] =
	    "preamble\r\n--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"to\"\r\n\r\n"
	    "b@rcpt.test\r\n--XyZ\r\n"
	    "content-disposition: FORM-DATA; filename=\"m.mime\"; "
	    "name=message\r\n"
	    "Content-Type: message/rfc822 \r\n\r\n"
	    "A\r\n\0B\r\n--Xy\r\n--XyZ  \r\n"
	    "Content-Disposition: form-data;\r\n name=\"v:gw_id\"\r\n"
	    "Content-Type:\r\n\ttext/plain\r\n\r\n"
	    "\r\n--XyZ--\r\nepilogue";
	const struct form_field *f;
	struct form fm;
	const char *why = "";

	(void)state;
	form_init(&fm);
	assert_int_equal(form_multipart_parse(body, sizeof(body) - 1,
	                                      STR_LIT("XyZ"), &fm, &why),
	                 0);
	assert_int_equal(fm.n, 3);
	assert_view(fm.f[0].name, "to");
	assert_view(fm.f[0].value, "b@rcpt.test");
	f = form_field_get(&fm, "message");
	assert_non_null(f);
	assert_true(f->is_file);
	assert_view(f->filename, "m.mime");
	assert_view(f->ctype, "message/rfc822");
	/* A NUL and a near-boundary stay inside the value. */
	assert_int_equal(f->value.len, 11);
	assert_memory_equal(f->value.p, "A\r\n\0B\r\n--Xy", 11);
	/* Folded lines (RFC 5322 2.2.3) are read as one; this part used to
	 * be refused by the ingress parser and accepted by the mock's. */
	assert_view(fm.f[2].name, "v:gw_id");
	assert_view(fm.f[2].ctype, "text/plain");
	assert_view(fm.f[2].value, "");
	form_fini(&fm);
}

static void
broken_structures_are_refused(void **state)
{
	static const char *const bad[] = {
	    /* no Content-Disposition */
	    "--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--",
	    /* no name */
	    "--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--",
	    /* an empty name */
	    "--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n"
	    "--b--",
	    /* bare LF after the delimiter */
	    "--b\nContent-Disposition: form-data; name=x\n\nv\n--b--",
	    /* header line without a colon */
	    "--b\r\nContent-Disposition form-data\r\n\r\nv\r\n--b--",
	    /* a header section that starts with a blank */
	    "--b\r\n X: y\r\nContent-Disposition: form-data; name=x\r\n\r\n"
	    "v\r\n--b--",
	};
	struct form fm;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], "b", &fm, &why), -1);
		assert_true(why[0] != '\0');
		form_fini(&fm);
	}
}

static void
preamble_and_padding_are_skipped(void **state)
{
	struct form fm;
	const char *why;

	(void)state;
	assert_int_equal(
	    parse(
	        "This is a preamble.\r\n--b  \r\n"
	        "Content-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--",
	        "b", &fm, &why),
	    0);
	assert_int_equal(fm.n, 1);
	assert_view(fm.f[0].value, "1");
	form_fini(&fm);
}

static void
structural_errors_are_refused(void **state)
{
	struct form fm;
	const char *why;

	(void)state;
	assert_int_equal(parse("--b\r\nContent-Disposition: form-data; "
	                       "name=x\r\n\r\n1\r\n",
	                       "b", &fm, &why),
	                 -1);
	assert_string_equal(why, "multipart body without a closing delimiter");
	form_fini(&fm);
	assert_int_equal(parse("--b\r\nContent-Disposition: attachment; "
	                       "name=x\r\n\r\n1\r\n--b--",
	                       "b", &fm, &why),
	                 -1);
	form_fini(&fm);
	assert_int_equal(parse("--b\r\nContent-Type: text/plain\r\n\r\n1\r\n"
	                       "--b--",
	                       "b", &fm, &why),
	                 -1);
	form_fini(&fm);
	assert_int_equal(parse("--b\r\nContent-Disposition: form-data; "
	                       "name=x\r\n\r\n1",
	                       "b", &fm, &why),
	                 -1);
	form_fini(&fm);
	assert_int_equal(parse("no delimiter here", "b", &fm, &why), -1);
	assert_string_equal(why, "no multipart delimiter");
	form_fini(&fm);
	assert_int_equal(parse("--bjunk\r\n", "b", &fm, &why), -1);
	form_fini(&fm);
	assert_int_equal(parse("--b\r\nContent-Disposition: form-data; "
	                       "name=\"x\r\n\r\n1\r\n--b--",
	                       "b", &fm, &why),
	                 -1);
	form_fini(&fm);
}

/* A parse that fails in a part's header section keeps the whole fields
 * before it and no half-read one: every value is a view into the body,
 * never {NULL, 0} (fuzz_form found one reaching memchr). */
static void
failed_parse_leaves_no_field_without_a_value(void **state)
{
	static const char *const bodies[] = {
	    "--b\r\nContent-Disposition: form-data; name=\"from\"\r\n\r\n"
	    "a@x.org\r\n--b\r\nContent-Disposition: form-data; "
	    "name=\"text\"\r\n--junk\r\r\n\r\nhi\r\n--b--\r\n",
	    "--b\r\nContent-Disposition: form-data; name=\"from\"\r\n\r"
	    "))\na@x.org\r\n--b\r\nContent-Disposition: form-data; "
	    "name=\"to\"\r\n\r\nx\r\n--b--",
	};
	struct form fm;
	const char *why;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		assert_int_equal(parse(bodies[i], "b", &fm, &why), -1);
		for (k = 0; k < fm.n; k++)
			if (fm.f[k].value.p == NULL)
				fail_msg("body %zu: field %zu has no value", i,
				         k);
		form_fini(&fm);
	}
}

static void
header_section_and_field_count_are_bounded(void **state)
{
	struct buf b;
	struct form fm;
	const char *why;
	size_t i;

	(void)state;
	buf_init(&b);
	buf_addstr(&b, "--b\r\nContent-Disposition: form-data; name=x\r\n"
	               "X-Pad: ");
	for (i = 0; i < FORM_PART_HEADER_MAX; i++)
		buf_addch(&b, 'p');
	buf_addstr(&b, "\r\n\r\n1\r\n--b--\r\n");
	assert_int_equal(parse(buf_cstr(&b), "b", &fm, &why), -1);
	assert_string_equal(why, "part header section too long");
	form_fini(&fm);
	buf_fini(&b);

	for (i = 0; i <= FORM_FIELDS_MAX; i++)
		buf_addstr(&b, "--b\r\nContent-Disposition: form-data; "
		               "name=f\r\n\r\nv\r\n");
	buf_addstr(&b, "--b--\r\n");
	assert_int_equal(parse(buf_cstr(&b), "b", &fm, &why), -1);
	assert_string_equal(why, "too many form fields");
	assert_int_equal(fm.n, FORM_FIELDS_MAX);
	form_fini(&fm);
	buf_fini(&b);
}

static void
urlencoded_decodes_in_place(void **state)
{
	char body[] = "Action=SendEmail&Source=a%40example.com&"
	              "Message.Subject.Data=Gr%C3%BC%C3%9Fe+x&&flag&empty=&"
	              "Source=again";
	struct form fm;
	const char *why;

	(void)state;
	form_init(&fm);
	assert_int_equal(form_urlencoded_parse(body, strlen(body), &fm, &why),
	                 0);
	assert_int_equal(fm.n, 6);
	assert_view(fm.f[0].name, "Action");
	assert_view(fm.f[0].value, "SendEmail");
	assert_view(fm.f[1].value, "a@example.com");
	assert_view(fm.f[2].value, "Gr\xc3\xbc\xc3\x9f"
	                           "e x");
	assert_view(fm.f[3].name, "flag");
	assert_int_equal(fm.f[3].value.len, 0);
	assert_view(fm.f[4].name, "empty");
	assert_int_equal(fm.f[4].value.len, 0);
	/* A repeated name: the lookup finds the first. */
	assert_ptr_equal(form_field_get(&fm, "Source"), &fm.f[1]);
	form_fini(&fm);
}

static void
urlencoded_bad_escapes_are_refused(void **state)
{
	static const char *bad[] = {"a=%", "a=%4", "a=%zz", "%g0=1", "a=b%"};
	struct form fm;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *s = xstrdup(bad[i]);
		form_init(&fm);
		assert_int_equal(form_urlencoded_parse(s, strlen(s), &fm, &why),
		                 -1);
		form_fini(&fm);
		free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(boundary_quoted_or_not),
	    cmocka_unit_test(boundary_refusals),
	    cmocka_unit_test(fields_files_and_binary_values),
	    cmocka_unit_test(folded_lines_case_and_parameter_order),
	    cmocka_unit_test(broken_structures_are_refused),
	    cmocka_unit_test(preamble_and_padding_are_skipped),
	    cmocka_unit_test(structural_errors_are_refused),
	    cmocka_unit_test(failed_parse_leaves_no_field_without_a_value),
	    cmocka_unit_test(header_section_and_field_count_are_bounded),
	    cmocka_unit_test(urlencoded_decodes_in_place),
	    cmocka_unit_test(urlencoded_bad_escapes_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
