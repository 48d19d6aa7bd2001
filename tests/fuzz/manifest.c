/* manifest.c (fuzz) -- job manifests and their JDL values (job.c): a
   JSON list of manifests (or one) is expanded and validated into the
   jobs' plans, as a submission does before it writes anything; two
   files are uploaded with it. job.c's statics are reached by including
   it, as lighttpd's src/t tests do. */
#include "../../common/job.c"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wl_file files[] = {
		{ .name = "run.sh", .data = "#!/bin/sh\necho hi\n", .len = 18 },
		{ .name = "in.txt", .data = "data", .len = 4 },
	};
	struct gr_err err = { 0 };
	struct plan *plans = NULL;
	json_t *m = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL),
	       *list;
	size_t n = 0, i;

	if (m == NULL)
		return 0;
	list = json_is_array(m) ? json_incref(m) : json_pack("[O]", m);
	if (make_plans(list, files, 2, &plans, &n, &err) == GR_OK) {
		for (i = 0; i < n; i++)
			plan_free(&plans[i]);
		free(plans);
	}
	json_decref(list);
	json_decref(m);
	return 0;
}
