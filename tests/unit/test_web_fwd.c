/*
 * test_web_fwd.c -- what a replica passes on when it forwards a write to
 * the master (web_fwd.c): the client's headers as the master must see
 * them, the hop-by-hop ones and the forwarding marks left out, and the
 * master's head sorted into what goes back to the client. Forwarding
 * itself runs through real nodes (tests/smoke/93-cluster-forward.t).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "web_fwd.h"

static void
test_request_headers(void **state)
{
	static const struct {
		const char *var, *value, *line; /* line NULL: not passed */
	} cases[] = {
		{ "HTTP_X_RUCIO_AUTH_TOKEN", "root-abc",
		    "X-Rucio-Auth-Token: root-abc" },
		{ "HTTP_AUTHORIZATION", "Bearer t", "Authorization: Bearer t" },
		{ "CONTENT_TYPE", "application/json",
		    "Content-Type: application/json" },
		{ "HTTP_RANGE", "bytes=0-9", "Range: bytes=0-9" },
		{ "HTTP_ACCEPT", "application/x-json-stream",
		    "Accept: application/x-json-stream" },
		{ "HTTP_X_GRIDREST_COMMIT", "00ff", "X-Gridrest-Commit: 00ff" },
		{ "HTTP_X_FORWARDED_BY", "a:1", "X-Forwarded-By: a:1" },
		/* CGI variables that are no headers */
		{ "REQUEST_METHOD", "POST", NULL },
		{ "CONTENT_LENGTH", "12", NULL },
		{ "REMOTE_ADDR", "127.0.0.1", NULL },
		/* one connection's, or libcurl's own */
		{ "HTTP_HOST", "node1", NULL },
		{ "HTTP_CONNECTION", "keep-alive", NULL },
		{ "HTTP_KEEP_ALIVE", "5", NULL },
		{ "HTTP_TRANSFER_ENCODING", "chunked", NULL },
		{ "HTTP_TE", "trailers", NULL },
		{ "HTTP_UPGRADE", "h2c", NULL },
		{ "HTTP_EXPECT", "100-continue", NULL },
		{ "HTTP_CONTENT_LENGTH", "12", NULL },
		{ "HTTP_PROXY_AUTHORIZATION", "x", NULL },
		/* added anew by the forwarder */
		{ "HTTP_X_FORWARDED_FOR", "10.0.0.1", NULL },
		{ "HTTP_X_GRIDREST_FORWARDED", "a:1", NULL },
		/* a value that would split the request */
		{ "HTTP_X_EVIL", "a\r\nHost: b", NULL },
		{ "HTTP_", "x", NULL },
	};
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = fwd_request_header(cases[i].var, cases[i].value, out,
		    sizeof(out));

		if (cases[i].line == NULL) {
			assert_false(got);
		} else {
			assert_true(got);
			assert_string_equal(out, cases[i].line);
		}
	}
	/* a line that does not fit is not cut short: it is left out */
	assert_false(fwd_request_header("HTTP_X_LONG",
	    "0123456789012345678901234567890123456789", out, 20));
}

static void
test_response_lines(void **state)
{
	static const struct {
		const char *line;
		enum fwd_line want;
		int status;
	} cases[] = {
		{ "HTTP/1.1 201 Created\r\n", FWD_STATUS, 201 },
		{ "HTTP/1.1 100 Continue\r\n", FWD_STATUS, 100 },
		{ "HTTP/2 409 \r\n", FWD_STATUS, 409 },
		{ "HTTP/1.1 abc\r\n", FWD_DROP, 0 },
		{ "\r\n", FWD_END, 0 },
		{ "\n", FWD_END, 0 },
		{ "ExceptionClass: Duplicate\r\n", FWD_KEEP, 0 },
		{ "ExceptionMessage: Scope 'x' already exists!\r\n", FWD_KEEP,
		    0 },
		{ "Content-Type: application/json\r\n", FWD_KEEP, 0 },
		{ "Content-Length: 112\r\n", FWD_KEEP, 0 },
		{ "X-Rucio-Auth-Token: root-abc\r\n", FWD_KEEP, 0 },
		{ "Content-Range: bytes 0-9/100\r\n", FWD_KEEP, 0 },
		{ "Location: /x\r\n", FWD_KEEP, 0 },
		{ "x-gridrest-commit: 00ff\r\n", FWD_COMMIT, 0 },
		{ "Transfer-Encoding: chunked\r\n", FWD_DROP, 0 },
		{ "Connection: close\r\n", FWD_DROP, 0 },
		{ "Keep-Alive: timeout=5\r\n", FWD_DROP, 0 },
		{ "Date: Tue, 08 Dec 2026 00:00:00 GMT\r\n", FWD_DROP, 0 },
		{ "Server: gridrest\r\n", FWD_DROP, 0 },
		{ "Status: 200 OK\r\n", FWD_DROP, 0 },
		{ "no colon here\r\n", FWD_DROP, 0 },
		{ ": no name\r\n", FWD_DROP, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = 0;

		assert_int_equal(fwd_response_line(cases[i].line,
				     strlen(cases[i].line), &status),
		    cases[i].want);
		assert_int_equal(status, cases[i].status);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_headers),
		cmocka_unit_test(test_response_lines),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
