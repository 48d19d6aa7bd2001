/* range.c (fuzz) -- Range headers (web_file.c): the input's first line
   is the file size, the rest the header; a satisfiable range lies in the
   file. */
#include "fuzz.h"
#include "web_file.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size), *h, *end;
	long long fsize, from = -1, to = -1;
	int rc;

	h = strchr(s, '\n');
	if (h != NULL) {
		*h++ = '\0';
		fsize = strtoll(s, &end, 10);
		if (*end == '\0' && fsize >= 0) {
			rc = web_file_range(h, fsize, &from, &to);
			if (rc == 0 && (from < 0 || from > to || to >= fsize))
				abort();
		}
	}
	free(s);
	return 0;
}
