/*
 * rses.c -- the rses family (/rses /replicas /rules /subscriptions). Its routes
 * come with the issues that build them; until then every path is a JSON 404.
 */
#include "web.h"

/* clang-format off */
static const struct web_route rses_routes[] = {
	{ 0, NULL, NULL, 0 }
};
/* clang-format on */

int
main(void)
{
	return web_main("rses", rses_routes);
}
