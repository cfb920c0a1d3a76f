/*
 * fuzz_mock_parse.c - swerve-mock's parsers: commands, DATA, base64/PLAIN
 * and the mode text/JSON forms.
 *
 * The first byte picks the parser; for the DATA reader the second byte is
 * the chunk size, so stuffing and endings split across reads are explored.
 * Invariants checked: views stay inside the input, the DATA output never
 * exceeds the cap and never holds more than the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/buf.h"
#include "mock/mock_ctl.h"
#include "mock/mock_mode.h"
#include "mock/mock_parse.h"

/* fuzz_inside - a view lies within [p, p+len). */
static void
fuzz_inside(struct str v, const char *p, size_t len)
{
	if (v.len > 0 && (v.p < p || v.p + v.len > p + len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	struct mock_mode_set set;
	struct mock_cmd cmd;
	struct mock_data d;
	struct str user, pass;
	const char *why;
	struct buf out;

	if (size == 0)
		return 0;
	buf_init(&out);
	switch (data[0] % 5) {
	case 0:
		if (mock_cmd_parse(p, len, &cmd, &why) == MOCK_PARSE_OK) {
			fuzz_inside(cmd.arg, p, len);
			fuzz_inside(cmd.path, p, len);
			fuzz_inside(cmd.auth_initial, p, len);
			if (cmd.path.len > MOCK_PATH_MAX)
				abort();
		}
		break;
	case 1: {
		size_t step, off = 0, used;

		if (len == 0)
			break;
		step = (unsigned char)p[0] % 16 + 1;
		p++;
		len--;
		mock_data_init(&d, &out, 64);
		while (off < len) {
			size_t n = len - off < step ? len - off : step;

			if (mock_data_feed(&d, p + off, n, &used)) {
				if (used > n)
					abort();
				break;
			}
			if (used != n)
				abort();
			off += n;
		}
		if (out.len > 64 || out.len > len)
			abort();
		mock_data_fault_reply(d.fault);
		break;
	}
	case 2:
		if (base64_decode_buf((struct str){p, len}, 0, &out) == 0) {
			if (out.len > len)
				abort();
			if (mock_auth_plain_split(
			        (struct str){out.p ? out.p : "", out.len},
			        &user, &pass) == 0) {
				fuzz_inside(user, out.p, out.len);
				fuzz_inside(pass, out.p, out.len);
			}
		}
		break;
	case 3:
		if (mock_mode_parse(p, len, &set, &why) == 0 &&
		    strlen(set.match) > MOCK_MATCH_MAX)
			abort();
		break;
	case 4:
		if (mock_ctl_mode_parse(p, len, &set, &why) == 0 &&
		    (unsigned)set.mode >= MOCK_MODE_COUNT)
			abort();
		break;
	}
	buf_fini(&out);
	return 0;
}
