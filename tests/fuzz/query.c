/* query.c (fuzz) -- query strings, through the dispatcher: the input is
   the query of GET /q?<input>, whose handler reads a few parameters. */
#include "fuzz.h"

static int
q_handler(struct web_req *r)
{
	bool b;

	(void)web_query(r, "a");
	(void)web_query(r, "");
	if (web_query_bool(r, "flag", false, &b) != GR_OK)
		return r->err.code;
	return web_reply_text(r, 200, "text/plain", "", 0);
}

/* clang-format off */
static const struct web_route q_routes[] = {
	{ WEB_GET,	"/q",	q_handler,	0 },
	{ 0, NULL, NULL, 0 }
};
/* clang-format on */

FUZZ_STORE_INIT

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *req;
	size_t n;

	if (memchr(data, '\n', size) != NULL)
		return 0; /* one request line */
	req = xmalloc(size + 16);
	memcpy(req, "GET /q?", 7);
	memcpy(req + 7, data, size);
	n = size + 7;
	fuzz_request(q_routes, req, n);
	free(req);
	return 0;
}
