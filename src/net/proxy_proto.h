/*
 * proxy_proto.h - the PROXY protocol header a load balancer puts before a
 * connection's first byte (HAProxy's "send-proxy" v1 text form and
 * "send-proxy-v2" binary form), read strictly (contract).
 *
 * A pure function over bytes: no sockets, no allocation. Call it with the
 * bytes received so far; it answers how long the header is once it is
 * complete, that more bytes are needed, or that this is not a valid
 * header (with a reason). It never needs more than PROXY_PROTO_MAX octets.
 *
 * v1: "PROXY TCP4 <src> <dst> <sport> <dport>\r\n", "PROXY TCP6 ...", or
 *     "PROXY UNKNOWN[ anything]\r\n"; at most 107 octets with the CRLF,
 *     single spaces, addresses in their canonical inet_pton forms, ports
 *     0-65535 in decimal without leading zeros.
 * v2: the 12-octet signature, version 2, command LOCAL or PROXY, family
 *     UNSPEC, INET or INET6 (UNIX is taken as LOCAL: no IP client), a
 *     stream transport (DGRAM is refused), a length that covers the
 *     addresses; TLVs after them are skipped unread.
 *
 * LOCAL (v2), UNKNOWN (v1) and UNSPEC/UNIX mean "the connection is the
 * load balancer's own" (a health check): the caller keeps the socket's
 * peer address.
 */
#ifndef SWERVE_NET_PROXY_PROTO_H
#define SWERVE_NET_PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROXY_PROTO_V1_MAX 107     /* v1 line with its CRLF */
#define PROXY_PROTO_MAX (16 + 536) /* v2: fixed part + addresses + TLVs */

struct proxy_proto_hdr {
	int version; /* 1 or 2 */
	bool local;  /* no client address: keep the socket's own peer */
	struct sockaddr_storage src; /* the client (when !local) */
	struct sockaddr_storage dst; /* the address it connected to */
	socklen_t src_len, dst_len;
};

/*
 * proxy_proto_parse - read a header at the start of buf[0..len).
 * Returns the header's length in octets (> 0) with *out filled, 0 when
 * buf is a valid beginning that needs more octets, or -1 with err set
 * when buf cannot start a valid header. Nothing is allocated; out is
 * written only on success.
 */
int proxy_proto_parse(const uint8_t *buf, size_t len,
                      struct proxy_proto_hdr *out, char *err, size_t errlen);

/*
 * proxy_proto_addr_str - "ip" of a parsed source into out (n octets),
 * IPv4-mapped IPv6 shown as IPv4. Returns out.
 */
char *proxy_proto_addr_str(const struct sockaddr_storage *ss, char *out,
                           size_t n);

#endif
