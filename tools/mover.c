/*
 * mover.c -- gridrest-mover, the process that performs the replication
 * rules' transfer requests (common/mover.c): exec'd by mover_kick() when
 * requests wait and no mover runs, with the environment of whoever started
 * it (GRIDREST_HOME, GRIDREST_LOG, GRIDREST_MOVER_*). It leaves when
 * nothing is queued for GRIDREST_MOVER_IDLE seconds; SIGTERM ends it after
 * the copy under way; kill -9 loses nothing (mover.h).
 */
#include "daemon.h"
#include "mover.h"

int
main(void)
{
	return daemon_main("mover", mover_main);
}
