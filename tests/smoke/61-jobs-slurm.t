#!/bin/sh
# 61-jobs-slurm.t -- 60-jobs.t with the slurm backend, against the
# one-node Slurm that make check starts (scripts/slurm-local): the same
# jobs, run by sbatch instead of the local supervisors.
export GRIDREST_DRM_BACKEND=slurm
. tests/smoke/60-jobs.t
