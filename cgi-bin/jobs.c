/*
 * jobs.c -- the jobs family (/jobs). Its routes come with the
 * issues that build them; until then every path is a JSON 404.
 */
#include "web.h"

/* clang-format off */
static const struct web_route jobs_routes[] = {
	{ 0, NULL, NULL, 0 }
};
/* clang-format on */

int
main(void)
{
	return web_main("jobs", jobs_routes);
}
