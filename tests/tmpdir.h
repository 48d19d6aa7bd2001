/*
 * tmpdir.h -- where the unit tests and fuzz targets keep their files:
 * BUILD/tmp, BUILD being $GR_BUILD (as make check and the README's prove
 * lines set it) or else the build tree the test was compiled in
 * (GR_TEST_BUILD, from the Makefile). Under the build tree a checkout's
 * tests never meet another's, and make clean removes what a failed test
 * left behind. Nothing made there is a unix socket (whose path AF_UNIX
 * limits to 107 bytes): the smoke tests, whose lighttpd listens on
 * sockets, choose their directory in lib.sh.
 */
#ifndef TMPDIR_H
#define TMPDIR_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TEST_PATH_MAX 1024

/* Can every user reach path (o+x on it and on each directory above)?
   The job users enter the jobs' directories in a test's home. */
static inline int
test_reachable(const char *path)
{
	char p[TEST_PATH_MAX], *slash;
	struct stat st;

	(void)snprintf(p, sizeof(p), "%s", path);
	while (p[0] != '\0') {
		if (stat(p, &st) != 0 || (st.st_mode & S_IXOTH) == 0)
			return 0;
		if ((slash = strrchr(p, '/')) == NULL)
			break;
		*slash = '\0';
	}
	return 1;
}

/*
 * Like mkdtemp: dir (TEST_PATH_MAX bytes) holds a name ("gr-rule") on
 * entry and, on return, the absolute path of a fresh directory
 * BUILD/tmp/NAME.XXXXXX (mode 0700); in /tmp instead when some user could
 * not reach BUILD/tmp (a checkout in a private home). 0, or -1 with dir
 * unusable.
 */
static inline int
test_tmpdir(char *dir)
{
	const char *b = getenv("GR_BUILD");
	char name[64], tmp[TEST_PATH_MAX], *abs;
	int n;

	(void)snprintf(name, sizeof(name), "%.60s", dir);
	if (b == NULL || *b == '\0')
		b = GR_TEST_BUILD;
	if (snprintf(tmp, sizeof(tmp), "%s/tmp", b) >= (int)sizeof(tmp) ||
	    (mkdir(tmp, 0755) != 0 && errno != EEXIST) ||
	    (abs = realpath(tmp, NULL)) == NULL)
		return -1;
	n = snprintf(dir, TEST_PATH_MAX, "%s/%s.XXXXXX",
	    test_reachable(abs) ? abs : "/tmp", name);
	free(abs);
	if (n < 0 || n >= TEST_PATH_MAX)
		return -1;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

#endif /* TMPDIR_H */
