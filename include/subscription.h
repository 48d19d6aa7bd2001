/*
 * subscription.h -- subscriptions (core; spec/rucio.md 3.10, 4.7): "give
 * every new DID that matches this filter these replication rules".
 * Knows nothing of HTTP.
 *
 * TBL_SUBSCRIPTIONS: account \0 name -> {"id" (32 lowercase hex),"name",
 * "account","filter" (an object),"replication_rules" (a list of rule
 * templates),"policyid" (the priority),"state" (A I N U B),"retroactive",
 * "dry_run","comments","lifetime" (epoch s of its end, or absent),
 * "expired_at","last_processed","created_at","updated_at"}; indexed by id
 * and by name. A subscription whose lifetime passed is INACTIVE, expired
 * at its lifetime, whether or not a write recorded it yet.
 *
 * The filter (as Rucio's transmogrifier reads it): "scope" (a list of
 * regular expressions, one must match the scope), "pattern" (must match
 * the name), "excluded_pattern" (must not), "did_type" (names),
 * "account" (the DID's owner, one of a list), "split_rule" and
 * "grouping" (rule options, not tests), and any other key a metadata key
 * of the DID (project, datatype, stream_name, prod_step, ... or a custom
 * key): one of its values, a regular expression, must match the DID's
 * value, which it must have. Expressions are POSIX extended ones matched
 * from the start of the value, as Python's re.match. A hidden DID never
 * matches.
 */
#ifndef SUBSCRIPTION_H
#define SUBSCRIPTION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

#define SUB_ID_LEN       32   /* uuid4 as 32 lowercase hex digits */
#define SUB_NAME_MAX     64   /* Rucio's column */
#define SUB_TEXT_MAX     4000 /* filter, replication_rules, comments */
#define SUB_PRIORITY_DEF 3

/*
 * POST /subscriptions/<account>/<name> {"options": {...}}: options
 * (borrowed) holds "filter", "replication_rules", "comments", "lifetime"
 * (days; null, false or 0: none) and "retroactive" (required keys:
 * KeyError), "dry_run" and "priority" (default 3). Admins only. State
 * ACTIVE, NEW when retroactive. id_out: the new id. 400 InvalidObject
 * for a bad filter or rule list, 404 AccountNotFound, 409
 * SubscriptionDuplicate.
 */
int sub_add(const char *issuer, const char *account, const char *name,
    const json_t *options, char id_out[SUB_ID_LEN + 1], struct gr_err *err);

/*
 * PUT /subscriptions/<account>/<name> {"options": {...}}: filter,
 * replication_rules, comments, lifetime, retroactive, priority (each
 * changed when given and not empty), state ("I"/"INACTIVE" deactivates:
 * expired_at now; any other valid state leaves it UPDATED, as every
 * change does). Admins only; SubscriptionNotFound.
 */
int sub_update(const char *issuer, const char *account, const char *name,
    const json_t *options, struct gr_err *err);

/*
 * emit every subscription (4.7) of account (NULL: all; '*' wildcards)
 * named name (NULL: any), by account and name. None: 404
 * SubscriptionNotFound (before anything is emitted).
 */
int sub_list(const char *account, const char *name, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

/* *out: new reference to the subscription with id, as listed;
   SubscriptionNotFound. */
int sub_get_id(const char *id, json_t **out, struct gr_err *err);

/*
 * GET /subscriptions/<account>/<name>/rules[?state=]: emit the rules the
 * subscription made (state: a rule state letter, or NULL).
 * SubscriptionNotFound.
 */
int sub_rules(const char *account, const char *name, const char *state,
    gr_emit_fn emit, void *ctx, struct gr_err *err);

/*
 * GET /subscriptions/<account>[/<name>]/rules/states: emit [account,
 * name, state, count] (upstream's named tuple) per subscription (account
 * with '*' wildcards, name NULL for all) and state of its rules (a
 * subscription without rules: state null, count 0); details makes it an
 * object {"account","name","state","count"} with "subscription_state",
 * "last_processed","lifetime","expired_at","comments".
 */
int sub_rule_states(const char *account, const char *name, bool details,
    gr_emit_fn emit, void *ctx, struct gr_err *err);

/*
 * Does the DID scope:name, whose record (did.h) is did, match the filter
 * of subscription record sub? (The filter's rules are above.)
 */
bool sub_match(const json_t *sub, const char *scope, const char *name,
    const json_t *did);

/*
 * The transmogrifier, for new collections dids ([{scope, name}], whose
 * creation committed): each DATASET or CONTAINER still new gets, for
 * every live subscription (ACTIVE, UPDATED or NEW, lifetime not over, by
 * priority) whose filter it matches, a rule per replication rule
 * template, with the subscription's id (rule_add as root, each in its own
 * transaction: one that fails is logged and the others made, as
 * upstream's daemon); a DID created before a subscription is not matched
 * by it unless it is retroactive. Then the DIDs are no longer new. With
 * no live subscription it does nothing.
 */
int sub_new_dids(const json_t *dids, struct gr_err *err);

/*
 * Retroactive subscriptions (state NEW): every existing collection they
 * match gets their rules, then they become ACTIVE. The rule evaluator
 * makes the pass, one step (RETRO_BATCH DIDs looked at, in a snapshot) at
 * a time: *worked tells whether a step did anything. A pass cut short (a
 * kill -9) is made again from the start by the next evaluator; the rules
 * made already are refused as duplicates. sub_retro makes a whole pass.
 */
bool sub_retro_due(void);
int sub_retro_step(bool *worked, struct gr_err *err);
int sub_retro(struct gr_err *err);

/* For a backend between requests, every interval seconds (0: never):
   sub_new_dids for the new collections (up to DID_NEW_MAX of each type)
   that a crash left unprocessed; a retroactive pass due starts the rule
   evaluator. Logs failures. */
void sub_tick(unsigned interval);

/* A subscription record (borrowed) as GET renders it (4.7), at now. */
json_t *sub_render(const json_t *rec, int64_t now);

#endif /* SUBSCRIPTION_H */
