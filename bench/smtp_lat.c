/*
 * smtp_lat.c - SMTP load client that measures dot-to-reply latency.
 *
 * One process, one epoll loop, N concurrent SMTP sessions that together
 * send M messages of S bytes to one server. For every message it records
 * the time from the moment the last byte of the final "\r\n.\r\n" was
 * handed to the kernel to the moment the complete reply to it was read,
 * and prints messages/s and p50/p90/p99/max of that latency.
 *
 * By default a session is reused for as many messages as it can take
 * (MAIL, RCPT, DATA, body, next MAIL, ...); -n opens a new connection for
 * every message (greeting, EHLO, one transaction, QUIT), like smtp-source
 * without -d. -P pipelines MAIL/RCPT/DATA in one write (RFC 2920); off by
 * default, so the dialogue is the same lock-step one smtp-source speaks.
 *
 * Every reply is checked: an unexpected code counts as an error for that
 * message, the session is dropped and a new one takes its place. A run with
 * any error exits 1. The exit code is also 1 when the run exceeds -T.
 *
 * What it does not do: TLS, AUTH, DNS. It is a benchmark tool, not a
 * general SMTP client.
 *
 * Output: a human-readable block on stderr and, on stdout, one line of
 * key=value pairs for scripts:
 *   msgs=20000 errors=0 secs=1.234 rate=16207.5 p50_us=210 ... max_us=...
 */
#define _GNU_SOURCE /* SOCK_NONBLOCK, getaddrinfo under -std=c17 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* "X-Seq: %010llu\r\n", the first header of every message. */
#define SEQ_LEN 19

enum lat_state {
	LAT_CONNECTING,
	LAT_GREETING,
	LAT_EHLO,
	LAT_MAIL,
	LAT_RCPT,
	LAT_DATA,
	LAT_DOT,
	LAT_QUIT,
};

struct lat_conn {
	int fd;
	enum lat_state state;
	bool pipelining; /* server advertised PIPELINING */
	bool in_msg;     /* a message is claimed by this session */
	uint64_t msg_no; /* sequence number of the claimed message */
	uint64_t t_dot;  /* ns when the final dot was written */
	unsigned sent_on_conn;
	char *out; /* pending output */
	size_t out_len, out_off, out_cap;
	char in[8192]; /* reply bytes not yet parsed */
	size_t in_len;
	bool want_out; /* EPOLLOUT registered */
};

struct lat_opts {
	const char *host;
	const char *port;
	unsigned conns;
	uint64_t msgs;
	size_t size;
	bool new_conn;
	bool pipeline;
	unsigned timeout_s;
	const char *from;
	const char *to;
	bool quiet;
	bool vary_to; /* -u: the message number before opts.to */
};

static struct lat_opts opts;
static struct sockaddr_storage srv_addr;
static socklen_t srv_addrlen;
static int epfd = -1;
static uint64_t next_msg; /* next message number to claim */
static uint64_t done_ok;  /* messages that got a 2xx after the dot */
static uint64_t done_err; /* messages that failed */
static uint64_t sess_err; /* sessions that failed outside a message */
static uint64_t *lat_ns;  /* latency of each successful message */
static char *body_tmpl;   /* message text without its first header */
static size_t body_tmpl_len;
static char first_err[256];

/* lat_now - monotonic time in nanoseconds. */
static uint64_t
lat_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* lat_die - print a message and exit 2 (setup errors only). */
static void
lat_die(const char *what)
{
	fprintf(stderr, "smtp_lat: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* lat_xrealloc - realloc that exits on failure. */
static void *
lat_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL)
		lat_die("realloc");
	return q;
}

/* lat_body_build - the message after its X-Seq header: headers, a blank
 * line and lines of 'x' up to opts.size bytes in all, dot-safe. */
static void
lat_body_build(void)
{
	char hdr[512];
	int n =
	    snprintf(hdr, sizeof(hdr),
	             "From: <%s>\r\nTo: <%s>\r\nSubject: swerve bench\r\n"
	             "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n"
	             "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n",
	             opts.from, opts.to);
	size_t want =
	    opts.size > SEQ_LEN + (size_t)n ? opts.size - SEQ_LEN : (size_t)n;
	size_t len = (size_t)n;

	body_tmpl = lat_xrealloc(NULL, want + 80);
	memcpy(body_tmpl, hdr, len);
	while (len < want) {
		size_t line = want - len > 78 ? 78 : want - len;

		if (line < 3)
			line = 3;
		memset(body_tmpl + len, 'x', line - 2);
		memcpy(body_tmpl + len + line - 2, "\r\n", 2);
		len += line;
	}
	body_tmpl_len = len;
}

/* lat_out_add - append bytes to c's output buffer. */
static void
lat_out_add(struct lat_conn *c, const char *p, size_t n)
{
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + n > c->out_cap) {
		c->out_cap = (c->out_len + n) * 2;
		c->out = lat_xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

/* lat_out_printf - append a formatted command. */
static void
lat_out_printf(struct lat_conn *c, const char *fmt, const char *arg)
{
	char line[512];
	int n = snprintf(line, sizeof(line), fmt, arg);

	lat_out_add(c, line, (size_t)n);
}

/* lat_epoll_set - register interest in input, plus output if pending. */
static void
lat_epoll_set(struct lat_conn *c, int op)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

	if (c->state == LAT_CONNECTING || c->out_off < c->out_len)
		ev.events |= EPOLLOUT;
	c->want_out = (ev.events & EPOLLOUT) != 0;
	if (epoll_ctl(epfd, op, c->fd, &ev) < 0)
		lat_die("epoll_ctl");
}

/* lat_conn_open - start a non-blocking connect for c. */
static void
lat_conn_open(struct lat_conn *c)
{
	int one = 1;

	c->fd = socket(srv_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		lat_die("socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = LAT_CONNECTING;
	c->pipelining = false;
	c->in_len = 0;
	c->out_len = c->out_off = 0;
	c->sent_on_conn = 0;
	if (connect(c->fd, (struct sockaddr *)&srv_addr, srv_addrlen) < 0 &&
	    errno != EINPROGRESS)
		lat_die("connect");
	lat_epoll_set(c, EPOLL_CTL_ADD);
}

/* lat_conn_close - close c's socket. */
static void
lat_conn_close(struct lat_conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
}

/* lat_msg_claim - take the next message number; false when none left. */
static bool
lat_msg_claim(struct lat_conn *c)
{
	if (next_msg >= opts.msgs)
		return false;
	c->msg_no = next_msg++;
	c->in_msg = true;
	return true;
}

/* lat_msg_fail - count c's message as failed, note the first error. */
static void
lat_msg_fail(struct lat_conn *c, const char *why, const char *reply)
{
	if (first_err[0] == '\0')
		snprintf(first_err, sizeof(first_err), "%s: %.200s", why,
		         reply != NULL ? reply : "");
	if (c->in_msg)
		done_err++;
	else
		sess_err++;
	c->in_msg = false;
}

/* lat_session_restart - drop c and open a new session if work is left. */
static void
lat_session_restart(struct lat_conn *c)
{
	lat_conn_close(c);
	if (next_msg < opts.msgs)
		lat_conn_open(c);
}

/* lat_rcpt - queue RCPT for c's message: opts.to, or with -u
 * "<n>.<opts.to>", a recipient of its own for each message. */
static void
lat_rcpt(struct lat_conn *c)
{
	char to[320];

	if (opts.vary_to) {
		snprintf(to, sizeof(to), "%llu.%s",
		         (unsigned long long)c->msg_no, opts.to);
		lat_out_printf(c, "RCPT TO:<%s>\r\n", to);
	} else
		lat_out_printf(c, "RCPT TO:<%s>\r\n", opts.to);
}

/* lat_txn_start - claim a message and send MAIL (and RCPT, DATA). */
static void
lat_txn_start(struct lat_conn *c)
{
	if (!lat_msg_claim(c)) {
		lat_out_add(c, "QUIT\r\n", 6);
		c->state = LAT_QUIT;
		return;
	}
	lat_out_printf(c, "MAIL FROM:<%s>\r\n", opts.from);
	if (c->pipelining && opts.pipeline) {
		lat_rcpt(c);
		lat_out_add(c, "DATA\r\n", 6);
	}
	c->state = LAT_MAIL;
}

/* lat_body_send - queue the message text and the final dot. */
static void
lat_body_send(struct lat_conn *c)
{
	char seq[64];
	int n = snprintf(seq, sizeof(seq), "X-Seq: %010llu\r\n",
	                 (unsigned long long)c->msg_no);

	lat_out_add(c, seq, (size_t)n);
	lat_out_add(c, body_tmpl, body_tmpl_len);
	lat_out_add(c, ".\r\n", 3);
	c->t_dot = 0;
	c->state = LAT_DOT;
}

/* lat_flush - write pending output; records t_dot when the dot is out. */
static int
lat_flush(struct lat_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n =
		    write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -1;
		}
		c->out_off += (size_t)n;
	}
	if (c->state == LAT_DOT && c->t_dot == 0 && c->out_off == c->out_len)
		c->t_dot = lat_now();
	if ((c->out_off < c->out_len) != c->want_out)
		lat_epoll_set(c, EPOLL_CTL_MOD);
	return 0;
}

/* lat_reply_handle - act on one complete reply (code, full text). */
static int
lat_reply_handle(struct lat_conn *c, int code, const char *text)
{
	switch (c->state) {
	case LAT_GREETING:
		if (code != 220)
			goto bad;
		lat_out_add(c, "EHLO bench.example\r\n", 20);
		c->state = LAT_EHLO;
		return 0;
	case LAT_EHLO:
		if (code != 250)
			goto bad;
		c->pipelining = strstr(text, "PIPELINING") != NULL;
		lat_txn_start(c);
		return 0;
	case LAT_MAIL:
		if (code / 100 != 2)
			goto bad;
		if (!(c->pipelining && opts.pipeline))
			lat_rcpt(c);
		c->state = LAT_RCPT;
		return 0;
	case LAT_RCPT:
		if (code / 100 != 2)
			goto bad;
		if (!(c->pipelining && opts.pipeline))
			lat_out_add(c, "DATA\r\n", 6);
		c->state = LAT_DATA;
		return 0;
	case LAT_DATA:
		if (code != 354)
			goto bad;
		lat_body_send(c);
		return 0;
	case LAT_DOT:
		if (c->t_dot == 0) {
			lat_msg_fail(c, "reply before the final dot was sent",
			             text);
			return -1;
		}
		if (code / 100 != 2)
			goto bad;
		lat_ns[done_ok++] = lat_now() - c->t_dot;
		c->in_msg = false;
		c->sent_on_conn++;
		if (opts.new_conn) {
			lat_out_add(c, "QUIT\r\n", 6);
			c->state = LAT_QUIT;
		} else {
			lat_txn_start(c);
		}
		return 0;
	case LAT_QUIT:
		return -1; /* 221: close; restart takes the next message */
	case LAT_CONNECTING:
		break;
	}
bad:
	lat_msg_fail(c, "unexpected reply", text);
	return -1;
}

/* lat_input - read and handle every complete reply; -1 ends the session. */
static int
lat_input(struct lat_conn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->in + c->in_len,
		                 sizeof(c->in) - c->in_len - 1);
		size_t start = 0, i;

		if (n == 0) {
			if (c->state != LAT_QUIT)
				lat_msg_fail(c, "server closed the connection",
				             NULL);
			return -1;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			lat_msg_fail(c, "read", strerror(errno));
			return -1;
		}
		c->in_len += (size_t)n;
		/* Parse complete lines; a reply ends at "XYZ " or "XYZ\r\n". */
		for (i = 0; i + 1 < c->in_len; i++) {
			if (c->in[i] != '\r' || c->in[i + 1] != '\n')
				continue;
			if (i - start >= 3 && c->in[start + 3] == '-') {
				start = i + 2;
				continue;
			}
			/* Final line of a reply starting at offset 0. */
			c->in[i] = '\0';
			int code = atoi(c->in + start);
			if (i - start < 3 || code < 200 || code > 599) {
				lat_msg_fail(c, "malformed reply", c->in);
				return -1;
			}
			if (lat_reply_handle(c, code, c->in) < 0)
				return -1;
			memmove(c->in, c->in + i + 2, c->in_len - i - 2);
			c->in_len -= i + 2;
			start = 0;
			i = (size_t)-1;
		}
		if (c->in_len >= sizeof(c->in) - 1) {
			lat_msg_fail(c, "reply too long", NULL);
			return -1;
		}
	}
}

/* lat_event - handle readiness on c. */
static void
lat_event(struct lat_conn *c, uint32_t events)
{
	if (c->state == LAT_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
			/* A failed connect costs a message (the server is
			 * refusing sessions); claim one so it is counted. */
			if (!c->in_msg && lat_msg_claim(c))
				lat_msg_fail(c, "connect", strerror(err));
			lat_session_restart(c);
			return;
		}
		c->state = LAT_GREETING;
		lat_epoll_set(c, EPOLL_CTL_MOD);
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && lat_input(c) < 0)
		goto restart;
	if (lat_flush(c) < 0) {
		lat_msg_fail(c, "write", strerror(errno));
		goto restart;
	}
	return;
restart:
	lat_session_restart(c);
}

/* lat_cmp - qsort comparator for uint64_t. */
static int
lat_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* lat_pct - the p-th percentile (nearest rank) of the sorted latencies. */
static uint64_t
lat_pct(double p)
{
	size_t k;

	if (done_ok == 0)
		return 0;
	k = (size_t)(p / 100.0 * (double)done_ok + 0.999999);
	if (k < 1)
		k = 1;
	if (k > done_ok)
		k = done_ok;
	return lat_ns[k - 1];
}

/* lat_usage - print usage and exit 2. */
static void
lat_usage(void)
{
	fprintf(
	    stderr,
	    "usage: smtp_lat [-n] [-P] [-q] [-u] [-c conns] [-m msgs] [-s "
	    "bytes]\n"
	    "                [-T timeout_s] [-f from] [-t to] host:port\n"
	    "  -c  concurrent sessions (8)      -m  messages in all (1000)\n"
	    "  -s  message size, headers included (1024)\n"
	    "  -n  new connection per message   -P  pipeline MAIL/RCPT/DATA\n"
	    "  -u  a recipient of its own per message: N.<to>\n"
	    "  -T  give up after this many seconds (300)\n");
	exit(2);
}

/* lat_opts_parse - command line into opts and srv_addr. */
static void
lat_opts_parse(int argc, char **argv)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	static char hostport[256];
	char *colon;
	int ch;

	opts.conns = 8;
	opts.msgs = 1000;
	opts.size = 1024;
	opts.timeout_s = 300;
	opts.from = "bench@bench.example";
	opts.to = "sink@example.net";
	while ((ch = getopt(argc, argv, "c:m:s:nPquT:f:t:")) != -1) {
		switch (ch) {
		case 'c':
			opts.conns = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			opts.msgs = strtoull(optarg, NULL, 10);
			break;
		case 's':
			opts.size = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			opts.new_conn = true;
			break;
		case 'P':
			opts.pipeline = true;
			break;
		case 'q':
			opts.quiet = true;
			break;
		case 'u':
			opts.vary_to = true;
			break;
		case 'T':
			opts.timeout_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'f':
			opts.from = optarg;
			break;
		case 't':
			opts.to = optarg;
			break;
		default:
			lat_usage();
		}
	}
	if (optind + 1 != argc || opts.conns == 0)
		lat_usage();
	snprintf(hostport, sizeof(hostport), "%s", argv[optind]);
	colon = strrchr(hostport, ':');
	if (colon == NULL)
		lat_usage();
	*colon = '\0';
	opts.host = hostport;
	opts.port = colon + 1;
	if (getaddrinfo(opts.host, opts.port, &hints, &ai) != 0) {
		fprintf(stderr, "smtp_lat: cannot resolve %s\n", argv[optind]);
		exit(2);
	}
	memcpy(&srv_addr, ai->ai_addr, ai->ai_addrlen);
	srv_addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
}

int
main(int argc, char **argv)
{
	struct lat_conn *conns;
	struct epoll_event evs[64];
	uint64_t t0, t1, deadline;
	double secs;
	bool timed_out = false;
	unsigned i;

	lat_opts_parse(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	lat_body_build();
	lat_ns = calloc(opts.msgs + 1, sizeof(*lat_ns));
	conns = calloc(opts.conns, sizeof(*conns));
	if (lat_ns == NULL || conns == NULL)
		lat_die("calloc");
	epfd = epoll_create1(0);
	if (epfd < 0)
		lat_die("epoll_create1");

	t0 = lat_now();
	deadline = t0 + (uint64_t)opts.timeout_s * 1000000000u;
	for (i = 0; i < opts.conns && i < opts.msgs; i++)
		lat_conn_open(&conns[i]);
	for (; i < opts.conns; i++)
		conns[i].fd = -1;

	while (done_ok + done_err < opts.msgs) {
		int n = epoll_wait(epfd, evs, 64, 1000);

		if (n < 0 && errno != EINTR)
			lat_die("epoll_wait");
		for (int k = 0; k < n; k++)
			lat_event(evs[k].data.ptr, evs[k].events);
		if (lat_now() > deadline || sess_err > 1000) {
			timed_out = true;
			break;
		}
	}
	t1 = lat_now();
	/* Sessions still open are sending QUIT; don't wait for the 221s. */
	for (i = 0; i < opts.conns; i++)
		lat_conn_close(&conns[i]);

	secs = (double)(t1 - t0) / 1e9;
	qsort(lat_ns, done_ok, sizeof(*lat_ns), lat_cmp);
	if (!opts.quiet) {
		fprintf(
		    stderr,
		    "smtp_lat: %llu ok, %llu errors (%llu session errors) in "
		    "%.3f s over %u sessions "
		    "(%s), %zu-byte messages\n"
		    "  rate %.1f msg/s; dot-to-reply p50 %.3f ms, p90 %.3f ms, "
		    "p99 %.3f ms, max %.3f ms\n",
		    (unsigned long long)done_ok, (unsigned long long)done_err,
		    (unsigned long long)sess_err, secs, opts.conns,
		    opts.new_conn ? "new connection per message" : "reused",
		    body_tmpl_len + SEQ_LEN, (double)done_ok / secs,
		    (double)lat_pct(50) / 1e6, (double)lat_pct(90) / 1e6,
		    (double)lat_pct(99) / 1e6, (double)lat_pct(100) / 1e6);
		if (first_err[0] != '\0')
			fprintf(stderr, "  first error: %s\n", first_err);
		if (timed_out)
			fprintf(stderr, "  timed out after %u s\n",
			        opts.timeout_s);
	}
	printf(
	    "msgs=%llu errors=%llu session_errors=%llu timeout=%d secs=%.3f "
	    "rate=%.1f "
	    "p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f\n",
	    (unsigned long long)done_ok,
	    (unsigned long long)(done_err + (opts.msgs - done_ok - done_err)),
	    (unsigned long long)sess_err, timed_out, secs,
	    (double)done_ok / secs, (double)lat_pct(50) / 1e3,
	    (double)lat_pct(90) / 1e3, (double)lat_pct(99) / 1e3,
	    (double)lat_pct(100) / 1e3);
	free(body_tmpl);
	free(lat_ns);
	for (i = 0; i < opts.conns; i++)
		free(conns[i].out);
	free(conns);
	close(epfd);
	return done_err > 0 || sess_err > 0 || timed_out || done_ok != opts.msgs
	           ? 1
	           : 0;
}
