#!/bin/sh
# 71-tasks-slurm.t -- 70-tasks.t with the slurm backend, against the
# one-node Slurm that make check starts (scripts/slurm-local): the same
# scripts and tasks, run by sbatch instead of the local supervisors.
export GRIDREST_DRM_BACKEND=slurm
. tests/smoke/70-tasks.t
