/*
 * swerved.c - the swerve daemon: parse arguments, build the parts, run.
 */
#include <stdio.h>

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "swerved: not wired yet\n");
	return 1;
}
