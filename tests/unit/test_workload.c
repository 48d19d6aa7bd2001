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
#include "workload.h"

static char dir[] = "/tmp/test_workload.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) != NULL ? 0 : -1;
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
	char path[512];

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
	const char *issuer, *owner;
	bool want_admin, may, admin;
};

static int
may_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct may_args *a = arg;

	a->admin = false;
	return wl_may(t, a->issuer, a->owner, &a->may,
	    a->want_admin ? &a->admin : NULL, err);
}

static void
test_may(void **state)
{
	char home[] = "/tmp/test_workload_db.XXXXXX";
	struct gr_err err = { 0 };
	struct may_args a = { "alice", "alice", true, false, false };

	(void)state;
	assert_int_equal(testlib_store_accounts(home), 0);
	assert_int_equal(st_view(may_txn, &a, 0, &err), GR_OK);
	assert_true(a.may);
	assert_false(a.admin);
	a.owner = "bob";
	a.want_admin = false;
	assert_int_equal(st_view(may_txn, &a, 0, &err), GR_OK);
	assert_false(a.may);
	a.issuer = "root";
	a.want_admin = true;
	assert_int_equal(st_view(may_txn, &a, 0, &err), GR_OK);
	assert_true(a.may);
	assert_true(a.admin);
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
