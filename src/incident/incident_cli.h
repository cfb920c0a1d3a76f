/*
 * incident_cli.h - `swervectl incident ...` (contract; issue 15).
 *
 *   incident list                       the incidents, newest first
 *   incident show ID                    record, facts, live scope, timeline
 *   incident note ID TEXT [--public]    add a note
 *   incident update ID [--status S] [--impact I] [--text T]
 *   incident resolve ID [--text T]
 *   incident report ID [--format md|html|json]
 *   incident notice ID --template NAME [--preview | --send]
 *                      [--format text|html|slack]
 *                                       a notice shown, or e-mailed to
 *                                       incidents.notices
 *
 * It speaks to swerved's admin API (ingress/http_incidents.h) through
 * the caller's HTTP function, so swervectl keeps its one client (and its
 * key and TLS pin) and tests can answer for the daemon.
 */
#ifndef SWERVE_INCIDENT_INCIDENT_CLI_H
#define SWERVE_INCIDENT_INCIDENT_CLI_H

#include <stdio.h>

#include "core/buf.h"

/*
 * incident_cli_http_fn - perform method ("GET", "POST") on path with
 * json as the body (NULL: none) into out; the HTTP status, or -1 when
 * the daemon could not be reached (with a message printed).
 */
typedef long incident_cli_http_fn(const char *method, const char *path,
                                  const char *json, struct buf *out, void *arg);

/* Options given after the command (NULL / 0 when absent). */
struct incident_cli_opts {
	const char *status, *impact, *text, *format;
	const char *template_; /* notice */
	int public_;
	int send; /* notice: e-mail it (else a preview) */
	int json; /* print the daemon's JSON as is */
};

/*
 * incident_cli_run - run `incident argv[0] ...` (argc words after
 * "incident"), printing to out (errors to err). 0 on success, 1 when the
 * daemon refused or failed, 2 for a usage error.
 */
int incident_cli_run(int argc, char **argv, const struct incident_cli_opts *o,
                     incident_cli_http_fn *http, void *arg, FILE *out,
                     FILE *err);

#endif
