/*
 * fuzz_cluster_health.c - providers' health samples from another node's
 * heartbeat (cluster_health_parse) against arbitrary bytes.
 *
 * A text that parses holds at most the room given, each sample with a
 * non-empty name of the allowed bytes and a ratio of at most 1000.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cluster_health_sample s[4];
	char *text = malloc(size + 1);
	int n, i;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	n = cluster_health_parse(text, s, 4);
	if (n > 4 || n < -1)
		abort();
	for (i = 0; i < n; i++)
		if (s[i].provider[0] == '\0' || s[i].permille > 1000 ||
		    strspn(s[i].provider, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
		                          "KLMNOPQRSTUVWXYZ0123456789_.-") !=
		        strlen(s[i].provider))
			abort();
	free(text);
	return 0;
}
