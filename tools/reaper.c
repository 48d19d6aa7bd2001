/*
 * reaper.c -- gridrest-reaper, the process that deletes the replicas no
 * rule wants any more (common/reaper.c): exec'd by reaper_kick() when
 * something got a tombstone and no reaper runs, with the environment of
 * whoever started it (GRIDREST_HOME, GRIDREST_LOG, GRIDREST_REAPER_*). It
 * leaves when nothing is due for GRIDREST_REAPER_IDLE seconds; SIGTERM
 * ends it after the file being deleted; kill -9 loses nothing (reaper.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cfg.h"
#include "log.h"
#include "reaper.h"
#include "store.h"
#include "store_guard.h"

int
main(void)
{
	struct gr_err err = { 0 };
	const char *log = getenv("GRIDREST_LOG");
	int rc;

	if (log != NULL && *log != '\0')
		(void)log_open(log);
	log_set_name("reaper");
	if (cfg_load(&err) != GR_OK || st_open(cfg.home, 0, &err) != GR_OK) {
		log_msg(LOG_ERR, "reaper: %s", err.msg);
		return 1;
	}
	/* a store recovered under it: leave rather than wait on a dead
	   mutex (the next kick starts another) */
	st_guard();
	rc = reaper_main();
	st_close();
	return rc;
}
