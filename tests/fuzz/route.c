/* route.c (fuzz) -- the path splitter and the percent-decoder (route.c):
   the input is a raw path; it is split into segments, and decoded whole
   as a query value would be. */
#include "fuzz.h"
#include "route.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct route_path p;
	struct gr_err err = { 0 };
	char *raw = fuzz_text(data, size), *out;
	size_t i;

	arena_init(&a, 4096);
	if (route_split(&a, raw, &p, &err) == GR_OK) {
		if (p.nseg > ROUTE_SEGS_MAX)
			abort();
		for (i = 0; i < p.nseg; i++)
			if (strchr(p.segs[i], '/') != NULL &&
			    strstr(raw, "%2") == NULL &&
			    strstr(raw, "%2f") == NULL)
				abort(); /* a '/' only from an escape */
	}
	if (route_decode(&a, raw, size, true, &out) == 0 && strlen(out) > size)
		abort(); /* decoding never grows */
	(void)route_decode(&a, raw, size, false, &out);
	arena_free(&a);
	free(raw);
	return 0;
}
