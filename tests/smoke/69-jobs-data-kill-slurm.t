#!/bin/sh
# 69-jobs-data-kill-slurm.t -- 68-jobs-data-kill.t with the slurm backend:
# gridrest-drm-exec copies the input on the node inside the job's life,
# scancel ends the copy, and the job's time limit counts it.
export GRIDREST_DRM_BACKEND=slurm
. tests/smoke/68-jobs-data-kill.t
