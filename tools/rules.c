/*
 * rules.c -- gridrest-rules, the rule evaluator: the background process
 * that applies INJECT rules (large ones, asynchronous ones, delayed ones,
 * approved ones) batch by batch. Started on demand by the rses backends
 * (rule_tick) when such a rule is due and no evaluator runs; one per
 * store (an exclusive flock on db/rules.lock, its pid inside); leaves after
 * GRIDREST_KEEPER_IDLE seconds without work. Every batch is a
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
#include "mover.h"
#include "rule.h"
#include "store.h"
#include "util.h"

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(void)
{
	struct gr_err err = { 0 };
	struct sigaction sa;
	struct timespec nap = { 0, 100 * 1000000L };
	char lock[4096];
	const char *log;
	unsigned idle = 0;
	char pid[24];
	bool worked;
	int fd, n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigaction(SIGTERM, &sa, NULL);
	json_set_alloc_funcs(xmalloc, free);
	if (cfg_load(&err) != GR_OK) {
		fprintf(stderr, "gridrest-rules: %s\n", err.msg);
		return 1;
	}
	if ((log = getenv("GRIDREST_LOG")) != NULL && *log != '\0')
		(void)log_open(log);
	log_set_name("rules");
	(void)snprintf(lock, sizeof(lock), "%s/db/rules.lock", cfg.home);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    flock(fd, LOCK_EX | LOCK_NB) != 0)
		return 0; /* another evaluator runs */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0) /* who runs, for operators and tests */
		(void)!pwrite(fd, pid, (size_t)n, 0);
	if (st_open(cfg.home, 0, &err) != GR_OK) {
		log_msg(LOG_ERR, "rules: %s", err.msg);
		return 1;
	}
	st_guard();
	rule_evaluator_open();
	while (!stop && !st_must_exit() &&
	    idle < (cfg.keeper_idle > 0 ? cfg.keeper_idle : 30) * 10U) {
		gr_clear(&err);
		if (rule_inject_step(&worked, &err) != GR_OK) {
			log_msg(LOG_WARN, "rules: %s", err.msg);
			worked = false;
		}
		/* the batch's transfers start while the next is locked */
		mover_kick_noted();
		if (worked) {
			idle = 0;
			continue;
		}
		idle++;
		(void)nanosleep(&nap, NULL);
	}
	st_close();
	return 0;
}
