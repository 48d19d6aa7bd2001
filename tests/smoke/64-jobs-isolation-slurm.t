#!/bin/sh
# 64-jobs-isolation-slurm.t -- 62-jobs-isolation.t with the slurm backend,
# against the one-node Slurm that make check starts: the accounts' uids
# are the first of the default range, which scripts/slurm-local gives
# passwd entries (Slurm runs jobs only as users it knows).
export GRIDREST_DRM_BACKEND=slurm
. tests/smoke/62-jobs-isolation.t
