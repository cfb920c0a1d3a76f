/*
 * spool_wal.c - read-only inspection of an SQLite write-ahead log.
 *
 * The format is SQLite's documented WAL format: a 32-byte header (magic,
 * version, page size, checkpoint sequence, two salts, two checksums) and
 * frames of a 24-byte header (page number, database size after commit or
 * 0, the two salts, two cumulative checksums) followed by one page. Each
 * frame header carries the checksum chain up to and including itself, so
 * a frame can be checked on its own, seeded with the previous frame's
 * stored checksum: that is how damage in the middle is told from a torn
 * tail. Nothing here allocates more than one page or writes.
 */
#include "spool/spool_wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xmalloc.h"

#define WAL_MAGIC 0x377f0682u
#define WAL_HDR 32
#define WAL_FRAME_HDR 24

/* get32 - a big-endian 32-bit integer at p. */
static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* wal_sum - SQLite's WAL checksum of n bytes (n % 8 == 0) seeded by s. */
static void
wal_sum(int big, const unsigned char *p, size_t n, uint32_t s[2])
{
	uint32_t x0, x1;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		if (big) {
			x0 = get32(p + i);
			x1 = get32(p + i + 4);
		} else {
			x0 = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
			     (uint32_t)p[i + 2] << 16 |
			     (uint32_t)p[i + 3] << 24;
			x1 = (uint32_t)p[i + 4] | (uint32_t)p[i + 5] << 8 |
			     (uint32_t)p[i + 6] << 16 |
			     (uint32_t)p[i + 7] << 24;
		}
		s[0] += x0 + s[1];
		s[1] += x1 + s[0];
	}
}

/* read_full - pread exactly n bytes at off; 1, 0 at end of file, -1. */
static int
read_full(int fd, unsigned char *p, size_t n, off_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, p + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		got += (size_t)r;
	}
	return 1;
}

/* wal_header - parse and check the header; 0 when it holds. */
static int
wal_header(const unsigned char h[WAL_HDR], int *big, uint32_t s[2])
{
	uint32_t magic = get32(h), ps = get32(h + 8);

	if ((magic & ~1u) != WAL_MAGIC)
		return -1;
	if (ps < 512 || ps > 65536 || (ps & (ps - 1)) != 0)
		return -1;
	*big = (int)(magic & 1u);
	s[0] = s[1] = 0;
	wal_sum(*big, h, 24, s);
	return s[0] == get32(h + 24) && s[1] == get32(h + 28) ? 0 : -1;
}

/* wal_frame_ok - does frame f (header+page) check out from seed? */
static int
wal_frame_ok(int big, const unsigned char *f, size_t page,
             const uint32_t seed[2])
{
	uint32_t s[2] = {seed[0], seed[1]};

	wal_sum(big, f, 8, s);
	wal_sum(big, f + WAL_FRAME_HDR, page, s);
	return s[0] == get32(f + 16) && s[1] == get32(f + 20);
}

/* spool_wal_scan - walk the chain, then look past its end. */
int
spool_wal_scan(const char *path, struct spool_wal_scan *out)
{
	unsigned char h[WAL_HDR], *f = NULL;
	uint32_t chain[2], prev[2];
	struct stat st;
	uint64_t i, n;
	size_t fsz;
	int fd, big, r, broken = 0;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	out->present = 1;
	if (fstat(fd, &st) != 0)
		goto fail;
	out->size = (uint64_t)st.st_size;
	r = read_full(fd, h, WAL_HDR, 0);
	if (r < 0)
		goto fail;
	if (r == 0 || wal_header(h, &big, chain) != 0) {
		close(fd);
		return 0;
	}
	out->header_ok = 1;
	out->page_size = get32(h + 8);
	out->salt1 = get32(h + 16);
	out->salt2 = get32(h + 20);
	fsz = WAL_FRAME_HDR + out->page_size;
	n = (out->size - WAL_HDR) / fsz;
	f = xmalloc(fsz);
	prev[0] = chain[0];
	prev[1] = chain[1];
	for (i = 0; i < n; i++) {
		r = read_full(fd, f, fsz, (off_t)(WAL_HDR + i * fsz));
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		/* Frames of an older generation (another salt) are leftovers
		 * that SQLite overwrites; they never count. */
		if (get32(f + 8) != out->salt1 || get32(f + 12) != out->salt2) {
			if (!broken) {
				broken = 1;
				out->bad_at = i + 1;
			}
			continue;
		}
		if (!broken && wal_frame_ok(big, f, out->page_size, chain)) {
			chain[0] = get32(f + 16);
			chain[1] = get32(f + 20);
			if (get32(f + 4) != 0) {
				out->frames = i + 1;
				out->commits++;
			}
		} else if (!broken) {
			broken = 1;
			out->bad_at = i + 1;
		} else if (wal_frame_ok(big, f, out->page_size, prev)) {
			out->lost_frames++;
			if (get32(f + 4) != 0)
				out->lost_commits++;
		} else {
			out->lost_frames++;
		}
		prev[0] = get32(f + 16);
		prev[1] = get32(f + 20);
	}
	/* A broken chain whose frames after the last commit belong to an
	 * unfinished transaction is a torn tail, not damage. */
	if (out->lost_commits == 0)
		out->lost_frames = 0;
	free(f);
	close(fd);
	return 0;
fail:
	free(f);
	close(fd);
	return -1;
}

/* spool_wal_salt - only the header. */
int
spool_wal_salt(const char *path, uint32_t *salt1, uint32_t *salt2)
{
	unsigned char h[WAL_HDR];
	uint32_t s[2];
	int fd, r, big;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read_full(fd, h, WAL_HDR, 0);
	close(fd);
	if (r != 1 || wal_header(h, &big, s) != 0)
		return -1;
	*salt1 = get32(h + 16);
	*salt2 = get32(h + 20);
	return 0;
}

/* put32 - store v big-endian at p. */
static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* spool_wal_repair - recompute the chain over one generation. */
long
spool_wal_repair(const char *src, const char *dst)
{
	unsigned char h[WAL_HDR], *f = NULL;
	uint32_t s[2], salt1, salt2, magic, ps;
	long kept = -1, i, last;
	int in = -1, out = -1, big, r;
	size_t fsz;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || read_full(in, h, WAL_HDR, 0) != 1)
		goto out;
	magic = get32(h);
	ps = get32(h + 8);
	if ((magic & ~1u) != WAL_MAGIC || ps < 512 || ps > 65536 ||
	    (ps & (ps - 1)) != 0) {
		errno = EINVAL;
		goto out;
	}
	big = (int)(magic & 1u);
	fsz = WAL_FRAME_HDR + ps;
	f = xmalloc(fsz);
	salt1 = get32(h + 16);
	salt2 = get32(h + 20);
	if (wal_header(h, &big, s) != 0) {
		/* A damaged header: the generation is the first frame's. */
		if (read_full(in, f, fsz, WAL_HDR) != 1)
			goto out;
		salt1 = get32(f + 8);
		salt2 = get32(f + 12);
	}
	put32(h + 16, salt1);
	put32(h + 20, salt2);
	s[0] = s[1] = 0;
	wal_sum(big, h, 24, s);
	put32(h + 24, s[0]);
	put32(h + 28, s[1]);
	/* The generation ends at its last frame; a frame before that whose
	 * header was hit by the damage is still one of its frames. */
	for (i = 0, last = -1;; i++) {
		r = read_full(in, f, fsz, (off_t)(WAL_HDR + (size_t)i * fsz));
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		if (get32(f + 8) == salt1 && get32(f + 12) == salt2)
			last = i;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0 || pwrite(out, h, WAL_HDR, 0) != WAL_HDR)
		goto out;
	for (i = 0; i <= last; i++) {
		r = read_full(in, f, fsz, (off_t)(WAL_HDR + (size_t)i * fsz));
		if (r != 1)
			goto out;
		if (get32(f + 8) != salt1 || get32(f + 12) != salt2) {
			/* Its page number is garbage too: park the page
			 * past the end of the database, never a commit. */
			put32(f, 0x3fffffffu);
			put32(f + 4, 0);
			put32(f + 8, salt1);
			put32(f + 12, salt2);
		}
		wal_sum(big, f, 8, s);
		wal_sum(big, f + WAL_FRAME_HDR, ps, s);
		put32(f + 16, s[0]);
		put32(f + 20, s[1]);
		if (pwrite(out, f, fsz, (off_t)(WAL_HDR + (size_t)i * fsz)) !=
		    (ssize_t)fsz)
			goto out;
	}
	kept = i;
out:
	free(f);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return kept;
}
