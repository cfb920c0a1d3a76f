/*
 * config.c - swerved's configuration: defaults, loading, validation.
 *
 * One table per section drives the parsing (key name, type, field offset,
 * limits), in the manner of Redis's config table: adding a key is adding a
 * row in config_keys.c. The YAML text is turned into a tree by config_tree.c;
 * the scalar syntaxes (sizes, durations, addresses, networks) live in
 * config_parse.c. This file walks the tree against the tables, then runs the
 * checks that span several keys (tls.cert with tls.key, backoff order,
 * unique names), always reporting "file:line: dotted.key: expected ...".
 *
 * The only I/O is reading the config file, the *_file secrets and checking
 * that TLS files are readable. A struct config is plain data: nothing here
 * opens sockets or starts anything. Secrets never reach an error message.
 */
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_keys.h"
#include "config/config_tree.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/tls.h"
#include "core/xmalloc.h"

/* Larger files are surely a mistake (a log, a binary). */
#define CONFIG_FILE_MAX (1024 * 1024)
/* A password file holds one line. */
#define CONFIG_SECRET_MAX 4096

/* --- messages --------------------------------------------------------- */

int
config_error(struct config_ctx *x, int line, const char *path, const char *fmt,
             ...)
{
	char msg[CONFIG_ERR_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->err != NULL && x->errlen > 0) {
		if (path != NULL && path[0] != '\0')
			snprintf(x->err, x->errlen, "%s:%d: %s: %s", x->name,
			         line, path, msg);
		else
			snprintf(x->err, x->errlen, "%s:%d: %s", x->name, line,
			         msg);
	}
	return -1;
}

/* config_quote_max - s quoted and escaped, at most shown bytes of it. */
static void
config_quote_max(const char *s, size_t shown, char *out, size_t n)
{
	struct buf b;
	size_t i, end;

	for (end = 0; end < shown && s[end] != '\0'; end++)
		;
	/* Cut at a character boundary, not inside a UTF-8 sequence. */
	if (s[end] != '\0')
		while (end > 0 && ((unsigned char)s[end] & 0xc0) == 0x80)
			end--;
	buf_init(&b);
	buf_addch(&b, '"');
	for (i = 0; i < end; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			buf_printf(&b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(&b, "\\x%02x", c);
		else
			buf_addch(&b, (char)c);
	}
	if (s[end] != '\0')
		buf_addstr(&b, "...");
	buf_addch(&b, '"');
	snprintf(out, n, "%s", buf_cstr(&b));
	buf_fini(&b);
}

void
config_text_quote(const char *s, char *out, size_t n)
{
	config_quote_max(s, 60, out, n);
}

/* config_file_quote - a file name for a message: quoted, one line. */
static void
config_file_quote(const char *file, char *out, size_t n)
{
	config_quote_max(file, 200, out, n);
}

int
config_expect(struct config_ctx *x, const struct config_node *v,
              const char *path, bool secret, const char *what)
{
	char got[96];

	switch (v->kind) {
	case CONFIG_NODE_NULL:
		snprintf(got, sizeof(got), "null");
		break;
	case CONFIG_NODE_SEQ:
		snprintf(got, sizeof(got), "a list");
		break;
	case CONFIG_NODE_MAP:
		snprintf(got, sizeof(got), "a map");
		break;
	case CONFIG_NODE_SCALAR:
		if (secret)
			return config_error(x, v->line, path, "expected %s",
			                    what);
		config_text_quote(v->str, got, sizeof(got));
		break;
	}
	return config_error(x, v->line, path, "expected %s; got %s", what, got);
}

void
config_path_key(char *out, size_t n, const char *parent, const char *key)
{
	char q[96];

	/* Keys from the file may hold anything; keep the message one line. */
	if (strpbrk(key, "\"\\\n\r\t") != NULL || strlen(key) > 60) {
		config_text_quote(key, q, sizeof(q));
		key = q;
	}
	if (parent == NULL || parent[0] == '\0')
		snprintf(out, n, "%s", key);
	else
		snprintf(out, n, "%s.%s", parent, key);
}

void
config_path_index(char *out, size_t n, const char *parent, size_t i)
{
	snprintf(out, n, "%s[%zu]", parent, i);
}

/* --- files ------------------------------------------------------------ */

char *
config_file_resolve(const struct config_ctx *x, const char *file)
{
	struct buf b;

	if (file[0] == '/' || x->dir == NULL)
		return xstrdup(file);
	buf_init(&b);
	buf_addstr(&b, x->dir);
	if (b.len > 0 && b.p[b.len - 1] != '/')
		buf_addch(&b, '/');
	buf_addstr(&b, file);
	return buf_steal(&b, NULL);
}

/*
 * config_file_read - the whole of path, NUL-terminated; NULL + errno.
 * With regular set, anything but a regular file is refused (EINVAL)
 * without blocking: a secret named /dev/stdin or a FIFO must not hang the
 * load.
 */
static char *
config_file_read(const char *path, size_t max, bool regular, size_t *lenp)
{
	struct buf b;
	char chunk[8192];
	struct stat st;
	ssize_t n;
	int fd, saved;

	fd = open(path,
	          O_RDONLY | O_CLOEXEC | O_NOCTTY | (regular ? O_NONBLOCK : 0));
	if (fd < 0)
		return NULL;
	buf_init(&b);
	if (regular) {
		if (fstat(fd, &st) != 0)
			goto fail;
		if (!S_ISREG(st.st_mode)) {
			errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
			goto fail;
		}
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			errno = EFBIG;
			goto fail;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return buf_steal(&b, lenp);
fail:
	saved = errno;
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	if (b.p != NULL)
		explicit_bzero(b.p, b.len);
	buf_fini(&b);
	errno = saved;
	return NULL;
}

/* config_file_strerror - errno from config_file_read, in words. */
static const char *
config_file_strerror(int err, size_t max)
{
	if (err == EFBIG)
		return max == CONFIG_SECRET_MAX ? "larger than 4KB"
		                                : "larger than 1MB";
	if (err == EINVAL)
		return "not a regular file";
	return strerror(err);
}

int
config_secret_read(struct config_ctx *x, const struct config_node *v,
                   const char *path, char **out)
{
	char *file, *text, q[1024];
	size_t len;
	int rc = -1, saved;

	file = config_file_resolve(x, v->str);
	config_file_quote(file, q, sizeof(q));
	text = config_file_read(file, CONFIG_SECRET_MAX, true, &len);
	if (text == NULL) {
		saved = errno;
		config_error(x, v->line, path, "cannot read %s: %s", q,
		             config_file_strerror(saved, CONFIG_SECRET_MAX));
		goto done;
	}
	/* "echo secret > file" adds a newline that is not part of it. */
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (len == 0 || memchr(text, '\0', len) != NULL ||
	    memchr(text, '\n', len) != NULL) {
		config_error(x, v->line, path,
		             "expected %s to hold one non-empty line", q);
		explicit_bzero(text, len);
		free(text);
		goto done;
	}
	if (*out != NULL) {
		explicit_bzero(*out, strlen(*out));
		free(*out);
	}
	*out = text;
	rc = 0;
done:
	free(file);
	return rc;
}

int
config_file_check(struct config_ctx *x, const struct config_node *v,
                  const char *path, char **out)
{
	char *file = config_file_resolve(x, v->str), q[1024];
	struct stat st;

	config_file_quote(file, q, sizeof(q));
	if (access(file, R_OK) != 0) {
		config_error(x, v->line, path, "cannot read %s: %s", q,
		             strerror(errno));
		free(file);
		return -1;
	}
	if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
		config_error(x, v->line, path,
		             "expected a file; %s is a directory", q);
		free(file);
		return -1;
	}
	free(*out);
	*out = file;
	return 0;
}

/* --- lifecycle -------------------------------------------------------- */

/* config_secret_free - wipe and free a secret string. */
static void
config_secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
config_addrs_free(struct config_addr *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(a[i].host);
	free(a);
}

void
config_user_fini(struct config_user *u)
{
	size_t i;

	free(u->name);
	config_secret_free(u->password);
	for (i = 0; i < u->n_from_domains; i++)
		free(u->from_domains[i]);
	free(u->from_domains);
	free(u->stream);
	memset(u, 0, sizeof(*u));
}

void
config_provider_init(struct config_provider *p)
{
	memset(p, 0, sizeof(*p));
	p->port = 25;
	p->tls = CONFIG_TLS_STARTTLS;
	p->tls_verify = true;
	p->priority = 1;
	p->weight = 1;
	p->enabled = true;
	p->connect_timeout_ms = 5000;
	p->greeting_timeout_ms = 5000;
	p->command_timeout_ms = 30000;
	p->data_timeout_ms = 60000;
	p->max_connections = 4;
	p->adaptive_connections = true;
	p->max_msgs_per_conn = 100;
	p->request_timeout_ms = 30000;
	p->failback_ramp_ms = 5 * 60 * 1000;
	p->probe_interval_ms = 30000;
	p->account_interval_ms = 5 * 60 * 1000;
	p->quota_reserve = 0.02;
	p->probation_share = 0.25;
	p->status_page.interval_ms = 60000;
	config_events_init(&p->events);
	p->circuit = (struct config_circuit){
	    .failures = 3,
	    .failure_ratio = 0.5,
	    .min_volume = 20,
	    .window_ms = 30000,
	    .cooldown_ms = 5000,
	    .max_cooldown_ms = 5 * 60 * 1000,
	    .config_cooldown_ms = 10 * 60 * 1000,
	    .trials = 3,
	};
}

/* config_strs_free - free n strings and the array. */
static void
config_strs_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
config_provider_fini(struct config_provider *p)
{
	free(p->name);
	free(p->type);
	free(p->host);
	free(p->username);
	config_secret_free(p->password);
	free(p->endpoint);
	free(p->cloudwatch_endpoint);
	free(p->region);
	free(p->access_key_id);
	config_secret_free(p->secret_access_key);
	config_secret_free(p->session_token);
	free(p->configuration_set);
	config_secret_free(p->api_key);
	free(p->domain);
	free(p->message_stream);
	free(p->meta_header);
	free(p->bounce_domain);
	free(p->ca_file);
	free(p->client_cert);
	free(p->client_key);
	free(p->max_rate);
	free(p->status_page.url);
	config_strs_free(p->status_page.components,
	                 p->status_page.n_components);
	config_events_fini(&p->events);
	memset(p, 0, sizeof(*p));
}

void
config_stream_init(struct config_stream *s)
{
	memset(s, 0, sizeof(*s));
	s->weight = 10;
}

void
config_stream_fini(struct config_stream *s)
{
	free(s->name);
	config_strs_free(s->providers, s->n_providers);
	memset(s, 0, sizeof(*s));
}

/* config_streams_default - critical 100, transactional 10, bulk 1. */
static void
config_streams_default(struct config *c)
{
	static const struct {
		const char *name;
		unsigned weight;
	} defs[] = {{"critical", 100}, {"transactional", 10}, {"bulk", 1}};
	size_t i;

	c->n_streams = sizeof(defs) / sizeof(defs[0]);
	c->streams = xcalloc(c->n_streams, sizeof(*c->streams));
	for (i = 0; i < c->n_streams; i++) {
		config_stream_init(&c->streams[i]);
		c->streams[i].name = xstrdup(defs[i].name);
		c->streams[i].weight = defs[i].weight;
	}
}

/* config_addr_default - a one-element listen list for host:port. */
static struct config_addr *
config_addr_default(const char *host, uint16_t port)
{
	struct config_addr *a = xcalloc(1, sizeof(*a));

	a->host = xstrdup(host);
	a->port = port;
	return a;
}

struct config *
config_defaults(void)
{
	struct config *c = xcalloc(1, sizeof(*c));
	char host[256];

	c->path = xstrdup("<defaults>");
	c->listen_smtp = config_addr_default("127.0.0.1", 2525);
	c->n_listen_smtp = 1;
	c->listen_http = config_addr_default("127.0.0.1", 2580);
	c->n_listen_http = 1;

	memset(host, 0, sizeof(host));
	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	c->hostname = xstrdup(host);

	c->spool_dir = xstrdup("./var/swerve");
	c->spool_min_free = 100ULL << 20;
	c->spool_purge_interval_ms = 3600ULL * 1000;
	c->spool_max_messages = 1000000;
	c->spool_batch_max = 256;
	c->spool_handoff_cache = 64ULL << 20;
	c->spool_outcome_delay_ms = 0;

	c->max_message_size = 25ULL << 20;
	c->max_recipients = 100;
	c->max_sessions = 1000;
	c->max_http_connections = 1000;
	c->http_request_timeout_ms = 60 * 1000;
	c->max_auth_failures = 3;
	c->idle_timeout_ms = 5 * 60 * 1000;
	c->command_timeout_ms = 5 * 60 * 1000;
	c->min_data_rate = 1024;
	c->max_schedule_ahead_ms = 30ULL * 86400 * 1000;

	c->dashboard_enabled = true;
	c->dashboard_session_ms = 8ULL * 3600 * 1000;
	c->dashboard_max_sessions = 32;

	c->anomaly_enabled = true;
	c->readiness_timeout_ms = 10000;
	c->readiness_dns_timeout_ms = 2000;
	c->readiness_max_metrics = 200;
	c->anomaly_interval_ms = 5 * 60 * 1000;
	c->anomaly_warmup_ms = 8 * 24 * 3600 * 1000ULL;
	c->anomaly_threshold = 4;
	c->anomaly_min_volume = 20;
	c->anomaly_top_domains = 50;
	c->anomaly_on = CONFIG_ANOMALY_WARN;
	c->anomaly_shift_share = 0.5;
	c->rates_bounce_warning = 0.05;
	c->rates_bounce_critical = 0.10;
	c->rates_complaint_warning = 0.001;
	c->rates_complaint_critical = 0.005;
	c->rates_min_volume = 100;
	c->rates_max_keys = 4096;
	c->incidents_window_ms = 15ULL * 60 * 1000;
	c->incidents_quiet_ms = 10ULL * 60 * 1000;
	c->incidents_reopen_ms = 30ULL * 60 * 1000;
	c->incidents_retention_ms = 90ULL * 86400 * 1000;
	c->rates_penalty_share = 0.10;
	config_cluster_defaults(c);

	c->suppress_soft_count = 3;
	c->suppress_soft_window_ms = 7ULL * 86400 * 1000;
	for (size_t i = 0; i < CONFIG_SUPPRESS_REASONS; i++)
		c->suppress_expire[i] = xstrdup("never");
	/* A soft-bounce entry ends by itself: the mailbox may come back. */
	free(c->suppress_expire[3]);
	c->suppress_expire[3] = xstrdup("30d");
	c->suppress_expire_ms[3] = 30ULL * 86400 * 1000;

	c->tls_min_version = TLS1_2_VERSION;
	c->tls_ciphers = xstrdup(TLS_CIPHERS_DEFAULT);
	c->tls_ciphersuites = xstrdup(TLS_CIPHERSUITES_DEFAULT);

	c->networks = xcalloc(2, sizeof(*c->networks));
	c->n_networks = 2;
	if (config_parse_net("127.0.0.0/8", &c->networks[0]) < 0 ||
	    config_parse_net("::1/128", &c->networks[1]) < 0)
		log_panic("config: default networks do not parse");

	c->retry_min_backoff_ms = 30ULL * 1000;
	c->retry_max_backoff_ms = 3600ULL * 1000;
	c->retry_max_lifetime_ms = 5ULL * 86400 * 1000;
	c->delivery_max_inflight = 256;
	c->delivery_poll_ms = 50;
	c->shutdown_timeout_ms = 30 * 1000;
	config_streams_default(c);

	c->log_level = LOG_LEVEL_INFO;
	c->log_format = LOG_FORMAT_TEXT;
	config_alerts_defaults(c);
	config_webhooks_defaults(c);
	config_drills_defaults(c);
	return c;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	free(c->user);
	free(c->group);
	config_addrs_free(c->listen_smtp, c->n_listen_smtp);
	config_addrs_free(c->listen_smtps, c->n_listen_smtps);
	config_addrs_free(c->listen_bounce, c->n_listen_bounce);
	free(c->load_balancers);
	config_addrs_free(c->listen_status, c->n_listen_status);
	config_status_free(c);
	config_incidents_free(c);
	config_cluster_free(c);
	free(c->readiness_resolver);
	config_addrs_free(c->listen_http, c->n_listen_http);
	config_addrs_free(c->listen_admin, c->n_listen_admin);
	free(c->hostname);
	free(c->spool_dir);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_ciphers);
	free(c->tls_ciphersuites);
	free(c->https_cert);
	free(c->https_key);
	free(c->networks);
	for (i = 0; i < c->n_users; i++)
		config_user_fini(&c->users[i]);
	free(c->users);
	for (i = 0; i < c->n_providers; i++)
		config_provider_fini(&c->providers[i]);
	free(c->providers);
	for (i = 0; i < c->n_streams; i++)
		config_stream_fini(&c->streams[i]);
	free(c->streams);
	for (i = 0; i < c->n_api_keys; i++)
		config_api_key_fini(&c->api_keys[i]);
	free(c->api_keys);
	for (i = 0; i < c->n_admin_keys; i++)
		config_admin_key_fini(&c->admin_keys[i]);
	free(c->admin_keys);
	free(c->swervectl_key_file);
	config_alerts_free(c);
	config_drills_free(c);
	config_ses_compat_free(c);
	config_suppress_free(c);
	config_webhooks_free(c);
	free(c);
}

bool
config_stream_known(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_streams; i++)
		if (strcmp(c->streams[i].name, name) == 0)
			return true;
	return c->n_streams == 0 && strcmp(name, "transactional") == 0;
}

const char *
config_tls_mode_name(enum config_tls_mode mode)
{
	switch (mode) {
	case CONFIG_TLS_NONE:
		return "none";
	case CONFIG_TLS_STARTTLS:
		return "starttls";
	case CONFIG_TLS_TLS:
		return "tls";
	}
	return "?";
}

/* --- loading ---------------------------------------------------------- */

/* config_dir_of - the directory part of name, or NULL for "here". */
static char *
config_dir_of(const char *name)
{
	const char *slash = strrchr(name, '/');

	if (slash == NULL)
		return NULL;
	if (slash == name)
		return xstrdup("/");
	return xstrndup(name, (size_t)(slash - name));
}

struct config *
config_load_buf(const char *text, size_t len, const char *name, char *err,
                size_t errlen)
{
	struct config_ctx x = {0};
	struct config_node *root = NULL;
	struct config *c = NULL;

	if (name == NULL)
		name = "<config>";
	if (text == NULL)
		len = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	x.name = name;
	x.dir = config_dir_of(name);
	x.err = err;
	x.errlen = errlen;

	root = config_tree_parse(text ? text : "", len, name, err, errlen);
	if (root == NULL)
		goto fail;
	c = config_defaults();
	free(c->path);
	c->path = xstrdup(name);
	if (config_keys_apply(&x, root, c) < 0)
		goto fail;
	config_tree_free(root);
	free(x.dir);
	return c;
fail:
	config_free(c);
	config_tree_free(root);
	free(x.dir);
	return NULL;
}

struct config *
config_load_file(const char *path, char *err, size_t errlen)
{
	struct config *c;
	char *text;
	size_t len;

	/* Not only regular files: "-c /dev/stdin" and "-c <(...)" work. */
	text = config_file_read(path, CONFIG_FILE_MAX, false, &len);
	if (text == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot read: %s", path,
			         config_file_strerror(errno, CONFIG_FILE_MAX));
		return NULL;
	}
	c = config_load_buf(text, len, path, err, errlen);
	free(text);
	return c;
}
