/*
 * anomaly_csv.h - a recorded time series from CSV, for replaying through
 * the detector (contract).
 *
 * One sample a line: "timestamp,value". The timestamp is an RFC 3339
 * date-time ("2014-02-14T14:30:00Z"; without a zone it is read as UTC, so
 * the Numenta Anomaly Benchmark's "2014-02-14 14:30:00" works), or seconds
 * or milliseconds since the epoch (digits only; 12 digits or more are
 * milliseconds). A first line that is not a sample is a header and is
 * skipped; blank lines are skipped; CRLF and LF line ends. Any other line
 * that is not a sample is an error naming its line number, and nothing is
 * returned. Samples are kept in file order, even when a timestamp goes
 * back (recorded clocks step: one of the NAB series does).
 *
 * Pure: a buffer in, an array out.
 */
#ifndef SWERVE_ANOMALY_ANOMALY_CSV_H
#define SWERVE_ANOMALY_ANOMALY_CSV_H

#include <stddef.h>
#include <stdint.h>

struct anomaly_sample {
	int64_t t_ms;
	double value;
};

/* At most this many samples (10 years of minutes). */
#define ANOMALY_CSV_MAX 5300000

/*
 * anomaly_csv_parse - buf[0..len) into *out (one malloc'd array the
 * caller frees) and *n. 0, or -1 with err (out NULL, n 0).
 */
int anomaly_csv_parse(const char *buf, size_t len, struct anomaly_sample **out,
                      size_t *n, char *err, size_t errlen);

#endif
