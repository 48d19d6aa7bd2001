/*
 * store.h -- the Berkeley DB layer: one transactional environment shared by
 * every process, tables from db/tables.c, records and cursors (store.c),
 * which transaction bodies call. Speaks BDB return codes to core; knows
 * nothing of the domain beyond the table list. Single-threaded: one
 * environment per process, which a child after fork() must not use
 * (st_after_fork). Included with it: the transaction runner, which runs
 * the bodies (store_txn.h). The keeper, the guard and the shared counters
 * have headers of their own: store_keeper.h, store_guard.h,
 * store_counter.h; the schema version and its migrations are the store's
 * own business (store_schema.c).
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <db.h>
#include <jansson.h>

#include "err.h"
#include "store_txn.h"
#include "tables.h"

/* st_open flags */
#define ST_INIT    0x1 /* create missing tables and build empty indexes */
#define ST_NOCHECK 0x2 /* do not require the schema version (admin tool) */
#define ST_KEEPER  0x4 /* the environment only, no tables (the keeper) */

/*
 * Open (creating if needed) the environment under <home>/db and every table;
 * runs recovery first if a process died holding the environment.
 */
int st_open(const char *home, unsigned flags, struct gr_err *err);

/* Close every handle; safe to call when not open. */
void st_close(void);

/*
 * true once this process has abandoned the handles of many recovered
 * environments: it should finish its request and exit, to be replaced.
 */
bool st_must_exit(void);

/*
 * true when another process recovered the environment since this one
 * opened it: this process's regions are the old, dead ones. A stat();
 * async-signal-safe, for the request watchdog.
 */
bool st_stale(void);

/* true when the store's directory no longer exists (the home was
   removed): the process's daemons should leave, not serve it on */
bool st_removed(void);

/*
 * In a child after fork(): forget the parent's handles without closing
 * them (a child must neither use nor close them); st_open() then opens the
 * child's own.
 */
void st_after_fork(void);

/* The environment's directory; borrowed, valid while open. */
const char *st_dir(void);

/* The environment handle, for the admin tool only. */
DB_ENV *st_env(void);

/* A table handle, for the admin tool only. */
DB *st_db(enum tbl_id tbl);

/* A DBT pointing at caller memory (BDB copies input DBTs). */
DBT st_dbt(const void *data, size_t size);

/*
 * *out: new reference to the JSON record under key. Returns 0, DB_NOTFOUND,
 * or another BDB error. flags: 0 or DB_RMW (lock for a later write).
 */
int st_get_json(struct st_txn *t, enum tbl_id tbl, const DBT *key, json_t **out,
    u_int32_t flags);

/*
 * The record under key as stored (compact JSON text), copied into out
 * (replacing what it held). For hot read paths that pick a few members
 * with jsonx_member() instead of parsing. 0, DB_NOTFOUND or an error.
 */
struct sbuf;
int st_get_text(struct st_txn *t, enum tbl_id tbl, const DBT *key,
    struct sbuf *out);
/* The same, read for an update (DB_RMW: the write lock taken at once). */
int st_get_text_rmw(struct st_txn *t, enum tbl_id tbl, const DBT *key,
    struct sbuf *out);

/*
 * Through a secondary index: *pkey, a malloc'ed copy (NUL-terminated) of
 * the primary key of the first record whose secondary key is skey, and its
 * length. 0, DB_NOTFOUND, or another BDB error.
 */
int st_primary_key(struct st_txn *t, enum tbl_id sec, const DBT *skey,
    char **pkey, size_t *len);

/* 0 if key exists, DB_NOTFOUND if not, or another BDB error. */
int st_exists(struct st_txn *t, enum tbl_id tbl, const DBT *key);

/* Store rec (borrowed) under key. flags: 0 or DB_NOOVERWRITE. */
int st_put_json(struct st_txn *t, enum tbl_id tbl, const DBT *key,
    const json_t *rec, u_int32_t flags);

/* Store a record written as compact JSON text by its caller (the hot
   writers, which build it with sbuf and skip a tree and its dump). */
int st_put_text(struct st_txn *t, enum tbl_id tbl, const DBT *key,
    const char *text, size_t len, u_int32_t flags);

/* Delete key (and its secondary entries). 0, DB_NOTFOUND or an error. */
int st_del(struct st_txn *t, enum tbl_id tbl, const DBT *key);

/* Returned by a scan callback to end the scan early (not an error). */
#define ST_STOP (-1)

/*
 * A scan callback: key and val are lent for the duration of the call
 * (BDB-owned); for a secondary, pkey is the primary key, else pkey == key.
 * Returns GR_OK to go on, ST_STOP to end, or a gr code that ends the scan
 * and is returned by the scan.
 */
typedef int (
    *st_scan_fn)(const DBT *key, const DBT *pkey, const DBT *val, void *arg);

/* A scan callback for "is there anything in this range?": it sets the
   bool that arg points at and ends the scan at the first record. */
int st_scan_found(const DBT *key, const DBT *pkey, const DBT *val, void *arg);

/*
 * Call fn for every record whose key starts with prefix[0..plen) (all
 * records if plen is 0), in key order, starting at the first key >= from
 * (or at the prefix if from is NULL). On a secondary, val is the primary
 * record. Returns GR_OK, fn's code, or a store failure recorded in err.
 */
int st_scan(struct st_txn *t, enum tbl_id tbl, const void *prefix, size_t plen,
    const DBT *from, st_scan_fn fn, void *arg, struct gr_err *err);

/*
 * The same for the records whose key is exactly key[0..klen): on a
 * secondary, every primary filed under that secondary key (the parents of
 * a child, say), where a prefix scan would also reach longer keys.
 */
int st_scan_key(struct st_txn *t, enum tbl_id tbl, const void *key, size_t klen,
    st_scan_fn fn, void *arg, struct gr_err *err);

/*
 * *yes: does secondary sec file under key[0..klen) a primary key whose
 * first part is key's first part (a DID held by a collection of its own
 * scope, through TBL_CONTENTS_BY_CHILD)? GR_OK or a store failure.
 */
int st_first_part_shared(struct st_txn *t, enum tbl_id sec, const void *key,
    size_t klen, bool *yes, struct gr_err *err);

/*
 * Record an unexpected BDB error as GR_DATABASE (or GR_UNAVAILABLE for a
 * deadlock that outlived the retries) and return the code.
 */
int st_fail(struct gr_err *err, int ret);

/* Statistics for tests: transactions begun/retried since open. */
struct st_stats {
	unsigned long begun, retried, reopened;
};
void st_get_stats(struct st_stats *out);

#endif /* STORE_H */
