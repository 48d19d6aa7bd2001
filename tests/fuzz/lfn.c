/* lfn.c (fuzz) -- base64url LFNs of the file catalogue (catalog.c): a
   decoded path is absolute, normalised and fits its buffer. */
#include "catalog.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size), out[FC_PATH_MAX + 1];
	struct gr_err err = { 0 };
	size_t n;

	if (fc_path_decode(s, out, &err) == GR_OK) {
		n = strlen(out);
		if (out[0] != '/' || n > FC_PATH_MAX || strstr(out, "//") ||
		    strstr(out, "/../") || (n > 1 && out[n - 1] == '/'))
			abort();
	}
	free(s);
	return 0;
}
