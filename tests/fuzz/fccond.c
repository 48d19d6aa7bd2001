/* fccond.c (fuzz) -- catalogue conditions (catalog.c, fcsearch.c): each
   input line "key=op|value" is a query argument; the condition is then
   searched in a small catalogue with typed fields. */
#include "catalog.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct gr_err err = { 0 };
	json_t *m;

	(void)argc;
	(void)argv;
	fuzz_store_open();
	if (fc_field_add("root", "run", "int", 'd', &err) != GR_OK ||
	    fc_field_add("root", "energy", "float", 'd', &err) != GR_OK ||
	    fc_field_add("root", "tag", "string", 'd', &err) != GR_OK ||
	    fc_field_add("root", "day", "date", 'd', &err) != GR_OK ||
	    fc_dir_add("root", NULL, "/vo/a", NULL, &err) != GR_OK ||
	    fc_dir_add("root", NULL, "/vo/b/c", NULL, &err) != GR_OK)
		abort();
	m = json_pack("{s:i, s:f, s:s, s:s}", "run", 42, "energy", 6.5, "tag",
	    "x", "day", "2024-01-02");
	if (fc_meta_set("root", "/vo/a", true, m, &err) != GR_OK)
		abort();
	json_decref(m);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gr_err err = { 0 };
	char *s = fuzz_text(data, size), *line, *next, *eq;
	json_t *cond = json_object(), *out = NULL;
	bool used;
	int rc = GR_OK;

	for (line = s; line != NULL && rc == GR_OK; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		rc = fc_cond_add(cond, line, eq + 1, &used, &err);
	}
	if (rc == GR_OK) {
		if (fc_dir_search("/", cond, &out, &err) == GR_OK)
			json_decref(out);
		gr_clear(&err);
		out = NULL;
		if (fc_fields(cond, &out, &err) == GR_OK)
			json_decref(out);
		gr_clear(&err);
		out = NULL;
		if (fc_dir_compatible("/vo", cond, &out, &err) == GR_OK)
			json_decref(out);
	}
	json_decref(cond);
	free(s);
	return 0;
}
