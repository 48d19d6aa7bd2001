/*
 * drm_backend.h -- what a DRM backend is to drm.c, private to drm*.c: a
 * struct of operations per backend (drm_local.c, drm_slurm.c), the one
 * in force chosen once from GRIDREST_DRM_BACKEND; a record is handled by
 * the backend named in it. Nothing outside the DRM calls a backend.
 */
#ifndef DRM_BACKEND_H
#define DRM_BACKEND_H

#include <stdbool.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

struct drm_backend {
	const char *name; /* as in GRIDREST_DRM_BACKEND and records */
	/* after the commit of a submission: hand the jobs ids over */
	int (*start)(const json_t *ids, struct gr_err *err);
	/* before a transaction: what the backend says of rec now (a new
	   reference), or NULL when it has nothing to ask */
	json_t *(*poll)(const json_t *rec);
	/* under t (or none: a look that writes nothing): bring rec up to
	   date from polled; *changed when its state moved */
	int (*refresh)(struct st_txn *t, json_t *rec, const json_t *polled,
	    bool *changed, struct gr_err *err);
	/* end a running job (its record borrowed) */
	int (*signal)(const json_t *rec, struct gr_err *err);
	/* a job found LOST: end whatever it left running (may be NULL) */
	void (*reap)(const json_t *rec);
	/* the queue may move (a cancel, a backend's start): start it */
	void (*kick)(void);
	/* a look found a job's runner dead: start the queue if there is
	   room, at a bounded rate (may be NULL) */
	void (*poke)(void);
	/* what the backend can do beyond the common list */
	void (*capabilities)(json_t *caps);
};

extern const struct drm_backend drm_local_backend;

/*
 * The local supervisor's body, in its own process (gridrest-drm-supervisor,
 * exec'd detached): claim and run queued jobs while a slot is free, then
 * return. Its SIGTERM handler, log and store guard are set here.
 */
void drm_local_supervise(void);
extern const struct drm_backend drm_slurm_backend;

#endif /* DRM_BACKEND_H */
