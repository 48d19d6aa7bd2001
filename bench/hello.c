/*
 * hello.c -- the reference FastCGI responder for bench/ping.sh: the
 * smallest libfcgi program answering a fixed JSON document, i.e. the
 * ceiling any gridrest route can reach behind the same lighttpd.
 */
#include <fcgiapp.h>

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
		FCGX_Finish_r(&req);
	}
	return 0;
}
