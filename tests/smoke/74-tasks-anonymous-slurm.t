#!/bin/sh
# 74-tasks-anonymous-slurm.t -- 73-tasks-anonymous.t with the slurm
# backend, against the one-node Slurm that make check starts: anonymous
# tasks run by sbatch under their one job uid.
export GRIDREST_DRM_BACKEND=slurm
. tests/smoke/73-tasks-anonymous.t
