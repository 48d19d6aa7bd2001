#!/bin/sh
# 67-jobs-data-slurm.t -- 66-jobs-data.t with the slurm backend: the data
# is copied by gridrest-drm-exec on the node, as the job's user, and the
# service registers the output it reports.
export GRIDREST_DRM_BACKEND=slurm
. tests/smoke/66-jobs-data.t
