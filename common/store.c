/*
 * store.c -- the Berkeley DB environment, its tables (opened by group,
 * when first used), records and cursors. One environment per process,
 * owned here (struct st_store, store_int.h). The runner is store_txn.c,
 * the schema version and its migrations store_schema.c, the keeper
 * store_keeper.c, the guard store_guard.c, the shared counters
 * store_counter.c.
 *
 * Every process opens the one environment with DB_REGISTER|DB_RECOVER: the
 * open runs recovery only when a registered process died holding it. That
 * recovery panics the region under the feet of the other processes, whose
 * next call returns DB_RUNRECOVERY; the runner (store_txn.c) then drops
 * and reopens their handles and runs the body again, so a crashed sibling
 * costs the clients of the surviving processes nothing. A process blocked
 * inside the old region (on a lock or mutex of the dead one) never sees the
 * panic: the request watchdog ends it (web.c, st_stale()). Deadlocks are found
 * by the library (set_lk_detect) and retried in st_txn_run() only.
 *
 * Not DB_FAILCHK: its abort of a dead waiter's transaction destroys the
 * condition variable the waiter slept on, and glibc's
 * pthread_cond_destroy() then waits for that waiter for ever.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "store_int.h"
#include "store_keeper.h"
#include "store_repl.h"
#include "util.h"

#define ST_PAGE_SIZE 16384
/* Lock waits longer than this are broken, so that a lock left by a dead
   process never blocks forever (microseconds). */
#define ST_LOCK_TIMEOUT 5000000

static struct st_store st;

struct st_store *
st_self(void)
{
	return &st;
}

static void
st_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	log_msg(LOG_ERR, "bdb: %s", msg);
}

DBT
st_dbt(const void *data, size_t size)
{
	DBT d;

	memset(&d, 0, sizeof(d));
	/* BDB's API is not const-correct; it only reads input DBTs */
	d.data = (void *)(uintptr_t)data;
	d.size = (u_int32_t)size;
	return d;
}

int
st_fail(struct gr_err *err, int ret)
{
	if (ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED)
		return gr_fail(err, GR_UNAVAILABLE,
		    "the database is busy; try again");
	if (ret == DB_RUNRECOVERY)
		return gr_fail(err, GR_UNAVAILABLE,
		    "the database is recovering; try again");
	/* a replication site: a write met the replica's read-only store
	   (the role changed under the request), or the site is syncing
	   with a new master */
	if (st.env != NULL && st_repl_on() && ret == EACCES)
		return st_repl_refuse(err);
	if (ret == DB_REP_LOCKOUT || ret == DB_REP_UNAVAIL ||
	    ret == DB_REP_HANDLE_DEAD || ret == DB_REP_JOIN_FAILURE)
		return gr_fail(err, GR_UNAVAILABLE,
		    "the replicated store is changing masters; try again");
	log_msg(LOG_ERR, "store: %s", db_strerror(ret));
	return gr_fail(err, GR_DATABASE,
	    "An unknown Database Exception has occurred.");
}

static int
mkdir_p(const char *path)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return ENAMETOOLONG;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return errno;
	return 0;
}

void
st_close_tables(void)
{
	int i;

	/* secondaries before primaries */
	for (i = TBL_COUNT - 1; i >= 0; i--)
		if (st.dbs[i] != NULL && tbl_defs[i].primary >= 0) {
			(void)st.dbs[i]->close(st.dbs[i], 0);
			st.dbs[i] = NULL;
		}
	for (i = TBL_COUNT - 1; i >= 0; i--)
		if (st.dbs[i] != NULL) {
			(void)st.dbs[i]->close(st.dbs[i], 0);
			st.dbs[i] = NULL;
		}
}

static void
close_handles(void)
{
	st_close_tables();
	if (st.env != NULL) {
		(void)st.env->close(st.env, 0);
		st.env = NULL;
	}
}

/*
 * Handles whose environment another process recovered. In the panic state
 * DB->close returns at once and frees nothing, and DB_ENV->close only
 * closes the files and leaves the registry; forcing a full close with
 * DB_NOPANIC would take region mutexes a dead process may hold and could
 * write stale pages into files the new environment owns (BDB 5.3:
 * db_iface.c, env_open.c). So the handles are abandoned, and kept
 * reachable here: the memory is accounted for, not leaked, and bounded --
 * after ST_ABANDON_MAX recoveries the process asks to be replaced.
 */
#define ST_ABANDON_MAX 16

struct abandoned {
	DB_ENV *env;
	DB *dbs[TBL_COUNT];
};
static struct abandoned *abandoned; /* grows; the process exits soon */
static int nabandoned;

/* Keep the handles in force reachable among the abandoned ones and
   forget them; a panicked environment's files are closed too. */
static void
abandon(bool close_env)
{
	if (st.env == NULL)
		return;
	abandoned = xrealloc(abandoned,
	    (size_t)(nabandoned + 1) * sizeof(*abandoned));
	abandoned[nabandoned].env = st.env;
	memcpy(abandoned[nabandoned].dbs, st.dbs, sizeof(st.dbs));
	nabandoned++;
	if (close_env) {
		st.env->set_errcall(st.env, NULL);
		(void)st.env->close(st.env, 0); /* files and registry only */
	}
	st.env = NULL;
	memset(st.dbs, 0, sizeof(st.dbs));
}

void
st_drop_panicked(void)
{
	abandon(true);
}

void
st_after_fork(void)
{
	/* the parent's handles: never used or closed in the child */
	abandon(false);
	st.running = NULL;
	st.writing = 0;
	st_keeper_forget();
}

bool
st_must_exit(void)
{
	return nabandoned >= ST_ABANDON_MAX;
}

/*
 * A store removed or recovered under this process is only forgotten: its
 * regions are the old ones, where a checkpoint or a close may wait for
 * ever on a mutex that a process killed inside them still holds (an
 * exiting DRM supervisor was found so, an hour after its test's home was
 * removed). Otherwise the closing checkpoint runs under the guard, which
 * ends the process if a recovery replaces the store meanwhile.
 */
void
st_close(void)
{
	int ret = 0;

	if (st.env != NULL && st_stale()) {
		abandon(false);
		return;
	}
	if (st.env != NULL) {
		st_guard_arm(true);
		ret = st.env->txn_checkpoint(st.env, 0, 0, 0);
		st_guard_arm(false);
	}
	if (ret == DB_RUNRECOVERY)
		st_drop_panicked();
	else
		close_handles();
}

/*
 * The store's directory is gone: its home was removed under the process,
 * and a daemon of that store (mover, evaluator) has nothing left to serve.
 * A recovery (st_stale) recreates the regions but keeps the directory.
 */
bool
st_removed(void)
{
	struct stat sb;

	return st.dir[0] != '\0' && stat(st.dir, &sb) != 0 && errno == ENOENT;
}

/*
 * The environment's first region file as this process mapped it. Recovery
 * by another process removes and recreates it: a different file there
 * means this process is still attached to the old, dead region.
 */
static struct {
	char path[PATH_MAX];
	dev_t dev;
	ino_t ino;
} region;

static void
note_region(void)
{
	struct stat sb;

	if (snprintf(region.path, sizeof(region.path), "%s/__db.001", st.dir) >=
		(int)sizeof(region.path) ||
	    stat(region.path, &sb) != 0) {
		region.path[0] = '\0';
		return;
	}
	region.dev = sb.st_dev;
	region.ino = sb.st_ino;
}

bool
st_stale(void)
{
	struct stat sb;

	if (region.path[0] == '\0')
		return false;
	if (stat(region.path, &sb) != 0)
		return true;
	return sb.st_dev != region.dev || sb.st_ino != region.ino;
}

static int
open_env(struct gr_err *err)
{
	u_int32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG |
	    DB_INIT_MPOOL | DB_REGISTER | DB_RECOVER;
	DB_ENV *env;
	int ret, rc;

	if ((ret = db_env_create(&env, 0)) != 0)
		return st_fail(err, ret);
	st.env = env;
	env->set_errcall(env, st_errcall);
	env->set_cachesize(env, cfg.cache_mb / 1024,
	    (cfg.cache_mb % 1024) << 20, 1);
	env->set_lk_detect(env, DB_LOCK_DEFAULT);
	env->set_timeout(env, ST_LOCK_TIMEOUT, DB_SET_LOCK_TIMEOUT);
	env->set_lk_max_locks(env, 20000);
	env->set_lk_max_lockers(env, 20000);
	env->set_lk_max_objects(env, 20000);
	env->set_tx_max(env, 2000);
	env->set_lg_bsize(env, 1u << 20);
	env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
	/* fault the shared regions in at open instead of on the first
	   requests (spec/performance.md: a cold cache halves throughput) */
	if (!(st.flags & ST_KEEPER))
		env->set_flags(env, DB_REGION_INIT, 1);
	if (cfg.durability == CFG_DURABLE_WRITE)
		env->set_flags(env, DB_TXN_WRITE_NOSYNC, 1);
	else if (cfg.durability == CFG_DURABLE_NONE)
		env->set_flags(env, DB_TXN_NOSYNC, 1);
	st.threaded = false;
	if (st_repl_on() && (rc = st_repl_setup(env, &flags, err)) != GR_OK)
		return rc;
	if ((ret = env->open(env, st.dir, flags, 0600)) != 0) {
		log_msg(LOG_ERR, "store: cannot open environment %s: %s",
		    st.dir, db_strerror(ret));
		return st_fail(err, ret);
	}
	st.threaded = (flags & DB_THREAD) != 0;
	note_region();
	if (st_repl_on() && (rc = st_repl_start(env, err)) != GR_OK)
		return rc;
	return GR_OK;
}

/*
 * Keys and duplicates in the order Berkeley DB's own comparison gives
 * (unsigned bytes, a prefix first), by memcmp: the library's byte loop
 * was a tenth of a bulk insert's instructions (callgrind).
 */
static int
bytes_cmp(DB *db, const DBT *a, const DBT *b)
{
	size_t n = a->size < b->size ? a->size : b->size;
	int r = n != 0 ? memcmp(a->data, b->data, n) : 0;

	(void)db;
	if (r != 0)
		return r;
	return (a->size > b->size) - (a->size < b->size);
}

/*
 * The shortest prefix of b that still sorts after a (internal pages keep
 * only that much of a key): Berkeley DB's default, which a comparison of
 * our own turns off.
 */
static size_t
bytes_prefix(DB *db, const DBT *a, const DBT *b)
{
	const unsigned char *p = a->data, *q = b->data;
	size_t n = a->size < b->size ? a->size : b->size, i;

	(void)db;
	for (i = 0; i < n; i++)
		if (p[i] != q[i])
			return i + 1;
	if (a->size < b->size)
		return a->size + 1;
	return b->size;
}

/*
 * The DBT a DB->get or DB->pget returns into. In a threaded environment
 * (a replication site: repmgr runs threads) Berkeley DB wants the memory
 * named: it mallocs, and out_free() frees; otherwise the handle lends
 * its own buffer, as always.
 */
static void
out_dbt(DBT *d)
{
	memset(d, 0, sizeof(*d));
	if (st.threaded)
		d->flags = DB_DBT_MALLOC;
}

/* An input key: with a key comparison of our own, Berkeley DB counts a
   get's key as returned, so a threaded environment wants it marked. */
static void
in_key(DBT *k)
{
	if (st.threaded)
		k->flags |= DB_DBT_READONLY;
}

static void
out_free(DBT *d)
{
	if (d->flags & DB_DBT_MALLOC)
		free(d->data);
}

static int
open_one(int i, unsigned flags)
{
	u_int32_t oflags = DB_AUTO_COMMIT | DB_MULTIVERSION;
	DB *db;
	int ret;

	/* a replica's files are open in repmgr's thread, without MVCC,
	   which a replica cannot use anyway (store_txn.c, begin_flags) */
	if (st.threaded)
		oflags &= ~(u_int32_t)DB_MULTIVERSION;
	if (flags & ST_INIT)
		oflags |= DB_CREATE;
	if ((ret = db_create(&db, st.env, 0)) != 0)
		return ret;
	db->set_bt_compare(db, bytes_cmp);
	db->set_bt_prefix(db, bytes_prefix);
	if (tbl_defs[i].primary >= 0) {
		db->set_flags(db, DB_DUPSORT);
		db->set_dup_compare(db, bytes_cmp);
	}
	/* used when the table is created: fewer levels and splits for the
	   big tables (ignored for existing files) */
	if (flags & ST_INIT)
		db->set_pagesize(db, ST_PAGE_SIZE);
	ret = db->open(db, NULL, tbl_defs[i].file, NULL, DB_BTREE, oflags,
	    0600);
	if (ret != 0) {
		/* a lock not free at once (handle()) is not worth a line */
		if (ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED)
			log_msg(LOG_ERR, "store: cannot open %s: %s%s",
			    tbl_defs[i].file, db_strerror(ret),
			    ret == ENOENT ? " (run gridrest-db init)" : "");
		(void)db->close(db, 0);
		return ret;
	}
	st.dbs[i] = db;
	return 0;
}

/*
 * Open tbl with the rest of its group: its primary and every index of
 * that primary, associated, or none of them (a primary open without an
 * index would take writes the index never sees). A process opens the
 * groups it uses, when it first uses them: every open handle is a locker
 * in the lock region, and the deadlock detector, which runs at lock
 * conflicts, costs the square of the lockers (every table in every
 * process made it half of a job submission's CPU).
 */
static int
open_group(enum tbl_id tbl, unsigned flags)
{
	int p = tbl_defs[tbl].primary >= 0 ? tbl_defs[tbl].primary : (int)tbl;
	int i, ret = 0;

	if (st.dbs[p] != NULL)
		return 0;
	if ((ret = open_one(p, flags)) != 0)
		return ret;
	for (i = 0; i < TBL_COUNT && ret == 0; i++) {
		if (tbl_defs[i].primary != p)
			continue;
		if ((ret = open_one(i, flags)) == 0)
			ret = st.dbs[p]->associate(st.dbs[p], NULL, st.dbs[i],
			    tbl_defs[i].extract,
			    (flags & ST_INIT) ? DB_CREATE | DB_AUTO_COMMIT : 0);
	}
	if (ret != 0)
		for (i = TBL_COUNT - 1; i >= 0; i--)
			if (st.dbs[i] != NULL &&
			    (i == p || tbl_defs[i].primary == p)) {
				(void)st.dbs[i]->close(st.dbs[i], 0);
				st.dbs[i] = NULL;
			}
	return ret;
}

/* Every table (init: creating the missing ones and their indexes). */
int
st_open_tables(unsigned flags, struct gr_err *err)
{
	int i, ret;

	for (i = 0; i < TBL_COUNT; i++)
		if ((ret = open_group((enum tbl_id)i, flags)) != 0)
			return st_fail(err, ret);
	return GR_OK;
}

/*
 * The handle of tbl for a body, its group opened on first use. With no
 * write body of this process running, the open waits as any open does: a
 * view holds no locks, so no other process can wait on this one. Inside a
 * write body it must not wait: the body's page locks may be what holds up
 * the writer whose meta page lock the open waits for, a cycle through two
 * lockers of one process that the deadlock detector cannot see. So there
 * the open's own transactions never wait (DB_TXN_NOWAIT): usually every
 * lock is free and the body goes on; else the open fails as Berkeley DB
 * reports the conflict, t->missing names the table, and the runner opens
 * it after the abort, waiting, and runs the body again.
 */
static int
handle(struct st_txn *t, enum tbl_id tbl, DB **db)
{
	struct st_store *s = &st;
	bool nowait = s->writing > 0;
	int ret;

	if ((*db = s->dbs[tbl]) != NULL)
		return 0;
	if (nowait && (ret = s->env->set_flags(s->env, DB_TXN_NOWAIT, 1)) != 0)
		return st_note(t, ret);
	ret = open_group(tbl, 0);
	if (nowait)
		(void)s->env->set_flags(s->env, DB_TXN_NOWAIT, 0);
	if (ret == 0) {
		*db = s->dbs[tbl];
		return 0;
	}
	if (nowait && (ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED))
		t->missing = (int)tbl + 1;
	return st_note(t, ret);
}

int
st_open_table(enum tbl_id tbl, struct gr_err *err)
{
	int ret = open_group(tbl, 0);

	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/*
 * A replication site, before its tables: wait for the group to have a
 * master and this site to be caught up with it (REPL_WAIT_INIT seconds
 * for gridrest-db init, which all nodes of a new group run at once,
 * REPL_WAIT_OPEN for the others: a backend that started during an
 * election serves what it can rather than not at all). Only the master
 * initialises; a replica's init waits until the master's tables and
 * schema have reached it.
 */
#define REPL_WAIT_INIT 60
#define REPL_WAIT_OPEN 10
#define REPL_SETTLE    3

static int
repl_ready(unsigned *flags, struct gr_err *err)
{
	enum st_role role = st_repl_wait(
	    (*flags & ST_INIT) ? REPL_WAIT_INIT : REPL_WAIT_OPEN);
	struct timespec tick = { 0, 100000000L };
	char path[PATH_MAX + 32];
	struct stat sb;
	int i, rc = GR_OK;

	if ((*flags & ST_INIT) && role == ST_ROLE_MASTER) {
		/* a master just elected takes a few seconds to settle: a
		   create at once waited out the lock timeout (BDB 5.3) */
		sleep(REPL_SETTLE);
		return GR_OK;
	}
	if (!(*flags & ST_INIT))
		return GR_OK;
	if (role != ST_ROLE_REPLICA)
		return gr_fail(err, GR_UNAVAILABLE,
		    "the replication group has no master after %d s",
		    REPL_WAIT_INIT);
	*flags &= ~ST_INIT;
	st.flags = *flags;
	/* the master's tables are files here once they were replicated */
	(void)snprintf(path, sizeof(path), "%s/%s", st.dir,
	    tbl_defs[TBL_META].file);
	for (i = 0; i < REPL_WAIT_INIT * 10; i++) {
		gr_clear(err);
		st_close_tables();
		if (stat(path, &sb) == 0 &&
		    (rc = st_schema_check(*flags, err)) == GR_OK)
			break;
		rc = gr_fail(err, GR_UNAVAILABLE,
		    "the master has not initialised the store after %d s",
		    REPL_WAIT_INIT);
		(void)nanosleep(&tick, NULL);
	}
	return rc;
}

/*
 * Every table, created where missing (init). A master just elected may
 * keep the first create waiting past the lock timeout even after
 * REPL_SETTLE (a loaded machine): a replication site tries again, up to
 * REPL_INIT_TRIES times.
 */
#define REPL_INIT_TRIES 10

static int
init_tables(unsigned flags, struct gr_err *err)
{
	int i, rc = st_open_tables(flags, err);

	for (i = 1; rc == GR_UNAVAILABLE && st_repl_on() && i < REPL_INIT_TRIES;
	     i++) {
		log_msg(LOG_WARN, "store: init: %s; again", err->msg);
		st_close_tables();
		gr_clear(err);
		sleep(1);
		rc = st_open_tables(flags, err);
	}
	return rc;
}

int
st_open(const char *home, unsigned flags, struct gr_err *err)
{
	int ret, rc;

	if (st.env != NULL)
		return GR_OK;
	if (home != st.home &&
	    snprintf(st.home, sizeof(st.home), "%s", home) >=
		(int)sizeof(st.home))
		return gr_fail(err, GR_INPUT_VALIDATION, "home path too long");
	if (snprintf(st.dir, sizeof(st.dir), "%s/db", home) >=
	    (int)sizeof(st.dir))
		return gr_fail(err, GR_INPUT_VALIDATION, "home path too long");
	st.flags = flags;
	if ((ret = mkdir_p(st.dir)) != 0)
		return gr_fail(err, GR_DATABASE, "cannot create %s: %s", st.dir,
		    strerror(ret));
	if ((rc = st_changes_map(st.dir, err)) != GR_OK ||
	    (rc = open_env(err)) != GR_OK)
		goto fail;
	if (flags & ST_KEEPER)
		return GR_OK;
	if (st_repl_on() && (rc = repl_ready(&flags, err)) != GR_OK)
		goto fail;
	/* the other processes open the tables they use as they use them */
	if (((flags & ST_INIT) && (rc = init_tables(flags, err)) != GR_OK) ||
	    (!(flags & ST_NOCHECK) && (rc = st_schema_check(flags, err))))
		goto fail;
	return GR_OK;
fail:
	close_handles();
	return rc;
}

/* After another process's crash was recovered: drop and reopen. */
int
st_reopen(struct gr_err *err)
{
	log_msg(LOG_WARN, "store: environment was recovered; reopening");
	st_drop_panicked();
	st.stats.reopened++;
	return st_open(st.home, st.flags & ~ST_INIT, err);
}

const char *
st_dir(void)
{
	return st.dir;
}

DB_ENV *
st_env(void)
{
	return st.env;
}

DB *
st_db(enum tbl_id tbl)
{
	if (st.dbs[tbl] == NULL && st.env != NULL)
		(void)open_group(tbl, 0);
	return st.dbs[tbl];
}

void
st_get_stats(struct st_stats *out)
{
	*out = st.stats;
}

int
st_get_json(struct st_txn *t, enum tbl_id tbl, const DBT *key, json_t **out,
    u_int32_t flags)
{
	DB *db;
	DBT k = *key, v;
	json_error_t jerr;
	int ret;

	*out = NULL;
	if ((ret = handle(t, tbl, &db)) != 0)
		return ret;
	in_key(&k);
	out_dbt(&v);
	ret = st_note(t, db->get(db, t->tid, &k, &v, flags));
	if (ret != 0)
		return ret;
	*out = json_loadb(v.data, v.size, 0, &jerr);
	out_free(&v);
	if (*out == NULL) {
		log_msg(LOG_ERR, "store: %s: unreadable record: %s",
		    tbl_defs[tbl].file, jerr.text);
		return DB_VERIFY_BAD;
	}
	return 0;
}

static int
get_text(struct st_txn *t, enum tbl_id tbl, const DBT *key, struct sbuf *out,
    u_int32_t flags)
{
	DB *db;
	DBT k = *key, v;
	int ret;

	out->len = 0;
	if ((ret = handle(t, tbl, &db)) != 0)
		return ret;
	in_key(&k);
	out_dbt(&v);
	ret = st_note(t, db->get(db, t->tid, &k, &v, flags));
	if (ret == 0)
		sbuf_add(out, v.data, v.size);
	out_free(&v);
	return ret;
}

int
st_get_text(struct st_txn *t, enum tbl_id tbl, const DBT *key, struct sbuf *out)
{
	return get_text(t, tbl, key, out, 0);
}

int
st_get_text_rmw(struct st_txn *t, enum tbl_id tbl, const DBT *key,
    struct sbuf *out)
{
	return get_text(t, tbl, key, out, DB_RMW);
}

int
st_primary_key(struct st_txn *t, enum tbl_id sec, const DBT *skey, char **pkey,
    size_t *len)
{
	DB *db;
	DBT k = *skey, pk, v;
	int ret;

	*pkey = NULL;
	if ((ret = handle(t, sec, &db)) != 0)
		return ret;
	in_key(&k);
	out_dbt(&pk);
	out_dbt(&v);
	ret = st_note(t, db->pget(db, t->tid, &k, &pk, &v, 0));
	if (ret == 0) {
		*pkey = xstrndup(pk.data, pk.size);
		*len = pk.size;
	}
	out_free(&pk);
	out_free(&v);
	return ret;
}

int
st_exists(struct st_txn *t, enum tbl_id tbl, const DBT *key)
{
	DB *db;
	DBT k = *key;
	int ret;

	if ((ret = handle(t, tbl, &db)) != 0)
		return ret;
	in_key(&k);
	return st_note(t, db->exists(db, t->tid, &k, 0));
}

int
st_put_json(struct st_txn *t, enum tbl_id tbl, const DBT *key,
    const json_t *rec, u_int32_t flags)
{
	DB *db;
	DBT k = *key, v;
	char small[1024], *buf = small;
	size_t n;
	int ret;

	if ((ret = handle(t, tbl, &db)) != 0)
		return ret;
	n = json_dumpb(rec, small, sizeof(small), JSON_COMPACT);
	if (n == 0)
		return EINVAL;
	if (n > sizeof(small)) {
		buf = xmalloc(n);
		n = json_dumpb(rec, buf, n, JSON_COMPACT);
	}
	v = st_dbt(buf, n);
	ret = st_note(t, db->put(db, t->tid, &k, &v, flags));
	if (buf != small)
		free(buf);
	return ret;
}

int
st_put_text(struct st_txn *t, enum tbl_id tbl, const DBT *key, const char *text,
    size_t len, u_int32_t flags)
{
	DB *db;
	DBT k = *key, v = st_dbt(text, len);
	int ret;

	if ((ret = handle(t, tbl, &db)) != 0)
		return ret;
	return st_note(t, db->put(db, t->tid, &k, &v, flags));
}

int
st_del(struct st_txn *t, enum tbl_id tbl, const DBT *key)
{
	DB *db;
	DBT k = *key;
	int ret;

	if ((ret = handle(t, tbl, &db)) != 0)
		return ret;
	return st_note(t, db->del(db, t->tid, &k, 0));
}

int
st_scan_found(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	(void)key;
	(void)pkey;
	(void)val;
	*(bool *)arg = true;
	return ST_STOP;
}

struct shared_first {
	const char *part;
	size_t len;
	bool *yes;
};

static int
first_part_is(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct shared_first *f = arg;
	const char *p;
	size_t n;

	(void)key;
	(void)val;
	p = key_part(pkey->data, pkey->size, 0, &n);
	if (p != NULL && n == f->len && memcmp(p, f->part, n) == 0) {
		*f->yes = true;
		return ST_STOP;
	}
	return GR_OK;
}

int
st_first_part_shared(struct st_txn *t, enum tbl_id sec, const void *key,
    size_t klen, bool *yes, struct gr_err *err)
{
	struct shared_first f = { NULL, 0, yes };
	int rc;

	*yes = false;
	if ((f.part = key_part(key, klen, 0, &f.len)) == NULL)
		return GR_OK;
	rc = st_scan_key(t, sec, key, klen, first_part_is, &f, err);
	return rc == ST_STOP ? GR_OK : rc;
}

int
st_scan_key(struct st_txn *t, enum tbl_id tbl, const void *key, size_t klen,
    st_scan_fn fn, void *arg, struct gr_err *err)
{
	DB *db;
	DBC *c = NULL;
	DBT k = st_dbt(key, klen), pk, v;
	bool sec = tbl_defs[tbl].primary >= 0;
	u_int32_t op = DB_SET;
	int ret, rc = GR_OK;

	if ((ret = handle(t, tbl, &db)) == 0)
		ret = st_note(t, db->cursor(db, t->tid, &c, 0));
	if (ret != 0)
		return st_fail(err, ret);
	memset(&pk, 0, sizeof(pk));
	memset(&v, 0, sizeof(v));
	for (;;) {
		if (sec)
			ret = c->pget(c, &k, &pk, &v, op);
		else
			ret = c->get(c, &k, &v, op);
		op = DB_NEXT_DUP;
		if (ret == DB_NOTFOUND)
			break;
		if (st_note(t, ret) != 0) {
			rc = st_fail(err, ret);
			break;
		}
		rc = fn(&k, sec ? &pk : &k, &v, arg);
		if (rc != GR_OK)
			break;
	}
	(void)c->close(c);
	return rc == ST_STOP ? GR_OK : rc;
}

/*
 * A long scan of a primary in a view reads a buffer of records a call
 * (DB_MULTIPLE_KEY) once ST_BULK_AFTER records came one by one: the
 * per-call cost was a quarter of a scope listing, and a scan that stops
 * at its first records (existence checks) never fills a buffer. Only in
 * views: a write transaction's callback may change records the buffer
 * already holds.
 */
#define ST_BULK_AFTER 8
#define ST_BULK_SIZE  (64 * 1024)

struct bulk {
	DBT k, v; /* v: the buffer */
	void *p;  /* DB_MULTIPLE_INIT's position; NULL when used up */
};

/* The next record from the buffer, refilled from c: 0, DB_NOTFOUND or
   an error. */
static int
bulk_next(struct bulk *b, DBC *c, DBT *k, DBT *v)
{
	void *kd, *vd;
	u_int32_t kl, vl;
	int ret;

	for (;;) {
		if (b->p != NULL) {
			DB_MULTIPLE_KEY_NEXT(b->p, &b->v, kd, kl, vd, vl);
			if (b->p != NULL) {
				*k = st_dbt(kd, kl);
				*v = st_dbt(vd, vl);
				return 0;
			}
		}
		ret = c->get(c, &b->k, &b->v, DB_NEXT | DB_MULTIPLE_KEY);
		if (ret == DB_BUFFER_SMALL) { /* one record over the size */
			b->v.ulen = (b->v.size + 1023) & ~1023u;
			b->v.data = xrealloc(b->v.data, b->v.ulen);
			ret = c->get(c, &b->k, &b->v,
			    DB_NEXT | DB_MULTIPLE_KEY);
		}
		if (ret != 0)
			return ret;
		DB_MULTIPLE_INIT(b->p, &b->v);
	}
}

int
st_scan(struct st_txn *t, enum tbl_id tbl, const void *prefix, size_t plen,
    const DBT *from, st_scan_fn fn, void *arg, struct gr_err *err)
{
	DB *db;
	DBC *c = NULL;
	DBT k, pk, v;
	struct bulk b;
	bool sec = tbl_defs[tbl].primary >= 0, bulk = false;
	unsigned n = 0;
	u_int32_t op;
	int ret, rc = GR_OK;

	if ((ret = handle(t, tbl, &db)) == 0)
		ret = st_note(t, db->cursor(db, t->tid, &c, 0));
	if (ret != 0)
		return st_fail(err, ret);
	memset(&pk, 0, sizeof(pk));
	memset(&v, 0, sizeof(v));
	memset(&b, 0, sizeof(b));
	if (from != NULL)
		k = *from;
	else
		k = st_dbt(prefix, plen);
	op = (k.size > 0) ? DB_SET_RANGE : DB_FIRST;
	for (;;) {
		if (bulk)
			ret = bulk_next(&b, c, &k, &v);
		else if (sec)
			ret = c->pget(c, &k, &pk, &v, op);
		else
			ret = c->get(c, &k, &v, op);
		op = DB_NEXT;
		if (ret == DB_NOTFOUND)
			break;
		if (st_note(t, ret) != 0) {
			rc = st_fail(err, ret);
			break;
		}
		if (plen > 0 &&
		    (k.size < plen || memcmp(k.data, prefix, plen) != 0))
			break;
		rc = fn(&k, sec ? &pk : &k, &v, arg);
		if (rc != GR_OK)
			break;
		if (!bulk && !sec && t->view && ++n == ST_BULK_AFTER) {
			bulk = true;
			b.v.data = xmalloc(ST_BULK_SIZE);
			b.v.ulen = ST_BULK_SIZE;
			b.v.flags = DB_DBT_USERMEM;
		}
	}
	(void)c->close(c);
	free(b.v.data);
	return rc == ST_STOP ? GR_OK : rc;
}
