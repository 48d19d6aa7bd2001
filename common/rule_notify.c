/*
 * rule_notify.c -- a rule's notifications (its "notify" option), as
 * upstream's rule core makes them: messages in the store (message.h)
 * when the rule's state settles, for whoever ships them on. No HTTP.
 *
 *   Y  RULE_OK and a DATASETLOCK_OK per dataset lock each time the rule
 *      becomes OK, and an email to the account's address;
 *   C  the same once the rule's DID is closed (a dataset lock only when
 *      its dataset is closed and complete on every copy);
 *   P  as C, with RULE_PROGRESS (the tenths of the locks done) when the
 *      rule becomes OK and whenever a transfer moves it to another tenth.
 */
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "did.h"
#include "message.h"
#include "rule.h"
#include "rule_int.h"
#include "tables.h"
#include "util.h"

/* The tenths of the locks no longer replicating, in percent (0..100). */
static json_int_t
progress_class(json_int_t replicating, json_int_t total)
{
	return total > 0 ? (total - replicating) * 10 / total * 10 : 0;
}

/*
 * *closed: scope:name is closed (a file always is). A DID that is gone
 * gives false, as upstream skips it. *length (if not NULL): its length,
 * -1 when unknown.
 */
static int
rule_did_closed(struct st_txn *t, const char *scope, const char *name,
    bool *closed, json_int_t *length, struct gr_err *err)
{
	struct gr_err e = { 0 };
	json_t *did = NULL, *len;
	int rc = did_load(t, scope, name, 0, &did, &e);

	*closed = false;
	if (length != NULL)
		*length = -1;
	if (rc == GR_DID_NOT_FOUND)
		return GR_OK;
	if (rc != GR_OK)
		return gr_fail(err, e.code, "%s", e.msg);
	len = json_object_get(did, "length");
	*closed = !json_is_true(json_object_get(did, "open"));
	if (length != NULL && json_is_integer(len))
		*length = json_integer_value(len);
	json_decref(did);
	return GR_OK;
}

/* One message about the rule: {scope, name, rule_id} (+ progress >= 0). */
static int
rule_msg(struct st_txn *t, const json_t *rule, const char *type,
    json_int_t progress, struct gr_err *err)
{
	json_t *p = json_pack("{s:O, s:O, s:O}", "scope",
	    json_object_get(rule, "scope"), "name",
	    json_object_get(rule, "name"), "rule_id",
	    json_object_get(rule, "id"));
	int rc;

	if (progress >= 0)
		json_object_set_new(p, "progress", json_integer(progress));
	rc = msg_add(t, type, p, err);
	json_decref(p);
	return rc;
}

static int
dsl_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	(void)pkey;
	(void)val;
	rule_keys_add(arg, key->data, key->size);
	return GR_OK;
}

/* DATASETLOCK_OK for each dataset lock of the rule (only complete,
   closed datasets when complete_only). */
static int
dataset_locks_ok(struct st_txn *t, const json_t *rule, bool complete_only,
    struct gr_err *err)
{
	const char *id = str_of(rule, "id");
	struct rule_keys d = { 0 };
	struct rule_rse_names names = { 0 };
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf), id, "", (char *)NULL), i;
	int rc;

	rc = st_scan(t, TBL_DATASET_LOCKS, kbuf, klen, NULL, dsl_one, &d, err);
	for (i = 0; i < d.n && rc == GR_OK; i++) {
		const char *k = d.buf.s + d.off[i];
		size_t kl = d.off[i + 1] - d.off[i], sl, nl, rl;
		const char *s = key_part(k, kl, 1, &sl),
			   *n = key_part(k, kl, 2, &nl),
			   *r = key_part(k, kl, 3, &rl);
		char *scope, *name, *rse_id;
		json_int_t length;
		bool closed = true;
		json_t *p;

		if (s == NULL || n == NULL || r == NULL)
			continue;
		scope = xstrndup(s, sl);
		name = xstrndup(n, nl);
		rse_id = xstrndup(r, rl);
		if (complete_only)
			rc = rule_did_closed(t, scope, name, &closed, &length,
			    err);
		if (rc == GR_OK && complete_only && closed &&
		    (length < 0 ||
			length * int_of(rule, "copies") !=
			    int_of(rule, "locks_ok_cnt")))
			closed = false;
		if (rc == GR_OK && closed) {
			p = json_pack("{s:s, s:s, s:s, s:s, s:s}", "scope",
			    scope, "name", name, "rse",
			    rule_rse_name(t, &names, rse_id), "rse_id", rse_id,
			    "rule_id", id);
			rc = msg_add(t, "DATASETLOCK_OK", p, err);
			json_decref(p);
		}
		free(scope);
		free(name);
		free(rse_id);
	}
	rule_rse_names_free(&names);
	rule_keys_free(&d);
	return rc;
}

/* The email upstream sends an account whose notify-Y rule is OK (its
   template's fields, in words of ours), if the account has an address. */
static int
email_ok(struct st_txn *t, const json_t *rule, struct gr_err *err)
{
	const char *account = str_of(rule, "account"), *addr;
	char created[DATE_RFC1123_LEN], expires[DATE_RFC1123_LEN];
	char subject[128];
	DBT k = st_dbt(account, strlen(account));
	json_t *acc = NULL, *p;
	struct sbuf body = { 0 };
	int ret, rc;

	ret = st_get_json(t, TBL_ACCOUNTS, &k, &acc, 0);
	if (ret == DB_NOTFOUND)
		return GR_OK;
	if (ret != 0)
		return st_fail(err, ret);
	addr = str_of(acc, "email");
	if (addr == NULL || *addr == '\0') {
		json_decref(acc);
		return GR_OK;
	}
	(void)date_rfc1123(int_of(rule, "created_at"), created);
	if (json_is_integer(json_object_get(rule, "expires_at")))
		(void)date_rfc1123(int_of(rule, "expires_at"), expires);
	else
		(void)snprintf(expires, sizeof(expires), "never");
	sbuf_adds(&body, "Your replication rule ");
	sbuf_adds(&body, str_of(rule, "id"));
	sbuf_adds(&body, " is OK: every file of ");
	sbuf_adds(&body, str_of(rule, "scope"));
	sbuf_adds(&body, ":");
	sbuf_adds(&body, str_of(rule, "name"));
	sbuf_adds(&body, " has its copies.\n\nRSE expression: ");
	sbuf_adds(&body, str_of(rule, "rse_expression"));
	sbuf_adds(&body, "\nCreated: ");
	sbuf_adds(&body, created);
	sbuf_adds(&body, "\nExpires: ");
	sbuf_adds(&body, expires);
	sbuf_adds(&body, "\nComment: ");
	sbuf_adds(&body,
	    str_of(rule, "comments") != NULL ? str_of(rule, "comments") : "");
	sbuf_adds(&body, "\n");
	(void)snprintf(subject, sizeof(subject),
	    "[RUCIO] Replication rule %s has been successfully transferred",
	    str_of(rule, "id"));
	p = json_pack("{s:s#, s:[s], s:s}", "body", body.s, body.len, "to",
	    addr, "subject", subject);
	rc = msg_add(t, "email", p, err);
	json_decref(p);
	json_decref(acc);
	sbuf_free(&body);
	return rc;
}

static int
notify(struct st_txn *t, const json_t *rule, json_int_t rep_before, bool email,
    struct gr_err *err)
{
	const char *n = str_of(rule, "notification"),
		   *st = str_of(rule, "state"), *g = str_of(rule, "grouping");
	json_int_t rep = int_of(rule, "locks_replicating_cnt"),
		   total = rep + int_of(rule, "locks_ok_cnt");
	bool closed = true;
	int rc = GR_OK;

	if (n == NULL || strchr("YCP", *n) == NULL || st == NULL)
		return GR_OK;
	if (*n != 'Y' &&
	    (rc = rule_did_closed(t, str_of(rule, "scope"),
		 str_of(rule, "name"), &closed, NULL, err)) != GR_OK)
		return rc;
	if (*st == 'R' && *n == 'P') {
		if (closed && rep_before > 0 &&
		    progress_class(rep_before, total) !=
			progress_class(rep, total))
			rc = rule_msg(t, rule, "RULE_PROGRESS",
			    progress_class(rep, total), err);
		return rc;
	}
	if (*st != 'O')
		return GR_OK;
	if (closed)
		rc = rule_msg(t, rule, "RULE_OK", -1, err);
	if (rc == GR_OK && closed && *n == 'P')
		rc = rule_msg(t, rule, "RULE_PROGRESS",
		    progress_class(rep, total), err);
	if (rc == GR_OK && g != NULL && *g != 'N' && *n != 'P')
		rc = dataset_locks_ok(t, rule, *n == 'C', err);
	if (rc == GR_OK && *n == 'Y' && email)
		rc = email_ok(t, rule, err);
	return rc;
}

int
rule_notify(struct st_txn *t, const json_t *rule, json_int_t rep_before,
    struct gr_err *err)
{
	return notify(t, rule, rep_before, true, err);
}

/* --- a DID closed -------------------------------------------------------- */

int
rule_on_close(struct st_txn *t, const char *scope, const char *name,
    struct gr_err *err)
{
	json_t *ids = json_array(), *rec = NULL;
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf), scope, name, (char *)NULL),
	       i;
	int rc;

	rc = st_scan_key(t, TBL_RULES_BY_DID, kbuf, klen, rule_id_one, ids,
	    err);
	for (i = 0; i < json_array_size(ids) && rc == GR_OK; i++) {
		if ((rc = rule_load(t,
			 json_string_value(json_array_get(ids, i)), 0, &rec,
			 err)) == GR_OK)
			rc = notify(t, rec, -1, false, err);
		json_decref(rec);
		rec = NULL;
	}
	json_decref(ids);
	return rc;
}
