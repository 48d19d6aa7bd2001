/* taskparam.c (fuzz) -- task parameters (script.c, task.c): the input is
   {"script": an admin's script description, "values": {name: [value]}};
   the script is checked, each value checked against its parameter, and
   the command line built as a submission would. */
#include "fuzz.h"
#include "script.h"
#include "task.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gr_err err = { 0 };
	json_t *in = json_loadb((const char *)data, size, 0, NULL);
	json_t *rec = NULL, *argv = NULL, *vals, *params, *p, *list, *v;
	json_t *svals;
	const char *name;
	size_t i, j;
	bool truth;

	if (in == NULL)
		return 0;
	svals = json_object();
	if (script_check(json_object_get(in, "script"), NULL, &rec, &err) !=
	    GR_OK)
		goto out;
	vals = json_object_get(in, "values");
	params = json_object_get(rec, "param");
	json_array_foreach(params, i, p) {
		name = json_string_value(json_object_get(p, "name"));
		list = name != NULL ? json_object_get(vals, name) : NULL;
		json_array_foreach(list, j, v) {
			if (!json_is_string(v))
				continue;
			gr_clear(&err);
			(void)script_value_ok(p, json_string_value(v),
			    json_string_length(v), &truth, &err);
		}
	}
	gr_clear(&err);
	/* task_argv takes what a submission gives it: lists of strings (a
	   form's values) */
	json_object_foreach(vals, name, list) {
		json_t *strs = json_array();

		json_array_foreach(list, j, v) {
			if (json_is_string(v))
				json_array_append(strs, v);
		}
		json_object_set_new(svals, name, strs);
	}
	if (task_argv(rec, "/srv/scripts", svals, &argv, &err) == GR_OK &&
	    !json_is_array(argv))
		abort();
out:
	json_decref(svals);
	json_decref(argv);
	json_decref(rec);
	json_decref(in);
	return 0;
}
