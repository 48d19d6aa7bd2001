/*
 * fc_index.c -- the secondary-key extractors of the file catalogue's
 * directories (tables.h). Like every extractor they never call BDB and
 * answer DB_DONOTINDEX when there is nothing to file.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <jansson.h>

#include "tables.h"
#include "util.h"

/* "/a/b" -> "/a", "/a" -> "/": a prefix of the primary key itself. */
int
fcx_dirs_by_parent(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	const char *p = pkey->data, *slash = NULL;
	size_t i;

	(void)sec;
	(void)pdata;
	for (i = 0; i < pkey->size; i++)
		if (p[i] == '/')
			slash = p + i;
	if (pkey->size < 2 || slash == NULL)
		return DB_DONOTINDEX; /* the root has no parent */
	memset(skey, 0, sizeof(*skey));
	skey->data = (void *)(uintptr_t)p;
	skey->size = (u_int32_t)(slash == p ? 1 : (size_t)(slash - p));
	return 0;
}

/* One "field \0 tag value" key, malloc'ed, into keys[*n]. */
static void
fcx_add(DBT **keys, size_t *n, size_t *cap, const char *field, char tag,
    const void *val, size_t vlen)
{
	size_t flen = strlen(field), len = flen + 2 + vlen;
	char *k;

	if (len > KEY_MAX)
		return;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		*keys = xrealloc(*keys, *cap * sizeof(**keys));
	}
	k = xmalloc(len);
	memcpy(k, field, flen);
	k[flen] = '\0';
	k[flen + 1] = tag;
	memcpy(k + flen + 2, val, vlen);
	memset(&(*keys)[*n], 0, sizeof(DBT));
	(*keys)[*n].data = k;
	(*keys)[*n].size = (u_int32_t)len;
	(*keys)[*n].flags = DB_DBT_APPMALLOC;
	(*n)++;
}

int
fcx_dirs_by_meta(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	unsigned char num[8];
	DBT *keys = NULL;
	size_t n = 0, cap = 0;
	const char *field;
	json_t *rec, *v;

	(void)sec;
	(void)pkey;
	if (memmem(pdata->data, pdata->size, "\"meta\":", 7) == NULL)
		return DB_DONOTINDEX;
	if ((rec = json_loadb(pdata->data, pdata->size, 0, NULL)) == NULL)
		return DB_DONOTINDEX;
	json_object_foreach(json_object_get(rec, "meta"), field, v) {
		if (json_is_number(v) && isfinite(json_number_value(v))) {
			didx_num(json_number_value(v), num);
			fcx_add(&keys, &n, &cap, field, DIDX_NUM, num, 8);
		} else if (json_is_string(v)) {
			fcx_add(&keys, &n, &cap, field, DIDX_STR,
			    json_string_value(v), json_string_length(v));
		}
	}
	json_decref(rec);
	if (n == 0) {
		free(keys);
		return DB_DONOTINDEX;
	}
	memset(skey, 0, sizeof(*skey));
	skey->data = keys;
	skey->size = (u_int32_t)n;
	skey->flags = DB_DBT_MULTIPLE | DB_DBT_APPMALLOC;
	return 0;
}
