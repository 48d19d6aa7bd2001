/*
 * reaper.c -- gridrest-reaper, the process that deletes the replicas no
 * rule wants any more (common/reaper.c): exec'd by reaper_kick() when
 * something got a tombstone and no reaper runs, with the environment of
 * whoever started it (GRIDREST_HOME, GRIDREST_LOG, GRIDREST_REAPER_*). It
 * leaves when nothing is due for GRIDREST_REAPER_IDLE seconds; SIGTERM
 * ends it after the file being deleted; kill -9 loses nothing (reaper.h).
 */
#include "daemon.h"
#include "reaper.h"

int
main(void)
{
	return daemon_main("reaper", reaper_main);
}
