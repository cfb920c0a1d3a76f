/*
 * anomaly_model.c - seasonal baseline with Huber-clipped exponential
 * weights; see anomaly_model.h for the model and why.
 */
#include "anomaly/anomaly_model.h"

#include <math.h>
#include <string.h>

#define MS_HOUR 3600000LL
#define MS_DAY (24 * MS_HOUR)

void
anomaly_params_default(struct anomaly_params *p)
{
	*p = (struct anomaly_params){
	    .alpha = 0.1,
	    .clip = 3.0,
	    .threshold = 4.0,
	    .all_floor = 0.25,
	    .need = 2,
	    .of = 3,
	    .clear = 12,
	    .min_week = 6,
	    .min_day = 12,
	    .dir = ANOMALY_BOTH,
	};
}

void
anomaly_model_init(struct anomaly_model *m)
{
	memset(m, 0, sizeof(*m));
}

/* floor_div - a / b rounded towards minus infinity (b > 0). */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* anomaly_when - weekday (0 Monday) and hour (UTC) of t_ms. */
static void
anomaly_when(int64_t t_ms, int *wd, int *hour)
{
	int64_t day = floor_div(t_ms, MS_DAY);

	/* 1970-01-01 was a Thursday: day 0 is weekday 3. */
	*wd = (int)(((day + 3) % 7 + 7) % 7);
	*hour = (int)floor_div(t_ms - day * MS_DAY, MS_HOUR);
}

/* anomaly_scale - bucket b's scale after the floors (all: the overall
 * bucket). */
static double
anomaly_scale(const struct anomaly_params *p, const struct anomaly_bucket *b,
              const struct anomaly_bucket *all)
{
	double s = 1.25 * b->s;
	double rel = p->rel_floor * fabs(b->m);
	double glob = p->all_floor * 1.25 * all->s;

	if (s < p->abs_floor)
		s = p->abs_floor;
	if (s < rel)
		s = rel;
	if (b != all && s < glob)
		s = glob;
	return s;
}

/* anomaly_basis_of - the most specific bucket that has learned enough. */
static const struct anomaly_bucket *
anomaly_basis_of(const struct anomaly_model *m, const struct anomaly_params *p,
                 int wd, int hour, enum anomaly_basis *basis)
{
	const struct anomaly_bucket *w = &m->week[wd * 24 + hour];
	const struct anomaly_bucket *d = &m->day[hour];

	if (w->n >= p->min_week && w->n >= 2) {
		*basis = ANOMALY_BASIS_WEEK;
		return w;
	}
	if (d->n >= p->min_day && d->n >= 2) {
		*basis = ANOMALY_BASIS_DAY;
		return d;
	}
	if (m->all.n >= 2) {
		*basis = ANOMALY_BASIS_ALL;
		return &m->all;
	}
	*basis = ANOMALY_BASIS_NONE;
	return NULL;
}

enum anomaly_basis
anomaly_model_expect(const struct anomaly_model *m,
                     const struct anomaly_params *p, int64_t t_ms, double *mean,
                     double *scale)
{
	enum anomaly_basis basis;
	const struct anomaly_bucket *b;
	int wd, hour;

	anomaly_when(t_ms, &wd, &hour);
	b = anomaly_basis_of(m, p, wd, hour, &basis);
	*mean = b ? b->m : 0;
	*scale = b ? anomaly_scale(p, b, &m->all) : 0;
	return basis;
}

/*
 * anomaly_learn - x into b: a plain running mean while the bucket is
 * young (so it starts from an average, not from its first sample), then
 * exponential weights.
 */
static void
anomaly_learn(struct anomaly_bucket *b, double alpha, double x)
{
	double a = b->n < 1.0 / alpha ? 1.0 / (double)(b->n + 1) : alpha;
	double dev = fabs(x - b->m);

	if (b->n == 0) {
		b->m = x;
		b->s = 0;
	} else {
		b->s += a * (dev - b->s);
		b->m += a * (x - b->m);
	}
	if (b->n < UINT32_MAX)
		b->n++;
}

void
anomaly_model_observe(struct anomaly_model *m, const struct anomaly_params *p,
                      int64_t t_ms, double x, struct anomaly_verdict *v)
{
	const struct anomaly_bucket *b;
	uint32_t mask = p->of >= 32 ? UINT32_MAX : (1u << p->of) - 1;
	unsigned over_n;
	double xc = x;
	bool was = m->firing;

	memset(v, 0, sizeof(*v));
	v->value = x;
	v->firing = m->firing;
	anomaly_when(t_ms, &v->weekday, &v->hour);
	if (!isfinite(x))
		return;
	b = anomaly_basis_of(m, p, v->weekday, v->hour, &v->basis);
	if (b != NULL) {
		double lo, hi;

		v->expected = b->m;
		v->scale = anomaly_scale(p, b, &m->all);
		v->z = v->scale > 0 ? (x - b->m) / v->scale : 0;
		if (v->scale == 0 && x != b->m)
			v->z = x > b->m ? p->threshold * 2 : -p->threshold * 2;
		v->over = (p->dir != ANOMALY_DOWN && v->z > p->threshold) ||
		          (p->dir != ANOMALY_UP && v->z < -p->threshold);
		lo = b->m - p->clip * v->scale;
		hi = b->m + p->clip * v->scale;
		xc = x < lo ? lo : x > hi ? hi : x;
	}
	anomaly_learn(&m->week[v->weekday * 24 + v->hour], p->alpha, xc);
	anomaly_learn(&m->day[v->hour], p->alpha, xc);
	anomaly_learn(&m->all, p->alpha, xc);
	m->n++;
	m->over = (m->over << 1) | (v->over ? 1u : 0u);
	over_n = (unsigned)__builtin_popcount(m->over & mask);
	m->clean = v->over ? 0 : m->clean + 1;
	if (!m->firing && over_n >= p->need && m->n > p->warmup) {
		m->firing = true;
		m->since_ms = t_ms;
	} else if (m->firing && m->clean >= (p->clear ? p->clear : 1)) {
		m->firing = false;
		m->since_ms = 0;
	}
	v->firing = m->firing;
	v->changed = m->firing != was;
}

const char *
anomaly_basis_name(enum anomaly_basis b)
{
	switch (b) {
	case ANOMALY_BASIS_WEEK:
		return "week";
	case ANOMALY_BASIS_DAY:
		return "day";
	case ANOMALY_BASIS_ALL:
		return "all";
	default:
		return "none";
	}
}

const char *
anomaly_weekday_name(int wd)
{
	static const char *const names[] = {"Monday",   "Tuesday", "Wednesday",
	                                    "Thursday", "Friday",  "Saturday",
	                                    "Sunday"};

	return wd >= 0 && wd < 7 ? names[wd] : "?";
}
