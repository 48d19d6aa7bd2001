/*
 * cfg.c -- settings from the environment with embedded defaults.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "util.h"

struct gr_cfg cfg = {
	.home = "var",
	.max_body = 16u << 20,
	.token_lifetime = 3600,
	.durability = CFG_DURABLE_SYNC,
	.cache_mb = 64,
	.pbkdf2_iter = 100000,
	.request_timeout = 60,
	.undertaker_interval = 60,
	.keeper_idle = 30,
	.rules_batch = 2000,
	.oauth_setups = "gridrest",
	.exchange_source = "oidc",
	.exchange_timeout = 5,
	.repl_acks = "quorum",
	.repl_ack_timeout_ms = 2000,
	.repl_elect_timeout_ms = 2000,
	.repl_priority = 100,
	.repl_apply_timeout_ms = 5000,
};

/* Numeric settings: name, bounds, and where the value goes. */
struct cfg_num {
	const char *name;
	long min, max;
	long *out;
};

int
cfg_load(struct gr_err *err)
{
	long max_body = (long)cfg.max_body, lifetime = (long)cfg.token_lifetime;
	long cache = cfg.cache_mb, iter = cfg.pbkdf2_iter;
	long timeout = cfg.request_timeout;
	long xtimeout = cfg.exchange_timeout;
	long sweep = cfg.undertaker_interval;
	long idle = cfg.keeper_idle;
	long batch = cfg.rules_batch;
	long ack_ms = cfg.repl_ack_timeout_ms;
	long elect_ms = cfg.repl_elect_timeout_ms;
	long prio = cfg.repl_priority;
	long apply_ms = cfg.repl_apply_timeout_ms;
	const struct cfg_num nums[] = {
		{ "GRIDREST_MAX_BODY", 1024, 1L << 30, &max_body },
		{ "GRIDREST_TOKEN_LIFETIME", 60, 30L * 86400, &lifetime },
		{ "GRIDREST_CACHE_MB", 1, 65536, &cache },
		{ "GRIDREST_PBKDF2_ITER", 1000, 10000000, &iter },
		{ "GRIDREST_REQUEST_TIMEOUT", 0, 86400, &timeout },
		{ "GRIDREST_EXCHANGE_TIMEOUT", 1, 60, &xtimeout },
		{ "GRIDREST_UNDERTAKER_INTERVAL", 0, 86400, &sweep },
		{ "GRIDREST_KEEPER_IDLE", 1, 86400, &idle },
		{ "GRIDREST_RULES_BATCH", 1, 1000000, &batch },
		{ "GRIDREST_REPL_ACK_TIMEOUT", 10, 600000, &ack_ms },
		{ "GRIDREST_REPL_ELECTION_TIMEOUT", 100, 600000, &elect_ms },
		{ "GRIDREST_REPL_PRIORITY", 0, 1000000, &prio },
		{ "GRIDREST_REPL_APPLY_TIMEOUT", 0, 600000, &apply_ms },
	};
	const char *v;
	size_t i;

	if ((v = getenv("GRIDREST_HOME")) != NULL && *v != '\0')
		cfg.home = v;
	if ((v = getenv("GRIDREST_OAUTH2_SETUPS")) != NULL && *v != '\0')
		cfg.oauth_setups = v;
	if ((v = getenv("GRIDREST_EXCHANGE_USERINFO")) != NULL && *v != '\0')
		cfg.exchange_url = v;
	if ((v = getenv("GRIDREST_EXCHANGE_CA")) != NULL && *v != '\0')
		cfg.exchange_ca = v;
	if ((v = getenv("GRIDREST_EXCHANGE_SOURCE")) != NULL && *v != '\0')
		cfg.exchange_source = v;
	if ((v = getenv("GRIDREST_REPL_SELF")) != NULL && *v != '\0')
		cfg.repl_self = v;
	if ((v = getenv("GRIDREST_REPL_PEERS")) != NULL && *v != '\0')
		cfg.repl_peers = v;
	if ((v = getenv("GRIDREST_REPL_ACKS")) != NULL && *v != '\0') {
		if (strcmp(v, "quorum") != 0 && strcmp(v, "all") != 0 &&
		    strcmp(v, "one") != 0 && strcmp(v, "none") != 0)
			return gr_fail(err, GR_INPUT_VALIDATION,
			    "GRIDREST_REPL_ACKS='%s': use quorum, all, one or "
			    "none",
			    v);
		cfg.repl_acks = v;
	}
	for (i = 0; i < ARRAY_LEN(nums); i++) {
		v = getenv(nums[i].name);
		if (v == NULL || *v == '\0')
			continue;
		if (parse_long(v, nums[i].min, nums[i].max, nums[i].out) != 0)
			return gr_fail(err, GR_INPUT_VALIDATION,
			    "%s='%s' is not a number in [%ld, %ld]",
			    nums[i].name, v, nums[i].min, nums[i].max);
	}
	if ((v = getenv("GRIDREST_DURABILITY")) != NULL && *v != '\0') {
		if (strcmp(v, "sync") == 0)
			cfg.durability = CFG_DURABLE_SYNC;
		else if (strcmp(v, "write") == 0)
			cfg.durability = CFG_DURABLE_WRITE;
		else if (strcmp(v, "none") == 0)
			cfg.durability = CFG_DURABLE_NONE;
		else
			return gr_fail(err, GR_INPUT_VALIDATION,
			    "GRIDREST_DURABILITY='%s': use sync, write or none",
			    v);
	}
	if ((v = getenv("GRIDREST_DELETE_REPLICAS")) != NULL && *v != '\0') {
		if (strcmp(v, "admin") == 0)
			cfg.admin_delete_replicas = true;
		else if (strcmp(v, "nobody") == 0)
			cfg.admin_delete_replicas = false;
		else
			return gr_fail(err, GR_INPUT_VALIDATION,
			    "GRIDREST_DELETE_REPLICAS='%s': use nobody or "
			    "admin",
			    v);
	}
	cfg.max_body = (size_t)max_body;
	cfg.token_lifetime = lifetime;
	cfg.cache_mb = (unsigned)cache;
	cfg.pbkdf2_iter = (unsigned)iter;
	cfg.request_timeout = (unsigned)timeout;
	cfg.exchange_timeout = (unsigned)xtimeout;
	cfg.undertaker_interval = (unsigned)sweep;
	cfg.keeper_idle = (unsigned)idle;
	cfg.rules_batch = (unsigned)batch;
	cfg.repl_ack_timeout_ms = (unsigned)ack_ms;
	cfg.repl_elect_timeout_ms = (unsigned)elect_ms;
	cfg.repl_priority = (unsigned)prio;
	cfg.repl_apply_timeout_ms = (unsigned)apply_ms;
	return GR_OK;
}

long
cfg_env_long(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	long out;

	if (v == NULL || *v == '\0' || parse_long(v, min, max, &out) != 0)
		return def;
	return out;
}
