/*
 * did.h -- data identifiers (core): the one record of a file, dataset or
 * container, kept in TBL_DIDS under scope \0 name.
 *
 * The record is compact JSON holding only what is set:
 *   "type"       FILE | DATASET | CONTAINER
 *   "account"    the owner
 *   "bytes", "md5", "adler32", "guid" (canonical lowercase, dashed),
 *   "events"     files: what the replica registration said
 *   "open", "monotonic", "length", "closed_at"   collections
 *   "availability"  absent = AVAILABLE; "LOST" or "DELETED"
 *   "expired_at", "created_at", "updated_at", "accessed_at" (epoch s)
 *   column metadata (project, datatype, run_number... see did.c) under
 *   its own name, and the custom keys (the JSON plugin) under "meta".
 * Knows nothing of HTTP.
 */
#ifndef DID_H
#define DID_H

#include <stdbool.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

#define DID_NAME_MAX 250
#define GUID_LEN     36 /* canonical: 8-4-4-4-12 lowercase hex */

/* ^[/A-Za-z0-9][/A-Za-z0-9.\-_]*$, at most DID_NAME_MAX. */
bool did_valid_name(const char *name);

/* ^[a-fA-F0-9]{8}$ and ^[a-fA-F0-9]{32}$. */
bool did_valid_adler32(const char *s);
bool did_valid_md5(const char *s);

/*
 * A UUID with or without dashes and braces into its canonical form
 * (GUID_LEN + 1 bytes). false if s is not one.
 */
bool did_guid_canon(const char *s, char out[GUID_LEN + 1]);

/* GR_OK for a valid scope and name, else InvalidObject naming which. */
int did_check(const char *scope, const char *name, struct gr_err *err);

/* GR_OK if dids is a list of at most max {scope, name} with valid
   values, else InvalidObject. */
int did_check_list(const json_t *dids, size_t max, struct gr_err *err);

/* The key scope \0 name into buf (KEY_MAX); its length, 0 if too long. */
size_t did_key(char *buf, const char *scope, const char *name);

/*
 * Inside a transaction: *rec, new reference to the record of scope:name
 * (any type). GR_DID_NOT_FOUND ("Data identifier 's:n' not found") when
 * there is none. flags: 0 or DB_RMW.
 */
int did_load(struct st_txn *t, const char *scope, const char *name,
    u_int32_t flags, json_t **rec, struct gr_err *err);

/*
 * Inside a transaction: store rec under scope:name (flags as st_put). With
 * DB_NOOVERWRITE the name must be new: DataIdentifierAlreadyExists if it
 * is taken, and 406 DatabaseException if the undertaker archived a DID
 * of that name (did_check_reuse), as upstream refuses to reuse one.
 */
int did_store(struct st_txn *t, const char *scope, const char *name,
    const json_t *rec, u_int32_t flags, struct gr_err *err);

/* Inside a transaction: GR_OK unless TBL_DELETED_DIDS holds scope:name. */
int did_check_reuse(struct st_txn *t, const char *scope, const char *name,
    struct gr_err *err);
/*
 * Inside a transaction, after the put of a new DID (did_store with
 * DB_NOOVERWRITE does it itself): did_check_reuse, and the DID files in
 * TBL_DIDS_TOP (a new DID has no parent).
 */
int did_created(struct st_txn *t, const char *scope, const char *name,
    struct gr_err *err);

/*
 * TBL_DIDS_TOP: scope \0 name of every DID that no DID of its own scope
 * contains (GET /dids/<scope>/ lists it without walking what is below).
 * Inside a transaction: DID_TOP_IN files scope:name, DID_TOP_OUT takes it
 * out (attached to a DID of its scope, or gone), DID_TOP_CHECK decides
 * from the DID and its parents (after it left a parent of its scope).
 */
enum did_top { DID_TOP_IN, DID_TOP_OUT, DID_TOP_CHECK };
int did_top_update(struct st_txn *t, const char *scope, const char *name,
    enum did_top how, struct gr_err *err);

/*
 * gridrest-db verify: every DID is filed in TBL_DIDS_TOP exactly when no
 * DID of its scope holds it, and nothing else is. print gets a line per
 * problem (the first 20); *bad counts them.
 */
int did_top_verify(gr_emit_text_fn print, void *ctx, long *bad,
    struct gr_err *err);

/* The same as did_store for a record its caller wrote as compact JSON
   text. */
struct sbuf;
int did_store_text(struct st_txn *t, const char *scope, const char *name,
    const struct sbuf *text, u_int32_t flags, struct gr_err *err);

/* A new FILE record owned by account; md5/adler32 may be NULL. */
json_t *did_new_file(const char *account, json_int_t bytes, const char *md5,
    const char *adler32, int64_t now);

/* The same record as compact JSON text into out (its text replaced):
   what did_new_file() dumps to, without building the tree. */
void did_new_file_text(struct sbuf *out, const char *account, json_int_t bytes,
    const char *md5, const char *adler32, int64_t now);

/*
 * Apply metadata {key: value} (borrowed) to rec: column keys (guid,
 * events, project, lifetime...) are checked and set in place, other keys
 * go to rec["meta"]. Reserved keys (bytes, md5, scope...) are AccessDenied
 * for issuer; keys with '.' InvalidMetadata; a value of the wrong type
 * InvalidValueForKey. File-only columns on a collection: InvalidMetadata.
 */
int did_meta_apply(json_t *rec, const json_t *meta, const char *issuer,
    int64_t now, struct gr_err *err);

/*
 * Inside a transaction: may issuer create DIDs in scope? Admins, the
 * scope's owner, and everybody in scope "mock" may (ScopeNotFound if there
 * is no such scope; AccessDenied "Account <issuer> can not add data
 * identifiers to scope <scope>" otherwise).
 */
int did_may_add(struct st_txn *t, const char *issuer, const char *scope,
    struct gr_err *err);

#endif /* DID_H */
