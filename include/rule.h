/*
 * rule.h -- replication rules (core; spec/rucio.md 3.9, 4.5, 5.3, 5.4):
 * "keep N copies of this DID on RSEs matching this expression". A rule
 * holds a replica lock per file below its DID per chosen RSE; a lock is
 * OK when its replica is available, REPLICATING while a transfer request
 * is queued for it, STUCK when no source can exist. Knows nothing of HTTP.
 *
 * TBL_RULES: id (32 lowercase hex) -> {"id","subscription_id","account",
 * "scope","name","did_type" (letter),"state" (letter: R O S U W I),
 * "error","rse_expression","copies","expires_at","weight","locked",
 * "locks_ok_cnt","locks_replicating_cnt","locks_stuck_cnt",
 * "source_replica_expression","activity","grouping" (A D N),
 * "notification" (Y N C P),"stuck_at","purge_replicas",
 * "ignore_availability","ignore_account_limit","priority","comments",
 * "child_rule_id","eol_at","split_container","meta","created_at",
 * "updated_at","rse_ids" (grouping ALL: the chosen RSEs)}, dates as epoch
 * seconds; indexed by DID, account, state, expiry and subscription.
 *
 * TBL_LOCKS: rule id \0 scope \0 name \0 RSE id -> {"state" (R O S),
 * "bytes","created_at","updated_at"}; indexed by replica and by RSE.
 * Every lock counts once in its replica's "lock_cnt", in its rule's
 * locks_<state>_cnt and in the rule account's usage on the RSE (files 1,
 * its bytes): "gridrest-db verify" checks the three.
 *
 * TBL_DATASET_LOCKS: the same key for a dataset below the rule's DID
 * (grouping ALL or DATASET) -> {"state","bytes","length","created_at",
 * "updated_at"}: where the dataset's files go.
 *
 * TBL_REQUESTS: scope \0 name \0 destination RSE id -> the transfer
 * request a REPLICATING lock waits for: {"id","state" (Q queued, O no
 * source yet),"rule_id","scope","name","dest_rse_id","source_rse_id"
 * (null: any),"source_replica_expression","bytes","md5","adler32",
 * "attempts","activity","priority","account","created_at","updated_at"};
 * indexed by state. The movers (gridrest-mover) take them.
 *
 * TBL_RULE_HISTORY: rule id \0 16 hex digits of the time \0 8 of a
 * counter -> {"rule_id","scope","name","account","rse_expression","state",
 * "locks_ok_cnt","locks_replicating_cnt","locks_stuck_cnt","created_at",
 * "updated_at"}: one entry per change of a rule's state or counters.
 */
#ifndef RULE_H
#define RULE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

#define RULE_ID_LEN   32   /* uuid4, 32 lowercase hex digits */
#define RULE_DIDS_MAX 1000 /* DIDs in one POST /rules/ */
#define RULE_INJECT_LOCKS                                                      \
	10000 /* length x copies from which a rule is                          \
		 injected in the background */
#define RULE_COMMENT_MAX  255
#define RULE_INJECT_BATCH 2000 /* files an injection transaction places */

/*
 * Add one rule per DID of spec, the dict of POST /rules/ (borrowed):
 * "dids" [{scope, name}], "account" (NULL or null: issuer), "copies",
 * "rse_expression", and the options weight, lifetime, grouping (ALL,
 * DATASET, NONE), locked, subscription_id, source_replica_expression,
 * activity, notify (Y N C P), purge_replicas, ignore_availability,
 * comment, ask_approval, asynchronous, delay_injection, priority,
 * split_container, meta, ignore_account_limit (admins). Unknown keys are
 * InvalidObject. The new ids are appended to ids_out (a JSON array) in
 * the order of dids. Errors as Rucio's (409 DuplicateRule,
 * InsufficientTargetRSEs, InsufficientAccountLimit, InvalidRSEExpression,
 * InvalidReplicationRule, InvalidRuleWeight, InvalidObject...; 404
 * DataIdentifierNotFound; 401 AccessDenied; 400 InvalidValueForKey).
 *
 * rule_add_in: the same inside the caller's transaction (which may be
 * run again: the caller's body empties ids_out first if it reuses it).
 * Subscriptions call it with subscription_id set.
 */
int rule_add(const char *issuer, const json_t *spec, json_t *ids_out,
    struct gr_err *err);
int rule_add_in(struct st_txn *t, const char *issuer, const json_t *spec,
    json_t *ids_out, struct gr_err *err);

/* *out: new reference to the rule as GET /rules/<id> renders it (4.5);
   RuleNotFound. */
int rule_get(const char *id, json_t **out, struct gr_err *err);

/* The same written as compact JSON text into out (its text replaced),
   from the stored text without a tree (the route's hot path). */
struct sbuf;
int rule_get_text(const char *id, struct sbuf *out, struct gr_err *err);

/*
 * GET /rules/: emit every rule (with the DID's "bytes") matching the
 * filters, a JSON object of query values (borrowed; NULL: all): any
 * rule column by equality (account and scope with '*' wildcards; state,
 * did_type and grouping by letter), created_before/after and
 * updated_before/after (RFC 1123).
 */
int rule_list(const json_t *filters, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

/* emit the rules on scope:name (DataIdentifierNotFound when it does not
   exist). */
int rule_list_did(const char *scope, const char *name, gr_emit_fn emit,
    void *ctx, struct gr_err *err);

/* emit the rules holding locks on scope:name: on a file, the rules of its
   replica locks; on a collection, those holding dataset locks or on it. */
int rule_list_associated(const char *scope, const char *name, gr_emit_fn emit,
    void *ctx, struct gr_err *err);

/* emit the rules of account (AccountNotFound). */
int rule_list_account(const char *account, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

/* emit {"scope","name","rse_id","rse","state","rule_id"} per lock of the
   rule (RuleNotFound). */
int rule_locks(const char *id, gr_emit_fn emit, void *ctx, struct gr_err *err);

/* emit {"updated_at","state","locks_ok_cnt","locks_stuck_cnt",
   "locks_replicating_cnt"} per change of the rule, oldest first. */
int rule_history(const char *id, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

/* emit the same with "rule_id","created_at","rse_expression","account"
   for every rule scope:name had or has (DataIdentifierNotFound). */
int rule_did_history(const char *scope, const char *name, gr_emit_fn emit,
    void *ctx, struct gr_err *err);

/* *out: new reference to {"rule_error", "transfers": [{"scope","name",
   "rse_id","rse","attempts","last_error","last_source","sources",
   "last_time"}]}, one transfer per STUCK lock. */
int rule_analysis(const char *id, json_t **out, struct gr_err *err);

/*
 * emit the dataset locks on rse (when not NULL) or of the dataset
 * scope:name: {"scope","name","rse_id","rse","state","rule_id","account",
 * "length","bytes","accessed_at","updated_at"}.
 */
int rule_dataset_locks(const char *rse, const char *scope, const char *name,
    gr_emit_fn emit, void *ctx, struct gr_err *err);

/*
 * POST /locks/bulk_locks_for_dids: emit, as rule_dataset_locks, the
 * dataset locks of every dataset of dids ([{scope, name, type}], type
 * "dataset", "container" or absent: looked up, unknown DIDs skipped) and
 * of every dataset below each container, each lock once. 400 TypeError
 * for a malformed list, ValueError for another type or a file.
 */
int rule_dataset_locks_bulk(const json_t *dids, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

/*
 * Delete a rule: its locks, dataset locks and the requests no other lock
 * waits for; replicas no lock holds any more get a tombstone (now, or at
 * once with purge: -1 the rule's own setting, 0 no, 1 yes); account usage
 * drops. Admins only (Rucio's generic policy). A locked rule (or one with
 * a child rule) is 401 UnsupportedOperation.
 */
int rule_delete(const char *issuer, const char *id, int purge,
    struct gr_err *err);

/*
 * PUT /rules/<id> {"options": options}: comment, locked, lifetime (s or
 * null), account (usage moves with the locks), state (SUSPENDED, or
 * STUCK: REPLICATING locks become STUCK; with cancel_requests their
 * requests go), activity, source_replica_expression, priority,
 * child_rule_id, eol_at, meta, purge_replicas, boost_rule; admins only.
 * {"approve": true} turns a WAITING_APPROVAL rule INJECT,
 * {"approve": false, "comment"} deletes it. 409 InputValidationError for
 * an unknown option or a bad value.
 */
int rule_update(const char *issuer, const char *id, const json_t *options,
    struct gr_err *err);

/* POST /rules/<id>/reduce: a rule of fewer copies on the same DID (on
   the expression less exclude, if not NULL) replaces the OK rule id
   (RuleReplaceFailed otherwise); its id is appended to ids_out. Admins. */
int rule_reduce(const char *issuer, const char *id, json_int_t copies,
    const char *exclude, json_t *ids_out, struct gr_err *err);

/* POST /rules/<id>/move: a child rule on rse_expression (override: other
   options of it) replaces the rule once it is OK; its id is appended to
   ids_out. Admins. RuleReplaceFailed for a rule that has a child. */
int rule_move(const char *issuer, const char *id, const char *rse_expression,
    const json_t *override, json_t *ids_out, struct gr_err *err);

/* After each answered request of the rses family, at most once a second:
   when a rule's lifetime ended, an INJECT rule is due or a retroactive
   subscription waits for its pass, and no evaluator runs, gridrest-rules
   is started (exec'd in a detached process; GRIDREST_RULES_EXEC names
   it, else it is found next to this program); it deletes the expired
   rules (rule_expire), injects, and makes the subscription's pass. */
void rule_tick(void);

/* Start gridrest-rules now unless one runs (rule_tick's start). */
void rule_evaluator_kick(void);

/* Work for the evaluator was just committed: this process's next
   rule_tick looks at once, not within the second. */
void rule_evaluator_wanted(void);

/* Delete up to max rules whose expires_at has passed (locked ones and
   those with a child stay); *done: how many. The evaluator calls it
   every second, gridrest-db rules-expire at once. */
int rule_expire(size_t max, size_t *done, struct gr_err *err);

/* When the next rule expires (epoch seconds, after now; 0: none does),
   for the evaluator, which stays for it when it is near. */
int64_t rule_expiry_next(void);

/*
 * Inside a transaction (PUT /replicas): the replica scope:name on the RSE
 * rse_id became state (a letter). A: its REPLICATING/STUCK locks become
 * OK; U: its REPLICATING/OK locks become STUCK (error). The rules'
 * counters and states follow.
 */
int rule_replica_state(struct st_txn *t, const char *scope, const char *name,
    const char *rse_id, const char *state, const char *error,
    struct gr_err *err);

/*
 * Inside a transaction where the replica scope:name on the RSE rse_id
 * became AVAILABLE (registered, set, or copied there): the file's
 * requests that wait for a source (NO_SOURCES) and may read from that RSE
 * (their source_replica_expression, if any, selects it) are QUEUED again,
 * their replicas COPYING, their STUCK locks REPLICATING (the rules'
 * counters and states follow), as upstream's repairer takes up stuck
 * locks once a source exists; a SUSPENDED rule's locks stay STUCK (a
 * request only such rules wait for stays NO_SOURCES). rule_sources_wanted: *yes
 * when any request waits for a source at all (callers ask once per
 * transaction).
 */
int rule_source_appeared(struct st_txn *t, const char *scope, const char *name,
    const char *rse_id, struct gr_err *err);
int rule_sources_wanted(struct st_txn *t, bool *yes, struct gr_err *err);

/*
 * The rule evaluator's work (gridrest-rules): one batch of the first
 * INJECT rule that is due (*worked: there was one). Each batch is a
 * transaction of its own that keeps its position in the rule, so a
 * killed evaluator's successor resumes where the last commit ended.
 */
int rule_inject_step(bool *worked, struct gr_err *err);

/*
 * The evaluator's tables, opened before its first batch: a table first
 * met inside a write transaction costs the body a rerun (store.c,
 * handle()), and the first batch of a rule would run once per table.
 */
void rule_evaluator_open(void);

/* Is an INJECT rule due (for the backends, which start an evaluator)? */
bool rule_inject_due(void);

/*
 * Inside the attach transaction: dids ([{scope, name}], just attached to
 * ps:pn, of type ptype) get the locks (and requests) of every rule on
 * ps:pn or above it, as those rules place their files; a rule that can
 * place nothing (its RSEs gone, say) becomes STUCK with the reason.
 * Quotas are not checked again (the rule holds its place). Never a lock
 * twice: a file locked already (another path) is left as it is.
 */
int rule_on_attach(struct st_txn *t, const char *ps, const char *pn,
    const char *ptype, const json_t *dids, struct gr_err *err);

/*
 * Inside the detach transaction, after cs:cn left ps:pn: the rules on
 * ps:pn or above it lose their locks (and dataset locks) on what is no
 * longer below them (a file still below through another path keeps its
 * lock); tombstones and usage follow as for a deleted rule.
 */
int rule_on_detach(struct st_txn *t, const char *ps, const char *pn,
    const char *cs, const char *cn, struct gr_err *err);

/*
 * Inside the transaction that closes the collection scope:name: its rules
 * that are OK send the notifications their notify mode kept for a closed
 * DID (C and P; Y again), as upstream's set_status does (rule_notify.c).
 */
int rule_on_close(struct st_txn *t, const char *scope, const char *name,
    struct gr_err *err);

/*
 * Inside the undertaker's transaction, before it deletes the collection
 * scope:name: its rules go with their locks, dataset locks and usage, as
 * upstream's delete_dids removes them (a rule with a child too; purge:
 * the unlocked replicas are purged at once, else tombstoned). If one of
 * them is locked, *locked is set and none is removed: the DID stays.
 */
int rule_remove_of_did(struct st_txn *t, const char *scope, const char *name,
    bool purge, int64_t now, bool *locked, struct gr_err *err);

/*
 * gridrest-db rules-reevaluate: the content of the collection scope:name
 * as if it had just been attached (rule_on_attach): whatever a rule on it
 * or above it should lock and does not, it locks now.
 */
int rule_reevaluate(const char *scope, const char *name, struct gr_err *err);

/*
 * gridrest-db verify: every rule's counters against its locks, every
 * replica's lock_cnt against the locks on it, every account's usage on
 * every RSE against the bytes of its rules' locks. Each disagreement is
 * reported through emit as a line of text; *bad counts them.
 */
int rule_verify(gr_emit_text_fn emit, void *ctx, long *bad, struct gr_err *err);

/* State letter <-> name ("O" <-> "OK"; either form for letter); NULL
   when unknown. */
const char *rule_state_name(const char *letter);
const char *rule_state_letter(const char *name);

/* One of Rucio's activities ("User Subscriptions", "T0 Export"...)? */
bool rule_valid_activity(const char *activity);

#endif /* RULE_H */
