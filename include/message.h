/*
 * message.h -- the messages gridrest leaves for the outside world, as
 * Rucio's messages table holds them (core/message.py) for its hermes
 * daemon to ship: an event type ("RULE_OK", "RULE_PROGRESS",
 * "DATASETLOCK_OK", "email") and a JSON payload. The rule code writes
 * them (rule notifications, rule.c); they stay in the store, oldest
 * first, until a reader drains them (gridrest-db messages --drain).
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

/*
 * Inside a transaction: record one message (payload borrowed). Its
 * "services" is "email" for an email event and "activemq" for every
 * other, as upstream's default services list files them.
 */
int msg_add(struct st_txn *t, const char *event_type, const json_t *payload,
    struct gr_err *err);

/*
 * Call emit for each stored message, oldest first, at most max of them
 * (0: all), each as {"id", "event_type", "payload", "services",
 * "created_at" (ISO 8601)}; event_type, if not NULL, keeps only that
 * type. With drain, the messages emitted are deleted afterwards (those
 * emit refused stay): a reader that dies on the way sees them again, as
 * hermes deletes what it has delivered. *n: how many were emitted.
 */
int msg_list(const char *event_type, size_t max, bool drain, gr_emit_fn emit,
    void *ctx, size_t *n, struct gr_err *err);

#endif /* MESSAGE_H */
