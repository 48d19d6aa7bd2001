/*
 * store_counter.h -- counters every process of a store shares
 * (store_counter.c). Any process, any number of times: the change
 * counters are atomics in a shared page, the sequences their own
 * transactions.
 */
#ifndef STORE_COUNTER_H
#define STORE_COUNTER_H

#include <stdint.h>

#include "err.h"

/*
 * Change counters every process of the store shares: a page of the file
 * "changes" beside the tables, mapped by st_open(). A process that caches
 * what a table says (token.c) notes the counter before it reads, and
 * drops its copy when the counter moved; a writer that takes something
 * away calls st_changed() inside its transaction, after the write, while
 * its locks still hold readers off the old record. Not persistent in
 * meaning: only equality matters, so a body that runs twice may count
 * twice. Before st_open() st_changes() reads 0 and st_changed() does
 * nothing.
 */
enum st_change {
	ST_CHANGE_TOKENS,     /* a token was revoked */
	ST_CHANGE_ARCHIVE,    /* a DID is about to be archived (didlife.c) */
	ST_CHANGE_TOMBSTONES, /* a replica got a tombstone (reaper.c) */
	ST_CHANGE_COUNT
};
uint64_t st_changes(enum st_change c);
void st_changed(enum st_change c);

/*
 * n consecutive values first..first+n-1 (from 1 up) of the counter name,
 * kept in TBL_SEQS as {"next": n}, in a transaction of the call's own,
 * committed at once without waiting for the disk. A caller's transaction
 * that takes ids so does not hold the counter's page until its commit,
 * and concurrent submissions reach the log together (one flush for
 * several commits). A value is never given twice: whatever durable
 * commit uses it flushes the log past the counter's. A transaction that
 * aborts leaves a gap. Call it from a transaction body or outside one,
 * never with TBL_SEQS in the caller's own transaction.
 */
int st_seq_take(const char *name, uint64_t n, uint64_t *first,
    struct gr_err *err);

#endif /* STORE_COUNTER_H */
