/*
 * test_workload.c -- what jobs and tasks share (common/workload.c): the
 * one writer of uploads (new names only, whole, fsynced), the safe open
 * of a working directory's file (no "..", no link, no FIFO waited on),
 * the walk (sorted, special files and the DRM's files left out), the
 * owner-or-admin rule on a real store, and a listing's page window.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"
#include "util.h"
#include "account.h"
#include "workload.h"

static char dir[TEST_PATH_MAX] = "test_workload";

static int
setup(void **state)
{
	(void)state;
	return test_tmpdir(dir);
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(dir, testlib_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static int
open_dir(const char *sub)
{
	char path[TEST_PATH_MAX + 64];

	(void)snprintf(path, sizeof(path), "%s%s%s", dir, *sub ? "/" : "", sub);
	return open(path, O_RDONLY | O_DIRECTORY);
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(wl_name_ok("in.txt", 6));
	assert_true(wl_name_ok("données.txt", strlen("données.txt")));
	assert_false(wl_name_ok("", 0));
	assert_false(wl_name_ok(".hidden", 7));
	assert_false(wl_name_ok("a/b", 3));
	assert_false(wl_name_ok("..\\evil", 7));
	assert_false(wl_name_ok("a\nb", 3));
	assert_false(wl_name_ok("\xff", 1));
}

static void
test_write_files(void **state)
{
	struct gr_err err = { 0 };
	struct wl_file f[] = { { "a.txt", "alpha", 5, 0 },
		{ "run.sh", "#!/bin/sh\n", 10, 0755 } };
	struct wl_file bad = { "../x", "x", 1, 0 };
	struct stat st;
	char buf[16];
	int dfd = open_dir(""), fd;
	ssize_t n;

	(void)state;
	assert_true(dfd >= 0);
	assert_int_equal(wl_write_files(dfd, f, 2, true, getuid(), getgid(),
			     &err),
	    GR_OK);
	assert_int_equal(fstatat(dfd, "run.sh", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	assert_int_equal(st.st_uid, getuid());
	fd = openat(dfd, "a.txt", O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "alpha", 5);
	/* an existing name is never overwritten, nor reached through */
	gr_clear(&err);
	assert_int_equal(wl_write_files(dfd, f, 1, false, getuid(), getgid(),
			     &err),
	    GR_INTERNAL);
	assert_int_equal(symlinkat("/etc/passwd", dfd, "link.txt"), 0);
	f[0].name = "link.txt";
	gr_clear(&err);
	assert_int_equal(wl_write_files(dfd, f, 1, false, getuid(), getgid(),
			     &err),
	    GR_INTERNAL);
	gr_clear(&err);
	assert_int_equal(wl_write_files(dfd, &bad, 1, false, getuid(), getgid(),
			     &err),
	    GR_INVALID_PATH);
	close(dfd);
}

static void
test_open_at(void **state)
{
	struct stat st;
	int dfd = open_dir(""), fd;

	(void)state;
	assert_true(dfd >= 0);
	assert_int_equal(mkdirat(dfd, "sub", 0755), 0);
	fd = openat(dfd, "sub/deep.txt", O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, "deep", 4), 4);
	close(fd);
	assert_int_equal(mkfifoat(dfd, "fifo", 0644), 0);
	assert_int_equal(symlinkat("sub", dfd, "lsub"), 0);

	assert_int_equal(wl_open_at(dfd, "sub/deep.txt", &fd, &st), 0);
	assert_int_equal(st.st_size, 4);
	close(fd);
	/* a FIFO is refused at once (a blocking open would hang here) */
	assert_int_equal(wl_open_at(dfd, "fifo", &fd, &st), -1);
	assert_int_equal(fd, -1);
	assert_int_equal(wl_open_at(dfd, "lsub/deep.txt", &fd, &st), -1);
	assert_int_equal(wl_open_at(dfd, "link.txt", &fd, &st), -1);
	assert_int_equal(wl_open_at(dfd, "sub/../a.txt", &fd, &st), -1);
	assert_int_equal(wl_open_at(dfd, "./a.txt", &fd, &st), -1);
	assert_int_equal(wl_open_at(dfd, "sub//deep.txt", &fd, &st), -1);
	assert_int_equal(wl_open_at(dfd, "sub", &fd, &st), -1);
	assert_int_equal(wl_open_at(dfd, "", &fd, &st), -1);
	assert_int_equal(wl_open_file(dfd, "fifo", &fd, &st), -1);
	close(dfd);
}

static int
collect(int dfd, const char *name, const char *rel, const struct stat *st,
    void *ctx)
{
	(void)dfd;
	(void)name;
	(void)st;
	sbuf_adds(ctx, rel);
	sbuf_adds(ctx, "|");
	return GR_OK;
}

static void
test_walk(void **state)
{
	struct sbuf b = { 0 };
	int dfd = open_dir(""), fd;

	(void)state;
	fd = openat(dfd, ".gridrest-exit", O_WRONLY | O_CREAT, 0644);
	close(fd);
	/* sorted, depth first; no FIFO, no link, no DRM file */
	assert_int_equal(wl_walk(dfd, ".gridrest-", collect, &b), GR_OK);
	sbuf_add(&b, "", 1);
	assert_string_equal(b.s, "a.txt|run.sh|sub/deep.txt|");
	sbuf_free(&b);
}

struct may_args {
	struct wl_right q;
	bool want_admin, may, admin;
};

static int
may_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct may_args *a = arg;

	a->admin = true; /* wl_may must say */
	return wl_may(t, &a->q, &a->may, a->want_admin ? &a->admin : NULL, err);
}

static void
test_may(void **state)
{
	/* issuer, share, owner, owner_group, write -> may, admin */
	static const struct {
		struct wl_right q;
		bool may, admin;
	} cases[] = {
		{ { "alice", NULL, "alice", "user", false }, true, false },
		{ { "alice", NULL, "alice", "user", true }, true, false },
		{ { "alice", NULL, "bob", "user", false }, false, false },
		{ { "alice", NULL, "bob", "lab", true }, false, false },
		{ { "root", NULL, "bob", "lab", true }, true, true },
		/* a group that shares its jobs: read and change */
		{ { "alice", "lab", "bob", "lab", false }, true, false },
		{ { "alice", "lab", "bob", "lab", true }, true, false },
		{ { "alice", "lab", "bob", "other", false }, false, false },
		{ { "alice", "lab", "bob", NULL, false }, false, false },
		{ { "alice", "", "bob", "", false }, false, false },
		/* an anonymous job: anybody reads it by its id; anonymous
		   callers and admins change it */
		{ { "alice", NULL, ACCOUNT_ANONYMOUS, NULL, false }, true,
		    false },
		{ { "alice", NULL, ACCOUNT_ANONYMOUS, NULL, true }, false,
		    false },
		{ { ACCOUNT_ANONYMOUS, NULL, ACCOUNT_ANONYMOUS, NULL, true },
		    true, false },
		{ { "root", NULL, ACCOUNT_ANONYMOUS, NULL, true }, true, true },
		/* an anonymous caller: nothing of an account's, no group */
		{ { ACCOUNT_ANONYMOUS, NULL, "alice", "user", false }, false,
		    false },
		{ { ACCOUNT_ANONYMOUS, "user", "alice", "user", false }, false,
		    false },
	};
	char home[TEST_PATH_MAX] = "test_workload_db";
	struct gr_err err = { 0 };
	struct may_args a;
	size_t i;
	int w;

	(void)state;
	assert_int_equal(testlib_store_accounts(home), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (w = 0; w < 2; w++) {
			memset(&a, 0, sizeof(a));
			a.q = cases[i].q;
			a.want_admin = w == 1;
			assert_int_equal(st_view(may_txn, &a, 0, &err), GR_OK);
			if (a.may != cases[i].may)
				fail_msg("case %zu (admin wanted: %d): may %d",
				    i, w, a.may);
			if (w == 1 && a.admin != cases[i].admin)
				fail_msg("case %zu: admin %d", i, a.admin);
		}
	}
	assert_int_equal(testlib_store_remove(home), 0);
}

static void
test_page(void **state)
{
	struct wl_page p = { 2, 4, 0 };
	int i, taken = 0;

	(void)state;
	for (i = 0; i < 6; i++)
		taken += wl_page_take(&p) ? 1 << i : 0;
	assert_int_equal(taken, (1 << 2) | (1 << 3));
	assert_int_equal(p.count, 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_write_files),
		cmocka_unit_test(test_open_at),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_may),
		cmocka_unit_test(test_page),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("workload", tests, setup, teardown);
}
