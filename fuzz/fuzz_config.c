/*
 * fuzz_config.c - libFuzzer target for the configuration loader.
 *
 * Feeds the bytes to config_load_buf under a name in a directory that does
 * not exist, so *_file keys and tls files simply fail without touching the
 * disk. The same bytes, NUL-terminated, go through the four scalar parsers.
 * Beyond "no crash, no leak", it checks the loader's promises: a failure
 * leaves a one-line "name:line: ..." message; a success holds a config
 * whose cross-key rules hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config/config.h"

#define FUZZ_NAME "/nonexistent/fuzz.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_parsers - the scalar parsers must accept or refuse, nothing else. */
static void
fuzz_parsers(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct config_addr a;
	struct config_net n;
	uint64_t v;

	if (s == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)config_parse_size(s, &v);
	(void)config_parse_duration(s, &v);
	if (config_parse_addr(s, &a) == 0) {
		if (a.port == 0 || a.host == NULL || a.host[0] == '\0')
			abort();
		free(a.host);
	}
	if (config_parse_net(s, &n) == 0 &&
	    n.prefix > (n.family == AF_INET ? 32u : 128u))
		abort();
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c;
	size_t i;

	c = config_load_buf((const char *)data, size, FUZZ_NAME, err,
	                    sizeof(err));
	if (c == NULL) {
		if (strncmp(err, FUZZ_NAME ":", strlen(FUZZ_NAME ":")) != 0 ||
		    strchr(err, '\n') != NULL)
			abort();
	} else {
		if (c->retry_min_backoff_ms > c->retry_max_backoff_ms)
			abort();
		if ((c->tls_cert == NULL) != (c->tls_key == NULL))
			abort();
		for (i = 0; i < c->n_providers; i++)
			if (c->providers[i].name == NULL ||
			    c->providers[i].host == NULL ||
			    c->providers[i].port == 0)
				abort();
		for (i = 0; i < c->n_users; i++)
			if (c->users[i].password == NULL ||
			    c->users[i].n_from_domains == 0)
				abort();
		config_free(c);
	}
	fuzz_parsers(data, size);
	return 0;
}
