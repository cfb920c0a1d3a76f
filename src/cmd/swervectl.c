/*
 * swervectl.c - the operator's command line.
 */
#include <stdio.h>

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "swervectl: not wired yet\n");
	return 1;
}
