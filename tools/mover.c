/*
 * mover.c -- gridrest-mover, the process that performs the replication
 * rules' transfer requests (common/mover.c): exec'd by mover_kick() when
 * requests wait and no mover runs, with the environment of whoever started
 * it (GRIDREST_HOME, GRIDREST_LOG, GRIDREST_MOVER_*). It leaves when
 * nothing is queued for GRIDREST_MOVER_IDLE seconds; SIGTERM ends it after
 * the copy under way; kill -9 loses nothing (mover.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cfg.h"
#include "log.h"
#include "mover.h"
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
	log_set_name("mover");
	if (cfg_load(&err) != GR_OK || st_open(cfg.home, 0, &err) != GR_OK) {
		log_msg(LOG_ERR, "mover: %s", err.msg);
		return 1;
	}
	/* a store recovered under it: leave rather than wait on a dead
	   mutex (the next kick starts another) */
	st_guard();
	rc = mover_main();
	st_close();
	return rc;
}
