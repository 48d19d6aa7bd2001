/*
 * daemon.h -- the common main() of the daemons a backend execs on demand
 * (gridrest-mover, gridrest-reaper): they share their start-up and end,
 * and differ only in their loop.
 */
#ifndef DAEMON_H
#define DAEMON_H

/*
 * Open the log GRIDREST_LOG names (none: stderr), name the process's log
 * lines name, load the configuration, open the store of GRIDREST_HOME and
 * install the stale guard (store_guard.h: a store recovered under the
 * daemon ends it rather than leave it waiting on a dead mutex; the next
 * kick starts another), then run loop() and close the store. Returns what
 * loop returned, or 1 (a line "name: why" in the log) when the
 * configuration or the store did not open. Call it once, from main().
 */
int daemon_main(const char *name, int (*loop)(void));

#endif /* DAEMON_H */
