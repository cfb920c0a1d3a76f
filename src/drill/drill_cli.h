/*
 * drill_cli.h - `swervectl drill ...` (contract).
 *
 *   drill start PROVIDER FAULT [--for 5m] [--stream S] [--share 50%]
 *               [--force]
 *   drill abort
 *   drill status
 *   drill report ID [--format text|md|html|json]
 *   drill history [--limit N]
 *   drill preflight [PROVIDER] [--stream S]
 *
 * Talks to swerved's /v1/drills endpoints (ingress/http_drill.h)
 * through the caller's HTTP function (swervectl's: its URL, admin key
 * and pinned certificate). Exit codes: 0 done (preflight: ready), 1
 * refused or failed (preflight: not ready), 2 usage.
 */
#ifndef SWERVE_DRILL_DRILL_CLI_H
#define SWERVE_DRILL_DRILL_CLI_H

#include <stdbool.h>

#include "core/buf.h"

/*
 * drill_cli_http_fn - method ("GET", "POST") path (from "/v1/...") with
 * json as the body (NULL: none) into out: the HTTP status, or -1 with
 * the reason in err (256 bytes).
 */
typedef long drill_cli_http_fn(const char *method, const char *path,
                               const char *json, struct buf *out, char *err,
                               void *arg);

struct drill_cli_opts {
	const char *duration; /* --for */
	const char *stream;   /* --stream */
	const char *share;    /* --share "50%" or "0.5" */
	const char *format;   /* --format */
	const char *limit;    /* --limit */
	bool force, json;
	drill_cli_http_fn *http;
	void *arg;
};

/* drill_cli - run `drill argv[0] ...`; the exit code. */
int drill_cli(const struct drill_cli_opts *o, int argc, char **argv);

#endif
