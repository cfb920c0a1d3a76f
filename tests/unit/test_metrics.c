/*
 * test_metrics.c - the Prometheus exposition: names, labels, validity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "deliver/deliver.h"
#include "ingress/smtpd.h"
#include "observe/metrics.h"
#include "spool/spool.h"

/* line_valid - `name{labels} value` with a plain name and a number. */
static bool
line_valid(const char *l, size_t len)
{
	size_t i = 0;

	while (i < len && (l[i] == '_' || (l[i] >= 'a' && l[i] <= 'z')))
		i++;
	if (i == 0)
		return false;
	if (i < len && l[i] == '{') {
		bool quoted = false;
		for (i++; i < len; i++) {
			if (l[i] == '\\' && quoted) {
				i++;
				continue;
			}
			if (l[i] == '"')
				quoted = !quoted;
			else if (l[i] == '}' && !quoted)
				break;
		}
		if (i == len)
			return false;
		i++;
	}
	if (i >= len || l[i] != ' ')
		return false;
	for (i++; i < len; i++)
		if (strchr("0123456789.e+-", l[i]) == NULL)
			return false;
	return true;
}

static void
render(struct buf *out)
{
	struct spool_counts sc = {.commits = 7, .committed_msgs = 20};
	struct smtpd_stats ss = {.sessions_open = 2, .accepted = 20};
	struct deliver_stats ds = {.attempts = 25, .failovers = 3};
	struct deliver_provider_info pi[2] = {
	    {.name = "primary",
	     .mode = "open",
	     .consecutive_failures = 3,
	     .failed = 5},
	    {.name = "back\"up",
	     .mode = "closed",
	     .sent = 20,
	     .connections = 2},
	};
	struct metrics_snapshot ms = {
	    .spool = &sc,
	    .smtpd = &ss,
	    .deliver = &ds,
	    .provs = pi,
	    .n_provs = 2,
	    .uptime_seconds = 12,
	    .rss_bytes = 1 << 20,
	    .open_fds = 9,
	};

	sc.state[SPOOL_STATE_READY] = 4;
	ss.rejected[0] = 1;
	metrics_render(&ms, out);
}

static void
every_line_is_valid_exposition(void **state)
{
	struct buf out;
	const char *p, *nl;
	int samples = 0;

	buf_init(&out);
	render(&out);
	for (p = buf_cstr(&out); *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		if (p[0] == '#') {
			assert_true(strncmp(p, "# HELP ", 7) == 0 ||
			            strncmp(p, "# TYPE ", 7) == 0);
			continue;
		}
		if (!line_valid(p, (size_t)(nl - p)))
			fail_msg("bad line: %.*s", (int)(nl - p), p);
		samples++;
	}
	assert_true(samples > 30);
	buf_fini(&out);
}

static void
values_and_labels_are_exported(void **state)
{
	struct buf out;
	const char *s;

	buf_init(&out);
	render(&out);
	s = buf_cstr(&out);
	assert_non_null(
	    strstr(s, "swerve_messages_accepted_total{ingress=\"smtp\"} 20\n"));
	assert_non_null(
	    strstr(s, "swerve_queue_messages{state=\"ready\"} 4\n"));
	assert_non_null(strstr(s, "swerve_spool_commits_total 7\n"));
	assert_non_null(strstr(s, "swerve_failovers_total 3\n"));
	assert_non_null(strstr(
	    s,
	    "swerve_provider_state{provider=\"primary\",state=\"open\"} 1\n"));
	assert_non_null(strstr(s, "swerve_provider_state{provider=\"primary\","
	                          "state=\"closed\"} 0\n"));
	assert_non_null(strstr(s, "swerve_provider_attempts_total{provider="
	                          "\"primary\",result=\"failed\"} 5\n"));
	/* A quote in a label value is escaped. */
	assert_non_null(strstr(s, "provider=\"back\\\"up\""));
	assert_non_null(strstr(s, "process_resident_memory_bytes 1048576\n"));
	assert_non_null(strstr(s, "process_open_fds 9\n"));
	/* Each family is declared once. */
	{
		static const char *const fams[] = {
		    "# TYPE swerve_queue_messages ",
		    "# TYPE swerve_provider_state ",
		    "# TYPE swerve_provider_attempts_total ",
		};
		for (size_t i = 0; i < 3; i++) {
			const char *first = strstr(s, fams[i]);
			assert_non_null(first);
			assert_null(strstr(first + 1, fams[i]));
		}
	}
	buf_fini(&out);
}

static void
missing_parts_are_skipped(void **state)
{
	struct metrics_snapshot ms = {.open_fds = -1};
	struct buf out;

	buf_init(&out);
	metrics_render(&ms, &out);
	assert_non_null(
	    strstr(buf_cstr(&out), "swerve_process_uptime_seconds 0"));
	assert_null(strstr(buf_cstr(&out), "swerve_queue_messages"));
	assert_null(strstr(buf_cstr(&out), "process_open_fds"));
	buf_fini(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_line_is_valid_exposition),
	    cmocka_unit_test(values_and_labels_are_exported),
	    cmocka_unit_test(missing_parts_are_skipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
