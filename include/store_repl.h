/*
 * store_repl.h -- the store as a site of a Berkeley DB replication group
 * (store_repl.c): several gridrest nodes over one replicated store, run by
 * Berkeley DB's replication manager (repmgr). Off unless GRIDREST_REPL_SELF
 * is set; then every process of the node opens the environment as part of
 * the group (README, "Replication").
 *
 * The group is static: GRIDREST_REPL_PEERS names every site (the node's
 * own address may be among them), each "host:port" or
 * "host:port=http://host:8080" (that site's gridrest base URL, for /health
 * and forwarding). Elections choose the master among the sites; a write
 * on a replica is refused (503), and a write the master could not get
 * acknowledged by the ack policy (GRIDREST_REPL_ACKS, quorum by default)
 * within GRIDREST_REPL_ACK_TIMEOUT is reported as a 503, never as done.
 */
#ifndef STORE_REPL_H
#define STORE_REPL_H

#include <stdbool.h>

#include <db.h>
#include <jansson.h>

#include "err.h"

enum st_role {
	ST_ROLE_NONE,    /* replication off, or the site is not started */
	ST_ROLE_MASTER,  /* takes writes */
	ST_ROLE_REPLICA, /* a client of the master, read-only */
};

/* true when the configuration makes this node a replication site. */
bool st_repl_on(void);

/*
 * Configure env (created, not yet opened) as a site: the sites, the ack
 * policy, timeouts, priority and the event callback. *flags gains what
 * the open needs (DB_INIT_REP, DB_THREAD). GR_OK or GR_INPUT_VALIDATION
 * (a malformed address) or a store failure.
 */
int st_repl_setup(DB_ENV *env, u_int32_t *flags, struct gr_err *err);

/* Start the replication manager on the opened env: the first process of
   the node listens and holds elections, the others send their own
   writes (Berkeley DB's "subordinate processes"). */
int st_repl_start(DB_ENV *env, struct gr_err *err);

/*
 * This site's role. fresh: asked of the environment now (a write's
 * check); otherwise a value at most a tenth of a second old (views).
 */
enum st_role st_repl_role(bool fresh);

/*
 * Wait up to seconds for this site to be of use: the master, or a replica
 * that knows its master and has caught up with it. Its role then.
 */
enum st_role st_repl_wait(unsigned seconds);

/*
 * Whether this process may start background writers (the mover, the
 * reaper, the rule evaluator, DRM supervisors) and run the backends'
 * periodic sweeps (undertaker, subscriptions, task throttles): without
 * replication always; on a replication site only while it is the master
 * (the role at most a tenth of a second old). They move with the master:
 * the new master's backends start them at their next request.
 */
bool st_repl_writer(void);

/* Around a commit: clear, then test, the note that the commit's log
   record missed its acknowledgements (DB_EVENT_REP_PERM_FAILED, fired in
   the committing thread). */
void st_repl_perm_clear(void);
bool st_repl_perm_failed(void);

/* Record in err why this replica takes no write (a 503 naming the
   master, when one is known). Returns the code. */
int st_repl_refuse(struct gr_err *err);

/*
 * Read-your-writes across sites. Before a write transaction commits on a
 * site, st_repl_token_take() asks Berkeley DB for its commit token
 * (DB_TXN->set_commit_token); st_repl_token_hex() writes the last one
 * taken since st_repl_token_reset() as hex (false: none). On a replica,
 * st_repl_applied() waits up to ms milliseconds until the write named by
 * such a hex token is applied here (DB_ENV->txn_applied): 0 when it is
 * (or changed nothing), DB_TIMEOUT, or another Berkeley DB error.
 */
#define ST_REPL_TOKEN_HEX (2 * sizeof(DB_TXN_TOKEN) + 1)
void st_repl_token_reset(void);
void st_repl_token_take(DB_TXN *tid);
bool st_repl_token_hex(char out[ST_REPL_TOKEN_HEX]);
int st_repl_applied(const char *hex, unsigned ms);

/* The master's gridrest URL into buf (no trailing '/'), when a master is
   known and its URL configured; else false (an election, say). Its
   replication address goes to addr (size n), "" when unknown. */
bool st_repl_master_url(char *buf, size_t size, char *addr, size_t n);

/* This site's own replication address, "host:port". */
const char *st_repl_self(void);

/*
 * The group as this site sees it, a new object: role, self, master (and
 * its URL), generation, this site's log position, and every other site
 * with its address, URL and whether it is connected. For /health and
 * gridrest-db group. NULL when replication is off or the store is closed.
 */
json_t *st_repl_status(void);

#endif /* STORE_REPL_H */
