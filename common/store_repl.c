/*
 * store_repl.c -- the environment as a replication site (store_repl.h).
 *
 * Berkeley DB 5.3's replication manager in a multi-process environment:
 * every process of the node configures the same sites and calls
 * repmgr_start(); the first one opens the listening socket and becomes the
 * "replication process" (it takes the connections, applies the master's
 * log on a replica, holds elections); the others are subordinates, which
 * only open connections of their own to the other sites to send the log
 * of the transactions they commit, and wait for those acknowledgements.
 * 5.3 has no automatic takeover of the replication process: when it dies,
 * the next process that opens the environment runs recovery (DB_REGISTER,
 * store.c), every other process reopens, and the first of them to start
 * repmgr again listens.
 *
 * The group is static (DB_LEGACY sites): every node lists the same sites,
 * none creates the group alone, and the first election chooses its
 * master. Repmgr's threads run in every process: they start with every
 * signal blocked, so that SIGALRM (the request watchdog, the guard) and
 * SIGTERM reach the process's own thread only.
 *
 * The event callback runs in repmgr's threads, except PERM_FAILED, which
 * the committing thread fires inside its commit (repmgr_net.c): the
 * runner clears the note before a commit and reads it after.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "store_counter.h"
#include "store_repl.h"
#include "util.h"

#define REPL_SITES_MAX 32
#define REPL_HOST_MAX  256
#define REPL_URL_MAX   512
/* repmgr's message threads in the replication process */
#define REPL_THREADS 3
/* How stale a view's idea of the role may be (ns). */
#define REPL_ROLE_TTL 100000000L

struct repl_site {
	char host[REPL_HOST_MAX];
	unsigned port;
	char url[REPL_URL_MAX]; /* "" when not configured */
};

static struct {
	struct repl_site self;
	struct repl_site peers[REPL_SITES_MAX];
	size_t npeers;
	volatile sig_atomic_t perm_failed;
	enum st_role role;
	struct timespec role_at;
	DB_TXN_TOKEN token; /* the last write's, st_repl_token_take */
	bool have_token;
} repl;

bool
st_repl_on(void)
{
	return cfg.repl_self != NULL;
}

/* "host:port" from s[0..n) into site; 0, or -1 if malformed. */
static int
parse_addr(const char *s, size_t n, struct repl_site *site)
{
	const char *colon = NULL;
	char port[8];
	long p;
	size_t i, hl;

	for (i = 0; i < n; i++)
		if (s[i] == ':')
			colon = s + i;
	if (colon == NULL)
		return -1;
	hl = (size_t)(colon - s);
	if (hl == 0 || hl >= sizeof(site->host) || n - hl - 1 == 0 ||
	    n - hl - 1 >= sizeof(port))
		return -1;
	memcpy(site->host, s, hl);
	site->host[hl] = '\0';
	memcpy(port, colon + 1, n - hl - 1);
	port[n - hl - 1] = '\0';
	if (parse_long(port, 1, 65535, &p) != 0)
		return -1;
	site->port = (unsigned)p;
	return 0;
}

/* "host:port" or "host:port=url" from s[0..n). */
static int
parse_site(const char *s, size_t n, struct repl_site *site)
{
	const char *eq = memchr(s, '=', n);
	size_t an = eq != NULL ? (size_t)(eq - s) : n;

	memset(site, 0, sizeof(*site));
	if (parse_addr(s, an, site) != 0)
		return -1;
	if (eq != NULL) {
		size_t ul = n - an - 1;

		if (ul == 0 || ul >= sizeof(site->url) ||
		    (strncmp(eq + 1, "http://", 7) != 0 &&
			strncmp(eq + 1, "https://", 8) != 0))
			return -1;
		memcpy(site->url, eq + 1, ul);
		site->url[ul] = '\0';
	}
	return 0;
}

static bool
same_addr(const struct repl_site *a, const struct repl_site *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

static int
parse_config(struct gr_err *err)
{
	const char *p = cfg.repl_peers, *end;
	struct repl_site s;

	memset(&repl.self, 0, sizeof(repl.self));
	repl.npeers = 0;
	if (parse_addr(cfg.repl_self, strlen(cfg.repl_self), &repl.self) != 0)
		return gr_fail(err, GR_INPUT_VALIDATION,
		    "GRIDREST_REPL_SELF='%s': use host:port", cfg.repl_self);
	while (p != NULL && *p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if (end > p) {
			if (parse_site(p, (size_t)(end - p), &s) != 0)
				return gr_fail(err, GR_INPUT_VALIDATION,
				    "GRIDREST_REPL_PEERS: '%.*s' is not "
				    "host:port or host:port=http(s)://...",
				    (int)(end - p), p);
			if (same_addr(&s, &repl.self)) {
				if (s.url[0] != '\0')
					memcpy(repl.self.url, s.url,
					    sizeof(s.url));
			} else if (repl.npeers == REPL_SITES_MAX)
				return gr_fail(err, GR_INPUT_VALIDATION,
				    "GRIDREST_REPL_PEERS: more than %d sites",
				    REPL_SITES_MAX);
			else
				repl.peers[repl.npeers++] = s;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return GR_OK;
}

static void
on_event(DB_ENV *env, u_int32_t event, void *info)
{
	int c;

	(void)env;
	switch (event) {
	case DB_EVENT_REP_PERM_FAILED:
		repl.perm_failed = 1;
		break;
	case DB_EVENT_REP_MASTER:
		log_msg(LOG_INFO, "replication: this site is the master");
		/* what the caches hold from an earlier term as master may
		   have been revoked meanwhile (store_counter.c) */
		for (c = 0; c < ST_CHANGE_COUNT; c++)
			st_changed((enum st_change)c);
		break;
	case DB_EVENT_REP_CLIENT:
		log_msg(LOG_INFO, "replication: this site is a replica");
		break;
	case DB_EVENT_REP_NEWMASTER:
		log_msg(LOG_INFO, "replication: new master, site %d",
		    info != NULL ? *(int *)info : -1);
		break;
	case DB_EVENT_REP_STARTUPDONE:
		log_msg(LOG_INFO, "replication: caught up with the master");
		break;
	case DB_EVENT_REP_ELECTION_FAILED:
		log_msg(LOG_WARN, "replication: election failed");
		break;
	case DB_EVENT_PANIC:
		/* the runner sees DB_RUNRECOVERY and reopens */
		break;
	default:
		break;
	}
}

static int
ack_policy(void)
{
	if (strcmp(cfg.repl_acks, "all") == 0)
		return DB_REPMGR_ACKS_ALL;
	if (strcmp(cfg.repl_acks, "one") == 0)
		return DB_REPMGR_ACKS_ONE;
	if (strcmp(cfg.repl_acks, "none") == 0)
		return DB_REPMGR_ACKS_NONE;
	return DB_REPMGR_ACKS_QUORUM;
}

static int
add_site(DB_ENV *env, const struct repl_site *s, bool local)
{
	DB_SITE *site;
	int ret;

	if ((ret = env->repmgr_site(env, s->host, s->port, &site, 0)) != 0)
		return ret;
	if (local)
		ret = site->set_config(site, DB_LOCAL_SITE, 1);
	if (ret == 0)
		ret = site->set_config(site, DB_LEGACY, 1);
	(void)site->close(site);
	return ret;
}

int
st_repl_setup(DB_ENV *env, u_int32_t *flags, struct gr_err *err)
{
	db_timeout_t ack = cfg.repl_ack_timeout_ms * 1000U;
	db_timeout_t elect = cfg.repl_elect_timeout_ms * 1000U;
	size_t i;
	int ret, rc;

	if ((rc = parse_config(err)) != GR_OK)
		return rc;
	if (getenv("GRIDREST_REPL_VERBOSE") != NULL) {
		(void)env->set_verbose(env, DB_VERB_REPMGR_MISC, 1);
		(void)env->set_verbose(env, DB_VERB_REP_MISC, 1);
	}
	if ((ret = env->set_event_notify(env, on_event)) != 0 ||
	    (ret = env->rep_set_priority(env, cfg.repl_priority)) != 0 ||
	    (ret = env->repmgr_set_ack_policy(env, ack_policy())) != 0 ||
	    (ret = env->rep_set_timeout(env, DB_REP_ACK_TIMEOUT, ack)) != 0 ||
	    (ret = env->rep_set_timeout(env, DB_REP_ELECTION_TIMEOUT, elect)) !=
		0 ||
	    /* an election that found no winner is held again soon, and a
	       lost connection retried soon: a failover within seconds */
	    (ret = env->rep_set_timeout(env, DB_REP_ELECTION_RETRY, elect)) !=
		0 ||
	    (ret = env->rep_set_timeout(env, DB_REP_CONNECTION_RETRY,
		 1000000)) != 0 ||
	    /* a master that stops talking (a partition, not a crash: a
	       crash closes its connections) is given up after 3 s */
	    (ret = env->rep_set_timeout(env, DB_REP_HEARTBEAT_SEND, 500000)) !=
		0 ||
	    (ret = env->rep_set_timeout(env, DB_REP_HEARTBEAT_MONITOR,
		 3000000)) != 0 ||
	    /* a master's checkpoint waits this long (30 s by default)
	       for the replicas to write their caches out first; the
	       checkpoints here come from requests and the keeper */
	    (ret = env->rep_set_timeout(env, DB_REP_CHECKPOINT_DELAY, 0)) !=
		0 ||
	    /* two sites: neither elects itself alone */
	    (ret = env->rep_set_config(env, DB_REPMGR_CONF_2SITE_STRICT, 1)) !=
		0 ||
	    (ret = add_site(env, &repl.self, true)) != 0)
		return st_fail(err, ret);
	for (i = 0; i < repl.npeers; i++)
		if ((ret = add_site(env, &repl.peers[i], false)) != 0)
			return st_fail(err, ret);
	*flags |= DB_INIT_REP | DB_THREAD;
	return GR_OK;
}

int
st_repl_start(DB_ENV *env, struct gr_err *err)
{
	sigset_t all, old;
	int ret;

	/* the threads repmgr starts now (and those they start) inherit
	   this mask */
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = env->repmgr_start(env, REPL_THREADS, DB_REP_ELECTION);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0 && ret != DB_REP_IGNORE) {
		log_msg(LOG_ERR, "replication: cannot start: %s",
		    db_strerror(ret));
		return st_fail(err, ret);
	}
	repl.role_at.tv_sec = 0;
	return GR_OK;
}

enum st_role
st_repl_role(bool fresh)
{
	DB_ENV *env = st_self()->env;
	DB_REP_STAT *sp = NULL;
	struct timespec now;

	if (env == NULL || !st_repl_on())
		return ST_ROLE_NONE;
	(void)clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (!fresh && repl.role_at.tv_sec != 0 &&
	    (now.tv_sec - repl.role_at.tv_sec) * 1000000000L +
		    (now.tv_nsec - repl.role_at.tv_nsec) <
		REPL_ROLE_TTL)
		return repl.role;
	repl.role = ST_ROLE_NONE;
	if (env->rep_stat(env, &sp, 0) == 0 && sp != NULL) {
		if (sp->st_status == DB_REP_MASTER)
			repl.role = ST_ROLE_MASTER;
		else if (sp->st_status == DB_REP_CLIENT)
			repl.role = ST_ROLE_REPLICA;
	}
	free(sp);
	repl.role_at = now;
	return repl.role;
}

/*
 * A process of the master sends its commits over connections of its own,
 * which it opens after repmgr_start: a commit before they are up cannot
 * be acknowledged (a new gridrest-db, a respawned backend). Wait up to
 * REPL_CONNECT_MS for as many as the ack policy needs (quorum: half the
 * other sites, rounded up; all: all; one: one).
 */
#define REPL_CONNECT_MS 3000

static void
await_connections(DB_ENV *env)
{
	struct timespec tick = { 0, 10000000L };
	size_t need = 0;
	int i;

	if (strcmp(cfg.repl_acks, "all") == 0)
		need = repl.npeers;
	else if (strcmp(cfg.repl_acks, "one") == 0)
		need = repl.npeers > 0;
	else if (strcmp(cfg.repl_acks, "quorum") == 0)
		need = (repl.npeers + 1) / 2;
	for (i = 0; need > 0 && i < REPL_CONNECT_MS / 10; i++) {
		DB_REPMGR_SITE *list = NULL;
		u_int n = 0, k;
		size_t up = 0;

		if (env->repmgr_site_list(env, &n, &list) == 0)
			for (k = 0; k < n; k++)
				up += list[k].status == DB_REPMGR_CONNECTED;
		free(list);
		if (up >= need)
			return;
		(void)nanosleep(&tick, NULL);
	}
}

enum st_role
st_repl_wait(unsigned seconds)
{
	DB_ENV *env = st_self()->env;
	struct timespec tick = { 0, 50000000L };
	unsigned i;

	for (i = 0; env != NULL && i < seconds * 20; i++) {
		DB_REP_STAT *sp = NULL;
		bool ready = false;

		if (env->rep_stat(env, &sp, 0) == 0 && sp != NULL)
			ready = sp->st_status == DB_REP_MASTER ||
			    (sp->st_status == DB_REP_CLIENT &&
				sp->st_startup_complete &&
				sp->st_master != DB_EID_INVALID);
		free(sp);
		if (ready)
			break;
		(void)nanosleep(&tick, NULL);
	}
	if (st_repl_role(true) == ST_ROLE_MASTER)
		await_connections(env);
	return st_repl_role(true);
}

bool
st_repl_writer(void)
{
	return !st_repl_on() || st_repl_role(false) == ST_ROLE_MASTER;
}

void
st_repl_perm_clear(void)
{
	repl.perm_failed = 0;
}

bool
st_repl_perm_failed(void)
{
	return repl.perm_failed != 0;
}

/* The configured site at host:port, or NULL. */
static const struct repl_site *
find_site(const char *host, unsigned port)
{
	struct repl_site s;
	size_t i;

	if (snprintf(s.host, sizeof(s.host), "%s", host) >= (int)sizeof(s.host))
		return NULL;
	s.port = port;
	if (same_addr(&s, &repl.self))
		return &repl.self;
	for (i = 0; i < repl.npeers; i++)
		if (same_addr(&s, &repl.peers[i]))
			return &repl.peers[i];
	return NULL;
}

/* The master's "host:port" into buf, and its site (NULL if unknown). */
static const struct repl_site *
master_addr(DB_ENV *env, char *buf, size_t n)
{
	DB_REP_STAT *sp = NULL;
	DB_SITE *site = NULL;
	const char *host;
	const struct repl_site *s = NULL;
	u_int port;
	int eid = DB_EID_INVALID;

	buf[0] = '\0';
	if (env->rep_stat(env, &sp, 0) == 0 && sp != NULL)
		eid = (int)sp->st_master;
	free(sp);
	if (eid == DB_EID_INVALID ||
	    env->repmgr_site_by_eid(env, eid, &site) != 0)
		return NULL;
	if (site->get_address(site, &host, &port) == 0) {
		(void)snprintf(buf, n, "%s:%u", host, port);
		s = find_site(host, port);
	}
	(void)site->close(site);
	return s;
}

bool
st_repl_master_url(char *buf, size_t size, char *addr, size_t n)
{
	const struct repl_site *m = NULL;
	size_t len;

	buf[0] = addr[0] = '\0';
	if (st_self()->env != NULL)
		m = master_addr(st_self()->env, addr, n);
	if (m == NULL || m->url[0] == '\0')
		return false;
	len = strlen(m->url);
	while (len > 0 && m->url[len - 1] == '/')
		len--;
	if (len >= size)
		return false;
	memcpy(buf, m->url, len);
	buf[len] = '\0';
	return true;
}

int
st_repl_refuse(struct gr_err *err)
{
	char addr[REPL_HOST_MAX + 8];
	const struct repl_site *m = NULL;

	if (st_self()->env != NULL)
		m = master_addr(st_self()->env, addr, sizeof(addr));
	else
		addr[0] = '\0';
	if (addr[0] == '\0')
		return gr_fail(err, GR_UNAVAILABLE,
		    "this node is a replica and the group has no master now; "
		    "try again");
	return gr_fail(err, GR_UNAVAILABLE,
	    "this node is a replica; writes go to the master %s%s%s", addr,
	    m != NULL && m->url[0] != '\0' ? " at " : "",
	    m != NULL ? m->url : "");
}

void
st_repl_token_reset(void)
{
	repl.have_token = false;
}

void
st_repl_token_take(DB_TXN *tid)
{
	/* asked of a top-level transaction before its commit; Berkeley DB
	   fills it in at the commit (a retried body asks again) */
	repl.have_token = tid->set_commit_token(tid, &repl.token) == 0;
}

bool
st_repl_token_hex(char out[ST_REPL_TOKEN_HEX])
{
	if (!repl.have_token)
		return false;
	hex_encode(repl.token.buf, sizeof(repl.token.buf), out);
	return true;
}

int
st_repl_applied(const char *hex, unsigned ms)
{
	DB_ENV *env = st_self()->env;
	DB_TXN_TOKEN t;
	size_t i;
	int ret;

	if (env == NULL)
		return EINVAL;
	if (strlen(hex) != 2 * sizeof(t.buf))
		return EINVAL;
	for (i = 0; i < sizeof(t.buf); i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return EINVAL;
		t.buf[i] = (u_int8_t)(hi << 4 | lo);
	}
	ret = env->txn_applied(env, &t, (db_timeout_t)ms * 1000, 0);
	/* DB_KEYEMPTY: the transaction wrote nothing */
	return ret == DB_KEYEMPTY ? 0 : ret;
}

const char *
st_repl_self(void)
{
	static char buf[REPL_HOST_MAX + 8];

	(void)snprintf(buf, sizeof(buf), "%s:%u", repl.self.host,
	    repl.self.port);
	return buf;
}

static json_t *
lsn_json(const DB_LSN *l)
{
	return json_sprintf("%u/%u", l->file, l->offset);
}

json_t *
st_repl_status(void)
{
	DB_ENV *env = st_self()->env;
	DB_REP_STAT *sp = NULL;
	DB_REPMGR_SITE *list = NULL;
	DB_LOG_STAT *ls = NULL;
	const struct repl_site *m;
	char addr[REPL_HOST_MAX + 8];
	json_t *o, *sites;
	u_int n = 0, i;
	enum st_role role;

	if (env == NULL || !st_repl_on())
		return NULL;
	role = st_repl_role(true);
	o = json_object();
	json_object_set_new(o, "role",
	    json_string(role == ST_ROLE_MASTER ? "master"
		    : role == ST_ROLE_REPLICA  ? "replica"
					       : "none"));
	json_object_set_new(o, "self",
	    json_sprintf("%s:%u", repl.self.host, repl.self.port));
	m = master_addr(env, addr, sizeof(addr));
	json_object_set_new(o, "master",
	    addr[0] != '\0' ? json_string(addr) : json_null());
	json_object_set_new(o, "master_url",
	    m != NULL && m->url[0] != '\0' ? json_string(m->url) : json_null());
	json_object_set_new(o, "acks", json_string(cfg.repl_acks));
	if (env->rep_stat(env, &sp, 0) == 0 && sp != NULL) {
		json_object_set_new(o, "generation", json_integer(sp->st_gen));
		json_object_set_new(o, "caught_up",
		    json_boolean(
			role == ST_ROLE_MASTER || sp->st_startup_complete));
		json_object_set_new(o, "next_lsn", lsn_json(&sp->st_next_lsn));
	}
	free(sp);
	/* the end of this site's log: a replica's lag is the master's
	   end less its own */
	if (env->log_stat(env, &ls, 0) == 0 && ls != NULL) {
		DB_LSN end = { ls->st_cur_file, ls->st_cur_offset };

		json_object_set_new(o, "lsn", lsn_json(&end));
	}
	free(ls);
	/* the other sites, as configured in this process (whether one is
	   connected is known to the replication process only) */
	sites = json_array();
	if (env->repmgr_site_list(env, &n, &list) == 0)
		for (i = 0; i < n; i++) {
			const struct repl_site *s = find_site(list[i].host,
			    list[i].port);

			json_array_append_new(sites,
			    json_pack("{s:o,s:o}", "address",
				json_sprintf("%s:%u", list[i].host,
				    list[i].port),
				"url",
				s != NULL && s->url[0] != '\0'
				    ? json_string(s->url)
				    : json_null()));
		}
	free(list);
	json_object_set_new(o, "sites", sites);
	return o;
}
