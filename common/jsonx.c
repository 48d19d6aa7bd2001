/*
 * jsonx.c -- compact JSON text with Infinity (see jsonx.h). Leaf module:
 * jansson and util only.
 */
#include <float.h>
#include <stdlib.h>

#include "jsonx.h"

json_t *
jsonx_infinity(void)
{
	static json_t *inf;

	if (inf == NULL)
		inf = json_real(DBL_MAX);
	return inf;
}

void
jsonx_text(struct sbuf *b, const json_t *v)
{
	const char *key;
	const json_t *m;
	size_t i;
	char *s;

	if (v == NULL) {
		sbuf_adds(b, "null");
		return;
	}
	if (v == jsonx_infinity()) {
		sbuf_adds(b, "Infinity");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		sbuf_add(b, "{", 1);
		i = 0;
		json_object_foreach(jsonx_unconst(v), key, m) {
			if (i++ > 0)
				sbuf_add(b, ",", 1);
			sbuf_json(b, key);
			sbuf_add(b, ":", 1);
			jsonx_text(b, m);
		}
		sbuf_add(b, "}", 1);
		break;
	case JSON_ARRAY:
		sbuf_add(b, "[", 1);
		json_array_foreach(v, i, m) {
			if (i > 0)
				sbuf_add(b, ",", 1);
			jsonx_text(b, m);
		}
		sbuf_add(b, "]", 1);
		break;
	case JSON_INTEGER:
		sbuf_addi(b, json_integer_value(v));
		break;
	case JSON_STRING: /* no NUL inside: names never hold one */
		sbuf_json(b, json_string_value(v));
		break;
	case JSON_REAL: /* as jansson writes it */
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		sbuf_adds(b, s != NULL ? s : "null");
		free(s);
		break;
	case JSON_TRUE:
		sbuf_adds(b, "true");
		break;
	case JSON_FALSE:
		sbuf_adds(b, "false");
		break;
	default:
		sbuf_adds(b, "null");
		break;
	}
}
