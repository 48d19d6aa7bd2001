/*
 * store_int.h -- what the store's own files (store*.c) share and nobody
 * else may use. Each declaration names the file that implements it.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <stdbool.h>

#include "err.h"

/*
 * store_guard.c: a one-second tick while this process is inside the
 * store, once st_guard() was called (otherwise nothing). Nested calls:
 * the outermost arms and disarms it. Every runner and the keeper bracket
 * their work with it.
 */
void st_guard_arm(bool on);

/*
 * store_counter.c: map the change counters' page of the store in dir,
 * creating the file; once per process (later calls keep the first map,
 * which outlives reopens). GR_OK or GR_DATABASE.
 */
int st_changes_map(const char *dir, struct gr_err *err);

#endif /* STORE_INT_H */
