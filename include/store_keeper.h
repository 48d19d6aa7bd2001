/*
 * store_keeper.h -- who writes the cache out and checkpoints
 * (store_keeper.c). Call these from a process's own code between
 * requests or transactions, never from a transaction body.
 */
#ifndef STORE_KEEPER_H
#define STORE_KEEPER_H

#include <stdbool.h>

/*
 * The keeper: one detached process per store ("gridrest-keeper" in ps)
 * that writes the cache's dirty pages out ahead of need (memp_trickle,
 * 20% of the cache kept clean) and checkpoints after every 64 MB of log,
 * so that no request waits for a checkpoint's flushes (half a second
 * after a bulk load) or writes out a dirty page to make room for the one
 * it reads. It holds an exclusive flock on db/keeper.lock (its pid
 * inside) while it runs, and leaves after GRIDREST_KEEPER_IDLE seconds
 * without a write to the log, or at once when the environment was
 * recovered or removed. It may be killed at any moment (kill -9
 * included): it owns nothing the next keeper or a recovery does not
 * redo.
 *
 * st_keeper_auto(true): this process (a web backend) starts a keeper when
 * it wrote and none runs, from st_housekeep(), which it calls after each
 * answered request. Other processes checkpoint themselves, every 32
 * commits, when no keeper runs (tools, tests, DRM supervisors).
 */
void st_keeper_auto(bool on);
void st_housekeep(void);
bool st_keeper_running(void);

#endif /* STORE_KEEPER_H */
