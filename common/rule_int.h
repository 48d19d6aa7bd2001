/*
 * rule_int.h -- what the rule modules share (rule.c: creation, locks,
 * deletion, the state machine; rule_list.c: listings and verify). Not a
 * public header.
 */
#ifndef RULE_INT_H
#define RULE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "rse.h"
#include "store.h"
#include "util.h"

/* A member of a rule's (or lock's) record: 0 / NULL when absent. */
static inline json_int_t
int_of(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static inline const char *
str_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The key rule id \0 scope \0 name \0 RSE id (locks, dataset locks). */
size_t rule_lock_key(char *buf, const char *id, const char *scope,
    const char *name, const char *rse_id);

/* Inside a transaction: *rec, new reference to the rule id (flags 0 or
   DB_RMW); RuleNotFound. */
int rule_load(struct st_txn *t, const char *id, u_int32_t flags, json_t **rec,
    struct gr_err *err);

/* Inside a transaction: store the rule record (updated_at set by the
   caller). */
int rule_store(struct st_txn *t, const json_t *rec, struct gr_err *err);

/* Inside a transaction: append a history entry of rec as it is now. */
int rule_history_add(struct st_txn *t, const json_t *rec, struct gr_err *err);

/*
 * *out: new reference to the rule record rendered as Rucio does (4.5):
 * names for letters, RFC 1123 dates, "comments"; with_bytes adds the
 * DID's "bytes" (t: read it there).
 */
json_t *rule_render(struct st_txn *t, const json_t *rec, bool with_bytes);

/*
 * Inside a transaction: load the rule id (RuleNotFound) and call fn for
 * each of its locks (key rule id \0 scope \0 name \0 RSE id). *rec, if
 * not NULL: new reference to the rule's record.
 */
int rule_scan_locks(struct st_txn *t, const char *id, st_scan_fn fn, void *arg,
    json_t **rec, struct gr_err *err);

/* Inside a transaction: append [scope, name] to out for every dataset
   below the container scope:name, at any depth, each once. */
int rule_child_datasets(struct st_txn *t, const char *scope, const char *name,
    json_t *out, struct gr_err *err);

/*
 * Inside a transaction: the messages the rule's notify mode asks for now
 * that its state settled (rule_notify.c): at OK, and with notify P while
 * REPLICATING when a lock's end moved it to another tenth (rep_before:
 * its replicating locks before; 0 or less when not known).
 */
int rule_notify(struct st_txn *t, const json_t *rule, json_int_t rep_before,
    struct gr_err *err);

/* A scan callback over a rules index (TBL_RULES_BY_DID...): appends
   each rule id (the primary key) to the JSON array arg, once. */
int rule_id_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg);

/* Keys gathered in a scan, for writes after it: key i is
   buf.s[off[i]..off[i + 1]). */
struct rule_keys {
	struct sbuf buf;
	size_t *off, n;
};
void rule_keys_add(struct rule_keys *k, const void *key, size_t len);
void rule_keys_free(struct rule_keys *k);

/* Lock state letter -> name (R O S); "UNKNOWN" otherwise. */
const char *rule_lock_state_name(const char *letter);

/* The RSE id -> name cache of a listing (names are looked up once). */
struct rule_rse_names {
	struct {
		char id[RSE_ID_LEN + 1];
		char *name;
	} * v;
	size_t n, cap;
};
const char *rule_rse_name(struct st_txn *t, struct rule_rse_names *c,
    const char *id);
void rule_rse_names_free(struct rule_rse_names *c);

#endif /* RULE_INT_H */
