/*
 * message.c -- the messages table (message.h): TBL_MESSAGES keyed by 16
 * hex digits of a store sequence, so that a scan reads them in the order
 * they were written, whichever process wrote them. No HTTP.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "message.h"
#include "store_counter.h"
#include "tables.h"
#include "util.h"

#define MSG_KEY_LEN 16

int
msg_add(struct st_txn *t, const char *event_type, const json_t *payload,
    struct gr_err *err)
{
	unsigned char b[16];
	char id[33], kbuf[MSG_KEY_LEN + 1];
	uint64_t seq;
	json_t *rec;
	DBT k;
	int ret, rc;

	if ((rc = st_seq_take("messages.seq", 1, &seq, err)) != GR_OK)
		return rc;
	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	hex_encode(b, sizeof(b), id);
	id[32] = '\0';
	(void)snprintf(kbuf, sizeof(kbuf), "%016" PRIx64, seq);
	k = st_dbt(kbuf, MSG_KEY_LEN);
	rec = json_pack("{s:s, s:s, s:o, s:s, s:I}", "id", id, "event_type",
	    event_type, "payload", json_deep_copy(payload), "services",
	    strcmp(event_type, "email") == 0 ? "email" : "activemq",
	    "created_at", (json_int_t)time_now());
	ret = st_put_json(t, TBL_MESSAGES, &k, rec, DB_NOOVERWRITE);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

struct list_args {
	const char *type;
	size_t max;
	json_t *items; /* the rendered messages */
	struct sbuf keys;
	size_t n;
};

static int
list_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct list_args *a = arg;
	char iso[DATE_ISO_LEN];
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	const char *type = json_string_value(
	    json_object_get(rec, "event_type"));

	(void)pkey;
	if (rec == NULL || key->size != MSG_KEY_LEN)
		goto out; /* not one of ours: left alone */
	if (a->type != NULL && (type == NULL || strcmp(type, a->type) != 0))
		goto out;
	json_object_set_new(rec, "created_at",
	    json_string(
		date_iso(json_integer_value(json_object_get(rec, "created_at")),
		    iso)));
	json_array_append(a->items, rec);
	sbuf_add(&a->keys, key->data, MSG_KEY_LEN);
	a->n++;
out:
	json_decref(rec);
	return a->max > 0 && a->n >= a->max ? ST_STOP : GR_OK;
}

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;

	/* a body may run again: start afresh */
	json_array_clear(a->items);
	a->keys.len = 0;
	a->n = 0;
	return st_scan(t, TBL_MESSAGES, NULL, 0, NULL, list_one, a, err);
}

struct drain_args {
	const char *keys;
	size_t n;
};

static int
drain_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct drain_args *a = arg;
	size_t i;
	int ret;

	for (i = 0; i < a->n; i++) {
		DBT k = st_dbt(a->keys + i * MSG_KEY_LEN, MSG_KEY_LEN);

		/* gone already: another reader drained it */
		if ((ret = st_del(t, TBL_MESSAGES, &k)) != 0 &&
		    ret != DB_NOTFOUND)
			return st_fail(err, ret);
	}
	return GR_OK;
}

int
msg_list(const char *event_type, size_t max, bool drain, gr_emit_fn emit,
    void *ctx, size_t *n, struct gr_err *err)
{
	struct list_args a = { .type = event_type,
		.max = max,
		.items = json_array() };
	struct drain_args d = { 0 };
	size_t i;
	int rc, erc = GR_OK;

	*n = 0;
	if ((rc = st_view(list_txn, &a, 0, err)) != GR_OK)
		goto out;
	for (i = 0; i < json_array_size(a.items) && erc == GR_OK; i++)
		if ((erc = emit(json_array_get(a.items, i), ctx)) == GR_OK)
			(*n)++;
	if (drain && *n > 0) {
		d.keys = a.keys.s;
		d.n = *n;
		rc = st_txn_run(drain_txn, &d, err);
	}
	if (rc == GR_OK)
		rc = erc;
out:
	json_decref(a.items);
	sbuf_free(&a.keys);
	return rc;
}
