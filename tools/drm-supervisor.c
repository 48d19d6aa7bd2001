/*
 * drm-supervisor.c -- gridrest-drm-supervisor, the local backend's
 * supervisor as an executable of its own: drm_local.c starts it detached
 * (double fork, setsid, descriptors closed) and execs it, so it inherits
 * nothing of the FastCGI process that started it but its environment.
 *
 *   gridrest-drm-supervisor HOME DURABILITY
 *
 * HOME and DURABILITY (0 sync, 1 write, 2 none) are its starter's, which
 * may have set them itself rather than through GRIDREST_HOME and
 * GRIDREST_DURABILITY (the unit tests do). It claims and runs queued jobs
 * while a slot is free (drm_local_supervise) and exits when none is left.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cfg.h"
#include "drm_backend.h"
#include "log.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct gr_err err = { 0 };
	long d;

	if (cfg_load(&err) != GR_OK) {
		log_msg(LOG_ERR, "drm supervisor: %s", err.msg);
		return 1;
	}
	if (argc > 1 && argv[1][0] != '\0')
		cfg.home = argv[1];
	if (argc > 2 && parse_long(argv[2], 0, 2, &d) == 0)
		cfg.durability = (enum cfg_durability)d;
	drm_local_supervise();
	return 0;
}
