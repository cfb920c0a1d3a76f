/*
 * fuzz_feedback_dsn.c - libFuzzer target for the RFC 3464 delivery status
 * notification parser: the invariants of fuzz_feedback.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_feedback.h"
#include "ingress/feedback_dsn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_feedback_run(feedback_dsn_parse, data, size);
	return 0;
}
