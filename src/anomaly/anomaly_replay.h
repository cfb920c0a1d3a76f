/*
 * anomaly_replay.h - `swervectl anomaly replay FILE.csv`: the detector of
 * anomaly_model.h over a recorded time series, offline (contract).
 *
 *   swervectl anomaly replay FILE.csv [--dir up|down|both]
 *       [--threshold Z] [--warmup N|P%] [--need N --of M] [--alpha A]
 *       [--floor ABS] [--rel-floor R] [--json]
 *
 * Prints each time the signal starts and stops firing, with the value,
 * the usual value for that hour of the week and the z-score, then a
 * summary line ("N samples, K anomalies"). --json prints one JSON object
 * a line: {"t": RFC 3339, "event": "firing"|"resolved", "value",
 * "expected", "scale", "z", "basis"}, then {"samples", "anomalies"}.
 * The warm-up is a number of samples or a share of the series ("15%",
 * as the Numenta Anomaly Benchmark's probation period); default 15%.
 *
 * Exit status: 0 after a replay, 2 on bad arguments or an unreadable or
 * malformed file (the message names the line).
 */
#ifndef SWERVE_ANOMALY_ANOMALY_REPLAY_H
#define SWERVE_ANOMALY_ANOMALY_REPLAY_H

#include <stdio.h>

/* anomaly_replay_main - argv[0] is "replay"; output to out, errors to
 * err. */
int anomaly_replay_main(int argc, char **argv, FILE *out, FILE *err);

#endif
