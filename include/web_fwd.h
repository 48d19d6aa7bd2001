/*
 * web_fwd.h -- a replica passes a write on to the master (web_fwd.c), so
 * that every node of a replication group answers every route (README,
 * "Replication"). Only a replicated node calls it; a node alone never
 * does.
 *
 * The request goes to the master's gridrest URL with libcurl: the same
 * method, URI and query, the client's headers (tokens, Content-Type,
 * Range...) with X-Forwarded-For, X-Forwarded-By and X-Gridrest-Forwarded
 * added, and the body streamed as it arrives. The master's status,
 * headers and body come back as they arrive; before the status goes out,
 * the replica waits (GRIDREST_REPL_APPLY_TIMEOUT) until it has applied
 * the write the master names in X-Gridrest-Commit, so that a read
 * through any node then sees it. A request that was forwarded once is
 * never forwarded again.
 */
#ifndef WEB_FWD_H
#define WEB_FWD_H

#include <stdbool.h>
#include <stddef.h>

#include "web.h"

/* The request header that marks a forwarded request, and the response
   header that carries the master's commit token. */
#define FWD_HEADER        "X-Gridrest-Forwarded"
#define FWD_COMMIT_HEADER "X-Gridrest-Commit"

/*
 * Should a request that reached this replicated node go to the master
 * before it is handled here? True for a method that writes (anything but
 * GET, HEAD and OPTIONS) when this site is not the master.
 */
bool fwd_wanted(const struct web_req *r);

/*
 * A request that carries X-Gridrest-Commit (a token a write's answer
 * gave, through any node) waits on a replica until that write is applied
 * here: a client that passes it on reads its write through any node.
 * GR_OK, or a 503 with Retry-After (not applied in time) or a 400 (not a
 * token) recorded in r->err.
 */
int fwd_after(struct web_req *r);

/*
 * Forward r to the master and answer the client with the master's
 * answer: GR_OK once answered (r->status set), or a failure recorded in
 * r->err with nothing written (no master known, a request forwarded
 * already, the master did not answer): a 503 with Retry-After.
 */
int fwd_request(struct web_req *r);

/*
 * The header line a CGI variable becomes in the forwarded request, into
 * out (size n): "HTTP_X_RUCIO_AUTH_TOKEN" -> "X-Rucio-Auth-Token: v",
 * "CONTENT_TYPE" -> "Content-Type: v". False for what is not passed on:
 * other CGI variables, hop-by-hop headers (Connection, Keep-Alive, TE,
 * Transfer-Encoding, Upgrade, Expect, Proxy-*), Host and Content-Length
 * (libcurl writes its own), X-Forwarded-For (added anew), and a value
 * with a line break.
 */
bool fwd_request_header(const char *var, const char *value, char *out,
    size_t n);

/*
 * What a line of the master's response head is, for passing it back:
 * FWD_STATUS (a status line; *status gets the code), FWD_END (the blank
 * line), FWD_COMMIT (the commit token header, kept by the replica),
 * FWD_DROP (a hop-by-hop header such as Transfer-Encoding: libcurl
 * hands over the body unchunked and lighttpd frames it anew; Date and
 * Server, which lighttpd writes) or FWD_KEEP.
 */
enum fwd_line { FWD_KEEP, FWD_DROP, FWD_STATUS, FWD_END, FWD_COMMIT };
enum fwd_line fwd_response_line(const char *line, size_t n, int *status);

#endif /* WEB_FWD_H */
