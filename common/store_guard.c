/*
 * store_guard.c -- the stale guard (store_guard.h): a SIGALRM tick that
 * ends a process without a request watchdog once the environment was
 * recovered or removed under it. Its state is this process's alone, and
 * the handler touches only sig_atomic_t and async-signal-safe calls
 * (st_stale() is a stat(), the message a write()).
 */
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "store.h"
#include "store_guard.h"
#include "store_int.h"

static bool guarded;
static int guard_depth;
static volatile sig_atomic_t guard_stale;

static void
guard_tick(int sig)
{
	static const char msg[] = "gridrest: the store was recovered or "
				  "removed while this process waited in it; "
				  "exiting\n";

	(void)sig;
	if (!st_stale())
		guard_stale = 0;
	else if (++guard_stale >= 2) {
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(1);
	}
}

void
st_guard(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = guard_tick;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGALRM, &sa, NULL);
	guarded = true;
}

void
st_guard_arm(bool on)
{
	struct itimerval it;

	if (!guarded || (on ? guard_depth++ : --guard_depth) != 0)
		return;
	memset(&it, 0, sizeof(it));
	if (on)
		it.it_interval.tv_sec = it.it_value.tv_sec = 1;
	guard_stale = 0;
	(void)setitimer(ITIMER_REAL, &it, NULL);
}
