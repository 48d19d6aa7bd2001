/* didfilter.c (fuzz) -- the DID filter grammar (didsearch.c): the
   client's literal, parsed for every DID type, and matched against a
   record. */
#include "didsearch.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "all", "file", "dataset" };
	struct gr_err err = { 0 };
	struct didsearch *q;
	json_t *filters = NULL, *rec;
	char *s = fuzz_text(data, size);
	size_t i;

	if (didsearch_literal(s, &filters, &err) == GR_OK) {
		rec = json_pack("{s:s, s:I, s:s, s:s, s:{s:s, s:i}}", "type",
		    "FILE", "bytes", (json_int_t)10, "account", "root",
		    "project", "p1", "meta", "color", "blue", "n", 7);
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			gr_clear(&err);
			if (didsearch_parse(filters, types[i], &q, &err) ==
			    GR_OK) {
				(void)didsearch_match(q, "data", "f1", rec);
				didsearch_free(q);
			}
		}
		json_decref(rec);
	}
	json_decref(filters);
	free(s);
	return 0;
}
