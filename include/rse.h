/*
 * rse.h -- Rucio storage elements (core): their records and settings, and
 * their attributes (the implicit "<RSE>: true" and the mirrored location
 * settings among them). Knows nothing of HTTP.
 */
#ifndef RSE_H
#define RSE_H

#include <jansson.h>

#include "err.h"
#include "store.h"

#define RSE_NAME_MAX 255
#define RSE_ID_LEN   32 /* 32 lowercase hex digits */

/* ^([A-Z0-9]+([_-][A-Z0-9]+)*)$, at most RSE_NAME_MAX. */
bool rse_valid_name(const char *name);

/*
 * Create an RSE. settings (borrowed, may be empty): deterministic,
 * volatile, staging_area, rse_type (DISK|TAPE), city, region_code,
 * country_name, continent, time_zone, ISP, ASN, latitude, longitude,
 * qos_class, availability_read/write/delete or availability (0..7, r=4
 * w=2 d=1; not both forms). Admins only.
 */
int rse_add(const char *issuer, const char *name, const json_t *settings,
    struct gr_err *err);

/* *out: new reference to the RSE's info form (GET /rses/<rse>). */
int rse_get(const char *name, json_t **out, struct gr_err *err);

/* emit the row form of every RSE that is not deleted, by name. */
int rse_list(gr_emit_fn emit, void *ctx, struct gr_err *err);

/* Change settings; "name" renames. Admins only. */
int rse_update(const char *issuer, const char *name, const json_t *changes,
    struct gr_err *err);

/* Soft delete; the implicit attribute goes. Admins only. */
int rse_delete(const char *issuer, const char *name, struct gr_err *err);

/* *out: new reference to {key: value} of an RSE's attributes. */
int rse_attr_list(const char *name, json_t **out, struct gr_err *err);

/* Set (insert or replace) an attribute; value as account attributes.
   Admins only. */
int rse_attr_set(const char *issuer, const char *name, const char *key,
    const json_t *value, struct gr_err *err);

/* Remove an attribute (RSEAttributeNotFound). Admins only. */
int rse_attr_del(const char *issuer, const char *name, const char *key,
    struct gr_err *err);

/*
 * Protocols: how an RSE is reached, one per scheme, hostname and port,
 * with a priority per domain (lan, wan) and operation (read, write, delete;
 * wan also third_party_copy_read/_write); 0 = not supported, 1 = first.
 */

/* Add one from body {hostname, port, prefix, impl (required), domains,
   extended_attributes}. Duplicate if scheme/hostname/port exists.
   Admins only. */
int rse_proto_add(const char *issuer, const char *rse, const char *scheme,
    const json_t *body, struct gr_err *err);

/* *out: new reference to the RSE's protocols, sorted by hostname, scheme,
   port; RSEProtocolNotSupported when there are none. */
int rse_proto_list(const char *rse, json_t **out, struct gr_err *err);

/* Change the protocols of scheme (those of hostname and port, when not
   NULL). RSEProtocolNotSupported when none match. Admins only. */
int rse_proto_update(const char *issuer, const char *rse, const char *scheme,
    const char *hostname, const char *port, const json_t *changes,
    struct gr_err *err);

/* Delete them. Admins only. */
int rse_proto_del(const char *issuer, const char *rse, const char *scheme,
    const char *hostname, const char *port, struct gr_err *err);

/*
 * *out: new reference to {"scope:name": pfn} for the LFNs ("scope:name"
 * strings, borrowed list), built with the protocol of the RSE first in
 * line for domain (lan|wan) and operation (scheme, when not NULL, narrows
 * the choice): scheme://hostname:port/prefix/ + Rucio's "hash" path,
 * <scope>/<md5[0:2]>/<md5[2:4]>/<name> with md5 of "scope:name" and, for
 * user and group scopes, '.' in the scope as '/'. Non-deterministic RSEs
 * have no such paths (ReplicaNotFound until replicas exist).
 */
int rse_lfns2pfns(const char *rse, const json_t *lfns, const char *scheme,
    const char *domain, const char *operation, json_t **out,
    struct gr_err *err);

/*
 * RSE limits (MinFreeSpace, MaxBeingDeletedFiles...): *out, new reference
 * to {name: value}; set (insert or replace) an integer value; delete (no
 * error when there is none, as upstream). Writes: admins only.
 */
int rse_limits_get(const char *rse, json_t **out, struct gr_err *err);
int rse_limit_set(const char *issuer, const char *rse, const char *name,
    const json_t *value, struct gr_err *err);
int rse_limit_del(const char *issuer, const char *rse, const char *name,
    struct gr_err *err);

/*
 * Distances between RSEs (transfer preference; lower is nearer): TBL_RSE_
 * DISTANCES keyed by source and destination id. distance: a JSON integer
 * >= 0 or null. bidirectional also sets destination -> source. Writes:
 * admins. Add of an existing pair: Duplicate; update and delete of a
 * missing one: no error, as upstream.
 */
int rse_distance_add(const char *issuer, const char *src, const char *dst,
    const json_t *distance, bool bidirectional, struct gr_err *err);
int rse_distance_update(const char *issuer, const char *src, const char *dst,
    const json_t *distance, bool bidirectional, struct gr_err *err);
int rse_distance_del(const char *issuer, const char *src, const char *dst,
    bool bidirectional, struct gr_err *err);
/* *out: new reference to [] or [{"src_rse_id","dest_rse_id","distance",
   "ranking","created_at","updated_at"}]. */
int rse_distance_get(const char *src, const char *dst, json_t **out,
    struct gr_err *err);

/* Inside transactions (for replicas, limits, usage). */

/* The live (not deleted) record of an RSE; RSENotFound otherwise. */
int rse_load(struct st_txn *t, const char *name, u_int32_t flags, json_t **rec,
    struct gr_err *err);

/* Its id, into id; RSENotFound if there is no live RSE of that name. */
int rse_live_id(struct st_txn *t, const char *name, char id[RSE_ID_LEN + 1],
    struct gr_err *err);

/* The live record of the RSE with id: 0, DB_NOTFOUND or a BDB error. */
int rse_load_by_id(struct st_txn *t, const char *id, json_t **rec);

/* The name of the live RSE with id (malloc'ed), or NULL. */
char *rse_live_name(struct st_txn *t, const char *id);

/* *out: new reference to the value of the RSE name's attribute key, NULL
   when it has none (the RSE itself is not looked at). */
int rse_attr_get(struct st_txn *t, const char *name, const char *key,
    json_t **out, struct gr_err *err);

/* *out: new reference to every protocol of rse, sorted (RSENotFound). */
int rse_protocols(struct st_txn *t, const char *rse, json_t **out,
    struct gr_err *err);

/* "scheme://hostname:port/prefix/" of a protocol record; malloc'ed. */
char *rse_proto_base(const json_t *proto);

/* The "hash" path of scope:name (no leading '/'); malloc'ed. */
char *rse_hash_path(const char *scope, const char *name);

#endif /* RSE_H */
