/*
 * mock_fb_smtp.c - one report mailed over SMTP, blocking, from the
 * feedback sender thread (see mock_fb.h).
 *
 * A minimal client: EHLO, MAIL FROM:<> (reports have the null sender,
 * RFC 3464 section 2 and RFC 5965 section 3), one RCPT, DATA with the
 * body dot-stuffed, QUIT. Reads and writes time out (SO_RCVTIMEO,
 * SO_SNDTIMEO), so a listener that hangs costs one attempt, which the
 * caller retries.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/buf.h"
#include "mock/mock_fb.h"

struct smtp_conn {
	int fd;
	char in[4096];
	size_t have;
};

/* smtp_write - all of p[0..n); -1 on error. */
static int
smtp_write(struct smtp_conn *c, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* smtp_reply - read one (multi-line) reply: its code, or 0. The last
 * line goes to line. */
static int
smtp_reply(struct smtp_conn *c, char *line, size_t linelen)
{
	char *nl;
	size_t n;
	ssize_t r;

	for (;;) {
		nl = memchr(c->in, '\n', c->have);
		if (nl == NULL) {
			if (c->have == sizeof(c->in))
				return 0;
			r = recv(c->fd, c->in + c->have,
			         sizeof(c->in) - c->have, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return 0;
			c->have += (size_t)r;
			continue;
		}
		n = (size_t)(nl - c->in) + 1;
		snprintf(line, linelen, "%.*s", (int)(n > 1 ? n - 1 : 0),
		         c->in);
		if (line[0] != '\0' && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		memmove(c->in, c->in + n, c->have - n);
		c->have -= n;
		if (strlen(line) < 3 || line[0] < '2' || line[0] > '5')
			return 0;
		if (line[3] != '-')
			return (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			       (line[2] - '0');
	}
}

/* smtp_cmd - send a command line, read the reply's code. */
static int
smtp_cmd(struct smtp_conn *c, const char *cmd, char *line, size_t linelen)
{
	if (smtp_write(c, cmd, strlen(cmd)) < 0)
		return 0;
	return smtp_reply(c, line, linelen);
}

/* smtp_connect - a connected socket to host:port with timeouts, or -1. */
static int
smtp_connect(const char *host, unsigned port, unsigned timeout_ms)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	struct timeval tv = {(time_t)(timeout_ms / 1000),
	                     (suseconds_t)(timeout_ms % 1000) * 1000};
	char service[16];
	int fd = -1;

	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host, service, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* smtp_stuffed - data with CRLF line ends and leading dots doubled,
 * ending in CRLF "." CRLF. */
static void
smtp_stuffed(struct buf *out, const char *data)
{
	const char *p = data, *nl;
	size_t n;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (p[0] == '.')
			buf_addch(out, '.');
		buf_add(out, p, n);
		buf_addstr(out, "\r\n");
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	buf_addstr(out, ".\r\n");
}

int
mock_fb_smtp_send(const char *host, unsigned port, const char *rcpt,
                  const char *data, unsigned timeout_ms, char *why,
                  size_t whylen)
{
	struct smtp_conn c = {.fd = -1};
	char line[512], cmd[600];
	struct buf body;
	int code;

	snprintf(why, whylen, "connected");
	c.fd = smtp_connect(host, port, timeout_ms);
	if (c.fd < 0) {
		snprintf(why, whylen, "cannot connect to %s:%u", host, port);
		return 0;
	}
	line[0] = '\0';
	code = smtp_reply(&c, line, sizeof(line));
	if (code == 220)
		code = smtp_cmd(&c, "EHLO swerve-mock.invalid\r\n", line,
		                sizeof(line));
	if (code == 250)
		code = smtp_cmd(&c, "MAIL FROM:<>\r\n", line, sizeof(line));
	if (code == 250) {
		snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", rcpt);
		code = smtp_cmd(&c, cmd, line, sizeof(line));
	}
	if (code == 250 || code == 251)
		code = smtp_cmd(&c, "DATA\r\n", line, sizeof(line));
	if (code == 354) {
		buf_init(&body);
		smtp_stuffed(&body, data);
		code = smtp_write(&c, body.p, body.len) < 0
		           ? 0
		           : smtp_reply(&c, line, sizeof(line));
		buf_fini(&body);
	}
	snprintf(why, whylen, "%s", line[0] != '\0' ? line : "no reply");
	if (code != 0) {
		char bye[64];
		(void)smtp_cmd(&c, "QUIT\r\n", bye, sizeof(bye));
	}
	close(c.fd);
	return code;
}
