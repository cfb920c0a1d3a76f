/*
 * fuzz_tmpl_mustachio.c - the mustachio parser and renderer against arbitrary
 * templates (checks in fuzz_tmpl.h).
 */
#include <stdint.h>

#include "fuzz_tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_tmpl_run(TMPL_MUSTACHIO, data, size);
}
