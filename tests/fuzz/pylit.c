/* pylit.c (fuzz) -- the Python-literal reader of DID filters (pylit.c). */
#include "fuzz.h"
#include "pylit.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size), why[128];
	json_t *out = NULL;

	if (pylit_parse(s, &out, why, sizeof(why)) == 0) {
		if (out == NULL)
			abort();
	} else if (out != NULL || why[0] == '\0') {
		abort(); /* a failure says why and gives nothing */
	}
	json_decref(out);
	free(s);
	return 0;
}
