/*
 * replica.h -- file replicas (core): which RSE holds which file.
 *
 * TBL_REPLICAS: scope \0 name \0 RSE id -> {"state" (a letter: A U C B D
 * T), "bytes", "md5", "adler32", "path" (non-deterministic RSEs),
 * "tombstone", "lock_cnt" (absent = 0; kept by the rules' locks),
 * "error_message", "created_at", "updated_at"}; indexed by RSE
 * (TBL_REPLICAS_BY_RSE) and, for stored paths, by RSE and path. Adding
 * and removing replicas keeps the RSE's "rucio" usage exact in the same
 * transaction. Knows nothing of HTTP.
 */
#ifndef REPLICA_H
#define REPLICA_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

#define REPLICA_BATCH_MAX 1000 /* files in one request (Rucio's schema) */

/*
 * Register replicas of files ([{scope, name, bytes, adler32, md5, pfn,
 * meta, state}], borrowed) on rse, creating the FILE DIDs that do not
 * exist yet (owned by issuer). Replicas that exist already are left as
 * they are; one file twice in the list is Duplicate. All or nothing.
 */
int replica_add(const char *issuer, const char *rse, const json_t *files,
    bool ignore_availability, struct gr_err *err);

/* The same inside the caller's transaction (a dataset made or filled
   with "rse": its files registered there on the way). */
struct st_txn;
int replica_add_in(struct st_txn *t, const char *issuer, const char *rse,
    const json_t *files, struct gr_err *err);

/*
 * Inside the transaction that deleted a replica of the file scope:name
 * (the reaper's, DELETE /replicas'): when the file has no replica left
 * and is neither LOST nor a constituent of an archive, what has no
 * meaning any more goes, as upstream's delete_replicas cleans up: the
 * file leaves every collection holding it (their contents history keeps
 * it, they become incomplete) and its DID goes, with its metadata; a
 * collection left empty leaves its own parents, and goes too when it is
 * closed. A DID goes only with rules waiting for approval or suspended
 * (they go with it, as upstream's); another rule keeps it. *gone counts
 * the DIDs deleted (added to). Not archived: the names may be used again.
 */
int replica_gone(struct st_txn *t, const char *scope, const char *name,
    int64_t now, size_t *gone, struct gr_err *err);

/* Change states ([{scope, name, state, path?, error_message?}]); admins
   only. All or nothing. */
int replica_update(const char *issuer, const char *rse, const json_t *files,
    struct gr_err *err);

/* Remove replicas ([{scope, name}]); every one must exist. Nobody may,
   by Rucio's generic policy, unless GRIDREST_DELETE_REPLICAS=admin. */
int replica_delete(const char *issuer, const char *rse, const json_t *files,
    bool ignore_availability, struct gr_err *err);

/* What POST /replicas/list asks. */
struct replica_query {
	const json_t *dids;         /* [{scope, name}] */
	const json_t *schemes;      /* [scheme], or NULL for every scheme */
	const char *rse_expression; /* or NULL */
	const char *domain;         /* NULL (= wan), "wan", "lan", "all" */
	bool all_states;            /* every state, not just AVAILABLE */
	bool unavailable;           /* also UNAVAILABLE and COPYING */
	bool ignore_availability;   /* also RSEs not available for reading */
	bool resolve_parents;       /* add "parents" */
	int64_t updated_after;      /* only replicas updated since; 0 */
	long limit;                 /* most PFNs per file; 0 = all */
	const char *sort;           /* NULL, geoip, custom_table, random */
	long nrandom;               /* that many files, at random; 0 = all */
};

#define REPLICA_NRANDOM_MAX 10000 /* files kept for nrandom */

/*
 * emit one entry per file: {"scope","name","bytes","md5","adler32",
 * "pfns": {pfn: {"rse_id","rse","type","volatile","domain","priority",
 * "client_extract"}}, "rses": {rse: [pfn]}, "states": {rse: STATE}} (+
 * "parents"), written as JSON text. Files named directly come in (scope, name)
 * order, even without replicas; unknown DIDs give nothing. PFNs come lan
 * first, then wan; within a domain by protocol priority, or, with sort
 * "random", the wan ones shuffled. "geoip" and "custom_table" need a
 * client location and a GeoIP database gridrest has not: like Rucio
 * without them (geoip_ignore_error) they keep the priority order. Other
 * sorts: SortingAlgorithmNotSupported. nrandom keeps that many of the
 * entries, chosen uniformly (reservoir sampling), in listing order.
 */
int replica_list(const struct replica_query *q, gr_emit_text_fn emit, void *ctx,
    struct gr_err *err);

/* emit {pfn: {"scope","name"}} for every PFN of rse (borrowed list). */
int replica_dids(const char *rse, const json_t *pfns, gr_emit_fn emit,
    void *ctx, struct gr_err *err);

/*
 * emit the replicas of the datasets among dids ([{scope, name}]; with
 * deep, also of the datasets below containers), computed from the file
 * replicas: {"scope","name","rse","rse_id","bytes","length",
 * "available_bytes","available_length","state" (AVAILABLE when every file
 * is), "created_at","updated_at","accessed_at"}, one per RSE holding a
 * replica of one of its files. A single unknown DID is DataIdentifierNotFound.
 */
int replica_datasets(const json_t *dids, bool deep, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

/*
 * emit the replica on rse (the same entries) of every dataset holding a
 * file with a replica there, by scope and name: the datasets are found
 * through the RSE's replica index and the files' parents.
 */
int replica_datasets_rse(const char *rse, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

/* State letter <-> name ("A" <-> "AVAILABLE"); NULL when unknown. */
const char *replica_state_name(const char *letter);
const char *replica_state_letter(const char *name_or_letter);

#endif /* REPLICA_H */
