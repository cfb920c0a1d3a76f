/*
 * statuspage.c - read a provider's public status page: Atlassian
 * Statuspage JSON (jansson) and AWS Health RSS (libxml2).
 *
 * Pure functions over a body: no I/O, no allocation kept past a call. What
 * a page says is reduced to one struct status_report (a level and a short,
 * sanitised description); what the level means for routing is decided by
 * the caller. Strict on shape (wrong types are errors, so a page that
 * changes format is noticed), lenient on values (an unknown status word is
 * UNKNOWN, not an error, so a new Statuspage status does not break polls).
 *
 * Does not: fetch anything (statuspoll.c does), follow links in the feed,
 * read Atom feeds, look at incidents or scheduled maintenances lists.
 */
#include "route/statuspage.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "core/buf.h"
#include "core/xmalloc.h"

/* statuspage_err - format a one-line reason into err (if any room). */
static void __attribute__((format(printf, 3, 4)))
statuspage_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* Parser messages may quote the hostile input: keep it printable. */
	for (; *err != '\0'; err++)
		if ((unsigned char)*err < 0x20 || (unsigned char)*err > 0x7e)
			*err = '?';
}

/* statuspage_report_clear - UNKNOWN, empty description. */
static void
statuspage_report_clear(struct status_report *out)
{
	out->level = STATUS_UNKNOWN;
	out->description[0] = '\0';
}

/*
 * statuspage_sanitise - copy n bytes of s into dst (size dstlen) as
 * printable ASCII: white space runs become one space, trimmed at both
 * ends; any other control byte becomes '?', and so does each UTF-8
 * multi-byte sequence (one '?' for the sequence, not one per byte).
 */
static void
statuspage_sanitise(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t o = 0, i;
	bool space = false, in_seq = false;

	if (dstlen == 0)
		return;
	for (i = 0; i < n && o + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];
		char ch;

		if (c >= 0x80 && c <= 0xbf && in_seq)
			continue; /* continuation of a sequence already shown */
		in_seq = c >= 0xc0;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = o > 0;
			continue;
		}
		ch = (c >= 0x21 && c <= 0x7e) ? (char)c : '?';
		if (space) {
			dst[o++] = ' ';
			space = false;
			if (o + 1 >= dstlen)
				break;
		}
		dst[o++] = ch;
	}
	dst[o] = '\0';
}

/* statuspage_level_name - names for logs and metrics. */
const char *
statuspage_level_name(enum status_level l)
{
	switch (l) {
	case STATUS_OK:
		return "ok";
	case STATUS_MINOR:
		return "minor";
	case STATUS_MAJOR:
		return "major";
	case STATUS_CRITICAL:
		return "critical";
	case STATUS_MAINTENANCE:
		return "maintenance";
	default:
		return "unknown";
	}
}

/* statuspage_level_rank - position in the severity order. */
static int
statuspage_level_rank(enum status_level l)
{
	switch (l) {
	case STATUS_OK:
		return 1;
	case STATUS_MAINTENANCE:
		return 2;
	case STATUS_MINOR:
		return 3;
	case STATUS_MAJOR:
		return 4;
	case STATUS_CRITICAL:
		return 5;
	default:
		return 0;
	}
}

/* statuspage_level_worse - a strictly above b. */
bool
statuspage_level_worse(enum status_level a, enum status_level b)
{
	return statuspage_level_rank(a) > statuspage_level_rank(b);
}

/* statuspage_level_outage - MAJOR or CRITICAL. */
bool
statuspage_level_outage(enum status_level l)
{
	return l == STATUS_MAJOR || l == STATUS_CRITICAL;
}

/* statuspage_ctype_has - case-insensitive substring of a Content-Type. */
static bool
statuspage_ctype_has(const char *ct, const char *what)
{
	size_t n = strlen(what);

	for (; *ct != '\0' && *ct != ';'; ct++)
		if (strncasecmp(ct, what, n) == 0)
			return true;
	return false;
}

/* statuspage_format_detect - by Content-Type, else by the first byte. */
enum statuspage_format
statuspage_format_detect(const char *content_type, const char *body, size_t len)
{
	size_t i = 0;

	if (content_type != NULL) {
		if (statuspage_ctype_has(content_type, "json"))
			return STATUSPAGE_FORMAT_JSON;
		if (statuspage_ctype_has(content_type, "xml") ||
		    statuspage_ctype_has(content_type, "rss"))
			return STATUSPAGE_FORMAT_RSS;
	}
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (body[i] == ' ' || body[i] == '\t' ||
	                   body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i < len && body[i] == '{')
		return STATUSPAGE_FORMAT_JSON;
	if (i < len && body[i] == '<')
		return STATUSPAGE_FORMAT_RSS;
	return STATUSPAGE_FORMAT_UNKNOWN;
}

/* ------------------------------------------------------------------ */
/* Atlassian Statuspage JSON                                           */

/* The words Statuspage uses, and what they mean here. */
static const struct {
	const char *word;
	enum status_level level;
} statuspage_words[] = {
    /* status.indicator */
    {"none", STATUS_OK},
    {"minor", STATUS_MINOR},
    {"major", STATUS_MAJOR},
    {"critical", STATUS_CRITICAL},
    {"maintenance", STATUS_MAINTENANCE},
    /* components[].status */
    {"operational", STATUS_OK},
    {"degraded_performance", STATUS_MINOR},
    {"partial_outage", STATUS_MAJOR},
    {"major_outage", STATUS_CRITICAL},
    {"under_maintenance", STATUS_MAINTENANCE},
};

/* statuspage_word_level - the level of an indicator or component status. */
static enum status_level
statuspage_word_level(const char *w)
{
	size_t i;

	for (i = 0; i < sizeof(statuspage_words) / sizeof(statuspage_words[0]);
	     i++)
		if (strcmp(w, statuspage_words[i].word) == 0)
			return statuspage_words[i].level;
	return STATUS_UNKNOWN;
}

/* statuspage_name_match - component name equals want, ignoring case and
 * the white space around either. */
static bool
statuspage_name_match(const char *have, size_t hlen, const char *want)
{
	size_t wlen = strlen(want);

	while (hlen > 0 && isspace((unsigned char)*have))
		have++, hlen--;
	while (hlen > 0 && isspace((unsigned char)have[hlen - 1]))
		hlen--;
	while (wlen > 0 && isspace((unsigned char)*want))
		want++, wlen--;
	while (wlen > 0 && isspace((unsigned char)want[wlen - 1]))
		wlen--;
	return hlen == wlen && strncasecmp(have, want, wlen) == 0;
}

/* statuspage_json_indicator - the page's overall status object. */
static int
statuspage_json_indicator(json_t *status, struct status_report *out, char *err,
                          size_t errlen)
{
	json_t *ind = json_object_get(status, "indicator");
	json_t *desc = json_object_get(status, "description");
	const char *text;

	if (!json_is_string(ind)) {
		statuspage_err(err, errlen,
		               "statuspage: status.indicator is %s",
		               ind == NULL ? "missing" : "not a string");
		return -1;
	}
	if (desc != NULL && !json_is_string(desc) && !json_is_null(desc)) {
		statuspage_err(
		    err, errlen,
		    "statuspage: status.description is not a string");
		return -1;
	}
	out->level = statuspage_word_level(json_string_value(ind));
	if (out->level == STATUS_UNKNOWN) {
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "unknown indicator \"%.64s\"",
		           json_string_value(ind));
		statuspage_sanitise(out->description, sizeof(out->description),
		                    b.p, b.len);
		buf_fini(&b);
		return 0;
	}
	text = json_is_string(desc) ? json_string_value(desc) : "";
	statuspage_sanitise(out->description, sizeof(out->description), text,
	                    json_is_string(desc) ? json_string_length(desc)
	                                         : 0);
	if (out->description[0] == '\0')
		snprintf(out->description, sizeof(out->description),
		         "indicator %s", json_string_value(ind));
	return 0;
}

/*
 * statuspage_json_components - the worst of the components (all of them,
 * or only the named ones). Shape errors anywhere in the array fail, named
 * or not: a page that changed format should be noticed.
 */
static int
statuspage_json_components(json_t *comps, const char *const *names,
                           size_t n_names, struct status_report *out, char *err,
                           size_t errlen)
{
	enum status_level worst = STATUS_UNKNOWN;
	struct buf bad, missing;
	bool found_any = false, *found = NULL;
	size_t i, j, counted = 0;
	json_t *c;
	int rc = -1;
	bool found_small[16] = {false};

	buf_init(&bad);
	buf_init(&missing);
	if (n_names <= sizeof(found_small) / sizeof(found_small[0]))
		found = found_small;
	else
		found = xcalloc(n_names, sizeof(*found));
	json_array_foreach(comps, i, c)
	{
		json_t *name = json_object_get(c, "name");
		json_t *st = json_object_get(c, "status");
		enum status_level l;
		bool want = n_names == 0;

		if (!json_is_object(c) || !json_is_string(name) ||
		    !json_is_string(st)) {
			statuspage_err(err, errlen,
			               "statuspage: components[%zu] %s", i,
			               !json_is_object(c) ? "is not an object"
			               : !json_is_string(name)
			                   ? "has no string \"name\""
			                   : "has no string \"status\"");
			goto fail;
		}
		for (j = 0; j < n_names; j++) {
			if (statuspage_name_match(json_string_value(name),
			                          json_string_length(name),
			                          names[j])) {
				found[j] = true;
				want = true;
			}
		}
		if (!want)
			continue;
		counted++;
		found_any = true;
		l = statuspage_word_level(json_string_value(st));
		if (statuspage_level_worse(l, worst))
			worst = l;
		if (l != STATUS_OK && bad.len < STATUSPAGE_DESC_SIZE)
			buf_printf(&bad, "%s%.80s: %.40s", bad.len ? "; " : "",
			           json_string_value(name),
			           json_string_value(st));
	}
	for (j = 0; j < n_names; j++)
		if (!found[j] && missing.len < STATUSPAGE_DESC_SIZE)
			buf_printf(&missing, "%s%.80s", missing.len ? ", " : "",
			           names[j]);
	if (!found_any) {
		out->level = STATUS_UNKNOWN;
		buf_printf(&bad, "%s",
		           n_names
		               ? "none of the named components is on the page"
		               : "the page lists no components");
	} else {
		out->level = worst;
		if (bad.len == 0)
			buf_printf(&bad, "%zu component%s operational", counted,
			           counted == 1 ? "" : "s");
	}
	if (missing.len > 0 && found_any)
		buf_printf(&bad, "; not on page: %s", buf_cstr(&missing));
	else if (missing.len > 0)
		buf_printf(&bad, ": %s", buf_cstr(&missing));
	statuspage_sanitise(out->description, sizeof(out->description), bad.p,
	                    bad.len);
	rc = 0;
fail:
	if (found != found_small)
		free(found);
	buf_fini(&missing);
	buf_fini(&bad);
	return rc;
}

/* statuspage_parse_json - see the contract. */
int
statuspage_parse_json(const char *body, size_t len,
                      const char *const *components, size_t n_components,
                      struct status_report *out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = NULL, *status, *comps;
	int rc = -1;

	statuspage_report_clear(out);
	statuspage_err(err, errlen, "%s", "");
	if (len > STATUSPAGE_BODY_MAX) {
		statuspage_err(
		    err, errlen,
		    "statuspage: body of %zu bytes is over the limit", len);
		goto fail;
	}
	root = json_loadb(body, len, 0, &je);
	if (root == NULL) {
		statuspage_err(err, errlen,
		               "statuspage: JSON line %d column %d: %s",
		               je.line, je.column, je.text);
		goto fail;
	}
	if (!json_is_object(root)) {
		statuspage_err(err, errlen,
		               "statuspage: top level is not a JSON object");
		goto fail;
	}
	status = json_object_get(root, "status");
	comps = json_object_get(root, "components");
	if (status != NULL && !json_is_object(status)) {
		statuspage_err(err, errlen,
		               "statuspage: \"status\" is not an object");
		goto fail;
	}
	if (comps != NULL && !json_is_array(comps)) {
		statuspage_err(err, errlen,
		               "statuspage: \"components\" is not an array");
		goto fail;
	}
	if (status == NULL && comps == NULL) {
		statuspage_err(err, errlen,
		               "statuspage: neither \"status\" nor "
		               "\"components\": not a Statuspage page");
		goto fail;
	}
	if (n_components > 0 || status == NULL) {
		/* status.json with names: no components, so none is found. */
		json_t *empty =
		    comps != NULL ? json_incref(comps) : json_array();
		rc = statuspage_json_components(empty, components, n_components,
		                                out, err, errlen);
		json_decref(empty);
	} else {
		rc = statuspage_json_indicator(status, out, err, errlen);
	}
fail:
	if (rc != 0)
		statuspage_report_clear(out);
	json_decref(root);
	return rc;
}

/* ------------------------------------------------------------------ */
/* RFC 822 dates                                                       */

/* statuspage_days_from_civil - days since 1970-01-01 (proleptic
 * Gregorian; Howard Hinnant's well-known formula). */
static long long
statuspage_days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* statuspage_num - up to max digits (at least one) from *s. */
static bool
statuspage_num(const char **s, int max, int *out)
{
	int n = 0, v = 0;

	while (n < max && isdigit((unsigned char)**s)) {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	*out = v;
	return n > 0 && !isdigit((unsigned char)**s);
}

/* statuspage_skip_space - past spaces and tabs. */
static void
statuspage_skip_space(const char **s)
{
	while (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n')
		(*s)++;
}

/* statuspage_zone - minutes east of UTC for an RFC 822 zone. */
static bool
statuspage_zone(const char **s, int *minutes)
{
	static const struct {
		const char *name;
		int hours;
	} zones[] = {
	    {"UTC", 0},  {"UT", 0},   {"GMT", 0},  {"Z", 0},
	    {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
	    {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7},
	};
	const char *p = *s;
	size_t i, n = 0;

	if (*p == '+' || *p == '-') {
		int hhmm;
		const char *q = p + 1;
		if (!statuspage_num(&q, 4, &hhmm) || q - p != 5 ||
		    hhmm % 100 > 59)
			return false;
		*minutes =
		    (hhmm / 100 * 60 + hhmm % 100) * (*p == '-' ? -1 : 1);
		*s = q;
		return true;
	}
	while (isalpha((unsigned char)p[n]))
		n++;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		if (strlen(zones[i].name) == n &&
		    strncasecmp(p, zones[i].name, n) == 0) {
			*minutes = zones[i].hours * 60;
			*s = p + n;
			return true;
		}
	}
	return false;
}

/* statuspage_date_parse - see the contract. */
int
statuspage_date_parse(const char *s, long long *out)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int day, year, hh, mm, ss = 0, zone, mon = -1, i;

	statuspage_skip_space(&s);
	if (isalpha((unsigned char)*s)) { /* optional "Tue," */
		for (i = 0; i < 3 && isalpha((unsigned char)*s); i++)
			s++;
		if (*s++ != ',')
			return -1;
		statuspage_skip_space(&s);
	}
	if (!statuspage_num(&s, 2, &day))
		return -1;
	statuspage_skip_space(&s);
	for (i = 0; i < 12; i++)
		if (strncasecmp(s, months + 3 * i, 3) == 0 &&
		    !isalpha((unsigned char)s[3]))
			mon = i;
	if (mon < 0)
		return -1;
	s += 3;
	statuspage_skip_space(&s);
	{
		const char *y0 = s;
		if (!statuspage_num(&s, 4, &year))
			return -1;
		if (s - y0 == 2)
			year += year < 50 ? 2000 : 1900;
		else if (s - y0 != 4)
			return -1;
	}
	statuspage_skip_space(&s);
	if (!statuspage_num(&s, 2, &hh) || *s++ != ':' ||
	    !statuspage_num(&s, 2, &mm))
		return -1;
	if (*s == ':') {
		s++;
		if (!statuspage_num(&s, 2, &ss))
			return -1;
	}
	statuspage_skip_space(&s);
	if (!statuspage_zone(&s, &zone))
		return -1;
	statuspage_skip_space(&s);
	if (*s != '\0' || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	*out =
	    statuspage_days_from_civil(year, (unsigned)mon + 1, (unsigned)day) *
	        86400LL +
	    hh * 3600LL + mm * 60LL + ss - zone * 60LL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* AWS Health RSS                                                      */

/* AWS's title prefixes, in the order they are tried. */
static const struct {
	const char *prefix;
	enum status_level level;
} statuspage_aws_titles[] = {
    {"[RESOLVED]", STATUS_OK},
    {"Service is operating normally", STATUS_OK},
    {"Informational message", STATUS_MINOR},
    {"Performance issues", STATUS_MINOR},
    {"Service disruption", STATUS_MAJOR},
};

/* statuspage_rss_title_level - the level a title announces. */
static enum status_level
statuspage_rss_title_level(const char *t)
{
	size_t i, n;

	while (isspace((unsigned char)*t))
		t++;
	/* "Informational message: [RESOLVED] ..." is over, too. */
	if (strcasestr(t, "[RESOLVED]") != NULL)
		return STATUS_OK;
	for (i = 0; i < sizeof(statuspage_aws_titles) /
	                    sizeof(statuspage_aws_titles[0]);
	     i++) {
		n = strlen(statuspage_aws_titles[i].prefix);
		if (strncasecmp(t, statuspage_aws_titles[i].prefix, n) == 0)
			return statuspage_aws_titles[i].level;
	}
	return STATUS_UNKNOWN;
}

/*
 * statuspage_xml_quiet - libxml2's generic error handler. Its encoding
 * layer reports to it even with XML_PARSE_NOERROR; a daemon's stderr is
 * not the place for a hostile feed's bytes. The parse error itself is
 * read from the context.
 */
static void
statuspage_xml_quiet(void *ctx, const char *msg, ...)
{
}

static pthread_once_t statuspage_xml_once = PTHREAD_ONCE_INIT;

/* statuspage_xml_init - libxml2's global set-up, once per process. */
static void
statuspage_xml_init(void)
{
	xmlInitParser();
}

/* statuspage_rss_guard - what the SAX hook saw, via ctxt->_private. */
struct statuspage_rss_guard {
	bool doctype;
};

/*
 * statuspage_rss_subset - SAX: a DOCTYPE began. Stop before any entity
 * or DTD can be declared, loaded or expanded.
 */
static void
statuspage_rss_subset(void *ctx, const xmlChar *name, const xmlChar *ext_id,
                      const xmlChar *sys_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct statuspage_rss_guard *g = ctxt->_private;

	if (g != NULL)
		g->doctype = true;
	xmlStopParser(ctxt);
}

/* statuspage_rss_child - the first element child of n called name. */
static xmlNodePtr
statuspage_rss_child(xmlNodePtr n, const char *name)
{
	xmlNodePtr c;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    xmlStrcmp(c->name, (const xmlChar *)name) == 0)
			return c;
	return NULL;
}

/* statuspage_rss_text - the text of n's child called name, or NULL;
 * free with xmlFree. */
static xmlChar *
statuspage_rss_text(xmlNodePtr n, const char *name)
{
	xmlNodePtr c = statuspage_rss_child(n, name);

	return c != NULL ? xmlNodeGetContent(c) : NULL;
}

/* statuspage_rss_judge - the newest item of channel decides. */
static void
statuspage_rss_judge(xmlNodePtr channel, struct status_report *out)
{
	xmlNodePtr it, best = NULL;
	long long best_t = LLONG_MIN, t;
	xmlChar *title, *date;
	const char *text;

	for (it = channel->children; it != NULL; it = it->next) {
		if (it->type != XML_ELEMENT_NODE ||
		    xmlStrcmp(it->name, (const xmlChar *)"item") != 0)
			continue;
		date = statuspage_rss_text(it, "pubDate");
		if (date == NULL ||
		    statuspage_date_parse((const char *)date, &t) != 0)
			t = LLONG_MIN;
		xmlFree(date);
		if (best == NULL || t > best_t) {
			best = it;
			best_t = t;
		}
	}
	if (best == NULL) {
		out->level = STATUS_OK;
		snprintf(out->description, sizeof(out->description),
		         "no events in the feed");
		return;
	}
	title = statuspage_rss_text(best, "title");
	text = title != NULL ? (const char *)title : "";
	out->level = statuspage_rss_title_level(text);
	statuspage_sanitise(out->description, sizeof(out->description), text,
	                    strlen(text));
	if (out->description[0] == '\0')
		snprintf(out->description, sizeof(out->description),
		         "newest item has no title");
	xmlFree(title);
}

/* statuspage_parse_rss - see the contract. */
int
statuspage_parse_rss(const char *body, size_t len, struct status_report *out,
                     char *err, size_t errlen)
{
	struct statuspage_rss_guard guard = {false};
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, channel;
	int rc = -1;

	statuspage_report_clear(out);
	statuspage_err(err, errlen, "%s", "");
	if (len > STATUSPAGE_BODY_MAX) {
		statuspage_err(
		    err, errlen,
		    "statuspage: body of %zu bytes is over the limit", len);
		goto fail;
	}
	/* libxml2's first-use set-up is not safe to race; do it once. */
	pthread_once(&statuspage_xml_once, statuspage_xml_init);
	/* Per thread in libxml2; swerve uses libxml2 nowhere else. */
	xmlSetGenericErrorFunc(NULL, statuspage_xml_quiet);
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		statuspage_err(err, errlen, "statuspage: no XML parser");
		goto fail;
	}
	ctxt->sax->internalSubset = statuspage_rss_subset;
	ctxt->_private = &guard;
	/* No NOENT, no DTDLOAD, no HUGE: entities stay unexpanded and the
	 * default limits hold; NONET in case anything would fetch. */
	doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL,
	                        XML_PARSE_NONET | XML_PARSE_NOERROR |
	                            XML_PARSE_NOWARNING);
	if (guard.doctype) {
		statuspage_err(err, errlen,
		               "statuspage: XML with a DOCTYPE is refused");
		goto fail;
	}
	if (doc == NULL || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[160];
		statuspage_sanitise(msg, sizeof(msg),
		                    e && e->message ? e->message : "malformed",
		                    e && e->message ? strlen(e->message) : 9);
		statuspage_err(err, errlen, "statuspage: XML line %d: %s",
		               e ? e->line : 0, msg);
		goto fail;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL ||
	    xmlStrcmp(root->name, (const xmlChar *)"rss") != 0) {
		statuspage_err(err, errlen,
		               "statuspage: XML root is not <rss>");
		goto fail;
	}
	channel = statuspage_rss_child(root, "channel");
	if (channel == NULL) {
		statuspage_err(err, errlen, "statuspage: RSS has no <channel>");
		goto fail;
	}
	statuspage_rss_judge(channel, out);
	rc = 0;
fail:
	if (rc != 0)
		statuspage_report_clear(out);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

/* statuspage_parse - detect, then parse. */
int
statuspage_parse(const char *content_type, const char *body, size_t len,
                 const char *const *components, size_t n_components,
                 struct status_report *out, char *err, size_t errlen)
{
	switch (statuspage_format_detect(content_type, body, len)) {
	case STATUSPAGE_FORMAT_JSON:
		return statuspage_parse_json(body, len, components,
		                             n_components, out, err, errlen);
	case STATUSPAGE_FORMAT_RSS:
		return statuspage_parse_rss(body, len, out, err, errlen);
	default: {
		char ct[64];
		statuspage_sanitise(
		    ct, sizeof(ct), content_type ? content_type : "absent",
		    strlen(content_type ? content_type : "absent"));
		statuspage_report_clear(out);
		statuspage_err(err, errlen,
		               "statuspage: neither JSON nor RSS (Content-Type "
		               "%s)",
		               ct);
		return -1;
	}
	}
}
