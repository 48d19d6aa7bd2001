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
	const char *name;
	size_t i, j;
	bool truth;

	if (in == NULL)
		return 0;
	if (script_check(json_object_get(in, "script"), NULL, &rec, &err) !=
	    GR_OK)
		goto out;
	vals = json_object_get(in, "values");
	params = json_object_get(rec, "param");
	json_array_foreach(params, i, p)
	{
		name = json_string_value(json_object_get(p, "name"));
		list = name != NULL ? json_object_get(vals, name) : NULL;
		json_array_foreach(list, j, v)
		{
			if (!json_is_string(v))
				continue;
			gr_clear(&err);
			(void)script_value_ok(p, json_string_value(v),
			    json_string_length(v), &truth, &err);
		}
	}
	gr_clear(&err);
	if (json_is_object(vals) &&
	    task_argv(rec, "/srv/scripts", vals, &argv, &err) == GR_OK &&
	    !json_is_array(argv))
		abort();
out:
	json_decref(argv);
	json_decref(rec);
	json_decref(in);
	return 0;
}
