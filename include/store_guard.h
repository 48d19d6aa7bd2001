/*
 * store_guard.h -- the stale guard (store_guard.c), for processes that
 * have no request watchdog: DRM supervisors, the mover, the rule
 * evaluator, the keeper. Never in a web backend, whose watchdog (web.c)
 * owns SIGALRM. The state is per process; nothing is shared.
 */
#ifndef STORE_GUARD_H
#define STORE_GUARD_H

/*
 * Install the guard (SIGALRM's handler, for the rest of the process's
 * life): from then on, while the process is inside the store (a runner,
 * the keeper's tick), a one-second tick ends it (_exit(1), a line on
 * stderr) once the environment was recovered or removed under it for two
 * ticks. A process blocked on a mutex that a dead process held is never
 * woken (Berkeley DB's mutexes are not robust); it would keep its DRM
 * slot for ever. Call it once, before the first store call it guards.
 */
void st_guard(void);

#endif /* STORE_GUARD_H */
