/*
 * collection.h -- datasets and containers (core): creation, the DID view,
 * attaching content, open/close, and walking the files below a DID.
 *
 * TBL_CONTENTS: parent scope \0 name \0 child scope \0 name -> {"type"
 * (the child's), "bytes", "adler32", "md5", "guid", "events",
 * "created_at"}, copies of the child's values as Rucio keeps them;
 * TBL_CONTENTS_BY_CHILD finds the parents. Datasets hold files, containers
 * hold collections, nothing holds itself or an ancestor.
 */
#ifndef COLLECTION_H
#define COLLECTION_H

#include <stdbool.h>

#include <jansson.h>

#include "err.h"
#include "store.h"
#include "util.h"

/*
 * Create a collection from body {"type": DATASET|CONTAINER, "statuses":
 * {"monotonic"}, "meta", "lifetime", "dids" (content attached at once),
 * "rse" (a dataset's dids registered there first), "rules" (replication
 * rules made on it at once: POST /rules/'s options without dids)}. Admins, the
 * scope's owner, or anyone in scope "mock".
 */
int coll_add(const char *issuer, const char *scope, const char *name,
    const json_t *body, struct gr_err *err);

/* Create many ([{scope, name, type, ...}] as coll_add's bodies, up to
   1000), all or nothing. "account", when given, owns the new DID: the
   issuer's own, or any ACTIVE account's when the issuer is an admin
   (AccessDenied otherwise, AccountNotFound for an unknown one). */
int coll_add_bulk(const char *issuer, const json_t *list, struct gr_err *err);

/*
 * *out: new reference to the DID as GET /dids/<s>/<n> renders it. dynamic
 * NULL uses the stored length and bytes; "FILE" or "DATASET" computes them
 * now (spec/rucio.md 4.2).
 */
int coll_get(const char *scope, const char *name, const char *dynamic,
    json_t **out, struct gr_err *err);

/* Attach dids ([{scope, name, bytes?, adler32?, md5?}]) to scope:name;
   ignore_duplicate skips what is attached already. All or nothing. */
int coll_attach(const char *issuer, const char *scope, const char *name,
    const json_t *dids, bool ignore_duplicate, struct gr_err *err);

/* The same, and when scope:name is a dataset and rse is not NULL the
   files are first registered as replicas on rse (as POST /replicas). */
int coll_attach_rse(const char *issuer, const char *scope, const char *name,
    const json_t *dids, const char *rse, bool ignore_duplicate,
    struct gr_err *err);

/*
 * Inside a transaction: take child cs:cn out of ps:pn, whose record
 * (read with DB_RMW) is parent: the contents entry moves to the history
 * with deleted_at = now, and the figures parent has set (length, bytes,
 * events) drop by the child's, with *changed set: the caller stores
 * parent. DataIdentifierNotFound if cs:cn is not in ps:pn.
 */
int coll_unlink(struct st_txn *t, json_t *parent, const char *ps,
    const char *pn, const char *cs, const char *cn, int64_t now, bool *changed,
    struct gr_err *err);

/* Detach dids ([{scope, name}]) from scope:name: each must be attached
   (DataIdentifierNotFound); a closed parent's length and bytes follow;
   the detached content goes to the history. All or nothing. */
int coll_detach(const char *issuer, const char *scope, const char *name,
    const json_t *dids, struct gr_err *err);

/* emit {"scope","name","type","bytes","adler32","md5","deleted_at",
   "created_at","updated_at"} per detached child. */
int coll_history(const char *scope, const char *name, gr_emit_fn emit,
    void *ctx, struct gr_err *err);

/* emit {"scope","name","type"} per direct parent. */
int coll_parents(const char *scope, const char *name, gr_emit_fn emit,
    void *ctx, struct gr_err *err);

/* emit {"scope","name","bytes","adler32","guid" (upper case),"events"}
   (+ "lumiblocknr" when lng) per file below (a file: itself). */
int coll_files(const char *scope, const char *name, bool lng, gr_emit_fn emit,
    void *ctx, struct gr_err *err);

/*
 * GET /dids/<scope>/: without name, every DID of scope that no DID of the
 * same scope contains, by name, as {"scope","name","type","parent": null,
 * "level": 0,"bytes"}; with name, its children (level 1; recursive: all
 * below) as {"scope","name","type","parent": {"scope","name"},"level"}.
 * Written as JSON text.
 */
int coll_list_scope(const char *scope, const char *name, bool recursive,
    gr_emit_text_fn emit, void *ctx, struct gr_err *err);

/* emit {"scope","name"} of every dataset holding the file with guid
   (through the guid index); no such file: DataIdentifierNotFound. */
int coll_guid(const char *guid, gr_emit_fn emit, void *ctx, struct gr_err *err);

/* POST /dids/bulkfiles: the files below each of dids ([{scope, name}]),
   as coll_files' entries plus "parent_scope","parent_name"; unknown DIDs
   are skipped. */
int coll_bulk_files(const json_t *dids, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

/* emit {"scope","name","type","bytes","adler32","md5"} per child. */
int coll_contents(const char *scope, const char *name, gr_emit_fn emit,
    void *ctx, struct gr_err *err);

/* {"open": false} closes (length, bytes computed), {"open": true}
   reopens. Admins or the scope's owner. */
int coll_set_status(const char *issuer, const char *scope, const char *name,
    const json_t *body, struct gr_err *err);

/*
 * Inside a transaction: call fn for every file below the collection
 * scope:name (each once per parent dataset), with the content record's
 * text (bytes, adler32, md5 of the file). fn returns GR_OK to go on.
 */
typedef int (*coll_file_fn)(const char *scope, const char *name,
    const char *rec, size_t reclen, void *arg);
int coll_files_below(struct st_txn *t, const char *scope, const char *name,
    coll_file_fn fn, void *arg, struct gr_err *err);

/*
 * Inside a transaction: fn for every DID of type type ("FILE", "DATASET")
 * below the collection scope:name, depth first, with its content record's
 * text; the collections of other types are walked through, those of type
 * are not. A DID in two collections comes twice. fn returns GR_OK to go
 * on, or a failure, which ends the walk and is returned. More than 32
 * levels: UnsupportedOperation.
 */
int coll_below(struct st_txn *t, const char *scope, const char *name,
    const char *type, coll_file_fn fn, void *arg, struct gr_err *err);

/*
 * Inside a transaction: fn for scope:name and every collection above it
 * (its parents, theirs...), each once, depth first. fn returns GR_OK to go
 * on, ST_STOP to end the walk (coll_above then returns GR_OK), or a
 * failure, returned. More than 32 levels up: UnsupportedOperation.
 */
typedef int (*coll_did_fn)(const char *scope, const char *name, void *arg);
int coll_above(struct st_txn *t, const char *scope, const char *name,
    coll_did_fn fn, void *arg, struct gr_err *err);

/* *yes: is scope:name the DID ts:tn or below it (coll_above)? */
int coll_within(struct st_txn *t, const char *scope, const char *name,
    const char *ts, const char *tn, bool *yes, struct gr_err *err);

/*
 * POST /dids/sample {input_scope, input_name, output_scope, output_name,
 * nbfiles}: a new DATASET output holding nbfiles files (all there are, if
 * fewer) chosen at random among the files below the input. The rights of
 * creating a DID in the output scope.
 */
int coll_sample(const char *issuer, const json_t *body, struct gr_err *err);

#endif /* COLLECTION_H */
