/*
 * anomaly_model.h - is this value unusual for this time of the week?
 * One signal's learned baseline (contract).
 *
 * The model: a robust seasonal baseline, learned online. For each hour of
 * the week (168 buckets), each hour of the day (24) and overall (1) it
 * keeps an exponentially weighted location m and scale s (the mean
 * absolute deviation). Each sample is first scored against the most
 * specific bucket that has learned enough (hour of the week, else hour of
 * the day, else overall), then learned into all three after clipping it
 * to m +- clip * s (Huber): an outlier moves the baseline by at most a
 * bounded step, so an anomaly does not teach the model that it is
 * normal, while a lasting level shift is still learned, a bounded step
 * at a time. Why this and not median/MAD windows or Holt-Winters: O(1)
 * memory and time per sample (193 buckets, 3 KiB a signal), nothing to
 * re-fit, weekly and daily seasonality without a period to estimate, and
 * the robustness of the clip; bench/anomaly/ compares it with static
 * thresholds on labelled data.
 *
 * A sample is "over" when z = (x - m) / max(s * 1.25, floor) passes the
 * threshold in the watched direction (1.25 * mean absolute deviation is
 * the standard deviation of a normal distribution); the floors (an
 * absolute part, a share of |m|, and a share of the overall scale for a
 * seasonal bucket) keep a flat or quantised signal's tiny scale from
 * turning noise into anomalies. The signal fires when `need` of the last
 * `of` samples were over, and clears when `clear` samples in a row were
 * not: a single odd sample never fires, and an anomaly that wavers is
 * one anomaly, not one an hour. Nothing fires before `warmup`
 * samples have been learned.
 *
 * Pure: time is passed in (ms since the epoch, UTC; the week starts on
 * Monday 00:00), no I/O, no allocation. A model is a plain struct that can
 * be saved and loaded as bytes (anomaly_model_version says which layout).
 */
#ifndef SWERVE_ANOMALY_ANOMALY_MODEL_H
#define SWERVE_ANOMALY_ANOMALY_MODEL_H

#include <stdbool.h>
#include <stdint.h>

/* Which deviations matter: a deferral ratio only upwards, volume both. */
enum anomaly_dir {
	ANOMALY_UP,
	ANOMALY_DOWN,
	ANOMALY_BOTH,
};

struct anomaly_params {
	double alpha;      /* learning weight of one sample, 0 < alpha <= 1 */
	double clip;       /* Huber clip, in scales */
	double threshold;  /* |z| to count a sample as over */
	double abs_floor;  /* smallest scale, in the signal's unit */
	double rel_floor;  /* smallest scale, as a fraction of |m| */
	double all_floor;  /* smallest scale of a seasonal bucket, as a
	                      fraction of the overall bucket's scale */
	unsigned need;     /* fire when need of the last `of` were over */
	unsigned of;       /* 1..32 */
	unsigned clear;    /* clear after this many samples in a row not
	                      over (at least 1): one anomaly, one alert */
	uint32_t warmup;   /* samples learned before anything fires */
	uint32_t min_week; /* samples a week bucket needs to be used */
	uint32_t min_day;  /* samples a day bucket needs to be used */
	enum anomaly_dir dir;
};

/* anomaly_params_default - alpha 0.1, clip 3, threshold 4, floors 0
 * (all_floor 0.25), 2 of 3, clear 12, warmup 0, min_week 6, min_day 12, both
 * directions. */
void anomaly_params_default(struct anomaly_params *p);

struct anomaly_bucket {
	double m, s;
	uint32_t n;
};

#define ANOMALY_MODEL_VERSION 1

struct anomaly_model {
	struct anomaly_bucket week[168], day[24], all;
	uint64_t n;    /* samples learned */
	uint32_t over; /* bit i: sample i back was over (bit 0: newest) */
	bool firing;
	uint32_t clean;   /* samples in a row not over */
	int64_t since_ms; /* when it started firing; 0 when quiet */
};

/* Which bucket a score came from. */
enum anomaly_basis {
	ANOMALY_BASIS_NONE, /* nothing learned yet: no score */
	ANOMALY_BASIS_WEEK, /* this hour of this weekday */
	ANOMALY_BASIS_DAY,  /* this hour of any day */
	ANOMALY_BASIS_ALL,
};

/* What one sample meant. */
struct anomaly_verdict {
	double value;
	double expected; /* the baseline m it was scored against */
	double scale;    /* the scale used (after the floor), z's unit */
	double z;        /* 0 without a basis */
	enum anomaly_basis basis;
	int weekday;  /* 0 Monday .. 6 Sunday, of the sample */
	int hour;     /* 0..23, UTC */
	bool over;    /* this sample passed the threshold */
	bool firing;  /* the signal fires after this sample */
	bool changed; /* firing changed with this sample */
};

/* anomaly_model_init - an empty model (everything to learn). */
void anomaly_model_init(struct anomaly_model *m);

/*
 * anomaly_model_observe - score x (taken at t_ms) against m, then learn
 * it; the verdict in *v. A NaN or infinite x is ignored (v->basis NONE,
 * nothing learned, firing unchanged).
 */
void anomaly_model_observe(struct anomaly_model *m,
                           const struct anomaly_params *p, int64_t t_ms,
                           double x, struct anomaly_verdict *v);

/*
 * anomaly_model_expect - the baseline for time t_ms without learning:
 * *mean and *scale (after the floor); the basis, NONE when nothing has
 * been learned.
 */
enum anomaly_basis anomaly_model_expect(const struct anomaly_model *m,
                                        const struct anomaly_params *p,
                                        int64_t t_ms, double *mean,
                                        double *scale);

/* anomaly_basis_name - "week", "day", "all", "none". */
const char *anomaly_basis_name(enum anomaly_basis b);

/* anomaly_weekday_name - "Monday" .. "Sunday" for 0..6, "?" otherwise. */
const char *anomaly_weekday_name(int wd);

#endif
