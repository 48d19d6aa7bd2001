/* rse_expr.c (fuzz) -- RSE expressions (rse_expr.c), evaluated against a
   store of five RSEs with settings and attributes. */
#include "fuzz.h"
#include "rse.h"
#include "rse_expr.h"

struct eval_args {
	const char *expr;
};

static int
eval_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct eval_args *a = arg;
	json_t *out = NULL;
	int rc = rse_expr_eval(t, a->expr, &out, err);

	if (rc == GR_OK && json_array_size(out) == 0)
		abort(); /* an empty result is an error */
	json_decref(out);
	return rc;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const rses[][2] = {
		{ "A1", "{\"rse_type\": \"DISK\"}" },
		{ "B2", "{\"rse_type\": \"TAPE\", \"deterministic\": false}" },
		{ "C3", "{\"city\": \"Bern\"}" },
		{ "SITE_DISK", "{}" },
		{ "X-Y", "{\"availability_write\": false}" },
	};
	struct gr_err err = { 0 };
	json_t *s, *v;
	size_t i;

	(void)argc;
	(void)argv;
	fuzz_store_open();
	for (i = 0; i < sizeof(rses) / sizeof(rses[0]); i++) {
		s = json_loads(rses[i][1], 0, NULL);
		if (rse_add("root", rses[i][0], s, &err) != GR_OK)
			abort();
		json_decref(s);
	}
	v = json_integer(1);
	(void)rse_attr_set("root", "A1", "tier", v, &err);
	json_decref(v);
	v = json_string("US");
	(void)rse_attr_set("root", "B2", "country", v, &err);
	json_decref(v);
	v = json_true();
	(void)rse_attr_set("root", "C3", "fresh", v, &err);
	json_decref(v);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gr_err err = { 0 };
	struct eval_args a;
	char *s = fuzz_text(data, size);

	a.expr = s;
	(void)st_view(eval_txn, &a, 0, &err);
	free(s);
	return 0;
}
