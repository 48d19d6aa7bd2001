/*
 * request.h -- transfer requests as Rucio's request routes show them
 * (core): the records of TBL_REQUESTS (rule.h) that rules queue and the
 * mover (mover.h) performs, rendered with Rucio's field names. States:
 * QUEUED (Q), SUBMITTED (S: a mover copies it), FAILED (F: its attempts
 * are spent, its lock STUCK), NO_SOURCES (stored as O: no source could
 * exist when it was made). A done request is gone (its lock is OK).
 * Knows nothing of HTTP.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <jansson.h>

#include "err.h"
#include "store.h"

/* *out: new reference to the request of scope:name to the RSE rse
   (RSENotFound, RequestNotFound). Any account, as upstream. */
int request_get(const char *scope, const char *name, const char *rse,
    json_t **out, struct gr_err *err);

/*
 * Which requests a listing shows: those from src_rse to dst_rse (names; a
 * request's source is the RSE it is bound to or was last read from) or,
 * when src_site is set, from any RSE whose attribute "site" is src_site to
 * any whose "site" is dst_site (the sites win over the RSEs, as upstream);
 * in one of states, a comma-separated list of letters (Q, S, F, N...) or
 * names (QUEUED...). Neither RSEs nor sites: an empty listing.
 */
struct request_filter {
	const char *src_rse, *dst_rse;
	const char *src_site, *dst_site;
	const char *states;
};

/*
 * emit every request f selects. Admins only. MissingParameter without
 * states, with one RSE of the two or one site of the two; Invalid for an
 * unknown state; RSENotFound for an unknown RSE; NotFound for a site no
 * live RSE has.
 */
int request_list(const char *issuer, const struct request_filter *f,
    gr_emit_fn emit, void *ctx, struct gr_err *err);

/*
 * The history: a request as it ended, kept in TBL_REQUESTS_HISTORY --
 * DONE (D) when its replica became AVAILABLE, FAILED (F) when its last
 * attempt failed -- with the same fields. request_archive writes rec (a
 * TBL_REQUESTS record) there with state, inside the transaction that ends
 * it (rule.c). request_history_get: the latest ended request of scope:name
 * to rse; request_history_list: those f selects, skipping offset, at most limit
 * (0: all), in the order of their DIDs. Both admins only (AccessDenied), with
 * request_list's errors and RequestNotFound.
 */
int request_archive(struct st_txn *t, const json_t *rec, const char *state,
    struct gr_err *err);
int request_history_get(const char *issuer, const char *scope, const char *name,
    const char *rse, json_t **out, struct gr_err *err);
int request_history_list(const char *issuer, const struct request_filter *f,
    long offset, long limit, gr_emit_fn emit, void *ctx, struct gr_err *err);

#endif /* REQUEST_H */
