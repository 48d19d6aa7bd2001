/*
 * subscription.c -- subscriptions (core). See subscription.h.
 */
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "did.h"
#include "didlife.h"
#include "jsonx.h"
#include "log.h"
#include "rse_expr.h"
#include "rule.h"
#include "secret.h"
#include "subscription.h"
#include "tables.h"
#include "util.h"
#include "valid.h"

/* Rucio's schema ACTIVITY (common/schema/generic.py): a rule template's
   activity must be one of these; a template without one is "default",
   which is not, as upstream refuses it. */
static const char *const activities[] = { "Data Brokering",
	"Data Consolidation", "Data Rebalancing", "Debug", "Express",
	"Functional Test", "Group Subscriptions", "Production Input",
	"Production Output", "Analysis Input", "Analysis Output", "Staging",
	"T0 Export", "T0 Tape", "Upload/Download (Job)",
	"Upload/Download (User)", "User Subscriptions", "Data Challenge" };

static const struct {
	char letter;
	const char *name;
} states[] = { { 'A', "ACTIVE" }, { 'I', "INACTIVE" }, { 'N', "NEW" },
	{ 'U', "UPDATED" }, { 'B', "BROKEN" } };

static const char *
state_name(char letter)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(states); i++)
		if (states[i].letter == letter)
			return states[i].name;
	return NULL;
}

/* A state given as its letter or its name (any case); 0 if neither. */
static char
state_letter(const char *s)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(states); i++)
		if ((s[0] != '\0' && s[1] == '\0' &&
			(s[0] == states[i].letter ||
			    s[0] == states[i].letter + ('a' - 'A'))) ||
		    strcasecmp(s, states[i].name) == 0)
			return states[i].letter;
	return 0;
}

/* --- validation ------------------------------------------------------ */

static bool
regex_ok(const char *re)
{
	regex_t rx;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	regfree(&rx);
	return true;
}

/* Rucio's schema subscription_filter, and expressions that compile. */
static int
check_filter(const json_t *f, struct gr_err *err)
{
	static const char *const lists[] = { "datatype", "prod_step",
		"stream_name", "project", "scope", "account" };
	static const char *const strings[] = { "pattern", "excluded_pattern",
		"group", "provenance", "grouping" };
	const json_t *v, *item;
	const char *key;
	size_t i, j;

	if (!json_is_object(f))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "filter should be a dict");
	for (i = 0; i < ARRAY_LEN(lists); i++) {
		if ((v = json_object_get(f, lists[i])) == NULL)
			continue;
		if (!json_is_array(v) || json_array_size(v) > 1000)
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating subscription_filter: '%s' "
			    "is not of type 'array'",
			    lists[i]);
		json_array_foreach(v, j, item) {
			const char *s = json_string_value(item);

			if (strcmp(lists[i], "account") == 0 &&
			    (s == NULL || !valid_account(s)))
				return gr_fail(err, GR_INVALID_OBJECT,
				    "Problem validating subscription_filter: "
				    "account item %zu is not an account name",
				    j);
			if (strcmp(lists[i], "scope") == 0 &&
			    (s == NULL || !regex_ok(s)))
				return gr_fail(err, GR_INVALID_OBJECT,
				    "Problem validating subscription_filter: "
				    "scope item %zu is not a regular "
				    "expression",
				    j);
		}
	}
	for (i = 0; i < ARRAY_LEN(strings); i++)
		if ((v = json_object_get(f, strings[i])) != NULL &&
		    !json_is_string(v))
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating subscription_filter: '%s' is "
			    "not of type 'string'",
			    strings[i]);
	if ((v = json_object_get(f, "split_rule")) != NULL &&
	    !json_is_boolean(v))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating subscription_filter: 'split_rule' is "
		    "not of type 'boolean'");
	json_object_foreach(jsonx_unconst(f), key, v) {
		/* what is matched as an expression must compile */
		if (strcmp(key, "account") == 0 || strcmp(key, "scope") == 0 ||
		    strcmp(key, "did_type") == 0 ||
		    strcmp(key, "split_rule") == 0 ||
		    strcmp(key, "grouping") == 0)
			continue;
		if (json_is_string(v) && !regex_ok(json_string_value(v)))
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating subscription_filter: '%s' is "
			    "not a regular expression",
			    key);
		json_array_foreach(v, j, item) {
			if (json_is_string(item) &&
			    !regex_ok(json_string_value(item)))
				return gr_fail(err, GR_INVALID_OBJECT,
				    "Problem validating subscription_filter: "
				    "'%s' item %zu is not a regular expression",
				    key, j);
		}
	}
	return GR_OK;
}

/* A rule template: a known activity (upstream's only check), and what
   a rule needs to be made from it: an RSE expression and copies. */
static int
check_rule(const json_t *rule, size_t i, struct gr_err *err)
{
	const json_t *act = json_object_get(rule, "activity");
	const json_t *copies = json_object_get(rule, "copies");
	const char *a;
	size_t j;
	long n;

	if (!json_is_object(rule))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating replication_rules: item %zu is not a "
		    "dict",
		    i);
	a = act == NULL ? "default" : json_string_value(act);
	for (j = 0; a != NULL && j < ARRAY_LEN(activities); j++)
		if (strcmp(a, activities[j]) == 0)
			break;
	if (a == NULL || j == ARRAY_LEN(activities))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating activity: '%s' is not one of the "
		    "activities (rule %zu)",
		    a != NULL ? a : "?", i);
	if (!json_is_string(json_object_get(rule, "rse_expression")) ||
	    json_string_length(json_object_get(rule, "rse_expression")) == 0)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating replication_rules: rule %zu needs an "
		    "rse_expression",
		    i);
	if (!(json_is_integer(copies) && json_integer_value(copies) > 0) &&
	    !(json_is_string(copies) &&
		(strcmp(json_string_value(copies), "*") == 0 ||
		    parse_long(json_string_value(copies), 1, INT_MAX, &n) ==
			0)))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating replication_rules: rule %zu needs "
		    "copies > 0",
		    i);
	return GR_OK;
}

static int
check_rules(const json_t *rules, struct gr_err *err)
{
	const json_t *r;
	size_t i;
	int rc;

	if (rules != NULL && !json_is_null(rules) && !json_is_array(rules))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "replication_rules should be a list");
	if (json_array_size(rules) == 0)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "You must specify a rule");
	json_array_foreach(rules, i, r) {
		if ((rc = check_rule(r, i, err)) != GR_OK)
			return rc;
	}
	return GR_OK;
}

/* Is a JSON value, compact, at most SUB_TEXT_MAX characters? */
static int
check_size(const json_t *v, const char *what, struct gr_err *err)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY);
	size_t n = s != NULL ? strlen(s) : 0;

	free(s);
	if (n > SUB_TEXT_MAX)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating %s: longer than %d characters", what,
		    SUB_TEXT_MAX);
	return GR_OK;
}

/* lifetime: days, or null/false/0 for none; *end 0 for none. */
static int
check_lifetime(const json_t *v, int64_t now, int64_t *end, struct gr_err *err)
{
	*end = 0;
	if (v == NULL || json_is_null(v) || json_is_false(v))
		return GR_OK;
	if (!json_is_number(v) || json_number_value(v) < 0 ||
	    json_number_value(v) > 3650000)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating lifetime: days, a number >= 0");
	if (json_number_value(v) > 0)
		*end = now + (int64_t)(json_number_value(v) * 86400);
	return GR_OK;
}

static int
check_priority(const json_t *v, json_int_t *out, struct gr_err *err)
{
	*out = SUB_PRIORITY_DEF;
	if (v == NULL || json_is_null(v) || json_is_false(v) ||
	    (json_is_integer(v) && json_integer_value(v) == 0))
		return GR_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 32767)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating priority: an integer");
	*out = json_integer_value(v);
	return GR_OK;
}

static int
check_comments(const json_t *v, struct gr_err *err)
{
	if (v != NULL && !json_is_null(v) && !json_is_string(v))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating comments: a string");
	if (json_string_length(v) > SUB_TEXT_MAX)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating comments: longer than %d characters",
		    SUB_TEXT_MAX);
	return GR_OK;
}

/* A boolean as Rucio's param_get_bool reads it. */
static int
get_bool(const json_t *v, const char *key, bool *out, struct gr_err *err)
{
	const char *s = json_string_value(v);

	if (json_is_boolean(v))
		*out = json_is_true(v);
	else if (json_is_integer(v) &&
	    (json_integer_value(v) == 0 || json_integer_value(v) == 1))
		*out = json_integer_value(v) == 1;
	else if (s != NULL &&
	    (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0))
		*out = true;
	else if (s != NULL &&
	    (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0))
		*out = false;
	else
		return gr_fail(err, GR_TYPE_ERROR,
		    "'%s' must be a boolean type.", key);
	return GR_OK;
}

static int
check_names(const char *account, const char *name, struct gr_err *err)
{
	if (account == NULL || !valid_account(account))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating account: an account name");
	if (name == NULL || *name == '\0' || strlen(name) > SUB_NAME_MAX ||
	    !utf8_valid(name, strlen(name)))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating name: 1 to %d characters",
		    SUB_NAME_MAX);
	return GR_OK;
}

/* --- storage --------------------------------------------------------- */

static DBT
sub_key(char *buf, const char *account, const char *name)
{
	return st_dbt(buf, key_join(buf, KEY_MAX, account, name, (char *)NULL));
}

struct sub_args {
	const char *issuer, *account, *name;
	const json_t *options;
	json_t *rec; /* sub_add: the new record */
	char *id;
	/* listing */
	const char *state;
	bool details, found;
	int (*each)(struct sub_args *a, const json_t *rec);
	gr_emit_fn emit;
	void *ctx;
	struct st_txn *t;
	struct gr_err *err;
	json_t *out;
};

static int
add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct sub_args *a = arg;
	char kbuf[KEY_MAX];
	DBT k = sub_key(kbuf, a->account, a->name);
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "add subscription",
		 err)) != GR_OK ||
	    (rc = account_check_active(t, a->account, err)) != GR_OK)
		return rc;
	ret = st_put_json(t, TBL_SUBSCRIPTIONS, &k, a->rec, DB_NOOVERWRITE);
	if (ret == DB_KEYEXIST)
		return gr_fail(err, GR_SUBSCRIPTION_DUPLICATE,
		    "Subscription '%s' owned by '%s' already exists!", a->name,
		    a->account);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
sub_add(const char *issuer, const char *account, const char *name,
    const json_t *options, char id_out[SUB_ID_LEN + 1], struct gr_err *err)
{
	static const char *const required[] = { "filter", "replication_rules",
		"comments", "lifetime", "retroactive" };
	struct sub_args a = { .issuer = issuer,
		.account = account,
		.name = name };
	const json_t *filter, *v;
	int64_t now = time_now(), end;
	json_int_t prio;
	bool retro, dry = false;
	size_t i;
	int rc;

	if (!json_is_object(options))
		return gr_fail(err, GR_TYPE_ERROR,
		    "'options' must be a dictionary");
	for (i = 0; i < ARRAY_LEN(required); i++)
		if (json_object_get(options, required[i]) == NULL)
			return gr_fail(err, GR_KEY_ERROR, "'%s' not defined",
			    required[i]);
	if ((rc = get_bool(json_object_get(options, "retroactive"),
		 "retroactive", &retro, err)) != GR_OK ||
	    ((v = json_object_get(options, "dry_run")) != NULL &&
		!json_is_null(v) &&
		(rc = get_bool(v, "dry_run", &dry, err)) != GR_OK))
		return rc;
	if ((rc = check_names(account, name, err)) != GR_OK)
		return rc;
	filter = json_object_get(options, "filter");
	if ((rc = check_filter(filter, err)) != GR_OK ||
	    (rc = check_size(filter, "filter", err)) != GR_OK ||
	    (rc = check_rules(json_object_get(options, "replication_rules"),
		 err)) != GR_OK ||
	    (rc = check_size(json_object_get(options, "replication_rules"),
		 "replication_rules", err)) != GR_OK ||
	    (rc = check_comments(json_object_get(options, "comments"), err)) !=
		GR_OK ||
	    (rc = check_lifetime(json_object_get(options, "lifetime"), now,
		 &end, err)) != GR_OK ||
	    (rc = check_priority(json_object_get(options, "priority"), &prio,
		 err)) != GR_OK)
		return rc;
	secret_random_hex(id_out, SUB_ID_LEN / 2);
	a.rec = json_pack("{s:s, s:s, s:s, s:O, s:O, s:I, s:s, s:b, s:b, s:O, "
			  "s:I, s:I, s:I}",
	    "id", id_out, "name", name, "account", account, "filter", filter,
	    "replication_rules", json_object_get(options, "replication_rules"),
	    "policyid", prio, "state", retro ? "N" : "A", "retroactive", retro,
	    "dry_run", dry, "comments", json_object_get(options, "comments"),
	    "last_processed", (json_int_t)now, "created_at", (json_int_t)now,
	    "updated_at", (json_int_t)now);
	if (end > 0)
		json_object_set_new(a.rec, "lifetime", json_integer(end));
	rc = st_txn_run(add_txn, &a, err);
	json_decref(a.rec);
	/* retroactive: the collections there are get its rules from the
	   rule evaluator, a batch at a time (sub_retro_step), not here:
	   this process's rule_tick starts it after the request */
	if (rc == GR_OK && retro)
		rule_evaluator_wanted();
	return rc;
}

static int
update_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	static const char *const plain[] = { "filter", "replication_rules",
		"comments" };
	struct sub_args *a = arg;
	const json_t *o = a->options, *v;
	char kbuf[KEY_MAX];
	DBT k = sub_key(kbuf, a->account, a->name);
	int64_t now = time_now(), end;
	json_t *rec = NULL;
	json_int_t prio;
	size_t i;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "update subscription",
		 err)) != GR_OK)
		return rc;
	ret = st_get_json(t, TBL_SUBSCRIPTIONS, &k, &rec, DB_RMW);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_SUBSCRIPTION_NOT_FOUND,
		    "Subscription for account '%s' named '%s' not found",
		    a->account, a->name);
	if (ret != 0)
		return st_fail(err, ret);
	/* as upstream: what is given and not empty changes */
	for (i = 0; i < ARRAY_LEN(plain); i++) {
		v = json_object_get(o, plain[i]);
		if (v != NULL && !json_is_null(v) &&
		    !(json_is_string(v) && json_string_length(v) == 0) &&
		    !(json_is_object(v) && json_object_size(v) == 0) &&
		    !(json_is_array(v) && json_array_size(v) == 0))
			json_object_set(rec, plain[i], jsonx_unconst(v));
	}
	v = json_object_get(o, "lifetime");
	if ((rc = check_lifetime(v, now, &end, err)) != GR_OK)
		goto out;
	if (end > 0) {
		json_object_set_new(rec, "lifetime", json_integer(end));
		/* a new lifetime is a new life */
		json_object_del(rec, "expired_at");
	}
	if ((v = json_object_get(o, "retroactive")) != NULL && json_is_true(v))
		json_object_set_new(rec, "retroactive", json_true());
	v = json_object_get(o, "priority");
	if ((rc = check_priority(v, &prio, err)) != GR_OK)
		goto out;
	if (json_is_integer(v) && json_integer_value(v) != 0)
		json_object_set_new(rec, "policyid", json_integer(prio));
	v = json_object_get(o, "state");
	if (json_is_string(v) && state_letter(json_string_value(v)) == 'I') {
		json_object_set_new(rec, "state", json_string("I"));
		json_object_set_new(rec, "expired_at", json_integer(now));
	} else
		json_object_set_new(rec, "state", json_string("U"));
	json_object_set_new(rec, "updated_at", json_integer(now));
	ret = st_put_json(t, TBL_SUBSCRIPTIONS, &k, rec, 0);
	rc = ret == 0 ? GR_OK : st_fail(err, ret);
out:
	json_decref(rec);
	return rc;
}

int
sub_update(const char *issuer, const char *account, const char *name,
    const json_t *options, struct gr_err *err)
{
	struct sub_args a = { .issuer = issuer,
		.account = account,
		.name = name,
		.options = options };
	const json_t *v;
	int64_t end;
	json_int_t prio;
	bool b;
	int rc;

	if (!json_is_object(options))
		return gr_fail(err, GR_TYPE_ERROR, "metadata should be a dict");
	if ((rc = check_names(account, name, err)) != GR_OK)
		return rc;
	if ((v = json_object_get(options, "filter")) != NULL &&
	    !json_is_null(v) &&
	    ((rc = check_filter(v, err)) != GR_OK ||
		(rc = check_size(v, "filter", err)) != GR_OK))
		return rc;
	if ((v = json_object_get(options, "replication_rules")) != NULL &&
	    !json_is_null(v) &&
	    ((rc = check_rules(v, err)) != GR_OK ||
		(rc = check_size(v, "replication_rules", err)) != GR_OK))
		return rc;
	if ((rc = check_comments(json_object_get(options, "comments"), err)) !=
		GR_OK ||
	    (rc = check_lifetime(json_object_get(options, "lifetime"), 0, &end,
		 err)) != GR_OK ||
	    (rc = check_priority(json_object_get(options, "priority"), &prio,
		 err)) != GR_OK)
		return rc;
	if ((v = json_object_get(options, "retroactive")) != NULL &&
	    !json_is_null(v) &&
	    (rc = get_bool(v, "retroactive", &b, err)) != GR_OK)
		return rc;
	if ((v = json_object_get(options, "state")) != NULL &&
	    !json_is_null(v) &&
	    (!json_is_string(v) || state_letter(json_string_value(v)) == 0))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Invalid subscription state: %s",
		    json_is_string(v) ? json_string_value(v) : "?");
	return st_txn_run(update_txn, &a, err);
}

/* --- rendering and listing ------------------------------------------- */

/* The state shown at now: a lifetime that passed makes it INACTIVE. */
static char
state_at(const json_t *rec, int64_t now, bool *lapsed)
{
	const char *s = json_string_value(json_object_get(rec, "state"));
	const json_t *life = json_object_get(rec, "lifetime");

	*lapsed = s != NULL && s[0] != 'I' && json_is_integer(life) &&
	    json_integer_value(life) <= now;
	return *lapsed ? 'I' : s != NULL ? s[0] : 'A';
}

static json_t *
text_of(const json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY);
	json_t *out = json_string(s != NULL ? s : "null");

	free(s);
	return out;
}

json_t *
sub_render(const json_t *rec, int64_t now)
{
	const char *name;
	bool lapsed;
	char st = state_at(rec, now, &lapsed);
	json_t *out;

	name = state_name(st);
	out = json_pack("{s:O, s:O, s:o, s:o, s:O?, s:s, s:o, s:O, s:o, s:O?, "
			"s:b, s:o, s:o, s:o}",
	    "id", json_object_get(rec, "id"), "name",
	    json_object_get(rec, "name"), "filter",
	    text_of(json_object_get(rec, "filter")), "replication_rules",
	    text_of(json_object_get(rec, "replication_rules")), "policyid",
	    json_object_get(rec, "policyid"), "state",
	    name != NULL ? name : "ACTIVE", "last_processed",
	    jsonx_date(rec, "last_processed"), "account",
	    json_object_get(rec, "account"), "lifetime",
	    jsonx_date(rec, "lifetime"), "comments",
	    json_object_get(rec, "comments"), "retroactive",
	    json_is_true(json_object_get(rec, "retroactive")), "expired_at",
	    lapsed ? jsonx_date(rec, "lifetime")
		   : jsonx_date(rec, "expired_at"),
	    "created_at", jsonx_date(rec, "created_at"), "updated_at",
	    jsonx_date(rec, "updated_at"));
	return out;
}

/* Does a record of the listing match its account (glob) and name? */
static bool
wanted(const struct sub_args *a, const json_t *rec)
{
	const char *acc = json_string_value(json_object_get(rec, "account"));
	const char *nm = json_string_value(json_object_get(rec, "name"));

	return acc != NULL && nm != NULL &&
	    (a->account == NULL || glob_match(a->account, acc)) &&
	    (a->name == NULL || strcmp(a->name, nm) == 0);
}

static int
list_one(struct sub_args *a, const json_t *rec)
{
	json_t *out = sub_render(rec, time_now());
	int rc;

	a->found = true;
	rc = a->emit(out, a->ctx);
	json_decref(out);
	return rc;
}

/* A record of the scan: parsed, and given to a->each if wanted. */
static int
scan_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct sub_args *a = arg;
	json_t *rec;
	int rc = GR_OK;

	(void)key;
	(void)pkey;
	rec = json_loadb(val->data, val->size, 0, NULL);
	if (rec != NULL && wanted(a, rec))
		rc = a->each(a, rec);
	json_decref(rec);
	return rc;
}

/* Call each for every record the listing's account and name select:
   by the name's index, the account's range (up to a '*'), or all. */
static int
scan_wanted(struct st_txn *t, struct sub_args *a,
    int (*each)(struct sub_args *a, const json_t *rec), struct gr_err *err)
{
	char kbuf[KEY_MAX];
	size_t klen = 0;

	a->each = each;
	if (a->name != NULL &&
	    (a->account == NULL || strchr(a->account, '*') != NULL))
		return st_scan_key(t, TBL_SUBSCRIPTIONS_BY_NAME, a->name,
		    strlen(a->name), scan_one, a, err);
	if (a->account != NULL && strchr(a->account, '*') == NULL)
		klen = key_join(kbuf, sizeof(kbuf), a->account, "",
		    (char *)NULL);
	else if (a->account != NULL) {
		klen = strcspn(a->account, "*");
		memcpy(kbuf, a->account, klen);
	}
	return st_scan(t, TBL_SUBSCRIPTIONS, kbuf, klen, NULL, scan_one, a,
	    err);
}

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct sub_args *a = arg;
	int rc = scan_wanted(t, a, list_one, err);

	if (rc == GR_OK && !a->found)
		return gr_fail(err, GR_SUBSCRIPTION_NOT_FOUND,
		    "Subscription for account '%s' named '%s' not found",
		    a->account != NULL ? a->account : "*",
		    a->name != NULL ? a->name : "None");
	return rc;
}

/* Names from the URL: valid, or nothing can match (account may hold
   '*'). */
static bool
plausible(const char *account, const char *name)
{
	if (account != NULL &&
	    (strlen(account) > ACCOUNT_NAME_MAX || *account == '\0'))
		return false;
	return name == NULL || (*name != '\0' && strlen(name) <= SUB_NAME_MAX);
}

int
sub_list(const char *account, const char *name, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	struct sub_args a = { .account = account,
		.name = name,
		.emit = emit,
		.ctx = ctx };

	if (!plausible(account, name))
		return gr_fail(err, GR_SUBSCRIPTION_NOT_FOUND,
		    "Subscription for account '%s' named '%s' not found",
		    account, name != NULL ? name : "None");
	return st_view(list_txn, &a, ST_ONCE, err);
}

static int
id_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct sub_args *a = arg;
	DBT k = st_dbt(a->id, strlen(a->id));
	char *pkey = NULL;
	size_t plen;
	json_t *rec = NULL;
	DBT p;
	int ret;

	ret = st_primary_key(t, TBL_SUBSCRIPTIONS_BY_ID, &k, &pkey, &plen);
	if (ret == 0) {
		p = st_dbt(pkey, plen);
		ret = st_get_json(t, TBL_SUBSCRIPTIONS, &p, &rec, 0);
	}
	free(pkey);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_SUBSCRIPTION_NOT_FOUND,
		    "Subscription with id '%s' not found", a->id);
	if (ret != 0)
		return st_fail(err, ret);
	a->out = sub_render(rec, time_now());
	json_decref(rec);
	return GR_OK;
}

int
sub_get_id(const char *id, json_t **out, struct gr_err *err)
{
	struct sub_args a = { .id = (char *)(uintptr_t)id };
	int rc;

	*out = NULL;
	if (id == NULL || strlen(id) != SUB_ID_LEN)
		return gr_fail(err, GR_SUBSCRIPTION_NOT_FOUND,
		    "Subscription with id '%s' not found",
		    id != NULL ? id : "");
	rc = st_view(id_txn, &a, 0, err);
	*out = a.out;
	return rc;
}

/* --- rules ----------------------------------------------------------- */

static int
found_one(struct sub_args *a, const json_t *rec)
{
	a->out = json_incref(json_object_get(rec, "id"));
	return ST_STOP;
}

static int
find_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct sub_args *a = arg;
	int rc = scan_wanted(t, a, found_one, err);

	if (rc == ST_STOP)
		rc = GR_OK;
	if (rc == GR_OK && a->out == NULL)
		return gr_fail(err, GR_SUBSCRIPTION_NOT_FOUND,
		    "Subscription for account '%s' named '%s' not found",
		    a->account, a->name);
	return rc;
}

int
sub_rules(const char *account, const char *name, const char *state,
    gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct sub_args a = { .account = account, .name = name };
	json_t *filters;
	int rc;

	if (!plausible(account, name))
		return gr_fail(err, GR_SUBSCRIPTION_NOT_FOUND,
		    "Subscription for account '%s' named '%s' not found",
		    account, name);
	if (state != NULL && strlen(state) != 1)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating state: a rule state letter");
	if ((rc = st_view(find_txn, &a, 0, err)) != GR_OK)
		return rc;
	filters = json_pack("{s:o}", "subscription_id", a.out);
	if (state != NULL)
		json_object_set_new(filters, "state", json_string(state));
	rc = rule_list(filters, emit, ctx, err);
	json_decref(filters);
	return rc;
}

/* The subscriptions a states listing covers, in a view. */
static int
gather_one(struct sub_args *a, const json_t *rec)
{
	json_array_append(a->out, jsonx_unconst(rec));
	return GR_OK;
}

/* A view that collects into a->out what a->each keeps of the records
   the listing selects. */
static int
collect_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct sub_args *a = arg;

	json_array_clear(a->out);
	return scan_wanted(t, a, a->each, err);
}

/* Count a rule of the subscription under its state. */
static int
count_state(json_t *rule, void *ctx)
{
	json_t *counts = ctx;
	const char *st = json_string_value(json_object_get(rule, "state"));

	if (st == NULL)
		st = "";
	json_object_set_new(counts, st,
	    json_integer(json_integer_value(json_object_get(counts, st)) + 1));
	return GR_OK;
}

/*
 * The line of one subscription and rule state (NULL: it has none): an
 * array [account, name, state, count] as upstream writes its named
 * tuple, or with details an object with the subscription's own fields.
 */
static json_t *
states_line(const json_t *rec, const char *state, json_int_t count,
    bool details)
{
	json_t *out, *r;
	bool lapsed;
	char st;

	if (!details)
		return json_pack("[O, O, o, I]",
		    json_object_get(rec, "account"),
		    json_object_get(rec, "name"),
		    state != NULL ? json_string(state) : json_null(), count);
	out = json_pack("{s:O, s:O, s:o, s:I}", "account",
	    json_object_get(rec, "account"), "name",
	    json_object_get(rec, "name"), "state",
	    state != NULL ? json_string(state) : json_null(), "count", count);
	st = state_at(rec, time_now(), &lapsed);
	r = sub_render(rec, time_now());
	json_object_set_new(out, "subscription_state",
	    json_string(state_name(st)));
	json_object_set(out, "last_processed",
	    json_object_get(r, "last_processed"));
	json_object_set(out, "lifetime", json_object_get(r, "lifetime"));
	json_object_set(out, "expired_at", json_object_get(r, "expired_at"));
	json_object_set(out, "comments", json_object_get(r, "comments"));
	json_decref(r);
	return out;
}

int
sub_rule_states(const char *account, const char *name, bool details,
    gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct sub_args a = { .account = account,
		.name = name,
		.each = gather_one,
		.out = json_array() };
	json_t *filters = NULL, *counts = NULL, *line;
	const json_t *rec, *n;
	const char *st;
	size_t i;
	int rc = GR_OK;

	if (!plausible(account, name) ||
	    (rc = st_view(collect_txn, &a, 0, err)) != GR_OK)
		goto out;
	json_array_foreach(a.out, i, rec) {
		/* rules by state, as upstream's outer join and group by */
		filters = json_pack("{s:O}", "subscription_id",
		    json_object_get(rec, "id"));
		counts = json_object();
		if ((rc = rule_list(filters, count_state, counts, err)) !=
		    GR_OK)
			goto out;
		if (json_object_size(counts) == 0)
			json_object_set_new(counts, "", json_integer(0));
		json_object_foreach(counts, st, n) {
			line = states_line(rec, *st != '\0' ? st : NULL,
			    json_integer_value(n), details);
			rc = emit(line, ctx);
			json_decref(line);
			if (rc != GR_OK)
				goto out;
		}
		json_decref(filters);
		json_decref(counts);
		filters = counts = NULL;
	}
out:
	json_decref(filters);
	json_decref(counts);
	json_decref(a.out);
	return rc;
}

/* --- matching (the transmogrifier's test) ---------------------------- */

/* Does the POSIX extended expression re match s from its start (as
   Python's re.match)? A match at the start is the leftmost one. */
static bool
match_start(const char *re, const char *s)
{
	regmatch_t m;
	regex_t rx;
	bool yes;

	if (regcomp(&rx, re, REG_EXTENDED) != 0)
		return false;
	yes = regexec(&rx, s, 1, &m, 0) == 0 && m.rm_so == 0;
	regfree(&rx);
	return yes;
}

/* A value as Python's str() writes it, for the expressions. */
static char *
str_of(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_true(v))
		return xstrdup("True");
	if (json_is_false(v))
		return xstrdup("False");
	if (v == NULL || json_is_null(v))
		return xstrdup("None");
	return json_dumps(v, JSON_ENCODE_ANY);
}

/* One of values (a list, or one value) matches the DID's value v? */
static bool
any_matches(const json_t *values, const json_t *v)
{
	const json_t *one;
	char *s = str_of(v), *re;
	bool yes = false;
	size_t i;

	if (!json_is_array(values)) {
		re = str_of(values);
		yes = match_start(re, s);
		free(re);
	} else
		json_array_foreach(values, i, one) {
			re = str_of(one);
			yes = match_start(re, s);
			free(re);
			if (yes)
				break;
		}
	free(s);
	return yes;
}

/* values (a list, or one value) holds the string s? */
static bool
holds(const json_t *values, const char *s)
{
	const json_t *one;
	size_t i;

	if (!json_is_array(values))
		return json_is_string(values) &&
		    strcmp(json_string_value(values), s) == 0;
	json_array_foreach(values, i, one) {
		if (json_is_string(one) &&
		    strcmp(json_string_value(one), s) == 0)
			return true;
	}
	return false;
}

bool
sub_match(const json_t *sub, const char *scope, const char *name,
    const json_t *did)
{
	const json_t *filter = json_object_get(sub, "filter"), *values, *v;
	const char *key, *type, *owner;

	if (json_is_true(json_object_get(did, "hidden")))
		return false;
	type = json_string_value(json_object_get(did, "type"));
	owner = json_string_value(json_object_get(did, "account"));
	json_object_foreach(jsonx_unconst(filter), key, values) {
		if (strcmp(key, "pattern") == 0) {
			if (!json_is_string(values) ||
			    !match_start(json_string_value(values), name))
				return false;
		} else if (strcmp(key, "excluded_pattern") == 0) {
			if (json_is_string(values) &&
			    match_start(json_string_value(values), name))
				return false;
		} else if (strcmp(key, "split_rule") == 0 ||
		    strcmp(key, "grouping") == 0 ||
		    strcmp(key, "min_avg_file_size") == 0 ||
		    strcmp(key, "max_avg_file_size") == 0) {
			continue; /* rule options, or figures a new DID lacks */
		} else if (strcmp(key, "scope") == 0) {
			json_t *s = json_string(scope);
			bool yes = any_matches(values, s);

			json_decref(s);
			if (!yes)
				return false;
		} else if (strcmp(key, "account") == 0) {
			if (owner == NULL || !holds(values, owner))
				return false;
		} else if (strcmp(key, "did_type") == 0) {
			if (type == NULL || !holds(values, type))
				return false;
		} else {
			/* a metadata key: a column of the record, or custom */
			v = json_object_get(did, key);
			if (v == NULL)
				v = json_object_get(json_object_get(did,
							"meta"),
				    key);
			if (v == NULL || !any_matches(values, v))
				return false;
		}
	}
	return true;
}

/* --- the transmogrifier ---------------------------------------------- */

/* The subscriptions that give rules now (ACTIVE, UPDATED or NEW, their
   lifetime not over), by priority (policyid, lowest first). */
static int
live_one(struct sub_args *a, const json_t *rec)
{
	json_int_t prio = json_integer_value(json_object_get(rec, "policyid"));
	bool lapsed;
	char st = state_at(rec, time_now(), &lapsed);
	size_t i;

	if (st != 'A' && st != 'U' && st != 'N')
		return GR_OK;
	for (i = json_array_size(a->out); i > 0; i--)
		if (json_integer_value(
			json_object_get(json_array_get(a->out, i - 1),
			    "policyid")) <= prio)
			break;
	json_array_insert(a->out, i, jsonx_unconst(rec));
	return GR_OK;
}

/* A template's flag, true or Rucio's "True". */
static bool
flag(const json_t *tmpl, const char *key)
{
	const json_t *v = json_object_get(tmpl, key);

	return json_is_true(v) ||
	    (json_is_string(v) && strcmp(json_string_value(v), "True") == 0);
}

static int
count_rse(json_t *item, void *ctx)
{
	(void)item;
	++*(json_int_t *)ctx;
	return GR_OK;
}

/* A template's copies: a number, a string of digits, or "*" (as many as
   the RSE expression selects, as upstream); 0 when it cannot say. */
static json_int_t
copies_of(const json_t *tmpl)
{
	const json_t *v = json_object_get(tmpl, "copies");
	const char *s = json_string_value(v);
	struct gr_err err = { 0 };
	json_int_t n = 0;
	long c;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (s == NULL)
		return 0;
	if (strcmp(s, "*") != 0)
		return parse_long(s, 1, INT_MAX, &c) == 0 ? (json_int_t)c : 0;
	if (rse_expr_list(json_string_value(
			      json_object_get(tmpl, "rse_expression")),
		count_rse, &n, &err) != GR_OK)
		return 0;
	return n;
}

/*
 * The POST /rules/ dict of a rule a template of sub gives scope:name, as
 * the transmogrifier fills it: the subscription's account unless the
 * template names one, its comments (first 255 characters) unless the
 * template has its own, grouping DATASET by default.
 */
static json_t *
sub_rule_spec(const json_t *sub, const json_t *tmpl, const char *scope,
    const char *name)
{
	static const char *const copied[] = { "weight",
		"source_replica_expression", "ignore_availability",
		"delay_injection" };
	const json_t *v = json_object_get(tmpl, "copies");
	json_t *spec;
	char comment[256];
	size_t i;

	spec = json_pack("{s:[{s:s, s:s}], s:O, s:I, s:O, s:O, s:s, s:b, s:b, "
			 "s:O}",
	    "dids", "scope", scope, "name", name, "account",
	    json_object_get(tmpl, "account") != NULL
		? json_object_get(tmpl, "account")
		: json_object_get(sub, "account"),
	    "copies", copies_of(tmpl), "rse_expression",
	    json_object_get(tmpl, "rse_expression"), "activity",
	    json_object_get(tmpl, "activity"), "grouping",
	    json_is_string(json_object_get(tmpl, "grouping"))
		? json_string_value(json_object_get(tmpl, "grouping"))
		: "DATASET",
	    "locked", flag(tmpl, "locked"), "purge_replicas",
	    flag(tmpl, "purge_replicas"), "subscription_id",
	    json_object_get(sub, "id"));
	for (i = 0; i < ARRAY_LEN(copied); i++)
		if ((v = json_object_get(tmpl, copied[i])) != NULL &&
		    !json_is_null(v))
			json_object_set(spec, copied[i], jsonx_unconst(v));
	if ((v = json_object_get(tmpl, "lifetime")) != NULL &&
	    json_number_value(v) > 0)
		json_object_set_new(spec, "lifetime",
		    json_integer((json_int_t)json_number_value(v)));
	if ((v = json_object_get(tmpl, "comments")) != NULL &&
	    json_is_string(v))
		json_object_set(spec, "comment", jsonx_unconst(v));
	else if (json_is_string(json_object_get(sub, "comments"))) {
		snprintf(comment, sizeof(comment), "%s",
		    json_string_value(json_object_get(sub, "comments")));
		json_object_set_new(spec, "comment", json_string(comment));
	}
	return spec;
}

/* The subscriptions that give rules now, into *subs (a new array). */
static int
live_subs(json_t **subs, struct gr_err *err)
{
	struct sub_args a = { .out = json_array(), .each = live_one };
	int rc = st_view(collect_txn, &a, 0, err);

	*subs = a.out;
	return rc;
}

/* Give scope:name (record did) the rules of every subscription of subs
   it matches; a rule that fails is logged (as the transmogrifier, which
   does not try again), the others are made. */
static void
give_rules(const json_t *subs, const char *scope, const char *name,
    const json_t *did)
{
	json_int_t made = json_integer_value(
	    json_object_get(did, "created_at"));
	const json_t *sub, *tmpl;
	struct gr_err err = { 0 };
	json_t *spec, *ids;
	size_t i, j;

	json_array_foreach(subs, i, sub) {
		/* new DIDs only, unless the subscription is retroactive */
		if ((!json_is_true(json_object_get(sub, "retroactive")) &&
			made < json_integer_value(
				   json_object_get(sub, "created_at"))) ||
		    !sub_match(sub, scope, name, did))
			continue;
		json_array_foreach(json_object_get(sub, "replication_rules"), j,
		    tmpl) {
			if (json_is_true(json_object_get(sub, "dry_run"))) {
				log_msg(LOG_INFO,
				    "subscription %s: %s:%s matches (dry run)",
				    json_string_value(
					json_object_get(sub, "name")),
				    scope, name);
				continue;
			}
			spec = sub_rule_spec(sub, tmpl, scope, name);
			ids = json_array();
			if (rule_add(ACCOUNT_ROOT, spec, ids, &err) != GR_OK) {
				log_msg(LOG_WARN,
				    "subscription %s: no rule %zu for %s:%s: "
				    "%s",
				    json_string_value(
					json_object_get(sub, "name")),
				    j + 1, scope, name, err.msg);
				gr_clear(&err);
			}
			json_decref(ids);
			json_decref(spec);
		}
	}
}

struct new_dids {
	const json_t *dids; /* [{scope, name}] */
	json_t *recs;       /* their records (null: gone, or not new) */
};

static int
load_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct new_dids *n = arg;
	const json_t *d;
	json_t *rec;
	size_t i;
	int rc;

	json_array_clear(n->recs);
	json_array_foreach(n->dids, i, d) {
		rc = did_load(t, json_string_value(json_object_get(d, "scope")),
		    json_string_value(json_object_get(d, "name")), 0, &rec,
		    err);
		if (rc == GR_DID_NOT_FOUND) {
			gr_clear(err);
			rec = json_null();
		} else if (rc != GR_OK)
			return rc;
		else if (json_is_false(json_object_get(rec, "is_new"))) {
			json_decref(rec); /* seen already */
			rec = json_null();
		}
		json_array_append_new(n->recs, rec);
	}
	return GR_OK;
}

/* The DIDs seen: no longer new. */
static int
seen_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct new_dids *n = arg;
	const json_t *d;
	size_t i;
	int rc;

	json_array_foreach(n->dids, i, d) {
		if (json_is_null(json_array_get(n->recs, i)))
			continue;
		rc = didlife_set_new(t,
		    json_string_value(json_object_get(d, "scope")),
		    json_string_value(json_object_get(d, "name")), false, err);
		if (rc == GR_DID_NOT_FOUND)
			gr_clear(err);
		else if (rc != GR_OK)
			return rc;
	}
	return GR_OK;
}

int
sub_new_dids(const json_t *dids, struct gr_err *err)
{
	struct new_dids n = { .dids = dids, .recs = json_array() };
	json_t *subs = NULL;
	const json_t *d, *rec;
	const char *type;
	size_t i;
	int rc;

	/* without subscriptions there is nothing to do: the DIDs stay new,
	   and no subscription made later takes them (created_at) */
	if ((rc = live_subs(&subs, err)) != GR_OK ||
	    json_array_size(subs) == 0 ||
	    (rc = st_view(load_txn, &n, 0, err)) != GR_OK)
		goto out;
	json_array_foreach(n.recs, i, rec) {
		d = json_array_get(dids, i);
		type = json_string_value(json_object_get(rec, "type"));
		if (type != NULL && strcmp(type, "FILE") != 0)
			give_rules(subs,
			    json_string_value(json_object_get(d, "scope")),
			    json_string_value(json_object_get(d, "name")), rec);
	}
	rc = st_txn_run(seen_txn, &n, err);
out:
	json_decref(subs);
	json_decref(n.recs);
	return rc;
}

/* --- retroactive subscriptions, and the periodic pass ---------------- */

#define RETRO_BATCH 1000 /* DIDs looked at in one view */

struct retro {
	struct sbuf from, last; /* where the batch starts; the last key */
	json_t *batch;          /* [[scope, name, record]] of collections */
	size_t seen;
};

static int
retro_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct retro *r = arg;
	const char *type;
	size_t tlen;
	char *s, *n;

	(void)pkey;
	r->last.len = 0;
	sbuf_add(&r->last, key->data, key->size);
	if (jsonx_member(val->data, val->size, "type", &type, &tlen) &&
	    !(tlen == 6 && memcmp(type, "\"FILE\"", 6) == 0) &&
	    key_did(key->data, key->size, 0, &s, &n)) {
		json_array_append_new(r->batch,
		    json_pack("[s, s, o]", s, n,
			json_loadb(val->data, val->size, 0, NULL)));
		free(s);
		free(n);
	}
	return ++r->seen == RETRO_BATCH ? ST_STOP : GR_OK;
}

static int
retro_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct retro *r = arg;
	DBT from = st_dbt(r->from.s, r->from.len);
	int rc;

	json_array_clear(r->batch);
	r->seen = 0;
	rc = st_scan(t, TBL_DIDS, NULL, 0, r->from.len > 0 ? &from : NULL,
	    retro_one, r, err);
	return rc == ST_STOP ? GR_OK : rc;
}

/* Retroactive subscriptions done: NEW becomes ACTIVE. */
static int
active_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const json_t *subs = arg, *sub;
	char kbuf[KEY_MAX];
	json_t *rec;
	size_t i;
	int ret;

	json_array_foreach(subs, i, sub) {
		DBT k = sub_key(kbuf,
		    json_string_value(json_object_get(sub, "account")),
		    json_string_value(json_object_get(sub, "name")));

		ret = st_get_json(t, TBL_SUBSCRIPTIONS, &k, &rec, DB_RMW);
		if (ret == DB_NOTFOUND)
			continue;
		if (ret == 0 &&
		    strcmp(json_string_value(json_object_get(rec, "state")),
			"N") == 0) {
			json_object_set_new(rec, "state", json_string("A"));
			json_object_set_new(rec, "last_processed",
			    json_integer(time_now()));
			ret = st_put_json(t, TBL_SUBSCRIPTIONS, &k, rec, 0);
		}
		json_decref(rec);
		if (ret != 0)
			return st_fail(err, ret);
	}
	return GR_OK;
}

/* The pass over the collections for the NEW subscriptions of its start:
   where it is, in the process that makes it (the evaluator). */
static struct retro pass;
static json_t *pass_subs; /* the NEW subscriptions it serves; NULL: none */

static int
retro_fresh(json_t **fresh, struct gr_err *err)
{
	json_t *subs = NULL;
	const json_t *sub;
	size_t i;
	int rc;

	*fresh = json_array();
	if ((rc = live_subs(&subs, err)) != GR_OK)
		goto out;
	json_array_foreach(subs, i, sub) {
		if (strcmp(json_string_value(json_object_get(sub, "state")),
			"N") == 0)
			json_array_append(*fresh, jsonx_unconst(sub));
	}
out:
	json_decref(subs);
	return rc;
}

bool
sub_retro_due(void)
{
	struct gr_err err = { 0 };
	json_t *fresh = NULL;
	bool due = retro_fresh(&fresh, &err) == GR_OK &&
	    json_array_size(fresh) > 0;

	json_decref(fresh);
	return due;
}

int
sub_retro_step(bool *worked, struct gr_err *err)
{
	const json_t *one;
	size_t i;
	int rc = GR_OK;

	*worked = false;
	if (pass_subs == NULL) {
		if ((rc = retro_fresh(&pass_subs, err)) != GR_OK ||
		    json_array_size(pass_subs) == 0)
			goto done;
		pass.from.len = 0;
		if (pass.batch == NULL)
			pass.batch = json_array();
	}
	*worked = true;
	if ((rc = st_view(retro_txn, &pass, 0, err)) != GR_OK)
		goto done;
	json_array_foreach(pass.batch, i, one) {
		give_rules(pass_subs, json_string_value(json_array_get(one, 0)),
		    json_string_value(json_array_get(one, 1)),
		    json_array_get(one, 2));
	}
	json_array_clear(pass.batch);
	if (pass.seen == RETRO_BATCH) { /* more: the next batch after it */
		pass.from.len = 0;
		sbuf_add(&pass.from, pass.last.s, pass.last.len);
		sbuf_add(&pass.from, "", 1);
		return GR_OK;
	}
	/* every collection seen: the subscriptions served are ACTIVE */
	rc = st_txn_run(active_txn, pass_subs, err);
done:
	/* over, or failed: the next step starts a pass afresh (a rule
	   made twice is refused as a duplicate, and logged) */
	json_decref(pass_subs);
	pass_subs = NULL;
	return rc;
}

int
sub_retro(struct gr_err *err)
{
	bool worked = true;
	int rc = GR_OK;

	while (rc == GR_OK && worked)
		rc = sub_retro_step(&worked, err);
	return rc;
}

static int
gather_new(json_t *item, void *ctx)
{
	json_array_append_new(ctx,
	    json_pack("{s:O, s:O}", "scope", json_object_get(item, "scope"),
		"name", json_object_get(item, "name")));
	return GR_OK;
}

void
sub_tick(unsigned interval)
{
	static int64_t next;
	int64_t now = time_now();
	struct gr_err err = { 0 };
	json_t *dids = NULL;

	if (interval == 0 || now < next)
		return;
	next = now + interval;
	/* nothing to look at without a subscription that gives rules */
	if (live_subs(&dids, &err) != GR_OK || json_array_size(dids) == 0) {
		if (err.code != GR_OK)
			log_msg(LOG_WARN, "subscriptions: %s", err.msg);
		json_decref(dids);
		return;
	}
	json_array_clear(dids);
	if (didlife_list_new("DATASET", gather_new, dids, &err) != GR_OK ||
	    didlife_list_new("CONTAINER", gather_new, dids, &err) != GR_OK ||
	    (json_array_size(dids) > 0 && sub_new_dids(dids, &err) != GR_OK))
		log_msg(LOG_WARN, "subscriptions: %s", err.msg);
	/* a retroactive pass is the rule evaluator's (a kill -9 left one) */
	if (sub_retro_due())
		rule_evaluator_kick();
	json_decref(dids);
}
