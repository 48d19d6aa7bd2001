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

int drm_slurm_start(const json_t *ids, struct gr_err *err);
int drm_slurm_refresh(struct st_txn *t, json_t *rec, bool *changed,
    struct gr_err *err);
int drm_slurm_signal(const json_t *rec, struct gr_err *err);

#endif /* DRM_SLURM_H */
