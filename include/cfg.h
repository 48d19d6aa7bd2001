/*
 * cfg.h -- run-time settings. Read once at start-up from the environment,
 * which lighttpd.conf sets for every backend through "bin-environment" and
 * scripts/gridrest sets for the admin tool; every setting has an embedded
 * default, so nothing needs configuring for a development run.
 */
#ifndef CFG_H
#define CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GRIDREST_VERSION "0.1.0"

enum cfg_durability {
	CFG_DURABLE_SYNC,  /* fsync at commit: survives a power loss */
	CFG_DURABLE_WRITE, /* write at commit: survives a process crash */
	CFG_DURABLE_NONE   /* neither: a crash may lose recent commits */
};

struct gr_cfg {
	const char *home;       /* GRIDREST_HOME, default "var" */
	size_t max_body;        /* GRIDREST_MAX_BODY bytes, default 16 MiB */
	int64_t token_lifetime; /* GRIDREST_TOKEN_LIFETIME s, default 3600 */
	enum cfg_durability
	    durability;              /* GRIDREST_DURABILITY sync|write|none */
	unsigned cache_mb;           /* GRIDREST_CACHE_MB, default 64 */
	unsigned pbkdf2_iter;        /* GRIDREST_PBKDF2_ITER, default 100000 */
	const char *exchange_url;    /* GRIDREST_EXCHANGE_USERINFO, or NULL */
	const char *exchange_ca;     /* GRIDREST_EXCHANGE_CA, or NULL */
	const char *exchange_source; /* GRIDREST_EXCHANGE_SOURCE, "oidc" */
	unsigned exchange_timeout;   /* GRIDREST_EXCHANGE_TIMEOUT s, 5 */
	const char *oauth_setups;    /* GRIDREST_OAUTH2_SETUPS, "gridrest" */
	unsigned request_timeout; /* GRIDREST_REQUEST_TIMEOUT s, 0 = none; 60 */
	unsigned undertaker_interval; /* GRIDREST_UNDERTAKER_INTERVAL s between
					 sweeps of expired DIDs, 0 = none; 60 */
	unsigned keeper_idle; /* GRIDREST_KEEPER_IDLE s without writes before
				 the store's keeper leaves; 30 */
	unsigned rules_batch; /* GRIDREST_RULES_BATCH files an INJECT rule's
				 evaluator places per transaction; 2000 */
	bool admin_delete_replicas; /* GRIDREST_DELETE_REPLICAS=admin; Rucio's
				       generic policy (nobody) by default */
	/* replication (store_repl.h); off unless repl_self is set */
	const char *repl_self;  /* GRIDREST_REPL_SELF host:port, or NULL */
	const char *repl_peers; /* GRIDREST_REPL_PEERS host:port[=url],... */
	const char *repl_acks;  /* GRIDREST_REPL_ACKS quorum|all|one|none */
	unsigned repl_ack_timeout_ms;   /* GRIDREST_REPL_ACK_TIMEOUT, 2000 */
	unsigned repl_elect_timeout_ms; /* GRIDREST_REPL_ELECTION_TIMEOUT,
					   2000 */
	unsigned repl_priority;         /* GRIDREST_REPL_PRIORITY, 100 */
	unsigned repl_apply_timeout_ms; /* GRIDREST_REPL_APPLY_TIMEOUT: how
					   long a replica waits for a write
					   it forwarded to arrive, 5000 */
};

/* The settings in force; valid after cfg_load(). */
extern struct gr_cfg cfg;

/*
 * Read the environment into cfg. On a malformed value returns
 * GR_INPUT_VALIDATION with err naming the variable; cfg keeps defaults.
 */
int cfg_load(struct gr_err *err);

/*
 * A daemon's own setting (GRIDREST_MOVER_*, GRIDREST_REAPER_*), read when
 * it is wanted rather than into cfg: the variable name as a whole number
 * in [min, max]; def when it is unset, empty, malformed or out of range.
 */
long cfg_env_long(const char *name, long def, long min, long max);

#endif /* CFG_H */
