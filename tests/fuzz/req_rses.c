/* req_rses.c (fuzz) -- whole requests to the rses family (cgi-bin/rses.c):
   method, path, query, headers and body through its route table, its
   handlers and their validators, against a store in a temporary
   directory, as root (fuzz.h). A 5xx is a finding. */
int family_main(void);
#define main family_main
#include "../../cgi-bin/rses.c"
#undef main

#include "fuzz.h"

FUZZ_FAMILY(rses_routes)
