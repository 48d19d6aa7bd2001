/* multipart.c (fuzz) -- multipart/form-data bodies (multipart.c): the
   first line of the input is the Content-Type, the rest the body. */
#include "fuzz.h"
#include "multipart.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_part parts[MP_PARTS_MAX];
	struct gr_err err = { 0 };
	const uint8_t *eol = memchr(data, '\n', size);
	struct arena a;
	char *ctype;
	size_t n = 0, i, body;

	if (eol == NULL)
		return 0;
	ctype = fuzz_text(data, (size_t)(eol - data));
	body = (size_t)(eol + 1 - data);
	arena_init(&a, 4096);
	if (mp_is_form(ctype) &&
	    mp_parse(&a, ctype, (const char *)data + body, size - body, parts,
		MP_PARTS_MAX, &n, &err) == GR_OK) {
		for (i = 0; i < n; i++)
			if (parts[i].data < (const char *)data + body ||
			    parts[i].data + parts[i].len >
				(const char *)data + size)
				abort(); /* a part lies in the body */
	}
	arena_free(&a);
	free(ctype);
	return 0;
}
