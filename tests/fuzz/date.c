/* date.c (fuzz) -- dates a client sends (date.c): a parsed date prints
   and parses back to itself. */
#include "date.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size), rfc[DATE_RFC1123_LEN],
	     iso[DATE_ISO_LEN];
	int64_t t, back;

	if (date_parse(s, &t) == 0) {
		(void)date_iso(t, iso);
		/* within years 1..9999 (beyond, printing clamps) */
		if (t >= -62135596800LL && t <= 253402300799LL &&
		    (date_rfc1123(t, rfc) == NULL ||
			date_parse(rfc, &back) != 0 || back != t))
			abort();
	}
	free(s);
	return 0;
}
