/*
 * testlib.h -- what the unit tests that need a real store share: a fresh
 * environment in a temporary directory under the build tree (tmpdir.h),
 * and its removal.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "account.h"
#include "cfg.h"
#include "rule.h"
#include "store.h"
#include "tmpdir.h"

static int
testlib_rm(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb;
	(void)type;
	(void)f;
	return remove(path);
}

/* test_tmpdir(home) (home: TEST_PATH_MAX bytes, the test's name on
   entry) and open an initialised store there; 0 or -1. */
static inline int
testlib_store_open(char *home)
{
	struct gr_err err = { 0 };

	if (test_tmpdir(home) != 0)
		return -1;
	if (st_open(home, ST_INIT, &err) != GR_OK) {
		fprintf(stderr, "# store: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/*
 * testlib_store_open, without durability (a test needs none), with the
 * accounts root (SERVICE, an admin) and alice (USER); 0 or -1.
 */
static inline int
testlib_store_accounts(char *home)
{
	struct gr_err err = { 0 };
	bool created;

	cfg.durability = CFG_DURABLE_NONE;
	if (testlib_store_open(home) != 0 ||
	    account_ensure("root", "SERVICE", NULL, &created, &err) != GR_OK ||
	    account_add("root", "alice", "USER", "a@example.org", &err) !=
		GR_OK) {
		fprintf(stderr, "# setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
testlib_verify_line(const char *line, size_t n, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "# verify: %.*s\n", (int)n, line);
	return GR_OK;
}

/* What rule_verify finds wrong (the rules' counters, the replicas' lock
   counts, the accounts' usage), each printed as a TAP comment; -1 when
   it cannot look. */
static inline long
testlib_rule_bad(void)
{
	struct gr_err err = { 0 };
	long bad = -1;

	if (rule_verify(testlib_verify_line, NULL, &bad, &err) != GR_OK) {
		fprintf(stderr, "# verify: %s\n", err.msg);
		return -1;
	}
	return bad;
}

/* Close the store and remove home with everything in it; 0 or -1. */
static inline int
testlib_store_remove(const char *home)
{
	st_close();
	return nftw(home, testlib_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * j as compact JSON with sorted keys, for comparing with a literal; steals
 * j. Borrowed until the next call.
 */
static inline const char *
testlib_dumps(json_t *j)
{
	static char buf[2048];
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	(void)snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "(null)");
	free(s);
	json_decref(j);
	return buf;
}

#endif /* TESTLIB_H */
