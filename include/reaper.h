/*
 * reaper.h -- deletion (core): the reaper deletes the replicas no rule
 * wants any more. A candidate is a replica with a tombstone that no lock
 * holds (lock_cnt 0), filed by RSE and tombstone in
 * TBL_REPLICAS_BY_TOMBSTONE; its tombstone is the time its last lock went
 * (rule.c), 0 for purge_replicas and PUT /replicas state B, or its
 * registration time plus the RSE's tombstone_delay.
 *
 * Which candidates of an RSE go, as Rucio's reaper decides, oldest
 * tombstone first (the time the replica was last wanted):
 *   - those with tombstone 0 (obsolete) at once, on any RSE;
 *   - on a greedy RSE (attribute greedyDeletion true) every one whose
 *     tombstone has passed;
 *   - elsewhere, as many as free the space the RSE lacks: its limit
 *     MinFreeSpace less its free space, the total of the usage source
 *     named by the attribute source_for_total_space (default "storage")
 *     less the used bytes of source_for_used_space (default "storage").
 *     Without the limit or either source, only the obsolete ones.
 * RSEs not available for deletion (availability_delete false) are left
 * alone.
 *
 * A deletion marks the replica BEING_DELETED (B), deletes the file from
 * storage through the RSE's delete protocol (unlink, WebDAV DELETE: xfer.h,
 * the same path rules as the mover's), and then removes the row; the RSE's
 * "rucio" usage drops in that transaction (and, when the used space is
 * read from another source, that source's used and free figures move by
 * the same bytes, until its probe writes it again). Account usage moved
 * already when the locks went (rule.c). A file already missing is not an
 * error. A replica a new rule locked meanwhile keeps its row (its rule
 * copies it again). A failed deletion leaves the replica BEING_DELETED
 * with the reason in its error_message, tried again after
 * GRIDREST_REAPER_RETRY seconds; a PFN outside the RSE's prefix is never
 * tried again (its tombstone goes; an administrator decides).
 *
 * One reaper per store: the executable gridrest-reaper (tools/reaper.c),
 * exec'd by reaper_kick() when something got a tombstone and none runs,
 * visible in ps. It holds an exclusive flock on db/reaper.lock (its pid
 * inside); a replica a killed reaper left BEING_DELETED is a candidate
 * like the others and is taken again. It stays while something may fall
 * due without a kick (a future tombstone on a greedy RSE, candidates on
 * an RSE with a MinFreeSpace limit, a deletion to retry), looking again
 * every GRIDREST_REAPER_INTERVAL seconds or at once when a tombstone is
 * set, and leaves after GRIDREST_REAPER_IDLE seconds without any, or
 * after 30 passes in a row that the store failed (a home removed and made
 * again under it).
 *
 * Settings (environment): GRIDREST_REAPER_START (1; 0: none is started),
 * GRIDREST_REAPER_INTERVAL (10), GRIDREST_REAPER_IDLE (10),
 * GRIDREST_REAPER_RETRY (60), GRIDREST_REAPER_CHUNK (1000 replicas of one
 * RSE marked BEING_DELETED at a time), GRIDREST_REAPER_EXEC (the program;
 * default gridrest-reaper beside the running one).
 */
#ifndef REAPER_H
#define REAPER_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct xfer;

/* After a commit that set a tombstone (or changed what the reaper
   decides by): wake the running reaper, or start one (unless
   GRIDREST_REAPER_START is 0). Never fails its caller. */
void reaper_kick(void);

/* From inside a transaction body that set a tombstone: this process
   kicks the reaper once its request is answered (reaper_kick_noted). */
void reaper_note(void);
void reaper_kick_noted(void);

/* Is a reaper running on this store? */
bool reaper_running(void);

/* What one pass did and left. */
struct reaper_pass {
	long deleted; /* replicas deleted, from storage and catalogue */
	long failed;  /* deletions that failed (kept BEING_DELETED) */
	bool pending; /* something may fall due without a kick */
	int64_t wait; /* seconds until the earliest known due time, -1 */
};

/* One pass over every RSE with candidates (for the reaper and the
   tests). */
int reaper_run(struct xfer *x, struct reaper_pass *out, struct gr_err *err);

/* The reaper's life (gridrest-reaper), on the store already open: 0 when
   it left (or another runs), 1 on a store failure. */
int reaper_main(void);

#endif /* REAPER_H */
