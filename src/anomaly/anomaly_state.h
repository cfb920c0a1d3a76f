/*
 * anomaly_state.h - the detector's learning on disk: what a restart must
 * not forget (contract).
 *
 * The file is a header line and records:
 *
 *   "swerve-anomaly <version> <model bytes>\n"
 *   then per signal: u16 key length (big-endian), the key's bytes
 *   (1..ANOMALY_KEY_MAX, no NUL), then the model's bytes (struct
 *   anomaly_model as it is in memory on this machine).
 *
 * A model layout from another version or size is not read (the header
 * says so): learning starts again, with a warning, rather than reading
 * bytes of another shape. Pure: buffers in and out; the daemon does the
 * file I/O (anomaly.c).
 */
#ifndef SWERVE_ANOMALY_ANOMALY_STATE_H
#define SWERVE_ANOMALY_ANOMALY_STATE_H

#include <stddef.h>

#include "anomaly/anomaly_model.h"

struct buf;

#define ANOMALY_KEY_MAX 512

/* anomaly_state_header - append the header line to out. */
void anomaly_state_header(struct buf *out);

/* anomaly_state_record - append one signal (key: 1..ANOMALY_KEY_MAX
 * bytes) to out. */
void anomaly_state_record(struct buf *out, const char *key,
                          const struct anomaly_model *m);

/* Called for each record: key is NUL-terminated and m is aligned, both
 * borrowed for the call. */
typedef void anomaly_state_fn(const char *key, const struct anomaly_model *m,
                              void *arg);

/*
 * anomaly_state_decode - walk buf[0..len): fn for each record. 0, or -1
 * with err when the header is not this version's or a record is cut or
 * malformed (the records before it were given to fn).
 */
int anomaly_state_decode(const char *buf, size_t len, anomaly_state_fn *fn,
                         void *arg, char *err, size_t errlen);

#endif
