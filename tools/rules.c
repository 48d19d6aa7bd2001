/*
 * rules.c -- gridrest-rules, the rule evaluator: the background process
 * that applies INJECT rules (large ones, asynchronous ones, delayed ones,
 * approved ones) batch by batch. Started on demand by the rses backends
 * (rule_tick) when such a rule is due and no evaluator runs; one per
 * store (an exclusive flock on db/rules.lock, its pid inside); leaves after
 * GRIDREST_KEEPER_IDLE seconds without work (or stays, when a rule's
 * lifetime ends before then). Every second it deletes the rules whose
 * lifetime ended (rule_expire), a hundred a transaction. It also makes
 * the pass of a retroactive subscription over the collections there are
 * (sub_retro_step, a thousand DIDs a turn). Every batch is a
 * transaction that keeps its position in the rule, so a kill -9 at any
 * moment loses nothing: the next evaluator resumes after the last commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cfg.h"
#include "log.h"
#include "proc.h"
#include "mover.h"
#include "rule.h"
#include "subscription.h"
#include "store.h"
#include "store_guard.h"
#include "util.h"

/* Expired rules deleted in one transaction. */
#define EXPIRE_BATCH 100

int
main(void)
{
	struct gr_err err = { 0 };
	char lock[4096];
	const char *log;
	unsigned idle = 0;
	unsigned linger;
	int64_t next_expiry = 0;
	size_t done;
	bool worked, retro;

	proc_catch_stop();
	json_set_alloc_funcs(xmalloc, free);
	if (cfg_load(&err) != GR_OK) {
		fprintf(stderr, "gridrest-rules: %s\n", err.msg);
		return 1;
	}
	if ((log = getenv("GRIDREST_LOG")) != NULL && *log != '\0')
		(void)log_open(log);
	log_set_name("rules");
	linger = cfg.keeper_idle > 0 ? cfg.keeper_idle : 30;
	(void)snprintf(lock, sizeof(lock), "%s/db", cfg.home);
	if (proc_lock_take(lock, "rules.lock") < 0)
		return 0; /* another evaluator runs */
	if (st_open(cfg.home, 0, &err) != GR_OK) {
		log_msg(LOG_ERR, "rules: %s", err.msg);
		return 1;
	}
	st_guard();
	rule_evaluator_open();
	while (!proc_stop && !st_must_exit() && !st_removed()) {
		if (time_now() >= next_expiry) { /* once a second */
			next_expiry = time_now() + 1;
			gr_clear(&err);
			if (rule_expire(EXPIRE_BATCH, &done, &err) != GR_OK)
				log_msg(LOG_WARN, "rules: %s", err.msg);
			else if (done > 0) {
				log_msg(LOG_INFO,
				    "rules: %zu expired rules deleted", done);
				idle = 0;
				if (done == EXPIRE_BATCH)
					next_expiry = 0; /* more: at once */
			}
		}
		gr_clear(&err);
		if (rule_inject_step(&worked, &err) != GR_OK) {
			log_msg(LOG_WARN, "rules: %s", err.msg);
			worked = false;
		}
		/* a retroactive subscription's pass, a batch of DIDs a turn */
		gr_clear(&err);
		if (sub_retro_step(&retro, &err) != GR_OK)
			log_msg(LOG_WARN, "rules: subscriptions: %s", err.msg);
		else if (retro)
			worked = true;
		/* the batch's transfers start while the next is locked */
		mover_kick_noted();
		if (worked) {
			idle = 0;
			continue;
		}
		/* idle: it leaves, unless a rule expires before it would
		   have left (a lifetime of minutes needs no web request) */
		if (++idle >= linger * 10U) {
			int64_t at = rule_expiry_next();

			if (at == 0 || at > time_now() + (int64_t)linger)
				break;
			idle = 0;
		}
		proc_nap(100);
	}
	st_close();
	return 0;
}
