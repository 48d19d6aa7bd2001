#!/bin/sh
# 65-jobs-limits-slurm.t -- 63-jobs-limits.t with the slurm backend:
# gridrest-drm-exec sets the same no_new_privs and limits on the node.
export GRIDREST_DRM_BACKEND=slurm
. tests/smoke/63-jobs-limits.t
