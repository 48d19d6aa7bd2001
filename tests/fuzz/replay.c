/*
 * replay.c -- the main of a fuzz target built with the normal compiler
 * for make check: it feeds every file of the target's seed corpus
 * (tests/fuzz/<target>/corpus, <target> being this program's name, or
 * the directories and files given) to LLVMFuzzerTestOneInput once, in
 * name order, and reports one TAP test. A crash or a sanitizer's report
 * fails it. Deterministic and quick: no mutation, that is make fuzz.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Feed one file; -1 if it cannot be read. */
static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (f == NULL)
		return -1;
	do {
		if (n == cap) {
			cap = cap != 0 ? 2 * cap : 4096;
			buf = xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	/* an exact-size copy, so ASan sees a read past the input */
	{
		uint8_t *exact = xmalloc(n != 0 ? n : 1);

		memcpy(exact, buf, n);
		free(buf);
		(void)LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Feed a file, or every file of a directory; the count, or -1. */
static long
replay(const char *path)
{
	struct stat sb;
	struct dirent *e;
	char **names = NULL, full[4096];
	size_t n = 0, cap = 0, i;
	long count = 0;
	DIR *d;

	if (stat(path, &sb) != 0)
		return -1;
	if (!S_ISDIR(sb.st_mode))
		return replay_file(path) == 0 ? 1 : -1;
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap != 0 ? 2 * cap : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		(void)snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		if (count >= 0 && replay_file(full) == 0)
			count++;
		else
			count = -1;
		free(names[i]);
	}
	free(names);
	return count;
}

int
main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	char dflt[1024];
	long total = 0, k;
	int i;

	name = name != NULL ? name + 1 : argv[0];
	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		(void)snprintf(dflt, sizeof(dflt), "tests/fuzz/%s/corpus",
		    name);
		total = replay(dflt);
		if (total < 0)
			printf("not ok 1 - %s: cannot read %s (%s)\n", name,
			    dflt, strerror(errno));
	}
	for (i = 1; i < argc && total >= 0; i++) {
		if ((k = replay(argv[i])) < 0) {
			printf("not ok 1 - %s: cannot read %s\n", name,
			    argv[i]);
			total = -1;
		} else {
			total += k;
		}
	}
	if (total >= 0)
		printf("ok 1 - %s: %ld inputs replayed\n", name, total);
	printf("1..1\n");
	return total >= 0 ? 0 : 1;
}
