/*
 * hello.c -- the reference FastCGI responder for bench/ping.sh,
 * bench/dids.sh and bench/rules.sh: the smallest libfcgi program answering
 * a fixed JSON document, i.e. the ceiling any gridrest route can reach
 * behind the same lighttpd.
 *
 * A ceiling must not pay what the routes do not: it ends each connection
 * as web.c's close_quickly() does. Left to FCGX_Finish_r, libfcgi shuts
 * the socket down and waits in select() until lighttpd closes its side,
 * a sleep and a wake-up per request, which made this reference slower
 * than GET /ping (and a token-checked DID read "faster" than it).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <fcgiapp.h>

/* Close without the wait when the request had no body and nothing more
   waits in the socket (closing over unread input resets lighttpd's side,
   which it logs as a dead backend). */
static void
detach_if_read(FCGX_Request *req)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", req->envp);
	char c;

	if (cl != NULL && cl[0] != '\0' && strcmp(cl, "0") != 0)
		return;
	if (recv(req->ipcFd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK))
		(void)FCGX_Detach(req);
}

int
main(void)
{
	static const char reply[] = "Status: 200 OK\r\n"
				    "Content-Type: application/json\r\n"
				    "Content-Length: 21\r\n\r\n"
				    "{\"version\": \"0.1.0\"}\n";
	FCGX_Request req;

	FCGX_Init();
	FCGX_InitRequest(&req, 0, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(reply, sizeof(reply) - 1, req.out);
		detach_if_read(&req);
		FCGX_Finish_r(&req);
	}
	return 0;
}
