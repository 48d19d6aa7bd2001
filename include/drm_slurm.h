/*
 * drm_slurm.h -- the slurm backend of the DRM (drm.h): sbatch, squeue,
 * scontrol, scancel and sacct, run without a shell.
 */
#ifndef DRM_SLURM_H
#define DRM_SLURM_H

#include <stdbool.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

/* sbatch the jobs ids, in order; one that Slurm refuses becomes FAILED. */
int drm_slurm_start(const json_t *ids, struct gr_err *err);

/*
 * Ask Slurm (outside any transaction: it runs commands) how the job rec
 * stands: a new copy of rec brought up to date, or NULL if it was never
 * submitted. drm_slurm_apply() then copies what changed into the record
 * read again under the transaction.
 */
json_t *drm_slurm_poll(const json_t *rec);
int drm_slurm_apply(json_t *rec, const json_t *polled, bool *changed);

/* scancel the job. */
int drm_slurm_signal(const json_t *rec, struct gr_err *err);

#endif /* DRM_SLURM_H */
