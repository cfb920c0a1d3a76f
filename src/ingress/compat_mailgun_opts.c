/*
 * compat_mailgun_opts.c - Mailgun's sending options into a msg_meta.
 *
 * Mailgun takes the same options two ways: as form fields of POST
 * /v3/{domain}/messages (o:tag, o:deliverytime, v:NAME,
 * h:X-Mailgun-Variables, ...) and as X-Mailgun-* header fields of the
 * message given to messages.mime (or sent over SMTP). One table holds
 * both names of each option and what swerve does with it: honoured into
 * the message's msg_meta (tags, variables, schedule, test mode, tracking,
 * IP pool), accepted when it asks for what swerve does anyway, or
 * refused with a sentence naming the option. An option swerve does not
 * know is refused too: nothing the caller asked for is dropped in
 * silence.
 *
 * Pure: the time is passed in; no I/O, no logging.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "mime/header.h"
#include "mime/header_edit.h"

/* What an option does. */
enum mg_kind {
	MG_TAG,          /* a label on the message (at most 3) */
	MG_DKIM,         /* yes: the default; no: refused */
	MG_DELIVERYTIME, /* RFC 2822 date: msg_meta.send_at */
	MG_TESTMODE,     /* yes: msg_meta.sandbox */
	MG_TRACK,        /* both tracking switches, unless set one by one */
	MG_TRACK_CLICKS, /* yes, no, htmlonly */
	MG_TRACK_OPENS,  /* yes, no */
	MG_IP_POOL,      /* msg_meta.ip_pool */
	MG_VARIABLES,    /* a JSON object merged into msg_meta.metadata */
	MG_ONLY_NO,      /* only "no" (the default) is accepted */
	MG_REFUSED,      /* refused, with the row's reason */
};

/* One option: its form name, its header name, what it does, and for a
 * refused one the reason. */
struct mg_opt_row {
	const char *opt;
	const char *hdr;
	enum mg_kind kind;
	const char *why;
};

static const char mg_why_template[] =
    "swerve renders the template's active version (t:version is not "
    "chosen per message), and renders no text part from the html "
    "(t:text): store a text part with the template";
static const char mg_why_template_mime[] =
    "a MIME message is sent as given: a template is sent with "
    "/messages (template, t:variables)";

static const struct mg_opt_row mg_opt_rows[] = {
    {"o:tag", "X-Mailgun-Tag", MG_TAG, NULL},
    {"o:dkim", "X-Mailgun-Dkim", MG_DKIM, NULL},
    {"o:deliverytime", "X-Mailgun-Deliver-By", MG_DELIVERYTIME, NULL},
    {"o:testmode", "X-Mailgun-Drop-Message", MG_TESTMODE, NULL},
    {"o:tracking", "X-Mailgun-Track", MG_TRACK, NULL},
    {"o:tracking-clicks", "X-Mailgun-Track-Clicks", MG_TRACK_CLICKS, NULL},
    {"o:tracking-opens", "X-Mailgun-Track-Opens", MG_TRACK_OPENS, NULL},
    {"o:sending-ip-pool", "X-Mailgun-Sending-Ip-Pool", MG_IP_POOL, NULL},
    {"h:X-Mailgun-Variables", "X-Mailgun-Variables", MG_VARIABLES, NULL},
    {"o:require-tls", "X-Mailgun-Require-TLS", MG_ONLY_NO,
     "swerve cannot require TLS on the last hop: the egress provider "
     "decides"},
    {"o:skip-verification", "X-Mailgun-Skip-Verification", MG_ONLY_NO,
     "swerve does not turn certificate checks off"},
    {"o:tracking-pixel-location-top", "X-Mailgun-Track-Pixel-Location-Top",
     MG_ONLY_NO, "swerve does not place tracking pixels"},
    {"o:sending-ip", "X-Mailgun-Sending-Ip", MG_REFUSED,
     "a sending IP belongs to one provider account; swerve picks the "
     "provider (o:sending-ip-pool is recorded)"},
    {"o:secondary-dkim", "X-Mailgun-Secondary-DKIM", MG_REFUSED,
     "swerve does not sign: the egress provider's DKIM applies"},
    {"o:secondary-dkim-public", "X-Mailgun-Secondary-DKIM-Public", MG_REFUSED,
     "swerve does not sign: the egress provider's DKIM applies"},
    {"o:deliverytime-optimize-period",
     "X-Mailgun-Delivery-Time-Optimize-Period", MG_REFUSED,
     "send time optimization needs Mailgun's engagement data; give "
     "o:deliverytime"},
    {"o:time-zone-localize", "X-Mailgun-Time-Zone-Localize", MG_REFUSED,
     "swerve does not know the recipients' time zones; give "
     "o:deliverytime"},
    {"o:archive-to", NULL, MG_REFUSED,
     "swerve never posts a message to a URL a caller names"},
    {"o:suppress-headers", NULL, MG_REFUSED,
     "swerve adds no X-Mailgun headers to suppress"},
    {"recipient-variables", "X-Mailgun-Recipient-Variables", MG_REFUSED,
     "batch sends (one message per recipient) are done by /messages "
     "only"},
    /* template and t:variables on /messages: compat_mailgun.c. */
    {"template", "X-Mailgun-Template-Name", MG_REFUSED, mg_why_template_mime},
    {"t:version", "X-Mailgun-Template-Version", MG_REFUSED, mg_why_template},
    {"t:text", NULL, MG_REFUSED, mg_why_template},
    {"t:variables", "X-Mailgun-Template-Variables", MG_REFUSED,
     mg_why_template_mime},
};

void
compat_mailgun_opts_init(struct compat_mg_opts *o, struct msg_meta *meta,
                         time_t now)
{
	o->meta = meta;
	o->now = now;
	o->track = MSG_TRACK_UNSET;
	o->n_tags = 0;
}

void
compat_mailgun_opts_done(struct compat_mg_opts *o)
{
	/* o:tracking is the master switch; the specific ones win. */
	if (o->track == MSG_TRACK_UNSET)
		return;
	if (o->meta->track_opens == MSG_TRACK_UNSET)
		o->meta->track_opens = o->track;
	if (o->meta->track_clicks == MSG_TRACK_UNSET)
		o->meta->track_clicks = o->track;
}

/* mg_yes - 1 for yes/true, 0 for no/false, else -1 (htmlonly: 2). */
static int
mg_yes(const char *v)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0)
		return 1;
	if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0)
		return 0;
	if (strcasecmp(v, "htmlonly") == 0)
		return 2;
	return -1;
}

/* mg_bad_value - the error for a value an option does not take. */
static int
mg_bad_value(const char *field, const char *allowed, struct api_error *e)
{
	return api_error_set(e, 400, "invalid_field", field,
	                     "'%s' parameter has an invalid value: use %s",
	                     field, allowed);
}

/* ---- RFC 2822 dates -------------------------------------------------- */

/* mg_skip_ws - past blanks (and RFC 5322 comments are not taken). */
static const char *
mg_skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* mg_num - 1..maxd digits at *pp into *out. */
static int
mg_num(const char **pp, int mind, int maxd, int *out)
{
	const char *p = *pp;
	int n = 0, v = 0;

	while (isdigit((unsigned char)*p) && n < maxd) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n < mind || isdigit((unsigned char)*p))
		return -1;
	*pp = p;
	*out = v;
	return 0;
}

/* mg_zone - an RFC 5322 zone (+hhmm, -hhmm, or an obsolete name) as
 * seconds east of UTC. */
static int
mg_zone(const char *p, long *off)
{
	static const struct {
		const char *name;
		int hours;
	} names[] = {
	    {"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},
	    {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
	    {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7},
	};
	size_t i, n;
	int hhmm;

	if (*p == '+' || *p == '-') {
		const char *q = p + 1;
		if (mg_num(&q, 4, 4, &hhmm) < 0 || hhmm % 100 > 59)
			return -1;
		*off = (long)(hhmm / 100 * 3600 + hhmm % 100 * 60);
		if (*p == '-')
			*off = -*off;
		p = q;
	} else {
		for (n = 0; isalpha((unsigned char)p[n]); n++)
			;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n &&
			    strncasecmp(p, names[i].name, n) == 0)
				break;
		if (n == 0 || i == sizeof(names) / sizeof(names[0]))
			return -1;
		*off = (long)names[i].hours * 3600;
		p += n;
	}
	/* A trailing comment such as "(UTC)" is allowed. */
	p = mg_skip_ws(p);
	if (*p == '(') {
		const char *c = strchr(p, ')');
		if (c == NULL)
			return -1;
		p = mg_skip_ws(c + 1);
	}
	return *p == '\0' ? 0 : -1;
}

int
compat_mailgun_date_parse(const char *s, time_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = mg_skip_ws(s), *m;
	int day, year, hh, mm, ss = 0, mon;
	struct tm tm;
	long off;
	time_t t;

	/* An optional day of the week. */
	if (isalpha((unsigned char)p[0])) {
		if (!isalpha((unsigned char)p[1]) ||
		    !isalpha((unsigned char)p[2]) || p[3] != ',')
			return -1;
		p = mg_skip_ws(p + 4);
	}
	if (mg_num(&p, 1, 2, &day) < 0 || day < 1 || day > 31)
		return -1;
	p = mg_skip_ws(p);
	if (!isalpha((unsigned char)p[0]) || !isalpha((unsigned char)p[1]) ||
	    !isalpha((unsigned char)p[2]) || isalpha((unsigned char)p[3]))
		return -1;
	for (m = months; *m != '\0'; m += 3)
		if (strncasecmp(p, m, 3) == 0)
			break;
	if (*m == '\0')
		return -1;
	mon = (int)(m - months) / 3;
	p = mg_skip_ws(p + 3);
	if (mg_num(&p, 4, 4, &year) < 0 || year < 1970)
		return -1;
	p = mg_skip_ws(p);
	if (mg_num(&p, 2, 2, &hh) < 0 || *p++ != ':' ||
	    mg_num(&p, 2, 2, &mm) < 0)
		return -1;
	if (*p == ':' && (p++, mg_num(&p, 2, 2, &ss) < 0))
		return -1;
	if (hh > 23 || mm > 59 || ss > 60)
		return -1;
	p = mg_skip_ws(p);
	if (mg_zone(p, &off) < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = timegm(&tm);
	/* timegm normalises 31 Feb into March: refuse what it moved. */
	if (t == (time_t)-1 || tm.tm_mday != day || tm.tm_mon != mon)
		return -1;
	*out = t - off;
	return 0;
}

/* ---- one option ------------------------------------------------------- */

/* mg_variables - merge the JSON object v into the message's metadata. */
static int
mg_variables(struct msg_meta *meta, const char *field, const char *v,
             struct api_error *e)
{
	json_t *add = json_loads(v, JSON_REJECT_DUPLICATES, NULL), *all;
	const char *k;
	json_t *val;
	char *s;
	int rc;

	if (!json_is_object(add)) {
		json_decref(add);
		return api_error_set(e, 400, "invalid_field", field,
		                     "'%s' parameter is not a valid JSON "
		                     "object",
		                     field);
	}
	all = meta->metadata ? json_loads(meta->metadata, 0, NULL)
	                     : json_object();
	if (all == NULL)
		all = json_object();
	json_object_foreach(add, k, val)
	{
		json_object_set(all, k, val);
	}
	json_decref(add);
	s = json_dumps(all, JSON_COMPACT);
	json_decref(all);
	rc = s ? msg_meta_set_metadata(meta, s) : -1;
	free(s);
	if (rc < 0)
		return api_error_set(e, 400, "invalid_field", field,
		                     "'%s': the variables are over %d octets",
		                     field, MSG_META_METADATA_MAX);
	return 0;
}

/* mg_deliverytime - an RFC 2822 date at most MG_DELIVERY_AHEAD_MAX
 * ahead; a time already past sends at once. */
static int
mg_deliverytime(struct compat_mg_opts *o, const char *field, const char *v,
                struct api_error *e)
{
	time_t t;

	if (compat_mailgun_date_parse(v, &t) < 0)
		return api_error_set(e, 400, "invalid_field", field,
		                     "'%s' parameter is not a valid date: use "
		                     "RFC 2822, e.g. Fri, 14 Oct 2011 23:10:10 "
		                     "-0000",
		                     field);
	if (t > o->now + COMPAT_MG_DELIVERY_AHEAD_MAX)
		return api_error_set(
		    e, 400, "invalid_field", field,
		    "'%s' parameter is too far in the future: messages can be "
		    "scheduled for at most 3 days ahead",
		    field);
	o->meta->send_at = t > o->now ? (int64_t)t : 0;
	return 0;
}

/* mg_row_apply - what row r does with value v (field: the name the
 * caller used, for errors). */
static int
mg_row_apply(struct compat_mg_opts *o, const struct mg_opt_row *r,
             const char *field, const char *v, struct api_error *e)
{
	struct msg_meta *meta = o->meta;
	int y = mg_yes(v);

	switch (r->kind) {
	case MG_TAG:
		if (o->n_tags >= COMPAT_MG_TAGS_MAX)
			return api_error_set(
			    e, 400, "invalid_field", field,
			    "'%s': too many tags, at most %d per "
			    "message",
			    field, COMPAT_MG_TAGS_MAX);
		if (msg_meta_add_tag(meta, v, NULL) < 0)
			return api_error_set(
			    e, 400, "invalid_field", field,
			    "'%s' parameter is not a valid tag: "
			    "1..%d octets, no control characters",
			    field, MSG_META_TAG_MAX);
		o->n_tags++;
		return 0;
	case MG_DKIM:
		if (y == 1)
			return 0;
		if (y == 0)
			return api_error_set(
			    e, 400, "invalid_field", field,
			    "'%s' parameter: turning DKIM signing off is not "
			    "supported; the egress provider signs",
			    field);
		return mg_bad_value(field, "yes or no", e);
	case MG_DELIVERYTIME:
		return mg_deliverytime(o, field, v, e);
	case MG_TESTMODE:
		if (y != 0 && y != 1)
			return mg_bad_value(field, "yes or no", e);
		meta->sandbox = y == 1;
		return 0;
	case MG_TRACK:
	case MG_TRACK_OPENS:
		if (y != 0 && y != 1)
			return mg_bad_value(field, "yes or no", e);
		if (r->kind == MG_TRACK)
			o->track = y ? MSG_TRACK_ON : MSG_TRACK_OFF;
		else
			meta->track_opens = y ? MSG_TRACK_ON : MSG_TRACK_OFF;
		return 0;
	case MG_TRACK_CLICKS:
		if (y < 0)
			return mg_bad_value(field, "yes, no or htmlonly", e);
		meta->track_clicks = y ? MSG_TRACK_ON : MSG_TRACK_OFF;
		return 0;
	case MG_IP_POOL:
		if (*v == '\0' || strlen(v) > MSG_META_NAME_MAX)
			return mg_bad_value(field, "an IP pool id", e);
		free(meta->ip_pool);
		meta->ip_pool = xstrdup(v);
		return 0;
	case MG_VARIABLES:
		return mg_variables(meta, field, v, e);
	case MG_ONLY_NO:
		if (y == 0)
			return 0;
		if (y < 0)
			return mg_bad_value(field, "yes or no", e);
		return api_error_set(e, 400, "invalid_field", field,
		                     "'%s' parameter is not supported: %s",
		                     field, r->why);
	case MG_REFUSED:
	default:
		return api_error_set(e, 400, "invalid_field", field,
		                     "'%s' parameter is not supported: %s",
		                     field, r->why);
	}
}

int
compat_mailgun_opt(struct compat_mg_opts *o, const char *name,
                   const char *value, struct api_error *e)
{
	bool hdr = strncasecmp(name, "X-Mailgun-", 10) == 0;
	bool h_mg = strncasecmp(name, "h:X-Mailgun-", 12) == 0;
	size_t i;

	for (i = 0; i < sizeof(mg_opt_rows) / sizeof(mg_opt_rows[0]); i++) {
		const struct mg_opt_row *r = &mg_opt_rows[i];
		bool hit = hdr    ? r->hdr && strcasecmp(name, r->hdr) == 0
		           : h_mg ? r->hdr && strcasecmp(name + 2, r->hdr) == 0
		                  : strcasecmp(name, r->opt) == 0;
		if (hit)
			return mg_row_apply(o, r, name, value, e);
	}
	if (strncmp(name, "v:", 2) == 0) {
		if (name[2] == '\0' ||
		    msg_meta_set_var(o->meta, name + 2, value) < 0)
			return api_error_set(
			    e, 400, "invalid_field", name,
			    "'%s' parameter: a variable needs a name and the "
			    "variables must stay under %d octets",
			    name, MSG_META_METADATA_MAX);
		return 0;
	}
	if (hdr || h_mg || strncmp(name, "o:", 2) == 0 ||
	    strncmp(name, "t:", 2) == 0)
		return api_error_set(e, 400, "invalid_field", name,
		                     "'%s' parameter is not supported by this "
		                     "endpoint",
		                     name);
	return 1;
}

/* ---- X-Mailgun-* fields in a MIME message ------------------------------ */

#define MG_MIME_NAMES_MAX 32

/* mg_unfold - a field value as one line: line ends out, blanks trimmed. */
static char *
mg_unfold(struct str v)
{
	char *s = xmalloc(v.len + 1), *end;
	size_t i, n = 0;

	for (i = 0; i < v.len; i++)
		if (v.p[i] != '\r' && v.p[i] != '\n')
			s[n++] = v.p[i];
	s[n] = '\0';
	end = s + n;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	n = strspn(s, " \t");
	memmove(s, s + n, strlen(s + n) + 1);
	return s;
}

int
compat_mailgun_opts_mime(struct compat_mg_opts *o, struct buf *msg,
                         struct api_error *e)
{
	char names[MG_MIME_NAMES_MAX][64];
	size_t hlen = mime_header_len(msg->p, msg->len), off = 0, nn = 0, i;
	struct str name, value;
	int rc = 0;

	while (rc == 0 &&
	       mime_header_field_next(msg->p, hlen, &off, &name, &value)) {
		char *v, n[64];

		if (name.len < 10 || strncasecmp(name.p, "X-Mailgun-", 10) != 0)
			continue;
		if (name.len >= sizeof(n))
			return api_error_set(
			    e, 400, "invalid_field", "message",
			    "an X-Mailgun header field name is "
			    "too long");
		memcpy(n, name.p, name.len);
		n[name.len] = '\0';
		for (i = 0; i < nn && strcasecmp(names[i], n) != 0; i++)
			;
		if (i == nn) {
			if (nn == MG_MIME_NAMES_MAX)
				return api_error_set(
				    e, 400, "invalid_field", "message",
				    "too many X-Mailgun header fields");
			memcpy(names[nn++], n, name.len + 1);
		}
		v = mg_unfold(value);
		rc = compat_mailgun_opt(o, n, v, e);
		free(v);
	}
	if (rc < 0)
		return -1;
	/* Instructions to Mailgun, now to swerve: never relayed as such. */
	for (i = 0; i < nn; i++)
		(void)mime_header_take(msg, 0, names[i], NULL);
	return 0;
}
