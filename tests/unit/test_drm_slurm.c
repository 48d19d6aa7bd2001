/*
 * test_drm_slurm.c -- test_drm.c's tests against the slurm backend and the
 * one-node Slurm that make check starts (scripts/slurm-local); without a
 * running Slurm the group fails, it is not skipped.
 */
#define DRM_TEST_SLURM
#include "test_drm.c"
