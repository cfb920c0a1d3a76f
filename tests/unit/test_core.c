/*
 * test_core.c - buffers, views and message ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/id.h"

static void
buf_grows_and_terminates(void **state)
{
	struct buf b;
	int i;

	buf_init(&b);
	for (i = 0; i < 1000; i++)
		buf_addch(&b, 'x');
	buf_printf(&b, "%d", 42);
	assert_int_equal(b.len, 1002);
	assert_string_equal(buf_cstr(&b) + 1000, "42");
	buf_fini(&b);
	assert_null(b.p);
}

static void
str_compares_without_case(void **state)
{
	assert_true(str_eq_nocase(STR_LIT("EhLo"), "ehlo"));
	assert_false(str_eq_nocase(STR_LIT("ehl"), "ehlo"));
}

static void
ids_sort_by_time(void **state)
{
	char a[ID_SIZE], b[ID_SIZE], prev[ID_SIZE];
	int i;

	id_make(a, 1000, 5);
	id_make(b, 1001, 0);
	assert_true(strcmp(a, b) < 0);
	id_new(prev);
	assert_true(id_valid(prev));
	for (i = 0; i < 10000; i++) {
		id_new(a);
		assert_true(strcmp(prev, a) < 0);
		memcpy(prev, a, ID_SIZE);
	}
	assert_false(id_valid("short"));
	assert_false(id_valid("0123456789ABCDEFGHIU")); /* U not in alphabet */
}

/* The node number rides in the 11th character: read back, kept in
 * time order and alphabet, and 0 (none) outside a cluster. */
static void
ids_carry_their_node(void **state)
{
	char a[ID_SIZE], prev[ID_SIZE];
	int i;

	id_new(a);
	assert_int_equal(id_node(a), 0);
	id_set_node(7);
	id_new(prev);
	assert_true(id_valid(prev));
	assert_int_equal(id_node(prev), 7);
	for (i = 0; i < 10000; i++) {
		id_new(a);
		assert_int_equal(id_node(a), 7);
		assert_true(strcmp(prev, a) < 0);
		memcpy(prev, a, ID_SIZE);
	}
	id_set_node(31);
	id_new(a);
	assert_int_equal(id_node(a), 31);
	assert_int_equal(strlen(a), ID_LEN);
	id_make(a, 1000, (uint64_t)3 << 45 | 12345);
	assert_int_equal(id_node(a), 3);
	assert_int_equal(id_node("short"), -1);
	assert_int_equal(id_node("0123456789ABCDEFGHIU"), -1);
	id_set_node(0);
	id_new(a);
	assert_int_equal(id_node(a), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(buf_grows_and_terminates),
	    cmocka_unit_test(str_compares_without_case),
	    cmocka_unit_test(ids_sort_by_time),
	    cmocka_unit_test(ids_carry_their_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
