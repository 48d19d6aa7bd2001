/*
 * store_int.h -- what the store's own files (store*.c) share and nobody
 * else may use. Each declaration names the file that implements it.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <stdbool.h>

/*
 * store_guard.c: a one-second tick while this process is inside the
 * store, once st_guard() was called (otherwise nothing). Nested calls:
 * the outermost arms and disarms it. Every runner and the keeper bracket
 * their work with it.
 */
void st_guard_arm(bool on);

#endif /* STORE_INT_H */
