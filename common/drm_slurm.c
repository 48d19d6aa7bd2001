/*
 * drm_slurm.c -- the slurm backend. Not built yet: choosing it fails
 * every submission with a clear message.
 */
#include "drm_slurm.h"

int
drm_slurm_start(const json_t *ids, struct gr_err *err)
{
	(void)ids;
	return gr_fail(err, GR_UNAVAILABLE,
	    "the slurm backend is not available yet");
}

int
drm_slurm_refresh(struct st_txn *t, json_t *rec, bool *changed,
    struct gr_err *err)
{
	(void)t;
	(void)rec;
	*changed = false;
	(void)err;
	return GR_OK;
}

int
drm_slurm_signal(const json_t *rec, struct gr_err *err)
{
	(void)rec;
	return gr_fail(err, GR_UNAVAILABLE,
	    "the slurm backend is not available yet");
}
