/*
 * test_events.c - listeners are called in order, can leave, and the
 * table has a fixed size; emit fills the time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "observe/events.h"

static char seen[64];
static size_t n_seen;

static void
on_event(const struct events_item *e, void *arg)
{
	assert_true(e->at_ms > 0);
	seen[n_seen++] = *(const char *)arg;
}

static void
listeners_run_in_order_and_can_leave(void **state)
{
	struct events_item e = {.kind = EVENT_SENT, .msg_id = "x"};
	char a = 'a', b = 'b';

	n_seen = 0;
	events_emit(&e); /* nobody listens: nothing happens */
	assert_int_equal(e.at_ms, 0);
	assert_int_equal(events_subscribe(on_event, &a), 0);
	assert_int_equal(events_subscribe(on_event, &b), 0);
	events_emit(&e);
	assert_int_equal(n_seen, 2);
	assert_memory_equal(seen, "ab", 2);
	events_unsubscribe(on_event, &a);
	events_emit(&e);
	assert_int_equal(n_seen, 3);
	assert_int_equal(seen[2], 'b');
	events_unsubscribe(on_event, &b);
	events_emit(&e);
	assert_int_equal(n_seen, 3);
}

static void
the_table_is_bounded(void **state)
{
	static char tags[EVENTS_MAX_LISTENERS + 1];
	size_t i;

	for (i = 0; i < EVENTS_MAX_LISTENERS; i++)
		assert_int_equal(events_subscribe(on_event, &tags[i]), 0);
	assert_int_equal(events_subscribe(on_event, &tags[i]), -1);
	for (i = 0; i < EVENTS_MAX_LISTENERS; i++)
		events_unsubscribe(on_event, &tags[i]);
}

static void
kinds_have_names(void **state)
{
	assert_string_equal(events_kind_name(EVENT_FAILOVER), "failover");
	assert_string_equal(events_kind_name(EVENT_STATUS_PAGE), "status_page");
	assert_string_equal(events_kind_name(EVENT_KIND_COUNT), "unknown");
	assert_string_equal(events_kind_name(EVENT_DRILL), "drill");
	for (int k = 0; k < EVENT_KIND_COUNT; k++)
		assert_non_null(events_kind_name((enum event_kind)k));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(listeners_run_in_order_and_can_leave),
	    cmocka_unit_test(the_table_is_bounded),
	    cmocka_unit_test(kinds_have_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
