/*
 * test_store.c -- the store on a real Berkeley DB environment in a
 * temporary directory: records, aborts, scans, indexes, snapshots, the
 * deadlock retry (forced, and a real one between two processes) and
 * recovery after a process was killed holding the environment.
 *
 * Child processes are this program run again (/proc/self/exe) with a role
 * argument, so each has an environment handle of its own, as backends do.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"
#include "store.h"
#include "store_counter.h"
#include "store_guard.h"
#include "store_keeper.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-store"; /* or a child's argument */

/* --- helpers -------------------------------------------------------- */

struct kv {
	const char *key;
	const char *value; /* the JSON value's "v" */
	u_int32_t flags;
	int ret;
};

static int
put_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct kv *a = arg;
	DBT key = st_dbt(a->key, strlen(a->key));
	json_t *rec = json_pack("{s:s}", "v", a->value);

	a->ret = st_put_json(t, TBL_META, &key, rec, a->flags);
	json_decref(rec);
	return a->ret == 0 ? GR_OK : st_fail(err, a->ret);
}

static int
put(const char *k, const char *v)
{
	struct gr_err err = { 0 };
	struct kv a = { k, v, 0, 0 };

	return st_txn_run(put_txn, &a, &err);
}

struct get_args {
	const char *key;
	char value[64];
	int ret;
};

static int
get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct get_args *a = arg;
	DBT key = st_dbt(a->key, strlen(a->key));
	json_t *rec = NULL;

	(void)err;
	a->value[0] = '\0';
	a->ret = st_get_json(t, TBL_META, &key, &rec, 0);
	if (a->ret == 0)
		(void)snprintf(a->value, sizeof(a->value), "%s",
		    json_string_value(json_object_get(rec, "v")));
	json_decref(rec);
	return GR_OK;
}

/* The value stored under k, or "" when there is none. */
static const char *
get(const char *k)
{
	static struct get_args a;
	struct gr_err err = { 0 };

	memset(&a, 0, sizeof(a));
	a.key = k;
	assert_int_equal(st_view(get_txn, &a, 0, &err), GR_OK);
	return a.value;
}

static pid_t
spawn(const char *role, int *from_child)
{
	int fds[2];
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char fd[16];

		close(fds[0]);
		(void)snprintf(fd, sizeof(fd), "%d", fds[1]);
		execl("/proc/self/exe", "test_store", role, home, fd,
		    (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	*from_child = fds[0];
	return pid;
}

/* Wait until the child writes one line (or exits). */
static void
wait_line(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got + 1 < n) {
		ssize_t r = read(fd, buf + got, 1);

		if (r <= 0 || buf[got] == '\n')
			break;
		got++;
	}
	buf[got] = '\0';
}

static int
exit_status(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* --- tests ---------------------------------------------------------- */

static void
test_put_get(void **state)
{
	(void)state;
	assert_int_equal(put("k1", "one"), GR_OK);
	assert_string_equal(get("k1"), "one");
	assert_int_equal(put("k1", "uno"), GR_OK);
	assert_string_equal(get("k1"), "uno");
	assert_string_equal(get("missing"), "");
}

static void
test_nooverwrite(void **state)
{
	struct gr_err err = { 0 };
	struct kv a = { "k2", "first", DB_NOOVERWRITE, 0 };

	(void)state;
	assert_int_equal(st_txn_run(put_txn, &a, &err), GR_OK);
	a.value = "second";
	assert_int_equal(st_txn_run(put_txn, &a, &err), GR_DATABASE);
	assert_int_equal(a.ret, DB_KEYEXIST);
	assert_string_equal(get("k2"), "first");
}

/* A counter from before TBL_SEQS, in TBL_META. */
static int
old_seq_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	DBT key = st_dbt("old.seq", 7);
	json_t *rec = json_pack("{s:i}", "next", 41);
	int ret = st_put_json(t, TBL_META, &key, rec, 0);

	(void)arg;
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/* Takes an id while holding a write lock on TBL_META (as the task
   portal's rate limit does). */
static int
meta_then_take_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	DBT key = st_dbt("bucket", 6);
	json_t *rec = json_pack("{s:i}", "tokens", 1);
	int ret = st_put_json(t, TBL_META, &key, rec, 0);

	json_decref(rec);
	if (ret != 0)
		return st_fail(err, ret);
	return st_seq_take("fresh.seq", 1, arg, err);
}

/* Takes ids inside a transaction that then aborts. */
static int
take_then_fail_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	(void)t;
	if (st_seq_take("new.seq", 1, arg, err) != GR_OK)
		return GR_DATABASE;
	return gr_fail(err, GR_INTERNAL, "no");
}

static void
test_seq_take(void **state)
{
	struct gr_err err = { 0 };
	uint64_t first, mine[50], theirs[50];
	int fds[2], status, i, j;
	pid_t pid;

	(void)state;
	assert_int_equal(st_seq_take("new.seq", 1, &first, &err), GR_OK);
	assert_int_equal(first, 1);
	assert_int_equal(st_seq_take("new.seq", 5, &first, &err), GR_OK);
	assert_int_equal(first, 2);
	/* taken in an aborted transaction: kept taken (a gap, no reuse) */
	assert_int_equal(st_txn_run(take_then_fail_txn, &first, &err),
	    GR_INTERNAL);
	gr_clear(&err);
	assert_int_equal(first, 7);
	assert_int_equal(st_seq_take("new.seq", 1, &first, &err), GR_OK);
	assert_int_equal(first, 8);
	/* an old store's counter goes on where it was, once init moved it
	   (the store is opened again with ST_INIT, as gridrest-db init) */
	assert_int_equal(st_txn_run(old_seq_txn, NULL, &err), GR_OK);
	st_close();
	assert_int_equal(st_open(home, ST_INIT, &err), GR_OK);
	assert_int_equal(st_seq_take("old.seq", 2, &first, &err), GR_OK);
	assert_int_equal(first, 41);
	assert_int_equal(st_seq_take("old.seq", 1, &first, &err), GR_OK);
	assert_int_equal(first, 43);
	/* inside a transaction that holds TBL_META's page: no self-deadlock */
	assert_int_equal(st_txn_run(meta_then_take_txn, &first, &err), GR_OK);
	assert_int_equal(first, 1);
	/* two processes at once never get the same value */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		st_after_fork();
		if (st_open(home, 0, &err) != GR_OK)
			_exit(1);
		for (i = 0; i < 50; i++)
			if (st_seq_take("race.seq", 1, &theirs[i], &err) !=
			    GR_OK)
				_exit(2);
		st_close(); /* a process that dies open costs a recovery */
		_exit(write(fds[1], theirs, sizeof(theirs)) ==
			    (ssize_t)sizeof(theirs)
			? 0
			: 3);
	}
	close(fds[1]);
	for (i = 0; i < 50; i++)
		assert_int_equal(st_seq_take("race.seq", 1, &mine[i], &err),
		    GR_OK);
	assert_int_equal(read(fds[0], theirs, sizeof(theirs)),
	    (ssize_t)sizeof(theirs));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (i = 0; i < 50; i++)
		for (j = 0; j < 50; j++)
			assert_true(mine[i] != theirs[j]);
}

/* A body that writes, then fails: nothing of it stays. */
static int
write_then_fail_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct kv a = { "aborted", "x", 0, 0 };

	(void)arg;
	assert_int_equal(put_txn(t, &a, err), GR_OK);
	return gr_fail(err, GR_INVALID_OBJECT, "changed my mind");
}

static void
test_abort_leaves_nothing(void **state)
{
	struct gr_err err = { 0 };

	(void)state;
	assert_int_equal(st_txn_run(write_then_fail_txn, NULL, &err),
	    GR_INVALID_OBJECT);
	assert_string_equal(err.msg, "changed my mind");
	assert_string_equal(get("aborted"), "");
}

/* Loses a deadlock on its first run, as a store call would report it. */
struct flaky {
	int runs;
};

static int
flaky_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct flaky *f = arg;
	struct kv a = { "flaky", "done", 0, 0 };

	f->runs++;
	if (f->runs == 1) {
		t->deadlock = true;
		return st_fail(err, DB_LOCK_DEADLOCK);
	}
	return put_txn(t, &a, err);
}

static void
test_deadlock_retried(void **state)
{
	struct gr_err err = { 0 };
	struct flaky f = { 0 };
	struct st_stats before, after;

	(void)state;
	st_get_stats(&before);
	assert_int_equal(st_txn_run(flaky_txn, &f, &err), GR_OK);
	st_get_stats(&after);
	assert_int_equal(f.runs, 2);
	assert_int_equal(err.code, GR_OK); /* the lost run left no trace */
	assert_int_equal(after.retried, before.retried + 1);
	assert_string_equal(get("flaky"), "done");
}

/* Always loses: the runner gives up with 503, not forever. */
static int
hopeless_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	int *runs = arg;

	(*runs)++;
	t->deadlock = true;
	return st_fail(err, DB_LOCK_DEADLOCK);
}

static void
test_deadlock_gives_up(void **state)
{
	struct gr_err err = { 0 };
	int runs = 0;

	(void)state;
	assert_int_equal(st_txn_run(hopeless_txn, &runs, &err), GR_UNAVAILABLE);
	assert_int_equal(runs, ST_RETRY_MAX);
	assert_int_equal(gr_err_status(err.code), 503);
}

struct scan_args {
	char seen[256];
};

static int
scan_cb(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct scan_args *s = arg;
	size_t n = strlen(s->seen);

	(void)pkey;
	(void)val;
	/* the part after the NUL: "p\0a" prints "a" */
	(void)snprintf(s->seen + n, sizeof(s->seen) - n, "%.*s;",
	    (int)key->size - 2, (const char *)key->data + 2);
	return GR_OK;
}

static int
scan_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return st_scan(t, TBL_META, "p\0", 2, NULL, scan_cb, arg, err);
}

/* Raw puts of NUL-separated keys, then a prefix scan over them. */
struct rawkeys {
	const char *const *keys;
	size_t n;
};

static int
rawput_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rawkeys *r = arg;
	json_t *rec = json_object();
	size_t i;
	int ret = 0;

	for (i = 0; i < r->n && ret == 0; i++) {
		DBT key = st_dbt(r->keys[i], 3);

		ret = st_put_json(t, TBL_META, &key, rec, 0);
	}
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static void
test_scan_composite_keys(void **state)
{
	static const char *const keys[] = { "p\0c", "p\0a", "q\0a", "p\0b",
		"o\0z" };
	struct rawkeys r = { keys, 5 };
	struct gr_err err = { 0 };
	struct scan_args s = { "" };

	(void)state;
	assert_int_equal(st_txn_run(rawput_txn, &r, &err), GR_OK);
	assert_int_equal(st_view(scan_txn, &s, ST_ONCE, &err), GR_OK);
	/* only the p\0 keys, in key order */
	assert_string_equal(s.seen, "a;b;c;");
}

/* Secondary index: accounts by type. */
static int
count_cb(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	int *n = arg;

	(void)val;
	if (key->size == 4 && memcmp(key->data, "USER", 4) == 0 &&
	    pkey->size > 0)
		(*n)++;
	return GR_OK;
}

static int
by_type_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return st_scan(t, TBL_ACCOUNTS_BY_TYPE, "USER", 4, NULL, count_cb, arg,
	    err);
}

static int
acc_put_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const char *const *a = arg;
	DBT key = st_dbt(a[0], strlen(a[0]));
	json_t *rec = json_pack("{s:s, s:s}", "account", a[0], "account_type",
	    a[1]);
	int ret = st_put_json(t, TBL_ACCOUNTS, &key, rec, 0);

	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
acc_del_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const char *name = arg;
	DBT key = st_dbt(name, strlen(name));
	int ret = st_del(t, TBL_ACCOUNTS, &key);

	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static void
test_secondary_index(void **state)
{
	const char *u1[] = { "u1", "USER" }, *u2[] = { "u2", "USER" };
	const char *g1[] = { "g1", "GROUP" };
	struct gr_err err = { 0 };
	int n = 0;

	(void)state;
	assert_int_equal(st_txn_run(acc_put_txn, u1, &err), GR_OK);
	assert_int_equal(st_txn_run(acc_put_txn, u2, &err), GR_OK);
	assert_int_equal(st_txn_run(acc_put_txn, g1, &err), GR_OK);
	assert_int_equal(st_view(by_type_txn, &n, 0, &err), GR_OK);
	assert_int_equal(n, 2);
	/* changing the indexed field moves the entry */
	u2[1] = "GROUP";
	assert_int_equal(st_txn_run(acc_put_txn, u2, &err), GR_OK);
	n = 0;
	assert_int_equal(st_view(by_type_txn, &n, 0, &err), GR_OK);
	assert_int_equal(n, 1);
	/* deleting the primary deletes the entry */
	assert_int_equal(st_txn_run(acc_del_txn, (void *)(uintptr_t) "u1",
			     &err),
	    GR_OK);
	n = 0;
	assert_int_equal(st_view(by_type_txn, &n, 0, &err), GR_OK);
	assert_int_equal(n, 0);
}

/* Exact-key scans of a secondary: "USER", not "USERX". */
static int
count_all_cb(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	int *n = arg;

	(void)key;
	(void)pkey;
	(void)val;
	(*n)++;
	return GR_OK;
}

static int
exact_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return st_scan_key(t, TBL_ACCOUNTS_BY_TYPE, "USER", 4, count_all_cb,
	    arg, err);
}

static int
prefix_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return st_scan(t, TBL_ACCOUNTS_BY_TYPE, "USER", 4, NULL, count_all_cb,
	    arg, err);
}

static void
test_scan_key(void **state)
{
	const char *a[] = { "k1", "USER" }, *b[] = { "k2", "USER" };
	const char *c[] = { "k3", "USERX" };
	struct gr_err err = { 0 };
	int exact = 0, prefix = 0;

	(void)state;
	assert_int_equal(st_txn_run(acc_put_txn, a, &err), GR_OK);
	assert_int_equal(st_txn_run(acc_put_txn, b, &err), GR_OK);
	assert_int_equal(st_txn_run(acc_put_txn, c, &err), GR_OK);
	assert_int_equal(st_view(exact_txn, &exact, 0, &err), GR_OK);
	assert_int_equal(st_view(prefix_txn, &prefix, 0, &err), GR_OK);
	assert_int_equal(exact, 2);  /* the duplicates of "USER" only */
	assert_int_equal(prefix, 3); /* a prefix scan reaches "USERX" */
	exact = 0;
	assert_int_equal(st_txn_run(acc_del_txn, (void *)(uintptr_t) "k1",
			     &err),
	    GR_OK);
	assert_int_equal(st_view(exact_txn, &exact, 0, &err), GR_OK);
	assert_int_equal(exact, 1);
	/* leave the table as it was for the tests after this one */
	assert_int_equal(st_txn_run(acc_del_txn, (void *)(uintptr_t) "k2",
			     &err),
	    GR_OK);
	assert_int_equal(st_txn_run(acc_del_txn, (void *)(uintptr_t) "k3",
			     &err),
	    GR_OK);
}

/* A snapshot does not see a write committed after it began. */
struct snap_args {
	char before[64], after[64];
};

static int
snapshot_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct snap_args *s = arg;
	struct get_args g = { .key = "snap" };

	(void)get_txn(t, &g, err);
	memcpy(s->before, g.value, sizeof(s->before));
	/* another writer commits meanwhile (another handle: a child) */
	{
		int fd;
		char line[32];
		pid_t pid = spawn("--put-snap", &fd);

		wait_line(fd, line, sizeof(line));
		close(fd);
		assert_int_equal(exit_status(pid), 0);
	}
	(void)get_txn(t, &g, err);
	memcpy(s->after, g.value, sizeof(s->after));
	return GR_OK;
}

static void
test_snapshot_isolation(void **state)
{
	struct gr_err err = { 0 };
	struct snap_args s;

	(void)state;
	assert_int_equal(put("snap", "old"), GR_OK);
	assert_int_equal(st_view(snapshot_txn, &s, ST_ONCE, &err), GR_OK);
	assert_string_equal(s.before, "old");
	assert_string_equal(s.after, "old");
	assert_string_equal(get("snap"), "new");
}

/* Two processes lock a record in each of two tables in opposite orders
   (two tables: btree locks are per page). One loses the deadlock, is run
   again by the runner, and both commit. */
static void
test_real_deadlock(void **state)
{
	char l1[32], l2[32];
	int fd1, fd2, s1, s2;
	long r1 = -1, r2 = -1;
	pid_t p1, p2;

	(void)state;
	p1 = spawn("--lock-ab", &fd1);
	p2 = spawn("--lock-ba", &fd2);
	wait_line(fd1, l1, sizeof(l1));
	wait_line(fd2, l2, sizeof(l2));
	s1 = exit_status(p1);
	s2 = exit_status(p2);
	close(fd1);
	close(fd2);
	print_message("# ab: %s, ba: %s\n", l1, l2);
	assert_int_equal(s1, 0);
	assert_int_equal(s2, 0);
	/* each child printed how often its body was retried */
	assert_int_equal(parse_long(l1, 0, 100, &r1), 0);
	assert_int_equal(parse_long(l2, 0, 100, &r2), 0);
	assert_true(r1 + r2 >= 1);
	assert_string_equal(get("dl-ab"), "ab");
	assert_string_equal(get("dl-ba"), "ba");
}

/* A process dies (kill -9) in the middle of a transaction. The next
   process to open the environment recovers it; this process, which had it
   open all along, reopens its handles without failing a request, keeps
   what was committed and never sees what was not. */
static void
test_recovery_after_kill(void **state)
{
	struct st_stats before, after;
	char line[32];
	int fd, fds;
	pid_t pid;

	(void)state;
	pid = spawn("--hold", &fd);
	wait_line(fd, line, sizeof(line));
	assert_string_equal(line, "holding");
	assert_false(st_stale());
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(exit_status(pid), 128 + SIGKILL);
	close(fd);

	/* a new process joins, as lighttpd's respawned backend would */
	pid = spawn("--open", &fd);
	wait_line(fd, line, sizeof(line));
	assert_int_equal(exit_status(pid), 0);
	close(fd);
	assert_string_equal(line, "committed=yes held=");
	/* its open recovered the environment: this process's regions are
	   the dead ones until it reopens (the watchdog's question) */
	assert_true(st_stale());
	assert_false(st_removed());

	st_get_stats(&before);
	fds = count_fds();
	assert_int_equal(put("after-crash", "ok"), GR_OK);
	st_get_stats(&after);
	/* the old handles' files are closed: a backend survives many crashes
	   of its siblings without running out of descriptors (the new
	   environment opens tables as they are used: fewer, not more) */
	assert_true(count_fds() <= fds);
	assert_int_equal(after.reopened, before.reopened + 1);
	assert_false(st_stale());
	assert_string_equal(get("after-crash"), "ok");
	assert_string_equal(get("committed"), "yes");
	assert_string_equal(get("held"), "");
}

/* A removed home is told apart from a recovered one: the daemons leave
   the first and reopen the second. */
static void
test_removed(void **state)
{
	char db[sizeof(home) + 8], away[sizeof(home) + 16];

	(void)state;
	(void)snprintf(db, sizeof(db), "%s/db", home);
	(void)snprintf(away, sizeof(away), "%s/db.away", home);
	assert_false(st_removed());
	assert_int_equal(rename(db, away), 0);
	assert_true(st_removed());
	assert_int_equal(rename(away, db), 0);
	assert_false(st_removed());
}

/* Each recovery leaves the old handles behind (BDB cannot close them); a
   process that has abandoned many asks to be replaced. */
static void
test_many_recoveries(void **state)
{
	struct st_stats before, after;
	char line[32];
	int fd, i, fds;
	pid_t pid;

	(void)state;
	st_get_stats(&before);
	fds = count_fds();
	for (i = 0; i < 16; i++) {
		assert_false(st_must_exit() && i < 15);
		pid = spawn("--hold", &fd);
		wait_line(fd, line, sizeof(line));
		assert_int_equal(kill(pid, SIGKILL), 0);
		(void)exit_status(pid);
		close(fd);
		pid = spawn("--open", &fd);
		wait_line(fd, line, sizeof(line));
		assert_int_equal(exit_status(pid), 0);
		close(fd);
		assert_int_equal(put("survivor", "yes"), GR_OK);
	}
	st_get_stats(&after);
	assert_true(after.reopened >= before.reopened + 15);
	assert_true(st_must_exit());
	assert_int_equal(count_fds(), fds); /* files are closed every time */
	assert_string_equal(get("survivor"), "yes");
}

/* --- child roles ---------------------------------------------------- */

struct lock2 {
	const char *first, *second; /* "meta" or "attrs" first */
	const char *tag;
	int runs;
};

static void
wait_file(const char *name)
{
	char path[sizeof(home) + 64];
	int i;

	(void)snprintf(path, sizeof(path), "%s/%s", home, name);
	for (i = 0; i < 500 && access(path, F_OK) != 0; i++)
		usleep(10000);
}

static void
touch(const char *name)
{
	char path[sizeof(home) + 64];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", home, name);
	if ((f = fopen(path, "w")) != NULL)
		fclose(f);
}

static int
lock_in(struct st_txn *t, const char *which, const char *tag)
{
	enum tbl_id tbl = strcmp(which, "meta") == 0 ? TBL_META
						     : TBL_ACCOUNT_ATTRS;
	char k[16];
	DBT key;
	json_t *rec = json_pack("{s:s}", "v", tag);
	int ret;

	(void)snprintf(k, sizeof(k), "dl-%s", tag);
	key = st_dbt(k, strlen(k));
	ret = st_put_json(t, tbl, &key, rec, 0);
	json_decref(rec);
	return ret;
}

static int
lock2_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct lock2 *l = arg;
	char mine[16], theirs[16];
	int ret;

	if ((ret = lock_in(t, l->first, l->tag)) != 0)
		return st_fail(err, ret);
	if (l->runs++ == 0) {
		/* both hold their first lock before asking for the second */
		(void)snprintf(mine, sizeof(mine), "ready-%s", l->tag);
		(void)snprintf(theirs, sizeof(theirs), "ready-%s",
		    strcmp(l->tag, "ab") == 0 ? "ba" : "ab");
		touch(mine);
		wait_file(theirs);
	}
	if ((ret = lock_in(t, l->second, l->tag)) != 0)
		return st_fail(err, ret);
	return GR_OK;
}

/* A view reading both tables: they are open before the dance (a
   process opens a table when it first uses it, and a write transaction
   that finds one closed is run again after the open). */
static int
open_both_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	DBT k = st_dbt("none", 4);

	(void)arg;
	(void)err;
	(void)st_exists(t, TBL_META, &k);
	(void)st_exists(t, TBL_ACCOUNT_ATTRS, &k);
	return GR_OK;
}

/* A write that uses two tables the process has not opened, and reads a
   third in a view of its own: each first use fails the body, which runs
   again once the table is open. */
static int
scopes_view_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	DBT k = st_dbt("none", 4);
	int ret = st_exists(t, TBL_SCOPES, &k);

	(void)arg;
	return ret == 0 || ret == DB_NOTFOUND ? GR_OK : st_fail(err, ret);
}

static int
lazy_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	int *runs = arg, ret, rc;
	DBT k = st_dbt("lazy", 4);
	json_t *rec = json_pack("{s:s}", "v", "lazy");

	(*runs)++;
	ret = st_put_json(t, TBL_META, &k, rec, 0);
	if (ret == 0)
		ret = st_put_json(t, TBL_ACCOUNT_ATTRS, &k, rec, 0);
	json_decref(rec);
	if (ret != 0)
		return st_fail(err, ret);
	if ((rc = st_view(scopes_view_txn, NULL, 0, err)) != GR_OK)
		return rc;
	return GR_OK;
}

static int
child(const char *role, int out)
{
	struct gr_err err = { 0 };
	struct st_stats stats;
	char line[64];
	int rc = 0;

	if (st_open(home, 0, &err) != GR_OK) {
		dprintf(out, "open failed: %s\n", err.msg);
		return 1;
	}
	if (strcmp(role, "--put-snap") == 0) {
		rc = put("snap", "new") != GR_OK;
		dprintf(out, "done\n");
	} else if (strcmp(role, "--lock-ab") == 0 ||
	    strcmp(role, "--lock-ba") == 0) {
		struct lock2 l = { "meta", "attrs", "ab", 0 };

		if (strcmp(role, "--lock-ba") == 0) {
			l.first = "attrs";
			l.second = "meta";
			l.tag = "ba";
		}
		rc = st_view(open_both_txn, NULL, 0, &err) != GR_OK ||
		    st_txn_run(lock2_txn, &l, &err) != GR_OK;
		st_get_stats(&stats);
		if (rc != 0)
			dprintf(out, "failed: %s\n", err.msg);
		else
			dprintf(out, "%lu\n", stats.retried);
	} else if (strcmp(role, "--lazy") == 0) {
		int runs = 0;

		rc = st_txn_run(lazy_txn, &runs, &err) != GR_OK;
		st_get_stats(&stats);
		dprintf(out, "%s runs=%d retried=%lu\n", rc ? err.msg : "ok",
		    runs, stats.retried);
	} else if (strcmp(role, "--hold") == 0) {
		struct kv held = { "held", "yes", 0, 0 };
		DB_TXN *txn;
		struct st_txn t = { 0 };

		(void)put("committed", "yes");
		/* a transaction left open: its writes and locks die with us */
		if (st_env()->txn_begin(st_env(), NULL, &txn, 0) != 0)
			return 1;
		t.tid = txn;
		(void)put_txn(&t, &held, &err);
		dprintf(out, "holding\n");
		for (;;)
			pause();
	} else if (strcmp(role, "--hold-attrs-meta") == 0) {
		/* for test_lazy_open_conflict: a write transaction that
		   splits pages of TBL_ACCOUNT_ATTRS (so holds its meta page,
		   where page allocation happens) for three seconds, then
		   commits */
		struct st_txn t = { 0 };
		json_t *rec = json_pack("{s:s}", "v",
		    "a value long enough to fill pages quickly, "
		    "a value long enough to fill pages quickly");
		char k[32];
		DB_TXN *txn;
		int i, n;

		if (st_env()->txn_begin(st_env(), NULL, &txn, 0) != 0)
			return 1;
		t.tid = txn;
		for (i = 0; i < 2000; i++) {
			DBT key;

			n = snprintf(k, sizeof(k), "meta-%05d", i);
			key = st_dbt(k, (size_t)n);
			if (st_put_json(&t, TBL_ACCOUNT_ATTRS, &key, rec, 0) !=
			    0)
				return 1;
		}
		json_decref(rec);
		dprintf(out, "holding\n");
		sleep(3);
		if (txn->commit(txn, 0) != 0)
			return 1;
	} else if (strcmp(role, "--hold-accounts") == 0) {
		/* for tests/smoke/91-watchdog.t: a process that holds a write
		   lock in the accounts table until it is killed */
		struct st_txn t = { 0 };
		DBT key = st_dbt("~held", 5);
		json_t *rec = json_pack("{s:s}", "account", "~held");
		DB_TXN *txn;

		if (st_env()->txn_begin(st_env(), NULL, &txn, 0) != 0)
			return 1;
		t.tid = txn;
		if (st_put_json(&t, TBL_ACCOUNTS, &key, rec, 0) != 0)
			return 1;
		json_decref(rec);
		dprintf(out, "holding\n");
		for (;;)
			pause();
	} else if (strcmp(role, "--guarded-put") == 0) {
		/* a supervisor's guard, then a write that waits for the lock
		   --hold-accounts holds */
		const char *a[] = { "~held", "USER" };

		st_guard();
		rc = st_txn_run(acc_put_txn, a, &err) != GR_OK;
		dprintf(out, "returned %d\n", rc);
	} else if (strcmp(role, "--open") == 0) {
		(void)snprintf(line, sizeof(line), "committed=%s ",
		    get("committed"));
		dprintf(out, "%sheld=%s\n", line, get("held"));
	}
	st_close();
	return rc;
}

/* A process opens a table when it first uses it. Inside a write
   transaction the open does not wait for a lock: when none is taken,
   as here, it opens the table and the body goes on, run once. */
static void
test_lazy_open(void **state)
{
	char line[64];
	int fd;
	pid_t pid;

	(void)state;
	pid = spawn("--lazy", &fd);
	wait_line(fd, line, sizeof(line));
	close(fd);
	assert_int_equal(exit_status(pid), 0);
	/* TBL_META is open (st_open read the schema); the body opens
	   TBL_ACCOUNT_ATTRS, and TBL_SCOPES in its nested view */
	assert_string_equal(line, "ok runs=1 retried=0");
	assert_string_equal(get("lazy"), "lazy");
}

/* The same while another process's write holds a lock the open needs
   (the meta page of TBL_ACCOUNT_ATTRS): the open fails at once instead
   of waiting inside the body, whose own locks may be what that writer
   waits for; the body is aborted, the table opened with no transaction
   running (waiting for the writer's commit), and the body run again,
   not counted as a deadlock's retry. */
static void
test_lazy_open_conflict(void **state)
{
	char line[64];
	int fd_hold, fd;
	pid_t hold, pid;

	(void)state;
	hold = spawn("--hold-attrs-meta", &fd_hold);
	wait_line(fd_hold, line, sizeof(line));
	assert_string_equal(line, "holding");
	pid = spawn("--lazy", &fd);
	wait_line(fd, line, sizeof(line));
	close(fd);
	assert_int_equal(exit_status(pid), 0);
	assert_int_equal(exit_status(hold), 0);
	close(fd_hold);
	assert_string_equal(line, "ok runs=2 retried=0");
	assert_string_equal(get("lazy"), "lazy");
}

/* A process with the guard (st_guard), blocked on a lock of a process
   that dies, is never woken; once another process recovered the
   environment, the guard's tick ends it. */
static void
test_guard(void **state)
{
	char line[32];
	int fd_hold, fd_wait, fd, st = -1, i;
	pid_t hold, waiter, pid;

	(void)state;
	hold = spawn("--hold-accounts", &fd_hold);
	wait_line(fd_hold, line, sizeof(line));
	assert_string_equal(line, "holding");
	waiter = spawn("--guarded-put", &fd_wait);
	usleep(300000); /* it waits for the lock */
	assert_int_equal(kill(hold, SIGKILL), 0);
	assert_int_equal(exit_status(hold), 128 + SIGKILL);
	close(fd_hold);
	pid = spawn("--open", &fd); /* recovers the environment */
	wait_line(fd, line, sizeof(line));
	assert_int_equal(exit_status(pid), 0);
	close(fd);
	for (i = 0; i < 100; i++) {
		if (waitpid(waiter, &st, WNOHANG) == waiter)
			break;
		usleep(100000);
	}
	if (i == 100) {
		(void)kill(waiter, SIGKILL);
		(void)waitpid(waiter, &st, 0);
		fail_msg("the guarded process still waits 10 s later");
	}
	close(fd_wait);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	/* this process reopens and goes on */
	assert_int_equal(put("after-guard", "ok"), GR_OK);
}

/* --- schema migration ------------------------------------------------ */

/* A dataset record, and the schema record of a version 1 store. */
static int
old_store_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	static const char rec[] = "{\"type\":\"DATASET\",\"account\":"
				  "\"root\",\"open\":true,\"created_at\":"
				  "1600000000}";
	DBT k = st_dbt("s\0ds", 4), sk = st_dbt("schema", 6);
	json_t *v = json_pack("{s:i}", "version", 1);
	int ret = st_put_text(t, TBL_DIDS, &k, rec, sizeof(rec) - 1, 0);

	(void)arg;
	if (ret == 0)
		ret = st_put_json(t, TBL_META, &sk, v, 0);
	json_decref(v);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/*
 * Before dids.top.db (schema 3): container s:c holds s:ds and t:x, s:ds
 * holds s:f0000; files s:f0000..f1499 (more than a batch of the fill).
 */
#define OLD_FILES 1500

static int
old_tree_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	static const char *const held[][2] = { { "s\0c\0s\0ds", "DATASET" },
		{ "s\0c\0t\0x", "DATASET" }, { "s\0ds\0s\0f0000", "FILE" } };
	static const size_t held_len[] = { 8, 7, 12 };
	char kbuf[64], rec[64];
	size_t i;
	int ret = 0;

	(void)arg;
	for (i = 0; i < OLD_FILES && ret == 0; i++) {
		DBT k = st_dbt(kbuf,
		    (size_t)snprintf(kbuf, sizeof(kbuf), "s%cf%04zu", '\0', i));

		ret = st_put_text(t, TBL_DIDS, &k, "{\"type\":\"FILE\"}", 15,
		    0);
	}
	if (ret == 0) {
		DBT k = st_dbt("s\0c", 3);

		ret = st_put_text(t, TBL_DIDS, &k, "{\"type\":\"CONTAINER\"}",
		    20, 0);
	}
	if (ret == 0) {
		DBT k = st_dbt("t\0x", 3);

		ret = st_put_text(t, TBL_DIDS, &k, "{\"type\":\"DATASET\"}", 18,
		    0);
	}
	for (i = 0; i < ARRAY_LEN(held) && ret == 0; i++) {
		DBT k = st_dbt(held[i][0], held_len[i]);
		int n = snprintf(rec, sizeof(rec), "{\"type\":\"%s\"}",
		    held[i][1]);

		ret = st_put_text(t, TBL_CONTENTS, &k, rec, (size_t)n, 0);
	}
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/* What version 1 filed for it: its "is_new" entry, written into the
   index file by a handle of its own (no extractor). */
static void
old_entry(void)
{
	DBT k = st_dbt("s\0is_new\0b\1", 12), d = st_dbt("s\0ds", 4);
	DB *db;

	assert_int_equal(db_create(&db, st_env(), 0), 0);
	assert_int_equal(db->set_flags(db, DB_DUPSORT), 0);
	assert_int_equal(db->open(db, NULL, "dids.meta.idx", NULL, DB_BTREE,
			     DB_AUTO_COMMIT, 0),
	    0);
	assert_int_equal(db->put(db, NULL, &k, &d, DB_AUTO_COMMIT), 0);
	assert_int_equal(db->close(db, 0), 0);
}

struct count {
	const char *prefix;
	size_t plen;
	int n;
};

static int
count_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct count *c = arg;

	c->n = 0;
	return st_scan(t, TBL_DIDS_BY_META, c->prefix, c->plen, NULL,
	    count_all_cb, &c->n, err);
}

static int
top_count_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct count *c = arg;

	c->n = 0;
	return st_scan(t, TBL_DIDS_TOP, c->prefix, c->plen, NULL, count_all_cb,
	    &c->n, err);
}

/* The entries of TBL_DIDS_TOP under prefix. */
static int
top_entries(const char *prefix, size_t plen)
{
	struct count c = { prefix, plen, 0 };
	struct gr_err err = { 0 };

	assert_int_equal(st_view(top_count_txn, &c, 0, &err), GR_OK);
	return c.n;
}

static int
entries(const char *prefix, size_t plen)
{
	struct count c = { prefix, plen, 0 };
	struct gr_err err = { 0 };

	assert_int_equal(st_view(count_txn, &c, 0, &err), GR_OK);
	return c.n;
}

static int
get_meta_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	DBT k = st_dbt("schema", 6);
	int ret = st_get_json(t, TBL_META, &k, arg, 0);

	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static void
test_schema_migration(void **state)
{
	static const char coll[] = "s\0did_type\0c1D";
	struct gr_err err = { 0 };
	json_t *rec = NULL;

	(void)state;
	assert_int_equal(st_txn_run(old_store_txn, NULL, &err), GR_OK);
	assert_int_equal(st_txn_run(old_tree_txn, NULL, &err), GR_OK);
	old_entry();
	assert_int_equal(entries("s\0is_new", 8), 1);
	assert_int_equal(entries(coll, sizeof(coll) - 1), 1);
	st_close();
	/* a backend refuses the old store */
	assert_int_equal(st_open(home, 0, &err), GR_DATABASE);
	assert_non_null(strstr(err.msg, "schema version 1"));
	gr_clear(&err);
	/* init builds the index again from the records */
	assert_int_equal(st_open(home, ST_INIT, &err), GR_OK);
	assert_int_equal(entries("s\0is_new", 8), 0);
	assert_int_equal(entries(coll, sizeof(coll) - 1), 1);
	assert_int_equal(entries("s\0", 2), 2);
	/* and fills the top level of each scope: what no DID of the same
	   scope holds (t:x is in s:c, another scope) */
	assert_int_equal(top_entries("s\0", 2), OLD_FILES - 1 + 1);
	assert_int_equal(top_entries("s\0c", 3), 1);
	assert_int_equal(top_entries("s\0ds", 4), 0);
	assert_int_equal(top_entries("s\0f0000", 7), 0);
	assert_int_equal(top_entries("s\0f1499", 7), 1);
	assert_int_equal(top_entries("t\0x", 3), 1);
	assert_int_equal(st_view(get_meta_txn, &rec, 0, &err), GR_OK);
	assert_int_equal(json_integer_value(json_object_get(rec, "version")),
	    TBL_SCHEMA_VERSION);
	json_decref(rec);
	st_close();
	assert_int_equal(st_open(home, 0, &err), GR_OK);
}

/* --- the keeper ------------------------------------------------------- */

static DB_LSN
last_checkpoint(void)
{
	DB_TXN_STAT *ts = NULL;
	DB_LSN lsn;

	assert_int_equal(st_env()->txn_stat(st_env(), &ts, 0), 0);
	lsn = ts->st_last_ckp;
	free(ts);
	return lsn;
}

static bool
wait_keeper(bool running)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (st_keeper_running() == running)
			return true;
		usleep(10000);
	}
	return false;
}

static void
test_keeper(void **state)
{
	char path[4200], pid[32];
	size_t big = 60000;
	char *v = xmalloc(big + 1);
	DB_LSN before, now;
	FILE *f;
	int i;

	(void)state;
	cfg.keeper_idle = 1;
	assert_false(st_keeper_running());
	/* a process that starts keepers starts one once it wrote */
	st_keeper_auto(true);
	for (i = 0; i < 32; i++)
		assert_int_equal(put("k", "v"), GR_OK);
	st_housekeep();
	assert_true(wait_keeper(true));
	snprintf(path, sizeof(path), "%s/db/keeper.lock", home);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(pid, sizeof(pid), f));
	fclose(f);
	assert_int_equal(kill((pid_t)strtol(pid, NULL, 10), 0), 0);
	/* it checkpoints once 64 MB of log were written, not this process */
	before = last_checkpoint();
	memset(v, 'x', big);
	v[big] = '\0';
	for (i = 0; i < 1200; i++) {
		v[i % big] = (char)('a' + i % 26);
		assert_int_equal(put("big", v), GR_OK);
	}
	free(v);
	for (i = 0; i < 500; i++) {
		now = last_checkpoint();
		if (log_compare(&now, &before) > 0)
			break;
		usleep(10000);
	}
	assert_true(log_compare(&now, &before) > 0);
	/* and leaves after keeper_idle seconds without writes */
	assert_true(wait_keeper(false));
	st_keeper_auto(false);
	cfg.keeper_idle = 30;
}

/* --- main ----------------------------------------------------------- */

static int
setup(void **state)
{
	(void)state;
	return testlib_store_open(home);
}

static int
teardown(void **state)
{
	(void)state;
	return testlib_store_remove(home);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_nooverwrite),
		cmocka_unit_test(test_seq_take),
		cmocka_unit_test(test_abort_leaves_nothing),
		cmocka_unit_test(test_deadlock_retried),
		cmocka_unit_test(test_deadlock_gives_up),
		cmocka_unit_test(test_scan_composite_keys),
		cmocka_unit_test(test_scan_key),
		cmocka_unit_test(test_secondary_index),
		cmocka_unit_test(test_snapshot_isolation),
		cmocka_unit_test(test_real_deadlock),
		cmocka_unit_test(test_recovery_after_kill),
		cmocka_unit_test(test_many_recoveries),
		cmocka_unit_test(test_lazy_open),
		cmocka_unit_test(test_lazy_open_conflict),
		cmocka_unit_test(test_removed),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_schema_migration),
		cmocka_unit_test(test_keeper),
	};

	json_set_alloc_funcs(xmalloc, free);
	cfg.durability = CFG_DURABLE_WRITE; /* a process crash, not power */
	if (argc == 4 && argv[1][0] == '-') {
		long fd;

		(void)snprintf(home, sizeof(home), "%s", argv[2]);
		if (parse_long(argv[3], 0, 1024, &fd) != 0)
			return 2;
		return child(argv[1], (int)fd);
	}
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
