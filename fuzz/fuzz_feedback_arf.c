/*
 * fuzz_feedback_arf.c - libFuzzer target for the RFC 5965 abuse report
 * parser: the invariants of fuzz_feedback.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_feedback.h"
#include "ingress/feedback_arf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_feedback_run(feedback_arf_parse, data, size);
	return 0;
}
