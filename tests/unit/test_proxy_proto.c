/*
 * test_proxy_proto.c - the PROXY protocol header parser (v1 and v2),
 * malformed and hostile headers included, and the loop reader that takes
 * exactly the header off a socket and leaves the client's bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "net/proxy_proto.h"
#include "net/proxy_proto_read.h"

#define L(s) (const uint8_t *)(s), sizeof(s) - 1

static const uint8_t sig2[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

/* v2 - a v2 header into out: ver_cmd, fam, the address block of alen
 * octets (from addr), then extra TLV octets. Returns its length. */
static size_t
v2(uint8_t *out, uint8_t ver_cmd, uint8_t fam, const uint8_t *addr, size_t alen,
   size_t extra)
{
	size_t len = alen + extra;

	memcpy(out, sig2, 12);
	out[12] = ver_cmd;
	out[13] = fam;
	out[14] = (uint8_t)(len >> 8);
	out[15] = (uint8_t)len;
	memcpy(out + 16, addr, alen);
	memset(out + 16 + alen, 0, extra);
	return 16 + len;
}

static void
ipstr(const struct proxy_proto_hdr *h, char *ip, uint16_t *port)
{
	proxy_proto_addr_str(&h->src, ip, 64);
	*port = ntohs(h->src.ss_family == AF_INET
	                  ? ((const struct sockaddr_in *)&h->src)->sin_port
	                  : ((const struct sockaddr_in6 *)&h->src)->sin6_port);
}

static void
v1_tcp4_and_tcp6(void **state)
{
	struct proxy_proto_hdr h;
	char err[128], ip[64];
	uint16_t port;

	assert_int_equal(
	    proxy_proto_parse(
	        L("PROXY TCP4 192.0.2.7 10.0.0.1 56324 25\r\nEHLO"), &h, err,
	        sizeof(err)),
	    40);
	assert_int_equal(h.version, 1);
	assert_false(h.local);
	ipstr(&h, ip, &port);
	assert_string_equal(ip, "192.0.2.7");
	assert_int_equal(port, 56324);
	assert_int_equal(proxy_proto_parse(L("PROXY TCP6 2001:db8::1 ::1 "
	                                     "65535 0\r\n"),
	                                   &h, err, sizeof(err)),
	                 36);
	ipstr(&h, ip, &port);
	assert_string_equal(ip, "2001:db8::1");
	assert_int_equal(port, 65535);
	/* UNKNOWN: the load balancer's own connection. */
	assert_int_equal(
	    proxy_proto_parse(L("PROXY UNKNOWN\r\n"), &h, err, sizeof(err)),
	    15);
	assert_true(h.local);
	assert_int_equal(
	    proxy_proto_parse(L("PROXY UNKNOWN ffff::1 ::1 1 2\r\n"), &h, err,
	                      sizeof(err)),
	    31);
	assert_true(h.local);
}

static void
v1_needs_more_until_the_line_ends(void **state)
{
	static const char full[] = "PROXY TCP4 192.0.2.7 10.0.0.1 1 2\r\n";
	struct proxy_proto_hdr h;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(full) - 1; i++)
		assert_int_equal(proxy_proto_parse((const uint8_t *)full, i, &h,
		                                   err, sizeof(err)),
		                 0);
	assert_int_equal(proxy_proto_parse((const uint8_t *)full,
	                                   sizeof(full) - 1, &h, err,
	                                   sizeof(err)),
	                 (int)sizeof(full) - 1);
}

static void
v1_malformed_is_refused(void **state)
{
	static const char *const bad[] = {
	    "PROXY TCP4 192.0.2.7 10.0.0.1 1 2\r\r",     /* CR without LF */
	    "PROXY TCP4 192.0.2.7  10.0.0.1 1 2\r\n",    /* double space */
	    "PROXY TCP4 192.0.2.7 10.0.0.1 1\r\n",       /* a port missing */
	    "PROXY TCP4 192.0.2.7 10.0.0.1 1 2 3\r\n",   /* a field too many */
	    "PROXY TCP4 192.0.2.7 10.0.0.1 1 2 \r\n",    /* trailing space */
	    "PROXY TCP4 192.0.2.7 10.0.0.1 65536 2\r\n", /* port range */
	    "PROXY TCP4 192.0.2.7 10.0.0.1 025 2\r\n",   /* leading zero */
	    "PROXY TCP4 192.0.2.7 10.0.0.1 -1 2\r\n",    /* sign */
	    "PROXY TCP4 192.0.2.07 10.0.0.1 1 2\r\n",    /* not canonical */
	    "PROXY TCP4 ::1 10.0.0.1 1 2\r\n",           /* wrong family */
	    "PROXY TCP6 192.0.2.7 ::1 1 2\r\n",          /* wrong family */
	    "PROXY UDP4 192.0.2.7 10.0.0.1 1 2\r\n",     /* not TCP */
	    "PROXY UNKNOWNX\r\n",                        /* not UNKNOWN */
	    "PROXY TCP4 192.0.2.7\t10.0.0.1 1 2\r\n",    /* control octet */
	    "PROXY\r\n",                                 /* no space */
	    "proxy TCP4 192.0.2.7 10.0.0.1 1 2\r\n",     /* case */
	    "EHLO client.example\r\n",                   /* no header at all */
	    "GET / HTTP/1.1\r\n",
	};
	struct proxy_proto_hdr h;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (proxy_proto_parse((const uint8_t *)bad[i], strlen(bad[i]),
		                      &h, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(strncmp(err, "PROXY header: ", 14) == 0);
	}
}

static void
v1_longer_than_107_is_refused(void **state)
{
	char line[200];
	struct proxy_proto_hdr h;
	char err[128];

	memset(line, 'A', sizeof(line));
	memcpy(line, "PROXY ", 6);
	/* No CRLF within 107 octets: refused without waiting for more. */
	assert_int_equal(
	    proxy_proto_parse((const uint8_t *)line, 107, &h, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "107"));
	assert_int_equal(
	    proxy_proto_parse((const uint8_t *)line, 106, &h, err, sizeof(err)),
	    0);
}

static void
v2_inet_inet6_and_local(void **state)
{
	uint8_t buf[PROXY_PROTO_MAX + 64], a4[12], a6[36];
	struct proxy_proto_hdr h;
	char err[128], ip[64];
	uint16_t port;
	size_t n;

	memcpy(a4, "\xc0\x00\x02\x07\x0a\x00\x00\x01\x30\x39\x00\x19", 12);
	n = v2(buf, 0x21, 0x11, a4, 12, 0);
	memcpy(buf + n, "EHLO", 4);
	assert_int_equal(proxy_proto_parse(buf, n + 4, &h, err, sizeof(err)),
	                 (int)n);
	assert_int_equal(h.version, 2);
	ipstr(&h, ip, &port);
	assert_string_equal(ip, "192.0.2.7");
	assert_int_equal(port, 12345);
	/* TLVs after the addresses are skipped. */
	n = v2(buf, 0x21, 0x11, a4, 12, 40);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)),
	                 (int)n);
	memset(a6, 0, sizeof(a6));
	a6[0] = 0x20;
	a6[1] = 0x01;
	a6[15] = 0x09;
	a6[35] = 0x19;
	a6[32] = 0x01;
	n = v2(buf, 0x21, 0x21, a6, 36, 0);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)),
	                 (int)n);
	ipstr(&h, ip, &port);
	assert_string_equal(ip, "2001::9");
	assert_int_equal(port, 256);
	/* LOCAL (a health check), UNSPEC and UNIX keep the socket's peer. */
	n = v2(buf, 0x20, 0x00, a4, 0, 0);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)), 16);
	assert_true(h.local);
	n = v2(buf, 0x21, 0x00, a4, 0, 0);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)), 16);
	assert_true(h.local);
	memset(buf + 16, 0, 216);
	n = v2(buf, 0x21, 0x31, buf + 16, 216, 0);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)),
	                 (int)n);
	assert_true(h.local);
}

static void
v2_needs_more_until_complete(void **state)
{
	uint8_t buf[64], a4[12] = {0};
	struct proxy_proto_hdr h;
	char err[128];
	size_t n = v2(buf, 0x21, 0x11, a4, 12, 0), i;

	for (i = 0; i < n; i++)
		assert_int_equal(
		    proxy_proto_parse(buf, i, &h, err, sizeof(err)), 0);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)),
	                 (int)n);
}

static void
v2_malformed_is_refused(void **state)
{
	uint8_t buf[PROXY_PROTO_MAX + 64], a4[12] = {0};
	struct proxy_proto_hdr h;
	char err[128];
	size_t n;

	/* Version 1 in a v2 header. */
	n = v2(buf, 0x11, 0x11, a4, 12, 0);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "version"));
	/* Command 2. */
	n = v2(buf, 0x22, 0x11, a4, 12, 0);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)), -1);
	/* Family 4. */
	n = v2(buf, 0x21, 0x41, a4, 12, 0);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)), -1);
	/* Transport 3. */
	n = v2(buf, 0x21, 0x13, a4, 12, 0);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)), -1);
	/* A datagram client. */
	n = v2(buf, 0x21, 0x12, a4, 12, 0);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "stream"));
	/* A length shorter than the INET addresses. */
	n = v2(buf, 0x21, 0x11, a4, 8, 0);
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cover"));
	/* A length over the cap is refused at once, not waited for. */
	(void)v2(buf, 0x21, 0x11, a4, 12, 0);
	buf[14] = 0xff;
	buf[15] = 0xff;
	assert_int_equal(proxy_proto_parse(buf, 16, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "long"));
	/* A damaged signature. */
	n = v2(buf, 0x21, 0x11, a4, 12, 0);
	buf[11] = 0x0b;
	assert_int_equal(proxy_proto_parse(buf, n, &h, err, sizeof(err)), -1);
}

/* --- the reader on a loop -------------------------------------------- */

struct got {
	int calls;
	int tag;
	char ip[64];
	char err[128];
	struct event_base *base;
};

static void
got_done(evutil_socket_t fd, const struct sockaddr *client, socklen_t len,
         const char *err, void *arg, int tag)
{
	struct got *g = arg;
	struct sockaddr_storage ss;

	g->calls++;
	g->tag = tag;
	if (client != NULL) {
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, client, len);
		proxy_proto_addr_str(&ss, g->ip, sizeof(g->ip));
	} else {
		snprintf(g->err, sizeof(g->err), "%s", err);
	}
	event_base_loopbreak(g->base);
}

static void
run_reader(const char *first, const char *second, uint64_t timeout_ms,
           struct got *g, char *rest, size_t restlen)
{
	struct event_base *base = event_base_new();
	struct proxy_read_set *set = proxy_read_set_new(base);
	struct sockaddr_in peer = {.sin_family = AF_INET};
	int sv[2];
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	peer.sin_addr.s_addr = htonl(0x7f000002);
	memset(g, 0, sizeof(*g));
	g->base = base;
	assert_true(write(sv[1], first, strlen(first)) ==
	            (ssize_t)strlen(first));
	proxy_read_start(set, sv[0], (struct sockaddr *)&peer, sizeof(peer),
	                 timeout_ms, got_done, g, 7);
	assert_int_equal(proxy_read_waiting(set), 1);
	/* A partial header: the reader takes it and waits, without spinning
	 * (one loop pass with nothing new must not finish it). */
	event_base_loop(base, EVLOOP_NONBLOCK);
	if (second != NULL) {
		assert_int_equal(g->calls, 0);
		assert_true(write(sv[1], second, strlen(second)) ==
		            (ssize_t)strlen(second));
	}
	if (g->calls == 0)
		event_base_dispatch(base);
	assert_int_equal(g->calls, 1);
	assert_int_equal(g->tag, 7);
	assert_int_equal(proxy_read_waiting(set), 0);
	rest[0] = '\0';
	n = recv(sv[0], rest, restlen - 1, MSG_DONTWAIT);
	if (n > 0)
		rest[n] = '\0';
	close(sv[0]);
	close(sv[1]);
	proxy_read_set_free(set, 1);
	event_base_free(base);
}

static void
reader_takes_exactly_the_header(void **state)
{
	struct got g;
	char rest[64];

	run_reader("PROXY TCP4 198.51.100.4 10.0.0.1 4000 25\r\nEHLO x\r\n",
	           NULL, 1000, &g, rest, sizeof(rest));
	assert_string_equal(g.ip, "198.51.100.4");
	assert_string_equal(rest, "EHLO x\r\n");
	/* Split across two writes. */
	run_reader("PROXY TCP4 198.51.1", "00.5 10.0.0.1 4000 25\r\nQUIT\r\n",
	           1000, &g, rest, sizeof(rest));
	assert_string_equal(g.ip, "198.51.100.5");
	assert_string_equal(rest, "QUIT\r\n");
	/* UNKNOWN: the socket's own peer. */
	run_reader("PROXY UNKNOWN\r\nGET", NULL, 1000, &g, rest, sizeof(rest));
	assert_string_equal(g.ip, "127.0.0.2");
	assert_string_equal(rest, "GET");
}

static void
reader_refuses_and_times_out(void **state)
{
	struct got g;
	char rest[64];

	run_reader("EHLO client\r\n", NULL, 1000, &g, rest, sizeof(rest));
	assert_string_equal(g.ip, "");
	assert_non_null(strstr(g.err, "not found"));
	/* The client's bytes are left where they were. */
	assert_string_equal(rest, "EHLO client\r\n");
	run_reader("PROXY TCP4 1.2.3.4", NULL, 50, &g, rest, sizeof(rest));
	assert_non_null(strstr(g.err, "timed out"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(v1_tcp4_and_tcp6),
	    cmocka_unit_test(v1_needs_more_until_the_line_ends),
	    cmocka_unit_test(v1_malformed_is_refused),
	    cmocka_unit_test(v1_longer_than_107_is_refused),
	    cmocka_unit_test(v2_inet_inet6_and_local),
	    cmocka_unit_test(v2_needs_more_until_complete),
	    cmocka_unit_test(v2_malformed_is_refused),
	    cmocka_unit_test(reader_takes_exactly_the_header),
	    cmocka_unit_test(reader_refuses_and_times_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
