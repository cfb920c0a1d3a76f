/*
 * replay_main.c - run a libFuzzer target over files, as a plain test.
 *
 * Each argument is a file or a directory of files; every file is passed to
 * LLVMFuzzerTestOneInput once. Built with ASan and UBSan, a crash or a
 * sanitizer report fails the run. Prints "N passed, 0 failed" at the end.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	struct buf b;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		perror(path);
		return -1;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	/* Copy into an exact-size allocation so ASan sees overreads. */
	{
		uint8_t *exact = malloc(b.len ? b.len : 1);
		if (b.len)
			memcpy(exact, b.p, b.len);
		LLVMFuzzerTestOneInput(exact, b.len);
		free(exact);
	}
	buf_fini(&b);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, count = 0, failed = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			failed++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			while (d && (de = readdir(d)) != NULL) {
				char path[4096];
				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i],
				         de->d_name);
				if (replay_file(path) == 0)
					count++;
				else
					failed++;
			}
			if (d)
				closedir(d);
		} else if (replay_file(argv[i]) == 0) {
			count++;
		} else {
			failed++;
		}
	}
	printf("%d passed, %d failed\n", count, failed);
	return failed || count == 0 ? 1 : 0;
}
