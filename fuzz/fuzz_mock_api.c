/*
 * fuzz_mock_api.c - the parsers of swerve-mock's fake provider APIs:
 * header-style address lists and header lookup (mock_api.h) and the API
 * mode text form. Form bodies are mime/form's, fuzzed by fuzz_form.c.
 *
 * The first byte picks the parser. Invariants checked: every address is
 * a non-empty string without NUL, a header lookup's output stays bounded,
 * and a parsed slow mode has a delay in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "mock/mock_api.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	struct mock_api_addrs a = {0};
	struct mock_api_mode mode;
	const char *why = "";
	struct buf b;
	size_t i;

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		mock_api_addrs_add(&a, p, len);
		for (i = 0; i < a.n; i++)
			if (a.v[i][0] == '\0')
				abort();
		break;
	case 1:
		buf_init(&b);
		mock_api_mime_header(p, len, "To", &b);
		if (b.len > len * 2 + 2)
			abort();
		buf_fini(&b);
		break;
	default:
		if (mock_api_mode_parse(p, len, &mode, &why) == 0 &&
		    mode.fault == MOCK_API_SLOW &&
		    (mode.ms == 0 || mode.ms > MOCK_SLOW_MS_MAX))
			abort();
		break;
	}
	mock_api_addrs_fini(&a);
	return 0;
}
