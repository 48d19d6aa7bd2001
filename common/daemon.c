/*
 * daemon.c -- daemon_main(), the start-up and end the on-demand daemons
 * share (daemon.h).
 */
#include <stdlib.h>

#include "cfg.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "store.h"
#include "store_guard.h"

int
daemon_main(const char *name, int (*loop)(void))
{
	struct gr_err err = { 0 };
	const char *log = getenv("GRIDREST_LOG");
	int rc;

	if (log != NULL && *log != '\0')
		(void)log_open(log);
	log_set_name(name);
	if (cfg_load(&err) != GR_OK || st_open(cfg.home, 0, &err) != GR_OK) {
		log_msg(LOG_ERR, "%s: %s", name, err.msg);
		return 1;
	}
	st_guard();
	rc = loop();
	st_close();
	return rc;
}
