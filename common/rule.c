/*
 * rule.c -- replication rules (core): creation (RSE selection with
 * weights, quotas and a preference for RSEs that hold the data), replica
 * locks, dataset locks, transfer requests, deletion, and the lock state
 * machine that replica states drive. See rule.h for the records. Knows
 * nothing of HTTP; every write happens inside the caller's or its own
 * transaction, whose bodies may run twice (nothing here has effects
 * outside the store).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include "account.h"
#include "cfg.h"
#include "collection.h"
#include "date.h"
#include "did.h"
#include "jsonx.h"
#include "limit.h"
#include "log.h"
#include "mover.h"
#include "proc.h"
#include "request.h"
#include "reaper.h"
#include "rse.h"
#include "rse_expr.h"
#include "rule.h"
#include "rule_int.h"
#include "subscription.h"
#include "tables.h"
#include "usage.h"
#include "util.h"
#include "valid.h"

/* This process made a rule INJECT: its next tick looks at once. */
static bool inject_kick;

static const struct {
	const char *letter, *name;
} rule_states[] = {
	{ "R", "REPLICATING" },
	{ "O", "OK" },
	{ "S", "STUCK" },
	{ "U", "SUSPENDED" },
	{ "W", "WAITING_APPROVAL" },
	{ "I", "INJECT" },
};

/* Rucio's activities (spec/rucio.md 1.5). */
static const char *const activities[] = { "Data Brokering",
	"Data Consolidation", "Data Rebalancing", "Debug", "Express",
	"Functional Test", "Group Subscriptions", "Production Input",
	"Production Output", "Analysis Input", "Analysis Output", "Staging",
	"T0 Export", "T0 Tape", "Upload/Download (Job)",
	"Upload/Download (User)", "User Subscriptions", "Data Challenge" };

#define DEFAULT_ACTIVITY "User Subscriptions"

const char *
rule_state_name(const char *letter)
{
	size_t i;

	for (i = 0; letter != NULL && i < ARRAY_LEN(rule_states); i++)
		if (strcmp(letter, rule_states[i].letter) == 0)
			return rule_states[i].name;
	return NULL;
}

const char *
rule_state_letter(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < ARRAY_LEN(rule_states); i++)
		if (strcasecmp(name, rule_states[i].name) == 0 ||
		    strcmp(name, rule_states[i].letter) == 0)
			return rule_states[i].letter;
	return NULL;
}

const char *
rule_lock_state_name(const char *letter)
{
	if (letter == NULL)
		return "UNKNOWN";
	switch (*letter) {
	case 'R':
		return "REPLICATING";
	case 'O':
		return "OK";
	case 'S':
		return "STUCK";
	default:
		return "UNKNOWN";
	}
}

bool
rule_valid_activity(const char *a)
{
	size_t i;

	for (i = 0; a != NULL && i < ARRAY_LEN(activities); i++)
		if (strcmp(a, activities[i]) == 0)
			return true;
	return false;
}

size_t
rule_lock_key(char *buf, const char *id, const char *scope, const char *name,
    const char *rse_id)
{
	return key_join(buf, KEY_MAX, id, scope, name, rse_id, (char *)NULL);
}

/* A new uuid4 as 32 lowercase hex digits. */
static void
new_uuid(char out[RULE_ID_LEN + 1])
{
	unsigned char b[16];

	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	hex_encode(b, sizeof(b), out);
	out[RULE_ID_LEN] = '\0';
}

static bool
rule_id_ok(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != RULE_ID_LEN)
		return false;
	for (i = 0; i < RULE_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
			(id[i] >= 'a' && id[i] <= 'f') ||
			(id[i] >= 'A' && id[i] <= 'F')))
			return false;
	return true;
}

int
rule_load(struct st_txn *t, const char *id, u_int32_t flags, json_t **rec,
    struct gr_err *err)
{
	char low[RULE_ID_LEN + 1];
	DBT k;
	size_t i;
	int ret;

	*rec = NULL;
	if (!rule_id_ok(id))
		return gr_fail(err, GR_RULE_NOT_FOUND,
		    "No rule with the id %.64s found", id != NULL ? id : "");
	for (i = 0; i < RULE_ID_LEN; i++)
		low[i] = (char)((id[i] >= 'A' && id[i] <= 'F') ? id[i] + 32
							       : id[i]);
	low[RULE_ID_LEN] = '\0';
	k = st_dbt(low, RULE_ID_LEN);
	ret = st_get_json(t, TBL_RULES, &k, rec, flags);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_RULE_NOT_FOUND,
		    "No rule with the id %s found", low);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
rule_store(struct st_txn *t, const json_t *rec, struct gr_err *err)
{
	const char *id = str_of(rec, "id");
	DBT k = st_dbt(id, strlen(id));
	int ret = st_put_json(t, TBL_RULES, &k, rec, 0);

	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
rule_history_add(struct st_txn *t, const json_t *rec, struct gr_err *err)
{
	static unsigned seq;
	char kbuf[KEY_MAX], when[17], n[17];
	json_t *h;
	DBT k;
	int ret;

	(void)snprintf(when, sizeof(when), "%016llx",
	    (unsigned long long)int_of(rec, "updated_at"));
	/* unique among the processes that write at once (the pid), and in
	   order within one; a body run again only skips a number */
	(void)snprintf(n, sizeof(n), "%08lx%08x",
	    (unsigned long)getpid() & 0xffffffffUL, ++seq);
	k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), str_of(rec, "id"), when, n,
		(char *)NULL));
	h = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, "
		      "s:O}",
	    "rule_id", json_object_get(rec, "id"), "scope",
	    json_object_get(rec, "scope"), "name", json_object_get(rec, "name"),
	    "account", json_object_get(rec, "account"), "rse_expression",
	    json_object_get(rec, "rse_expression"), "state",
	    json_object_get(rec, "state"), "locks_ok_cnt",
	    json_object_get(rec, "locks_ok_cnt"), "locks_replicating_cnt",
	    json_object_get(rec, "locks_replicating_cnt"), "locks_stuck_cnt",
	    json_object_get(rec, "locks_stuck_cnt"), "created_at",
	    json_object_get(rec, "created_at"), "updated_at",
	    json_object_get(rec, "updated_at"));
	ret = h == NULL ? EINVAL : st_put_json(t, TBL_RULE_HISTORY, &k, h, 0);
	json_decref(h);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/* --- the request's options ------------------------------------------ */

struct spec {
	const json_t *dids;
	const char *account, *rse_expression, *weight, *source_expr;
	const char *activity, *comment, *meta, *subscription_id;
	json_int_t copies, priority, delay;
	double lifetime;
	bool has_lifetime, has_delay;
	char grouping, notify;
	bool locked, purge, ignore_avail, ask_approval, asynchronous;
	bool split_container, ignore_account_limit;
};

static int
bad_type(struct gr_err *err, const char *key, const char *want)
{
	return gr_fail(err, GR_RULE_INVALID_OBJECT,
	    "Problem validating rule: '%s' is not of type %s", key, want);
}

/* An optional string (or null) member. */
static int
opt_string(const json_t *o, const char *key, size_t max, const char **out,
    struct gr_err *err)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return GR_OK;
	if (!json_is_string(v))
		return bad_type(err, key, "'string', 'null'");
	if (max > 0 && json_string_length(v) > max)
		return gr_fail(err, GR_RULE_INVALID_OBJECT,
		    "Problem validating rule: '%s' is too long", key);
	*out = json_string_value(v);
	return GR_OK;
}

static int
opt_bool(const json_t *o, const char *key, bool *out, struct gr_err *err)
{
	const json_t *v = json_object_get(o, key);

	*out = false;
	if (v == NULL || json_is_null(v))
		return GR_OK;
	if (!json_is_boolean(v))
		return bad_type(err, key, "'boolean', 'null'");
	*out = json_is_true(v);
	return GR_OK;
}

static const char *const spec_keys[] = { "dids", "account", "copies",
	"rse_expression", "grouping", "weight", "lifetime", "locked",
	"subscription_id", "source_replica_expression", "activity", "notify",
	"purge_replicas", "ignore_availability", "comment", "ask_approval",
	"asynchronous", "delay_injection", "priority", "split_container",
	"meta", "ignore_account_limit" };

static int
parse_spec(const json_t *o, struct spec *s, struct gr_err *err)
{
	const char *key, *g = NULL, *n = NULL;
	const json_t *v;
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(o))
		return gr_fail(err, GR_RULE_INVALID_OBJECT,
		    "Problem validating rule: not a dictionary");
	json_object_foreach(jsonx_unconst(o), key, v) {
		for (i = 0; i < ARRAY_LEN(spec_keys); i++)
			if (strcmp(key, spec_keys[i]) == 0)
				break;
		if (i == ARRAY_LEN(spec_keys))
			return gr_fail(err, GR_RULE_INVALID_OBJECT,
			    "Problem validating rule: Additional properties "
			    "are not allowed ('%.64s' was unexpected)",
			    key);
	}
	s->dids = json_object_get(o, "dids");
	if (s->dids == NULL)
		return gr_fail(err, GR_RULE_INVALID_OBJECT,
		    "Problem validating rule: 'dids' is a required property");
	if (!json_is_array(s->dids))
		return bad_type(err, "dids", "'array'");
	if (json_array_size(s->dids) > RULE_DIDS_MAX)
		return gr_fail(err, GR_RULE_INVALID_OBJECT,
		    "Problem validating rule: more than %d dids",
		    RULE_DIDS_MAX);
	for (i = 0; i < json_array_size(s->dids); i++) {
		const json_t *d = json_array_get(s->dids, i);
		const char *sc = str_of(d, "scope"), *nm = str_of(d, "name");

		if (sc == NULL || nm == NULL)
			return gr_fail(err, GR_RULE_INVALID_OBJECT,
			    "Problem validating rule: each DID needs a scope "
			    "and a name");
		if (did_check(sc, nm, err) != GR_OK) {
			char msg[sizeof(err->msg)];

			memcpy(msg, err->msg, sizeof(msg));
			gr_clear(err);
			return gr_fail(err, GR_RULE_INVALID_OBJECT, "%s", msg);
		}
	}
	v = json_object_get(o, "copies");
	if (v == NULL)
		return gr_fail(err, GR_RULE_INVALID_OBJECT,
		    "Problem validating rule: 'copies' is a required "
		    "property");
	if (!json_is_integer(v))
		return bad_type(err, "copies", "'integer'");
	s->copies = json_integer_value(v);
	v = json_object_get(o, "rse_expression");
	if (v == NULL)
		return gr_fail(err, GR_RULE_INVALID_OBJECT,
		    "Problem validating rule: 'rse_expression' is a required "
		    "property");
	if (!json_is_string(v))
		return bad_type(err, "rse_expression", "'string'");
	s->rse_expression = json_string_value(v);
	if ((v = json_object_get(o, "account")) != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || !valid_account(json_string_value(v)))
			return gr_fail(err, GR_RULE_INVALID_OBJECT,
			    "Problem validating rule: 'account' is not a "
			    "valid account");
		s->account = json_string_value(v);
	}
	if ((rc = opt_string(o, "grouping", 0, &g, err)) != GR_OK ||
	    (rc = opt_string(o, "weight", 255, &s->weight, err)) != GR_OK ||
	    (rc = opt_string(o, "subscription_id", 64, &s->subscription_id,
		 err)) != GR_OK ||
	    (rc = opt_string(o, "source_replica_expression", RSE_EXPR_MAX,
		 &s->source_expr, err)) != GR_OK ||
	    (rc = opt_string(o, "notify", 0, &n, err)) != GR_OK ||
	    (rc = opt_string(o, "comment", 250, &s->comment, err)) != GR_OK ||
	    (rc = opt_string(o, "meta", 3999, &s->meta, err)) != GR_OK ||
	    (rc = opt_bool(o, "locked", &s->locked, err)) != GR_OK ||
	    (rc = opt_bool(o, "purge_replicas", &s->purge, err)) != GR_OK ||
	    (rc = opt_bool(o, "ignore_availability", &s->ignore_avail, err)) !=
		GR_OK ||
	    (rc = opt_bool(o, "ask_approval", &s->ask_approval, err)) !=
		GR_OK ||
	    (rc = opt_bool(o, "asynchronous", &s->asynchronous, err)) !=
		GR_OK ||
	    (rc = opt_bool(o, "split_container", &s->split_container, err)) !=
		GR_OK ||
	    (rc = opt_bool(o, "ignore_account_limit", &s->ignore_account_limit,
		 err)) != GR_OK)
		return rc;
	if (g == NULL || strcmp(g, "DATASET") == 0)
		s->grouping = 'D';
	else if (strcmp(g, "ALL") == 0)
		s->grouping = 'A';
	else if (strcmp(g, "NONE") == 0)
		s->grouping = 'N';
	else
		return gr_fail(err, GR_RULE_INVALID_OBJECT,
		    "Problem validating rule: '%.32s' is not one of "
		    "['DATASET', 'NONE', 'ALL', None]",
		    g);
	if (n == NULL)
		s->notify = 'N';
	else if (strlen(n) == 1 && strchr("YCNP", *n) != NULL)
		s->notify = *n;
	else
		return gr_fail(err, GR_RULE_INVALID_OBJECT,
		    "Problem validating rule: '%.32s' is not one of ['Y', "
		    "'C', 'N', 'P', None]",
		    n);
	v = json_object_get(o, "activity");
	if (v == NULL || json_is_null(v))
		s->activity = DEFAULT_ACTIVITY;
	else if (!json_is_string(v) ||
	    !rule_valid_activity(json_string_value(v)))
		return gr_fail(err, GR_RULE_INVALID_OBJECT,
		    "Problem validating rule: '%.64s' is not a valid activity",
		    json_is_string(v) ? json_string_value(v) : "?");
	else
		s->activity = json_string_value(v);
	v = json_object_get(o, "lifetime");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_number(v))
			return bad_type(err, "lifetime", "'number', 'null'");
		s->has_lifetime = true;
		s->lifetime = json_number_value(v);
		if (!isfinite(s->lifetime) || s->lifetime < 0 ||
		    s->lifetime > 1e10)
			return gr_fail(err, GR_RULE_INVALID_OBJECT,
			    "Problem validating rule: 'lifetime' is out of "
			    "range");
	}
	v = json_object_get(o, "delay_injection");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v))
			return bad_type(err, "delay_injection",
			    "'integer', 'null'");
		s->delay = json_integer_value(v);
		s->has_delay = s->delay != 0;
		if (s->delay < 0 || s->delay > 1000000000)
			return gr_fail(err, GR_RULE_INVALID_OBJECT,
			    "Problem validating rule: 'delay_injection' is "
			    "out of range");
	}
	v = json_object_get(o, "priority");
	s->priority = 3;
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v))
			return bad_type(err, "priority", "'integer'");
		s->priority = json_integer_value(v);
	}
	if (strlen(s->rse_expression) > RSE_EXPR_MAX)
		return gr_fail(err, GR_RULE_INVALID_RSE_EXPR,
		    "The RSE expression is too long");
	if (s->copies <= 0)
		return gr_fail(err, GR_INVALID_VALUE,
		    "The number of copies for a replication rule should be "
		    "greater than 0.");
	return GR_OK;
}

/* --- RSE selection ---------------------------------------------------- */

struct cand {
	char id[RSE_ID_LEN + 1];
	double weight;
	bool unlimited;
	json_int_t quota_left, global_left; /* LIMIT_UNLIMITED: no bound */
};

/* Where one rule's locks go, and what they add up to. */
struct applier {
	struct st_txn *t;
	json_t *rule; /* the record, borrowed */
	const char *id, *account;
	char grouping;
	json_int_t copies;
	bool fresh;     /* a new rule: no lock of it exists yet */
	struct cand *c; /* eligible RSEs */
	size_t nc;
	char (*src)[RSE_ID_LEN + 1]; /* source_replica_expression's RSEs */
	size_t nsrc;
	bool has_src;
	char (*blk)[RSE_ID_LEN + 1]; /* where the block's replicas are being
					deleted (preferred): not chosen */
	size_t nblk;
	int64_t now;
	json_int_t d_ok, d_rep, d_stuck; /* locks added, by state */
	struct acc {
		char id[RSE_ID_LEN + 1];
		json_int_t files, bytes;   /* the account's usage */
		json_int_t rfiles, rbytes; /* new replicas on the RSE */
	} * acc;
	size_t nacc;
	struct sbuf text, rtext, rnew; /* a lock's and a replica's records */
	struct gr_err *err;
};

static struct acc *
acc_get(struct applier *ap, const char *id)
{
	size_t i;

	for (i = 0; i < ap->nacc; i++)
		if (strcmp(ap->acc[i].id, id) == 0)
			return &ap->acc[i];
	ap->acc = xrealloc(ap->acc, (ap->nacc + 1) * sizeof(*ap->acc));
	memset(&ap->acc[ap->nacc], 0, sizeof(*ap->acc));
	(void)snprintf(ap->acc[ap->nacc].id, sizeof(ap->acc[0].id), "%s", id);
	return &ap->acc[ap->nacc++];
}

static void
applier_free(struct applier *ap)
{
	free(ap->c);
	free(ap->src);
	free(ap->blk);
	free(ap->acc);
	sbuf_free(&ap->text);
	sbuf_free(&ap->rtext);
	sbuf_free(&ap->rnew);
}

/* Move the usage counted in ap->acc into the store (once per RSE). */
static int
flush_usage(struct applier *ap)
{
	size_t i;
	int rc;

	for (i = 0; i < ap->nacc; i++) {
		struct acc *a = &ap->acc[i];

		if ((a->files != 0 || a->bytes != 0) &&
		    (rc = account_usage_add(ap->t, ap->account, a->id, a->files,
			 a->bytes, ap->err)) != GR_OK)
			return rc;
		if ((a->rfiles != 0 || a->rbytes != 0) &&
		    (rc = usage_rse_add(ap->t, a->id, a->rfiles, a->rbytes,
			 ap->err)) != GR_OK)
			return rc;
	}
	ap->nacc = 0;
	return GR_OK;
}

/* An RSE expression that fails as the rules view answers: 409. */
static int
expr_eval(struct st_txn *t, const char *expr, json_t **out, struct gr_err *err)
{
	char msg[sizeof(err->msg)];
	int rc = rse_expr_eval(t, expr, out, err);

	if (rc == GR_INVALID_RSE_EXPR) {
		memcpy(msg, err->msg, sizeof(msg));
		gr_clear(err);
		rc = gr_fail(err, GR_RULE_INVALID_RSE_EXPR, "%s", msg);
	}
	return rc;
}

/*
 * Upstream's SCRATCHDISK policy (get_scratch_policy): a rule of an
 * account that is not an admin, whose expression names an RSE with the
 * attribute type=SCRATCHDISK (write-available ones only when
 * write_only), lives at most SCRATCH_LIFETIME less a second: the rule's
 * expires_at is brought down to that (and set when it had none).
 */
#define SCRATCH_LIFETIME (14 * 86400)

static int
scratch_cap(struct st_txn *t, json_t *rule, bool write_only, int64_t now,
    struct gr_err *err)
{
	const json_t *exp = json_object_get(rule, "expires_at");
	json_int_t cap = now + SCRATCH_LIFETIME - 1;
	json_t *names = NULL, *rse = NULL, *type = NULL;
	bool scratch = false, admin = false;
	size_t i;
	int rc;

	if (json_is_integer(exp) && json_integer_value(exp) <= cap)
		return GR_OK;
	if ((rc = account_is_admin(t, str_of(rule, "account"), &admin, err)) !=
		GR_OK ||
	    admin)
		return rc;
	if ((rc = expr_eval(t, str_of(rule, "rse_expression"), &names, err)) !=
	    GR_OK)
		return rc;
	for (i = 0; i < json_array_size(names) && !scratch && rc == GR_OK;
	     i++) {
		const char *name = json_string_value(json_array_get(names, i));

		json_decref(rse);
		rse = NULL;
		if ((rc = rse_load(t, name, 0, &rse, err)) != GR_OK)
			break;
		if (write_only &&
		    !json_is_true(json_object_get(rse, "availability_write")))
			continue;
		json_decref(type);
		type = NULL;
		if ((rc = rse_attr_get(t, name, "type", &type, err)) == GR_OK)
			scratch = json_is_string(type) &&
			    strcmp(json_string_value(type), "SCRATCHDISK") == 0;
	}
	if (rc == GR_OK && scratch)
		json_object_set_new(rule, "expires_at", json_integer(cap));
	json_decref(type);
	json_decref(rse);
	json_decref(names);
	return rc;
}

/*
 * The rule's target RSEs as the selector sees them (5.3 steps 2-3):
 * write-available ones (unless ignore_availability), with the weight
 * attribute when there is one, with quota left for the account (unless
 * !quota: a re-evaluation places new files where the rule is, quota or
 * not). May change *locked (TAPE without lifetime) when locked is not
 * NULL.
 */
static int
build_cands(struct applier *ap, const json_t *rule, bool *locked, bool quota)
{
	struct st_txn *t = ap->t;
	struct gr_err *err = ap->err;
	const char *weight = str_of(rule, "weight");
	const char *srcx = str_of(rule, "source_replica_expression");
	bool ignore_avail = json_is_true(
		 json_object_get(rule, "ignore_availability")),
	     unlimited = json_is_true(
		 json_object_get(rule, "ignore_account_limit"));
	bool lifetime = !json_is_null(json_object_get(rule, "expires_at")) &&
	    json_object_get(rule, "expires_at") != NULL;
	json_t *names = NULL, *rse = NULL, *wv = NULL;
	size_t i, n, nw = 0, nwrite = 0;
	int rc;

	if ((rc = expr_eval(t, str_of(rule, "rse_expression"), &names, err)) !=
	    GR_OK)
		return rc;
	n = json_array_size(names);
	ap->c = xcalloc(n > 0 ? n : 1, sizeof(*ap->c));
	ap->nc = 0;
	for (i = 0; i < n; i++) {
		const char *name = json_string_value(json_array_get(names, i));
		struct cand *c = &ap->c[ap->nc];
		const char *type;

		json_decref(rse);
		rse = NULL;
		if ((rc = rse_load(t, name, 0, &rse, err)) != GR_OK)
			goto out;
		if (!ignore_avail &&
		    !json_is_true(json_object_get(rse, "availability_write")))
			continue;
		nwrite++;
		if (!lifetime &&
		    json_is_true(json_object_get(rse, "staging_area"))) {
			rc = gr_fail(err, GR_STAGING_NEEDS_LIFETIME,
			    "Rules for a staging area must include a "
			    "lifetime");
			goto out;
		}
		type = str_of(rse, "rse_type");
		if (locked != NULL && !lifetime && type != NULL &&
		    strcmp(type, "TAPE") == 0)
			*locked = true;
		(void)snprintf(c->id, sizeof(c->id), "%s", str_of(rse, "id"));
		c->weight = 1;
		if (weight != NULL) {
			char *end;

			json_decref(wv);
			if ((rc = rse_attr_get(t, name, weight, &wv, err)) !=
			    GR_OK)
				goto out;
			if (wv == NULL)
				continue; /* no such attribute: not a target */
			if (json_is_number(wv))
				c->weight = json_number_value(wv);
			else if (json_is_true(wv))
				c->weight = 1;
			else if (json_is_string(wv)) {
				c->weight = strtod(json_string_value(wv), &end);
				if (end == json_string_value(wv) ||
				    *end != '\0')
					goto bad_weight;
			} else
				goto bad_weight;
			nw++;
		}
		/* quotas: admins, ignore_account_limit, ask_approval and
		   "mock" RSEs are unlimited */
		c->unlimited = unlimited || !quota;
		if (!c->unlimited) {
			json_t *mock = NULL;

			if ((rc = rse_attr_get(t, name, "mock", &mock, err)) !=
			    GR_OK)
				goto out;
			c->unlimited = mock != NULL && !json_is_false(mock);
			json_decref(mock);
		}
		c->quota_left = c->global_left = LIMIT_UNLIMITED;
		if (!c->unlimited &&
		    (rc = limit_quota_left(t, ap->account, c->id,
			 &c->quota_left, &c->global_left, err)) != GR_OK)
			goto out;
		ap->nc++;
		continue;
	bad_weight:
		rc = gr_fail(err, GR_INVALID_RULE_WEIGHT,
		    "The RSE '%s' has a non-number specified for the weight "
		    "'%s'",
		    name, weight);
		goto out;
	}
	if (nwrite == 0) {
		rc = gr_fail(err, GR_RSE_WRITE_BLOCKED,
		    "RSE excluded; not available for writing.");
		goto out;
	}
	if ((json_int_t)ap->nc < ap->copies) {
		rc = gr_fail(err, GR_INSUFFICIENT_TARGET_RSES,
		    "Target RSE set not sufficient for number of copies. (%lld "
		    "copies requested, RSE set size %zu)",
		    (long long)ap->copies, weight != NULL ? nw : ap->nc);
		goto out;
	}
	/* the RSEs with quota left (Rucio's constructor) */
	for (i = n = 0; i < ap->nc; i++) {
		struct cand *c = &ap->c[i];

		if (c->unlimited ||
		    ((c->quota_left == LIMIT_UNLIMITED || c->quota_left > 0) &&
			(c->global_left == LIMIT_UNLIMITED ||
			    c->global_left > 0)))
			ap->c[n++] = *c;
	}
	ap->nc = n;
	if ((json_int_t)ap->nc < ap->copies) {
		rc = gr_fail(err, GR_INSUFFICIENT_ACCOUNT_LIMIT,
		    "There is insufficient quota on any of the target RSE's to "
		    "fulfill the operation.");
		goto out;
	}
	if (srcx != NULL) {
		json_decref(names);
		names = NULL;
		if ((rc = expr_eval(t, srcx, &names, err)) != GR_OK)
			goto out;
		ap->has_src = true;
		ap->nsrc = json_array_size(names);
		ap->src = xcalloc(ap->nsrc + 1, sizeof(*ap->src));
		for (i = 0; i < ap->nsrc; i++) {
			char id[RSE_ID_LEN + 1] = "";

			gr_clear(err);
			if (rse_live_id(t,
				json_string_value(json_array_get(names, i)), id,
				err) != GR_OK)
				gr_clear(err);
			memcpy(ap->src[i], id, sizeof(id));
		}
	}
	rc = GR_OK;
out:
	json_decref(names);
	json_decref(rse);
	json_decref(wv);
	return rc;
}

static bool
cand_fits(const struct cand *c, json_int_t size)
{
	return c->unlimited ||
	    ((c->quota_left == LIMIT_UNLIMITED || c->quota_left > size) &&
		(c->global_left == LIMIT_UNLIMITED || c->global_left >= size));
}

/* Weighted random choice among the n candidates whose flag is set. */
static struct cand *
pick(struct cand **v, size_t n)
{
	double sum = 0, at, w = 0;
	size_t i;
	unsigned r;

	for (i = 0; i < n; i++)
		sum += v[i]->weight > 0 ? v[i]->weight : 0;
	random_bytes(&r, sizeof(r));
	at = sum * ((double)r / 4294967296.0);
	for (i = 0; i < n; i++) {
		w += v[i]->weight > 0 ? v[i]->weight : 0;
		if (at < w)
			return v[i];
	}
	return v[n - 1];
}

/*
 * Choose ap->copies RSEs for a block of size bytes: those with quota for
 * it, the preferred ones (pref, most preferred first) first, in that order
 * for groupings ALL and DATASET, else by weight; never one where a replica
 * of the block is being deleted (ap->blk, as upstream's blocklist). out
 * receives the ids.
 */
static int
select_rses(struct applier *ap, json_int_t size, char (*pref)[RSE_ID_LEN + 1],
    size_t npref, char (*out)[RSE_ID_LEN + 1])
{
	struct cand **ok = xcalloc(ap->nc + 1, sizeof(*ok));
	struct cand **pv = xcalloc(ap->nc + 1, sizeof(*pv));
	size_t i, j, n = 0, np, k, nfree = 0;
	int rc = GR_OK;

	for (i = 0; i < ap->nc; i++) {
		for (j = 0; j < ap->nblk; j++)
			if (strcmp(ap->c[i].id, ap->blk[j]) == 0)
				break;
		if (j == ap->nblk)
			ok[nfree++] = &ap->c[i];
	}
	if ((json_int_t)nfree < ap->copies) {
		rc = gr_fail(ap->err, GR_INSUFFICIENT_TARGET_RSES,
		    "There are not enough target RSEs to fulfil the request at "
		    "this time.");
		goto out;
	}
	for (i = 0; i < nfree; i++)
		if (cand_fits(ok[i], size))
			ok[n++] = ok[i];
	if ((json_int_t)n < ap->copies) {
		rc = gr_fail(ap->err, GR_INSUFFICIENT_ACCOUNT_LIMIT,
		    "There is insufficient quota on any of the target RSE's to "
		    "fulfill the operation.");
		goto out;
	}
	for (k = 0; k < (size_t)ap->copies; k++) {
		struct cand *c;

		np = 0;
		for (j = 0; j < npref; j++)
			for (i = 0; i < n; i++)
				if (strcmp(ok[i]->id, pref[j]) == 0)
					pv[np++] = ok[i];
		/* grouped blocks take the RSE holding most of their bytes,
		   as upstream's prioritize_order_over_weight; single
		   files pick among the RSEs holding them by weight */
		c = np > 0 && ap->grouping != 'N' ? pv[0]
		    : np > 0                      ? pick(pv, np)
						  : pick(ok, n);
		memcpy(out[k], c->id, sizeof(out[k]));
		if (c->quota_left != LIMIT_UNLIMITED)
			c->quota_left -= size;
		if (c->global_left != LIMIT_UNLIMITED)
			c->global_left -= size;
		for (i = 0; i < n; i++) /* not twice */
			if (ok[i] == c) {
				ok[i] = ok[--n];
				break;
			}
	}
out:
	free(ok);
	free(pv);
	return rc;
}

/* --- files and their replicas ---------------------------------------- */

struct rep {
	char id[RSE_ID_LEN + 1];
	char state;
};

struct gfile {
	char *scope, *name, *md5, *adler32;
	json_int_t bytes;
	struct rep *reps;
	size_t nreps;
	bool loaded; /* reps read (file_replicas) */
};

struct group {
	struct gfile *f;
	size_t n, cap;
	json_int_t bytes;
};

static void
group_clear(struct group *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->f[i].scope);
		free(g->f[i].name);
		free(g->f[i].md5);
		free(g->f[i].adler32);
		free(g->f[i].reps);
	}
	g->n = 0;
	g->bytes = 0;
}

static void
group_free(struct group *g)
{
	group_clear(g);
	free(g->f);
	g->f = NULL;
	g->cap = 0;
}

static char *
member_str(const char *rec, size_t n, const char *key)
{
	const char *v;
	size_t vl;

	if (!jsonx_member(rec, n, key, &v, &vl) || vl < 2 || *v != '"')
		return NULL;
	return xstrndup(v + 1, vl - 2);
}

/* Add a file with its values from rec (a DID or contents record). */
static void
group_add(struct group *g, const char *scope, const char *name, const char *rec,
    size_t n)
{
	struct gfile *f;
	const char *v;
	size_t vl;
	long long b = 0;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->f = xrealloc(g->f, g->cap * sizeof(*g->f));
	}
	f = &g->f[g->n++];
	memset(f, 0, sizeof(*f));
	f->scope = xstrdup(scope);
	f->name = xstrdup(name);
	if (jsonx_member(rec, n, "bytes", &v, &vl))
		(void)jsonx_member_int(v, vl, &b);
	f->bytes = b;
	f->md5 = member_str(rec, n, "md5");
	f->adler32 = member_str(rec, n, "adler32");
	g->bytes += b;
}

static int
rep_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct gfile *f = arg;
	const char *id, *s;
	size_t len, sl;

	(void)pkey;
	id = key_part(key->data, key->size, 2, &len);
	if (id == NULL || len != RSE_ID_LEN)
		return GR_OK;
	f->reps = xrealloc(f->reps, (f->nreps + 1) * sizeof(*f->reps));
	memcpy(f->reps[f->nreps].id, id, RSE_ID_LEN);
	f->reps[f->nreps].id[RSE_ID_LEN] = '\0';
	f->reps[f->nreps].state = '?';
	if (jsonx_member(val->data, val->size, "state", &s, &sl) && sl == 3)
		f->reps[f->nreps].state = s[1];
	f->nreps++;
	return GR_OK;
}

/* A file's replicas (their RSEs and states), read once, when needed:
   a file whose lock finds its replica available needs none. */
static int
file_replicas(struct applier *ap, struct gfile *f)
{
	char kbuf[KEY_MAX];
	size_t klen;

	if (f->loaded)
		return GR_OK;
	f->loaded = true;
	klen = key_join(kbuf, sizeof(kbuf), f->scope, f->name, "",
	    (char *)NULL);
	return st_scan(ap->t, TBL_REPLICAS, kbuf, klen, NULL, rep_one, f,
	    ap->err);
}

/* Every file's replicas. */
static int
load_replicas(struct applier *ap, struct group *g)
{
	size_t i;
	int rc;

	for (i = 0; i < g->n; i++)
		if ((rc = file_replicas(ap, &g->f[i])) != GR_OK)
			return rc;
	return GR_OK;
}

/* The RSEs holding the group's data, most bytes first; ap->blk: those
   where a replica of it is being deleted. */
static size_t
preferred(struct applier *ap, const struct group *g,
    char (**out)[RSE_ID_LEN + 1])
{
	struct {
		char id[RSE_ID_LEN + 1];
		json_int_t bytes;
	} *v = NULL, tmp;
	size_t i, j, k, n = 0;

	ap->nblk = 0;
	for (i = 0; i < g->n; i++)
		for (j = 0; j < g->f[i].nreps; j++) {
			const struct rep *r = &g->f[i].reps[j];

			if (r->state == 'B') { /* BEING_DELETED */
				for (k = 0; k < ap->nblk &&
				     strcmp(ap->blk[k], r->id) != 0;
				     k++)
					;
				if (k == ap->nblk) {
					ap->blk = xrealloc(ap->blk,
					    (ap->nblk + 1) * sizeof(*ap->blk));
					memcpy(ap->blk[ap->nblk++], r->id,
					    RSE_ID_LEN + 1);
				}
			}
			if (strchr("ATC", r->state) == NULL)
				continue;
			for (k = 0; k < n && strcmp(v[k].id, r->id) != 0; k++)
				;
			if (k == n) {
				v = xrealloc(v, (n + 1) * sizeof(*v));
				memcpy(v[n].id, r->id, sizeof(v[n].id));
				v[n++].bytes = 0;
			}
			v[k].bytes += g->f[i].bytes;
		}
	for (i = 1; i < n; i++) /* few: insertion sort, most bytes first */
		for (j = i; j > 0 && v[j].bytes > v[j - 1].bytes; j--) {
			tmp = v[j];
			v[j] = v[j - 1];
			v[j - 1] = tmp;
		}
	*out = xcalloc(n + 1, sizeof(**out));
	for (i = 0; i < n; i++)
		memcpy((*out)[i], v[i].id, RSE_ID_LEN + 1);
	free(v);
	return n;
}

/* --- locks, replicas, requests ---------------------------------------- */

static bool
is_source(const struct applier *ap, const struct rep *r, const char *dest)
{
	size_t i;

	if (r->state != 'A' || strcmp(r->id, dest) == 0)
		return false;
	if (!ap->has_src)
		return true;
	for (i = 0; i < ap->nsrc; i++)
		if (strcmp(ap->src[i], r->id) == 0)
			return true;
	return false;
}

/* The transfer request of f to dest, unless one is there already. */
static int
rule_request_add(struct applier *ap, const struct gfile *f, const char *dest,
    bool has_source)
{
	char kbuf[KEY_MAX], id[RULE_ID_LEN + 1];
	DBT k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), f->scope, f->name, dest,
		(char *)NULL));
	json_t *r;
	int ret;

	new_uuid(id);
	r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:O, s:I, s:s?, "
		      "s:s?, s:i, s:O, s:O, s:s, s:I, s:I}",
	    "id", id, "state", has_source ? "Q" : "O", "rule_id", ap->id,
	    "scope", f->scope, "name", f->name, "dest_rse_id", dest,
	    "source_rse_id", "source_replica_expression",
	    json_object_get(ap->rule, "source_replica_expression"), "bytes",
	    f->bytes, "md5", f->md5, "adler32", f->adler32, "attempts", 0,
	    "activity", json_object_get(ap->rule, "activity"), "priority",
	    json_object_get(ap->rule, "priority"), "account", ap->account,
	    "created_at", (json_int_t)ap->now, "updated_at",
	    (json_int_t)ap->now);
	ret = st_put_json(ap->t, TBL_REQUESTS, &k, r, DB_NOOVERWRITE);
	json_decref(r);
	if (ret == DB_KEYEXIST)
		return GR_OK;
	if (ret == 0 && has_source)
		mover_note(); /* a mover starts after the commit */
	return ret == 0 ? GR_OK : st_fail(ap->err, ret);
}

/*
 * The lock of f on dest (5.3 step 5): the replica's state decides the
 * lock's; a replica is made (COPYING, or UNAVAILABLE when no source can
 * exist) where there is none; every lock raises the replica's lock_cnt
 * and clears its tombstone, and counts in the rule and the account.
 */
static int
lock_add(struct applier *ap, struct gfile *f, const char *dest)
{
	char lkey[KEY_MAX], rkey[KEY_MAX], st = 0, cnt[24], now[24];
	DBT lk = st_dbt(lkey,
	    rule_lock_key(lkey, ap->id, f->scope, f->name, dest));
	DBT rk = st_dbt(rkey,
	    key_join(rkey, sizeof(rkey), f->scope, f->name, dest,
		(char *)NULL));
	bool has_source = false, request = false;
	const char *v;
	size_t vl, i;
	long long lock_cnt = 0;
	struct acc *a;
	int ret, rc = GR_OK;

	if (lk.size == 0 || rk.size == 0)
		return gr_fail(ap->err, GR_INVALID_OBJECT, "name too long");
	a = acc_get(ap, dest);
	/* the replica's record is edited as text: a parse and a dump per
	   lock were a fifth of an injection's time (perf) */
	ret = st_get_text_rmw(ap->t, TBL_REPLICAS, &rk, &ap->rtext);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(ap->err, ret);
	if (ret == DB_NOTFOUND ||
	    !jsonx_member(ap->rtext.s, ap->rtext.len, "state", &v, &vl) ||
	    vl != 3 || strchr("ATC", v[1]) == NULL) {
		/* not there (yet): where could it come from? */
		if ((rc = file_replicas(ap, f)) != GR_OK)
			return rc;
		for (i = 0; i < f->nreps && !has_source; i++)
			has_source = is_source(ap, &f->reps[i], dest);
	}
	if (ret == DB_NOTFOUND) {
		st = has_source ? 'R' : 'S';
	} else {
		char c = jsonx_member(ap->rtext.s, ap->rtext.len, "state", &v,
			     &vl) &&
			vl == 3
		    ? v[1]
		    : 'U';

		if (c == 'A' || c == 'T')
			st = 'O';
		else if (c == 'C')
			st = 'R'; /* being copied in: its request stays (or is
				     made) */
		else
			st = has_source ? 'R' : 'S';
		if (jsonx_member(ap->rtext.s, ap->rtext.len, "lock_cnt", &v,
			&vl))
			(void)jsonx_member_int(v, vl, &lock_cnt);
	}
	ap->text.len = 0;
	sbuf_adds(&ap->text, "{\"state\":\"");
	sbuf_add(&ap->text, &st, 1);
	sbuf_adds(&ap->text, "\",\"bytes\":");
	sbuf_addi(&ap->text, (long long)f->bytes);
	sbuf_adds(&ap->text, ",\"created_at\":");
	sbuf_addi(&ap->text, (long long)ap->now);
	sbuf_adds(&ap->text, ",\"updated_at\":");
	sbuf_addi(&ap->text, (long long)ap->now);
	sbuf_add(&ap->text, "}", 1);
	/* a rule applied again (re-evaluation, a resumed injection) skips
	   what it locked already: the put itself says so */
	ret = st_put_text(ap->t, TBL_LOCKS, &lk, ap->text.s, ap->text.len,
	    ap->fresh ? 0 : DB_NOOVERWRITE);
	if (ret == DB_KEYEXIST)
		return GR_OK;
	if (ret != 0)
		return st_fail(ap->err, ret);
	(void)snprintf(cnt, sizeof(cnt), "%lld", lock_cnt + 1);
	(void)snprintf(now, sizeof(now), "%lld", (long long)ap->now);
	if (ap->rtext.len == 0) { /* no replica: one is made */
		json_t *rep = json_pack("{s:s, s:I, s:I, s:I}", "state",
		    has_source ? "C" : "U", "bytes", f->bytes, "created_at",
		    (json_int_t)ap->now, "updated_at", (json_int_t)ap->now);

		if (f->md5 != NULL)
			json_object_set_new(rep, "md5", json_string(f->md5));
		if (f->adler32 != NULL)
			json_object_set_new(rep, "adler32",
			    json_string(f->adler32));
		json_object_set_new(rep, "lock_cnt", json_integer(1));
		request = true;
		a->rfiles++;
		a->rbytes += f->bytes;
		ret = st_put_json(ap->t, TBL_REPLICAS, &rk, rep, 0);
		json_decref(rep);
	} else {
		struct jsonx_edit e[4] = { { "state", NULL },
			{ "updated_at", now }, { "lock_cnt", cnt },
			{ "tombstone", NULL } };
		size_t first = 1;

		if (st == 'R' &&
		    !(jsonx_member(ap->rtext.s, ap->rtext.len, "state", &v,
			  &vl) &&
			vl == 3 && v[1] == 'C')) {
			/* to be copied (or stuck) here from now on */
			e[0].val = has_source ? "\"C\"" : "\"U\"";
			first = 0;
			request = true;
		} else if (st == 'S') {
			e[0].val = "\"U\"";
			first = 0;
			request = true;
		} else if (st == 'R') {
			request = has_source = true;
		}
		if (!jsonx_edit(&ap->rnew, ap->rtext.s, ap->rtext.len,
			e + first, 4 - first))
			return gr_fail(ap->err, GR_INTERNAL,
			    "a replica record is not an object");
		ret = st_put_text(ap->t, TBL_REPLICAS, &rk, ap->rnew.s,
		    ap->rnew.len, 0);
	}
	if (ret != 0)
		return st_fail(ap->err, ret);
	if (request &&
	    (rc = rule_request_add(ap, f, dest, has_source)) != GR_OK)
		return rc;
	if (st == 'O')
		ap->d_ok++;
	else if (st == 'R')
		ap->d_rep++;
	else
		ap->d_stuck++;
	a->files++;
	a->bytes += f->bytes;
	return GR_OK;
}

/* The RSEs of the dataset locks the rule holds on ds_scope:ds_name. */
struct ds_rses {
	char (*v)[RSE_ID_LEN + 1];
	size_t n;
};

static int
ds_rse_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct ds_rses *d = arg;
	const char *id;
	size_t len;

	(void)pkey;
	(void)val;
	id = key_part(key->data, key->size, 3, &len);
	if (id == NULL || len != RSE_ID_LEN)
		return GR_OK;
	d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	memcpy(d->v[d->n], id, RSE_ID_LEN);
	d->v[d->n++][RSE_ID_LEN] = '\0';
	return GR_OK;
}

static int
dataset_locks_add(struct applier *ap, const char *scope, const char *name,
    char (*rses)[RSE_ID_LEN + 1], size_t n, json_int_t bytes, json_int_t length)
{
	char kbuf[KEY_MAX];
	json_t *rec;
	size_t i;
	int ret = 0;

	rec = json_pack("{s:s, s:I, s:I, s:I, s:I}", "state", "R", "bytes",
	    bytes, "length", length, "created_at", (json_int_t)ap->now,
	    "updated_at", (json_int_t)ap->now);
	for (i = 0; i < n && ret == 0; i++) {
		DBT k = st_dbt(kbuf,
		    rule_lock_key(kbuf, ap->id, scope, name, rses[i]));

		ret = st_put_json(ap->t, TBL_DATASET_LOCKS, &k, rec,
		    DB_NOOVERWRITE);
		if (ret == DB_KEYEXIST)
			ret = 0;
	}
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(ap->err, ret);
}

/*
 * Lock the files of g (the dataset ds_scope:ds_name's, or ds NULL: a
 * file rule's one file) where the rule puts them: grouping ALL on the
 * rule's RSEs (chosen once, kept in "rse_ids"), DATASET on the RSEs of
 * the dataset's locks (chosen for it the first time), NONE file by file.
 */
static int
place(struct applier *ap, const char *ds_scope, const char *ds_name,
    struct group *g, json_int_t ds_length)
{
	char(*pref)[RSE_ID_LEN + 1] = NULL;
	char(*out)[RSE_ID_LEN + 1] = NULL;
	struct ds_rses have = { NULL, 0 };
	size_t i, j, npref, n = 0;
	int rc = GR_OK;

	if (g->n == 0 && ds_name == NULL)
		return GR_OK;
	out = xcalloc((size_t)ap->copies + 1, sizeof(*out));
	if (ap->grouping == 'N') {
		struct group one = { 0 };

		for (i = 0; i < g->n && rc == GR_OK; i++) {
			one.f = &g->f[i];
			one.n = 1;
			if ((rc = file_replicas(ap, &g->f[i])) != GR_OK)
				break;
			npref = preferred(ap, &one, &pref);
			rc = select_rses(ap, g->f[i].bytes, pref, npref, out);
			free(pref);
			pref = NULL;
			for (j = 0; j < (size_t)ap->copies && rc == GR_OK; j++)
				rc = lock_add(ap, &g->f[i], out[j]);
		}
		goto out;
	}
	if (ap->grouping == 'A') {
		const json_t *ids = json_object_get(ap->rule, "rse_ids");

		for (i = 0; i < json_array_size(ids); i++)
			if (n < (size_t)ap->copies)
				(void)snprintf(out[n++], RSE_ID_LEN + 1, "%s",
				    json_string_value(json_array_get(ids, i)));
	} else if (ds_name != NULL) {
		char kbuf[KEY_MAX];
		size_t klen = key_join(kbuf, sizeof(kbuf), ap->id, ds_scope,
		    ds_name, "", (char *)NULL);

		if ((rc = st_scan(ap->t, TBL_DATASET_LOCKS, kbuf, klen, NULL,
			 ds_rse_one, &have, ap->err)) != GR_OK)
			goto out;
		for (i = 0; i < have.n && n < (size_t)ap->copies; i++)
			memcpy(out[n++], have.v[i], RSE_ID_LEN + 1);
	}
	if (n == 0) {
		if ((rc = load_replicas(ap, g)) != GR_OK)
			goto out;
		npref = preferred(ap, g, &pref);
		if ((rc = select_rses(ap, g->bytes, pref, npref, out)) != GR_OK)
			goto out;
		n = (size_t)ap->copies;
		if (ap->grouping == 'A') {
			json_t *ids = json_array();

			for (i = 0; i < n; i++)
				json_array_append_new(ids, json_string(out[i]));
			json_object_set_new(ap->rule, "rse_ids", ids);
		}
	}
	if (ds_name != NULL && have.n == 0 &&
	    (rc = dataset_locks_add(ap, ds_scope, ds_name, out, n, g->bytes,
		 ds_length)) != GR_OK)
		goto out;
	for (i = 0; i < g->n && rc == GR_OK; i++)
		for (j = 0; j < n && rc == GR_OK; j++)
			rc = lock_add(ap, &g->f[i], out[j]);
out:
	free(pref);
	free(out);
	free(have.v);
	return rc;
}

/* --- walking a DID ----------------------------------------------------- */

static int
file_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct group *g = arg;
	char *s, *n;

	(void)pkey;
	if (!key_did(key->data, key->size, 2, &s, &n))
		return GR_OK;
	group_add(g, s, n, val->data, val->size);
	free(s);
	free(n);
	return GR_OK;
}

/* The files of the dataset scope:name, into g (emptied first). */
static int
dataset_files(struct st_txn *t, const char *scope, const char *name,
    struct group *g, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf), scope, name, "",
	    (char *)NULL);

	group_clear(g);
	return st_scan(t, TBL_CONTENTS, kbuf, klen, NULL, file_one, g, err);
}

/* The datasets below a container, each once (collected, then placed). */
struct dslist {
	char **scope, **name;
	size_t n, cap;
	struct st_txn *t;
	struct gr_err *err;
};

static void
dslist_free(struct dslist *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->scope[i]);
		free(d->name[i]);
	}
	free(d->scope);
	free(d->name);
	memset(d, 0, sizeof(*d));
}

/* scope:name into d unless it is there already. */
static void
dslist_add(struct dslist *d, const char *scope, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->scope[i], scope) == 0 &&
		    strcmp(d->name[i], name) == 0)
			return;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->scope = xrealloc(d->scope, d->cap * sizeof(char *));
		d->name = xrealloc(d->name, d->cap * sizeof(char *));
	}
	d->scope[d->n] = xstrdup(scope);
	d->name[d->n++] = xstrdup(name);
}

static int
dslist_one(const char *scope, const char *name, const char *rec, size_t reclen,
    void *arg)
{
	(void)rec;
	(void)reclen;
	dslist_add(arg, scope, name);
	return GR_OK;
}

/* The datasets below the collection scope:name into d. */
static int
ds_walk(struct dslist *d, const char *scope, const char *name)
{
	return coll_below(d->t, scope, name, "DATASET", dslist_one, d, d->err);
}

int
rule_child_datasets(struct st_txn *t, const char *scope, const char *name,
    json_t *out, struct gr_err *err)
{
	struct dslist d = { .t = t, .err = err };
	size_t i;
	int rc = ds_walk(&d, scope, name);

	for (i = 0; i < d.n && rc == GR_OK; i++)
		json_array_append_new(out,
		    json_pack("[s, s]", d.scope[i], d.name[i]));
	dslist_free(&d);
	return rc;
}

/* The rule's counters and state from its locks (5.3 step 6, 5.4). */
static void
settle(json_t *rule, int64_t now, const char *error)
{
	const char *old = str_of(rule, "state");
	json_int_t stuck = int_of(rule, "locks_stuck_cnt"),
		   rep = int_of(rule, "locks_replicating_cnt");
	const char *st;

	if (old != NULL && strchr("UWI", *old) != NULL)
		return; /* suspended, waiting, not applied: kept */
	st = stuck > 0 ? "S" : rep == 0 ? "O" : "R";
	if (*st == 'S') {
		if (old == NULL || *old != 'S')
			json_object_set_new(rule, "stuck_at",
			    json_integer(now));
		if (error != NULL ||
		    json_is_null(json_object_get(rule, "error")))
			json_object_set_new(rule, "error",
			    json_string(error != NULL
				    ? error
				    : "MissingSourceReplica"));
	} else {
		json_object_set_new(rule, "error", json_null());
	}
	json_object_set_new(rule, "state", json_string(st));
}

static void
add_counts(json_t *rule, json_int_t ok, json_int_t rep, json_int_t stuck)
{
	json_object_set_new(rule, "locks_ok_cnt",
	    json_integer(int_of(rule, "locks_ok_cnt") + ok));
	json_object_set_new(rule, "locks_replicating_cnt",
	    json_integer(int_of(rule, "locks_replicating_cnt") + rep));
	json_object_set_new(rule, "locks_stuck_cnt",
	    json_integer(int_of(rule, "locks_stuck_cnt") + stuck));
}

void
rule_keys_add(struct rule_keys *k, const void *key, size_t len)
{
	k->off = xrealloc(k->off, (k->n + 2) * sizeof(*k->off));
	if (k->n == 0)
		k->off[0] = 0;
	sbuf_add(&k->buf, key, len);
	k->off[++k->n] = k->buf.len;
}

void
rule_keys_free(struct rule_keys *k)
{
	sbuf_free(&k->buf);
	free(k->off);
	memset(k, 0, sizeof(*k));
}

/* Dataset locks mirror the rule's state. */
struct dsl_args {
	struct st_txn *t;
	char state;
	struct rule_keys keys;
};

static int
dsl_key(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct dsl_args *d = arg;
	const char *s;
	size_t sl;

	(void)pkey;
	if (jsonx_member(val->data, val->size, "state", &s, &sl) && sl == 3 &&
	    s[1] == d->state)
		return GR_OK;
	rule_keys_add(&d->keys, key->data, key->size);
	return GR_OK;
}

/* The record at key in tbl (a lock, a dataset lock): its state set to
   state, its updated_at to now. A BDB code; DB_NOTFOUND: none there. */
static int
lock_state_put(struct st_txn *t, enum tbl_id tbl, const DBT *key, char state,
    int64_t now)
{
	char st[2] = { state, '\0' };
	json_t *rec = NULL;
	int ret = st_get_json(t, tbl, key, &rec, DB_RMW);

	if (ret == 0) {
		json_object_set_new(rec, "state", json_string(st));
		json_object_set_new(rec, "updated_at", json_integer(now));
		ret = st_put_json(t, tbl, key, rec, 0);
	}
	json_decref(rec);
	return ret;
}

static int
dataset_locks_state(struct st_txn *t, const char *id, const char *rstate,
    int64_t now, struct gr_err *err)
{
	struct dsl_args d = { .t = t };
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf), id, "", (char *)NULL), i;
	int ret, rc;

	if (rstate == NULL || strchr("ROS", *rstate) == NULL)
		return GR_OK;
	d.state = *rstate;
	rc = st_scan(t, TBL_DATASET_LOCKS, kbuf, klen, NULL, dsl_key, &d, err);
	for (i = 0; i < d.keys.n && rc == GR_OK; i++) {
		DBT k = st_dbt(d.keys.buf.s + d.keys.off[i],
		    d.keys.off[i + 1] - d.keys.off[i]);

		if ((ret = lock_state_put(t, TBL_DATASET_LOCKS, &k, d.state,
			 now)) != 0)
			rc = st_fail(err, ret);
	}
	rule_keys_free(&d.keys);
	return rc;
}

static int release_parents(struct st_txn *t, const json_t *child, int64_t now,
    struct gr_err *err);

/*
 * Grouping ALL on a container: one choice of RSEs for all its files,
 * made once (the first time) from all of them and kept in "rse_ids".
 */
static int
choose_all(struct applier *ap, const struct dslist *d)
{
	struct group all = { 0 }, g = { 0 };
	char(*pref)[RSE_ID_LEN + 1] = NULL;
	char(*out)[RSE_ID_LEN + 1];
	json_t *ids;
	size_t i, j, npref;
	int rc = GR_OK;

	if (ap->grouping != 'A' || json_object_get(ap->rule, "rse_ids") != NULL)
		return GR_OK;
	for (i = 0; i < d->n && rc == GR_OK; i++) {
		rc = dataset_files(ap->t, d->scope[i], d->name[i], &g, ap->err);
		for (j = 0; j < g.n && rc == GR_OK; j++) {
			group_add(&all, g.f[j].scope, g.f[j].name, "{}", 2);
			all.f[all.n - 1].bytes = g.f[j].bytes;
			all.bytes += g.f[j].bytes;
		}
	}
	if (rc == GR_OK)
		rc = load_replicas(ap, &all);
	out = xcalloc((size_t)ap->copies + 1, sizeof(*out));
	npref = rc == GR_OK ? preferred(ap, &all, &pref) : 0;
	if (rc == GR_OK)
		rc = select_rses(ap, all.bytes, pref, npref, out);
	if (rc == GR_OK) {
		ids = json_array();
		for (j = 0; j < (size_t)ap->copies; j++)
			json_array_append_new(ids, json_string(out[j]));
		json_object_set_new(ap->rule, "rse_ids", ids);
	}
	free(out);
	free(pref);
	group_free(&all);
	group_free(&g);
	return rc;
}

/*
 * The end of every application of a rule: usage, counters, state,
 * dataset locks, history, parents. done: the rule is applied entirely
 * (an INJECT rule becomes what its locks say); else an INJECT rule stays
 * one, with the locks it has so far counted.
 */
static int
finish(struct applier *ap, char was, bool done)
{
	char now_;
	int rc;

	if ((rc = flush_usage(ap)) != GR_OK)
		return rc;
	add_counts(ap->rule, ap->d_ok, ap->d_rep, ap->d_stuck);
	if (was == 'I' && done) {
		json_object_set_new(ap->rule, "state", json_string("R"));
		json_object_del(ap->rule, "inject_ds");
		json_object_del(ap->rule, "inject_after");
	}
	settle(ap->rule, ap->now, NULL);
	json_object_set_new(ap->rule, "updated_at", json_integer(ap->now));
	now_ = *str_of(ap->rule, "state");
	if ((rc = rule_store(ap->t, ap->rule, ap->err)) == GR_OK &&
	    (rc = dataset_locks_state(ap->t, ap->id, str_of(ap->rule, "state"),
		 ap->now, ap->err)) == GR_OK &&
	    (ap->d_ok + ap->d_rep + ap->d_stuck > 0 || was != now_) &&
	    (rc = rule_history_add(ap->t, ap->rule, ap->err)) == GR_OK &&
	    was != now_)
		rc = release_parents(ap->t, ap->rule, ap->now, ap->err);
	/* OK now, or OK with more locks OK: upstream notifies again */
	if (rc == GR_OK && now_ == 'O' && (was != 'O' || ap->d_ok > 0))
		rc = rule_notify(ap->t, ap->rule, 0, ap->err);
	return rc;
}

/*
 * Apply the rule ap->rule: lock every file below its DID (ds_scope and
 * ds_name NULL), or only files (borrowed group) of the dataset ds below
 * it (re-evaluation after an attach). Counters, state, usage and history
 * follow in the same transaction.
 */
static int
apply(struct applier *ap, const char *ds_scope, const char *ds_name,
    struct group *files)
{
	const char *scope = str_of(ap->rule, "scope"),
		   *name = str_of(ap->rule, "name"),
		   *type = str_of(ap->rule, "did_type");
	const char *before = str_of(ap->rule, "state");
	char was = before != NULL ? *before : 'R';
	struct group g = { 0 };
	struct dslist d = { .t = ap->t, .err = ap->err };
	json_t *did = NULL;
	size_t i;
	int rc;

	ap->d_ok = ap->d_rep = ap->d_stuck = 0;
	if (ds_name != NULL) {
		rc = place(ap, ds_scope, ds_name, files, 0);
	} else if (type != NULL && *type == 'F') {
		if ((rc = did_load(ap->t, scope, name, 0, &did, ap->err)) !=
		    GR_OK)
			goto out;
		{
			char *text = json_dumps(did, JSON_COMPACT);

			group_add(&g, scope, name, text, strlen(text));
			free(text);
		}
		rc = place(ap, NULL, NULL, &g, 0);
	} else if (type != NULL && *type == 'D') {
		if ((rc = dataset_files(ap->t, scope, name, &g, ap->err)) ==
		    GR_OK)
			rc = place(ap, scope, name, &g, (json_int_t)g.n);
	} else {
		if ((rc = ds_walk(&d, scope, name)) != GR_OK)
			goto out;
		if ((rc = choose_all(ap, &d)) != GR_OK)
			goto out;
		for (i = 0; i < d.n && rc == GR_OK; i++) {
			if ((rc = dataset_files(ap->t, d.scope[i], d.name[i],
				 &g, ap->err)) == GR_OK)
				rc = place(ap, d.scope[i], d.name[i], &g,
				    (json_int_t)g.n);
		}
	}
	if (rc == GR_OK)
		rc = finish(ap, was, true);
out:
	json_decref(did);
	group_free(&g);
	dslist_free(&d);
	return rc;
}

/* --- creation ---------------------------------------------------------- */

struct dup_args {
	const char *account, *expr;
	json_int_t copies; /* -1: any */
	bool found;
};

static int
dup_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct dup_args *d = arg;
	json_t *r = json_loadb(val->data, val->size, 0, NULL);

	(void)key;
	(void)pkey;
	if (r != NULL && strcmp(str_of(r, "account"), d->account) == 0 &&
	    strcmp(str_of(r, "rse_expression"), d->expr) == 0 &&
	    (d->copies < 0 || int_of(r, "copies") == d->copies))
		d->found = true;
	json_decref(r);
	return d->found ? ST_STOP : GR_OK;
}

/* Files below scope:name, counted up to limit. */
struct count_args {
	size_t n, limit;
};

static int
count_one(const char *scope, const char *name, const char *rec, size_t n,
    void *arg)
{
	struct count_args *c = arg;

	(void)scope;
	(void)name;
	(void)rec;
	(void)n;
	return ++c->n >= c->limit ? ST_STOP : GR_OK;
}

static char
type_letter(const char *type)
{
	if (type == NULL)
		return 'F';
	if (strcmp(type, "DATASET") == 0)
		return 'D';
	if (strcmp(type, "CONTAINER") == 0)
		return 'C';
	return 'F';
}

static json_t *
new_record(const struct spec *s, const char *account, const char *scope,
    const char *name, char type, bool locked, int64_t now)
{
	char id[RULE_ID_LEN + 1], t[2] = { type, 0 }, g[2] = { s->grouping, 0 },
				  n[2] = { s->notify, 0 };
	json_t *r;

	new_uuid(id);
	r = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s, s:s, s:n, s:s, s:I, "
		      "s:n, s:s?, s:b, s:i, s:i, s:i, s:s?, s:s, s:s, s:s, "
		      "s:n, s:b, s:b, s:b, s:I, s:s?, s:n, s:n, s:b, s:s?, "
		      "s:I, s:I}",
	    "id", id, "subscription_id", s->subscription_id, "account", account,
	    "scope", scope, "name", name, "did_type", t, "state", "R", "error",
	    "rse_expression", s->rse_expression, "copies", s->copies,
	    "expires_at", "weight", s->weight, "locked", locked, "locks_ok_cnt",
	    0, "locks_replicating_cnt", 0, "locks_stuck_cnt", 0,
	    "source_replica_expression", s->source_expr, "activity",
	    s->activity, "grouping", g, "notification", n, "stuck_at",
	    "purge_replicas", s->purge, "ignore_availability", s->ignore_avail,
	    "ignore_account_limit", s->ignore_account_limit || s->ask_approval,
	    "priority", s->priority, "comments", s->comment, "child_rule_id",
	    "eol_at", "split_container", s->split_container, "meta", s->meta,
	    "created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	if (s->has_lifetime)
		json_object_set_new(r, "expires_at",
		    json_integer(now + (json_int_t)s->lifetime));
	if (s->ask_approval)
		json_object_set_new(r, "state", json_string("W"));
	return r;
}

static int
add_one(struct st_txn *t, const char *issuer, const struct spec *s,
    const char *account, const json_t *did_ref, json_t *ids, struct gr_err *err)
{
	const char *scope = str_of(did_ref, "scope"),
		   *name = str_of(did_ref, "name");
	struct applier ap = { .t = t, .err = err, .fresh = true };
	struct dup_args dup = { account, s->rse_expression, s->copies, false };
	struct count_args cnt = { 0, 0 };
	char kbuf[KEY_MAX];
	json_t *did = NULL, *rule = NULL;
	bool locked = s->locked, inject = false;
	char type;
	int rc;

	(void)issuer;
	ap.now = time_now();
	rc = did_load(t, scope, name, 0, &did, err);
	if (rc == GR_DID_NOT_FOUND) {
		gr_clear(err);
		rc = gr_fail(err, GR_DID_NOT_FOUND,
		    "Data identifier %s:%s is not valid.", scope, name);
	}
	if (rc != GR_OK)
		goto out;
	type = type_letter(str_of(did, "type"));
	if ((rc = st_scan_key(t, TBL_RULES_BY_DID, kbuf,
		 did_key(kbuf, scope, name), dup_one, &dup, err)) != GR_OK)
		goto out;
	if (dup.found) {
		rc = gr_fail(err, GR_DUPLICATE_RULE,
		    "A duplicate rule for this account, did, rse_expression, "
		    "copies already exists");
		goto out;
	}
	rule = new_record(s, account, scope, name, type, locked, ap.now);
	ap.rule = rule;
	ap.id = str_of(rule, "id");
	ap.account = account;
	ap.grouping = s->grouping;
	ap.copies = s->copies;
	if ((rc = build_cands(&ap, rule, &locked, true)) != GR_OK ||
	    (rc = scratch_cap(t, rule, true, ap.now, err)) != GR_OK)
		goto out;
	json_object_set_new(rule, "locked", json_boolean(locked));
	if (s->ask_approval) {
		json_t *blocked = NULL;
		size_t i;

		for (i = 0; i < ap.nc && rc == GR_OK; i++) {
			char *rname = rse_live_name(t, ap.c[i].id);

			if (rname != NULL)
				rc = rse_attr_get(t, rname,
				    "block_manual_approval", &blocked, err);
			free(rname);
			if (blocked != NULL && !json_is_false(blocked))
				rc = gr_fail(err, GR_MANUAL_APPROVAL_BLOCKED,
				    "Manual approval is blocked for this "
				    "RSE");
			json_decref(blocked);
			blocked = NULL;
		}
		if (rc != GR_OK)
			goto out;
	}
	if (!s->ask_approval) {
		/* large rules are injected in the background */
		cnt.limit = (size_t)((RULE_INJECT_LOCKS + s->copies - 1) /
		    s->copies);
		if (type != 'F' &&
		    (rc = coll_files_below(t, scope, name, count_one, &cnt,
			 err)) != GR_OK)
			goto out;
		inject = s->asynchronous || s->has_delay ||
		    (s->split_container && type == 'C') || cnt.n >= cnt.limit;
		if (inject) {
			inject_kick = true;
			json_object_set_new(rule, "state", json_string("I"));
			if (s->has_delay)
				json_object_set_new(rule, "created_at",
				    json_integer(ap.now + s->delay));
		}
	}
	if ((rc = rule_store(t, rule, err)) != GR_OK)
		goto out;
	if (!s->ask_approval && !inject)
		rc = apply(&ap, NULL, NULL, NULL);
	else
		rc = rule_history_add(t, rule, err);
	if (rc == GR_OK)
		json_array_append_new(ids, json_string(ap.id));
out:
	applier_free(&ap);
	json_decref(did);
	json_decref(rule);
	return rc;
}

int
rule_add_in(struct st_txn *t, const char *issuer, const json_t *spec,
    json_t *ids_out, struct gr_err *err)
{
	const char *account;
	struct spec s;
	bool admin;
	size_t i;
	int rc;

	if ((rc = parse_spec(spec, &s, err)) != GR_OK)
		return rc;
	account = s.account != NULL ? s.account : issuer;
	if ((rc = account_is_admin(t, issuer, &admin, err)) != GR_OK)
		return rc;
	if (!admin &&
	    (strcmp(account, issuer) != 0 || s.locked ||
		s.ignore_account_limit))
		return gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not add replication rule. ", issuer);
	if ((rc = account_check_active(t, account, err)) != GR_OK)
		return rc;
	for (i = 0; i < json_array_size(s.dids); i++)
		if ((rc = add_one(t, issuer, &s, account,
			 json_array_get(s.dids, i), ids_out, err)) != GR_OK)
			return rc;
	return GR_OK;
}

struct add_args {
	const char *issuer;
	const json_t *spec;
	json_t *ids;
};

static int
add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct add_args *a = arg;

	json_array_clear(a->ids);
	return rule_add_in(t, a->issuer, a->spec, a->ids, err);
}

int
rule_add(const char *issuer, const json_t *spec, json_t *ids_out,
    struct gr_err *err)
{
	struct add_args a = { issuer, spec, ids_out };
	struct spec s;
	int rc;

	/* input errors before any transaction */
	if ((rc = parse_spec(spec, &s, err)) != GR_OK)
		return rc;
	return st_txn_run(add_txn, &a, err);
}

/* --- removing locks ---------------------------------------------------- */

/* Locks collected from a scan, to be removed once it ended. */
struct lockset {
	struct sbuf keys;
	size_t *off;
	char *state;
	json_int_t *bytes;
	size_t n, cap, max;
};

static void
lockset_clear(struct lockset *s)
{
	s->keys.len = 0;
	s->n = 0;
}

static void
lockset_free(struct lockset *s)
{
	sbuf_free(&s->keys);
	free(s->off);
	free(s->state);
	free(s->bytes);
	memset(s, 0, sizeof(*s));
}

static int
lockset_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct lockset *s = arg;
	const char *v;
	size_t vl;
	long long b = 0;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->off = xrealloc(s->off, (s->cap + 1) * sizeof(*s->off));
		s->state = xrealloc(s->state, s->cap);
		s->bytes = xrealloc(s->bytes, s->cap * sizeof(*s->bytes));
	}
	if (s->n == 0)
		s->off[0] = 0;
	/* on a secondary, the lock's own key */
	sbuf_add(&s->keys, pkey->data, pkey->size);
	(void)key;
	s->off[s->n + 1] = s->keys.len;
	s->state[s->n] = 'R';
	if (jsonx_member(val->data, val->size, "state", &v, &vl) && vl == 3)
		s->state[s->n] = v[1];
	if (jsonx_member(val->data, val->size, "bytes", &v, &vl))
		(void)jsonx_member_int(v, vl, &b);
	s->bytes[s->n] = b;
	s->n++;
	return s->max > 0 && s->n >= s->max ? ST_STOP : GR_OK;
}

/*
 * Is the request at rk (scope \0 name \0 RSE id) one a mover copies now
 * (SUBMITTED)? Its replica then stays COPYING and the request stays: the
 * copy cannot be called back, and its file would land under its final
 * name after the reaper had deleted a replica taken from it. The mover's
 * end changes both (AVAILABLE, or UNAVAILABLE after its last attempt),
 * and the reaper, as upstream's, never takes a COPYING replica.
 */
static int
rule_request_in_flight(struct st_txn *t, const DBT *rk, bool *yes,
    struct gr_err *err)
{
	const char *st;
	json_t *req = NULL;
	int ret;

	*yes = false;
	ret = st_get_json(t, TBL_REQUESTS, rk, &req, 0);
	if (ret == DB_NOTFOUND)
		return GR_OK;
	if (ret != 0)
		return st_fail(err, ret);
	*yes = (st = str_of(req, "state")) != NULL && *st == 'S';
	json_decref(req);
	return GR_OK;
}

/*
 * Remove the collected locks (all of the rule of account rule): each
 * replica's lock_cnt drops; a replica no lock holds gets a tombstone (0,
 * at once, with purge) and, while it was being copied in for them, loses
 * its request and becomes UNAVAILABLE -- unless a mover copies it now
 * (rule_request_in_flight). The rule's counters and the account's usage
 * follow.
 */
static int
locks_remove(struct st_txn *t, json_t *rule, struct lockset *s, bool purge,
    int64_t now, struct gr_err *err)
{
	struct applier ap = { .t = t, .err = err };
	json_int_t d[3] = { 0, 0, 0 };
	char rkey[KEY_MAX];
	size_t i;
	int ret, rc = GR_OK;

	ap.account = str_of(rule, "account");
	for (i = 0; i < s->n && rc == GR_OK; i++) {
		const char *k = s->keys.s + s->off[i];
		size_t klen = s->off[i + 1] - s->off[i], sl, nl, il;
		const char *sc = key_part(k, klen, 1, &sl),
			   *nm = key_part(k, klen, 2, &nl),
			   *id = key_part(k, klen, 3, &il);
		DBT lk = st_dbt(k, klen), rk;
		json_t *rep = NULL;
		struct acc *a;
		char rse[RSE_ID_LEN + 1];
		bool flying = false;

		if (sc == NULL || nm == NULL || id == NULL || il != RSE_ID_LEN)
			continue;
		memcpy(rse, id, RSE_ID_LEN);
		rse[RSE_ID_LEN] = '\0';
		/* scope \0 name \0 RSE id is the tail of the lock's key */
		rk = st_dbt(sc, (size_t)(k + klen - sc));
		ret = st_get_json(t, TBL_REPLICAS, &rk, &rep, DB_RMW);
		if (ret == 0) {
			json_int_t cnt = int_of(rep, "lock_cnt") - 1;
			const char *st = str_of(rep, "state");

			json_object_set_new(rep, "lock_cnt",
			    json_integer(cnt > 0 ? cnt : 0));
			if (cnt <= 0 && st != NULL && *st == 'C' &&
			    (rc = rule_request_in_flight(t, &rk, &flying,
				 err)) != GR_OK) {
				json_decref(rep);
				break;
			}
			if (cnt <= 0) {
				json_object_set_new(rep, "tombstone",
				    json_integer(purge ? 0 : now));
				reaper_note(); /* after the commit */
				if (st != NULL && *st == 'C' && !flying) {
					json_object_set_new(rep, "state",
					    json_string("U"));
					memcpy(rkey, rk.data, rk.size);
					(void)st_del(t, TBL_REQUESTS, &rk);
				}
			}
			json_object_set_new(rep, "updated_at",
			    json_integer(now));
			ret = st_put_json(t, TBL_REPLICAS, &rk, rep, 0);
			json_decref(rep);
		} else if (ret == DB_NOTFOUND)
			ret = 0; /* gone already: nothing to release */
		if (ret == 0)
			ret = st_del(t, TBL_LOCKS, &lk);
		if (ret != 0 && ret != DB_NOTFOUND) {
			rc = st_fail(err, ret);
			break;
		}
		a = acc_get(&ap, rse);
		a->files--;
		a->bytes -= s->bytes[i];
		d[s->state[i] == 'O' ? 0 : s->state[i] == 'S' ? 2 : 1]--;
	}
	if (rc == GR_OK)
		rc = flush_usage(&ap);
	add_counts(rule, d[0], d[1], d[2]);
	applier_free(&ap);
	return rc;
}

/* Remove every lock whose key starts with prefix (batches of 5000). */
static int
locks_remove_prefix(struct st_txn *t, json_t *rule, const char *prefix,
    size_t plen, bool purge, int64_t now, struct gr_err *err)
{
	struct lockset s = { .max = 5000 };
	int rc;

	do {
		lockset_clear(&s);
		rc = st_scan(t, TBL_LOCKS, prefix, plen, NULL, lockset_one, &s,
		    err);
		if (rc == GR_OK)
			rc = locks_remove(t, rule, &s, purge, now, err);
	} while (rc == GR_OK && s.n == s.max);
	lockset_free(&s);
	return rc;
}

static int
dataset_locks_remove(struct st_txn *t, const char *prefix, size_t plen,
    struct gr_err *err)
{
	struct lockset s = { .max = 5000 };
	size_t i;
	int ret, rc;

	do {
		lockset_clear(&s);
		rc = st_scan(t, TBL_DATASET_LOCKS, prefix, plen, NULL,
		    lockset_one, &s, err);
		for (i = 0; i < s.n && rc == GR_OK; i++) {
			DBT k = st_dbt(s.keys.s + s.off[i],
			    s.off[i + 1] - s.off[i]);

			if ((ret = st_del(t, TBL_DATASET_LOCKS, &k)) != 0 &&
			    ret != DB_NOTFOUND)
				rc = st_fail(err, ret);
		}
	} while (rc == GR_OK && s.n == s.max);
	lockset_free(&s);
	return rc;
}

/* Inside a transaction: delete the rule rec (loaded DB_RMW) entirely. */
static int
rule_remove(struct st_txn *t, json_t *rec, bool purge, int64_t now,
    struct gr_err *err)
{
	const char *id = str_of(rec, "id");
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf), id, "", (char *)NULL);
	DBT k;
	int ret, rc;

	if ((rc = locks_remove_prefix(t, rec, kbuf, klen, purge, now, err)) !=
		GR_OK ||
	    (rc = dataset_locks_remove(t, kbuf, klen, err)) != GR_OK)
		return rc;
	json_object_set_new(rec, "updated_at", json_integer(now));
	if ((rc = rule_history_add(t, rec, err)) != GR_OK)
		return rc;
	k = st_dbt(id, strlen(id));
	ret = st_del(t, TBL_RULES, &k);
	return ret == 0 || ret == DB_NOTFOUND ? GR_OK : st_fail(err, ret);
}

struct del_args {
	const char *issuer, *id;
	int purge;
	bool expired; /* the cleaner: only if it expired, locked kept */
};

static int
del_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct del_args *a = arg;
	json_t *rec = NULL;
	bool admin, purge;
	int rc;

	if ((rc = rule_load(t, a->id, DB_RMW, &rec, err)) != GR_OK)
		return rc;
	if (a->issuer != NULL &&
	    ((rc = account_is_admin(t, a->issuer, &admin, err)) != GR_OK ||
		(!admin &&
		    (rc = gr_fail(err, GR_ACCESS_DENIED,
			 "Account %s can not remove this replication rule. ",
			 a->issuer)) != GR_OK)))
		goto out;
	if (json_is_true(json_object_get(rec, "locked"))) {
		rc = gr_fail(err, GR_RULE_LOCKED,
		    "The replication rule is locked and has to be unlocked "
		    "before it can be deleted.");
		goto out;
	}
	if (str_of(rec, "child_rule_id") != NULL) {
		rc = gr_fail(err, GR_RULE_LOCKED,
		    "The replication rule has a child rule and thus cannot be "
		    "deleted.");
		goto out;
	}
	purge = a->purge < 0
	    ? json_is_true(json_object_get(rec, "purge_replicas"))
	    : a->purge > 0;
	rc = rule_remove(t, rec, purge, time_now(), err);
out:
	json_decref(rec);
	return rc;
}

int
rule_delete(const char *issuer, const char *id, int purge, struct gr_err *err)
{
	struct del_args a = { issuer, id, purge, false };

	return st_txn_run(del_txn, &a, err);
}

/* --- the state machine ------------------------------------------------- */

/*
 * The collected locks s of one replica move to state to (O, R or S) from
 * one of the states in from: each lock, its rule's counters and state
 * (error: a STUCK rule's reason), the dataset locks when the rule's state
 * changed, and the parents of a rule that became OK.
 */
static int
locks_move(struct st_txn *t, const struct lockset *s, char to, const char *from,
    const char *error, int64_t now, struct gr_err *err)
{
	json_t *rule = NULL;
	size_t i;
	int ret, rc = GR_OK;

	for (i = 0; i < s->n && rc == GR_OK; i++) {
		const char *k = s->keys.s + s->off[i];
		size_t kl = s->off[i + 1] - s->off[i], il;
		const char *id = key_part(k, kl, 0, &il);
		char rid[RULE_ID_LEN + 1], was = s->state[i], st[2] = { to, 0 };
		const char *before;
		DBT lk = st_dbt(k, kl);

		if (was == to || strchr(from, was) == NULL || id == NULL ||
		    il != RULE_ID_LEN)
			continue;
		memcpy(rid, id, RULE_ID_LEN);
		rid[RULE_ID_LEN] = '\0';
		if ((rc = rule_load(t, rid, DB_RMW, &rule, err)) != GR_OK)
			break;
		/* a suspended rule's stuck lock waits, as upstream's repairer
		   leaves suspended rules alone */
		before = str_of(rule, "state");
		if (to == 'R' && before != NULL && *before == 'U') {
			json_decref(rule);
			rule = NULL;
			continue;
		}
		ret = lock_state_put(t, TBL_LOCKS, &lk, to, now);
		if (ret == DB_NOTFOUND) { /* its rule went on the way */
			json_decref(rule);
			rule = NULL;
			continue;
		}
		if (ret != 0) {
			rc = st_fail(err, ret);
			break;
		}
		add_counts(rule, (to == 'O') - (was == 'O'),
		    (to == 'R') - (was == 'R'), (to == 'S') - (was == 'S'));
		before = str_of(rule, "state");
		st[0] = before != NULL ? *before : 'R';
		settle(rule, now, to == 'S' ? error : NULL);
		json_object_set_new(rule, "updated_at", json_integer(now));
		if ((rc = rule_store(t, rule, err)) == GR_OK &&
		    (rc = rule_history_add(t, rule, err)) == GR_OK &&
		    st[0] != *str_of(rule, "state") &&
		    (rc = dataset_locks_state(t, rid, str_of(rule, "state"),
			 now, err)) == GR_OK)
			rc = release_parents(t, rule, now, err);
		/* a transfer done: the rule OK now, or (notify P) further */
		if (rc == GR_OK && to == 'O' &&
		    ((*str_of(rule, "state") == 'O' && st[0] != 'O') ||
			(*str_of(rule, "state") == 'R' && st[0] == 'R' &&
			    was == 'R')))
			rc = rule_notify(t, rule,
			    int_of(rule, "locks_replicating_cnt") +
				(was == 'R'),
			    err);
		json_decref(rule);
		rule = NULL;
	}
	return rc;
}

int
rule_replica_state(struct st_txn *t, const char *scope, const char *name,
    const char *rse_id, const char *state, const char *error,
    struct gr_err *err)
{
	struct lockset s = { 0 };
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf), scope, name, rse_id,
	    (char *)NULL);
	int64_t now = time_now();
	DBT rk = st_dbt(kbuf, klen);
	json_t *req = NULL;
	int ret, rc;

	if (state == NULL || (*state != 'A' && *state != 'U'))
		return GR_OK;
	if ((rc = st_scan_key(t, TBL_LOCKS_BY_REPLICA, kbuf, klen, lockset_one,
		 &s, err)) != GR_OK)
		goto out;
	/* the transfer is over: done, or failed; either kept in the
	   requests' history */
	ret = st_get_json(t, TBL_REQUESTS, &rk, &req, DB_RMW);
	if (ret == 0 &&
	    (*state == 'A' || str_of(req, "state") == NULL ||
		*str_of(req, "state") != 'F') &&
	    (rc = request_archive(t, req, *state == 'A' ? "D" : "F", err)) !=
		GR_OK) {
		json_decref(req);
		goto out;
	}
	if (ret == 0 && *state == 'A')
		ret = st_del(t, TBL_REQUESTS, &rk);
	else if (ret == 0) {
		json_object_set_new(req, "state", json_string("F"));
		json_object_set_new(req, "updated_at", json_integer(now));
		ret = st_put_json(t, TBL_REQUESTS, &rk, req, 0);
	}
	json_decref(req);
	if (ret != 0 && ret != DB_NOTFOUND) {
		rc = st_fail(err, ret);
		goto out;
	}
	rc = *state == 'A' ? locks_move(t, &s, 'O', "RS", NULL, now, err)
			   : locks_move(t, &s, 'S', "RO",
				 error != NULL && *error != '\0'
				     ? error
				     : "Replica became unavailable",
				 now, err);
out:
	lockset_free(&s);
	return rc;
}

/* --- sources that appear ------------------------------------------------ */

int
rule_sources_wanted(struct st_txn *t, bool *yes, struct gr_err *err)
{
	*yes = false;
	return st_scan_key(t, TBL_REQUESTS_BY_STATE, "O", 1, st_scan_found, yes,
	    err);
}

/* The keys of a file's requests that wait for a source. */
static int
waiting_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct lockset *s = arg;
	const char *v;
	size_t vl;

	if (jsonx_member(val->data, val->size, "state", &v, &vl) && vl == 3 &&
	    v[1] == 'O')
		return lockset_one(key, pkey, val, s);
	return GR_OK;
}

/* May the request req read from the RSE rse_id (named rse)? */
static int
source_allowed(struct st_txn *t, const json_t *req, const char *rse_id,
    const char *rse, bool *yes, struct gr_err *err)
{
	const char *only = str_of(req, "source_rse_id"),
		   *expr = str_of(req, "source_replica_expression");
	json_t *names = NULL, *v;
	size_t i;
	int rc;

	*yes = false;
	if (only != NULL && strcmp(only, rse_id) != 0)
		return GR_OK;
	if (expr == NULL || *expr == '\0') {
		*yes = true;
		return GR_OK;
	}
	rc = rse_expr_eval(t, expr, &names, err);
	if (rc == GR_INVALID_RSE_EXPR) { /* it selects nothing (now) */
		gr_clear(err);
		return GR_OK;
	}
	json_array_foreach(names, i, v) {
		if (strcmp(json_string_value(v), rse) == 0)
			*yes = true;
	}
	json_decref(names);
	return rc;
}

/* *yes: does a STUCK lock of s belong to a rule that is not
   SUSPENDED? */
static int
stuck_for_a_rule(struct st_txn *t, const struct lockset *s, bool *yes,
    struct gr_err *err)
{
	char rid[RULE_ID_LEN + 1];
	json_t *rule = NULL;
	const char *id, *st;
	size_t i, il;
	int rc = GR_OK;

	*yes = false;
	for (i = 0; i < s->n && rc == GR_OK && !*yes; i++) {
		id = key_part(s->keys.s + s->off[i], s->off[i + 1] - s->off[i],
		    0, &il);
		if (s->state[i] != 'S' || id == NULL || il != RULE_ID_LEN)
			continue;
		memcpy(rid, id, RULE_ID_LEN);
		rid[RULE_ID_LEN] = '\0';
		if ((rc = rule_load(t, rid, 0, &rule, err)) == GR_OK) {
			st = str_of(rule, "state");
			*yes = st == NULL || *st != 'U';
		}
		json_decref(rule);
		rule = NULL;
	}
	return rc;
}

/*
 * The request of key (NO_SOURCES) is queued again: its replica is to be
 * copied (UNAVAILABLE -> COPYING), its STUCK locks REPLICATING. Not for
 * suspended rules alone: upstream's repairer leaves those.
 */
static int
requeue_waiting(struct st_txn *t, const DBT *key, const char *rse_id,
    const char *rse, int64_t now, struct gr_err *err)
{
	struct lockset s = { 0 };
	json_t *req = NULL, *rep = NULL;
	bool yes;
	int ret, rc = GR_OK;

	ret = st_get_json(t, TBL_REQUESTS, key, &req, DB_RMW);
	if (ret == DB_NOTFOUND)
		return GR_OK;
	if (ret != 0)
		return st_fail(err, ret);
	if (str_of(req, "state") == NULL || *str_of(req, "state") != 'O' ||
	    (rc = source_allowed(t, req, rse_id, rse, &yes, err)) != GR_OK ||
	    !yes ||
	    (rc = st_scan_key(t, TBL_LOCKS_BY_REPLICA, key->data, key->size,
		 lockset_one, &s, err)) != GR_OK ||
	    (rc = stuck_for_a_rule(t, &s, &yes, err)) != GR_OK || !yes)
		goto out;
	json_object_set_new(req, "state", json_string("Q"));
	json_object_set_new(req, "updated_at", json_integer(now));
	(void)json_object_del(req, "next_at");
	if ((ret = st_put_json(t, TBL_REQUESTS, key, req, 0)) != 0) {
		rc = st_fail(err, ret);
		goto out;
	}
	mover_note(); /* a mover starts after the commit */
	ret = st_get_json(t, TBL_REPLICAS, key, &rep, DB_RMW);
	if (ret == 0 && str_of(rep, "state") != NULL &&
	    *str_of(rep, "state") == 'U') {
		json_object_set_new(rep, "state", json_string("C"));
		json_object_set_new(rep, "updated_at", json_integer(now));
		ret = st_put_json(t, TBL_REPLICAS, key, rep, 0);
	}
	if (ret != 0 && ret != DB_NOTFOUND) {
		rc = st_fail(err, ret);
		goto out;
	}
	rc = locks_move(t, &s, 'R', "S", NULL, now, err);
out:
	lockset_free(&s);
	json_decref(rep);
	json_decref(req);
	return rc;
}

int
rule_source_appeared(struct st_txn *t, const char *scope, const char *name,
    const char *rse_id, struct gr_err *err)
{
	struct lockset w = { 0 };
	char kbuf[KEY_MAX], *rse = NULL;
	size_t klen = key_join(kbuf, sizeof(kbuf), scope, name, "",
		   (char *)NULL),
	       i, dl;
	int64_t now = time_now();
	int rc;

	if (klen == 0)
		return GR_OK;
	rc = st_scan(t, TBL_REQUESTS, kbuf, klen, NULL, waiting_one, &w, err);
	if (rc != GR_OK || w.n == 0 || (rse = rse_live_name(t, rse_id)) == NULL)
		goto out;
	for (i = 0; i < w.n && rc == GR_OK; i++) {
		DBT k = st_dbt(w.keys.s + w.off[i], w.off[i + 1] - w.off[i]);
		const char *dest = key_part(k.data, k.size, 2, &dl);

		/* a copy to the RSE itself needs none */
		if (dest == NULL ||
		    (dl == strlen(rse_id) && memcmp(dest, rse_id, dl) == 0))
			continue;
		rc = requeue_waiting(t, &k, rse_id, rse, now, err);
	}
out:
	free(rse);
	lockset_free(&w);
	return rc;
}

/* --- moves, parents, expiry ---------------------------------------------- */

/* A rule's parents (their child_rule_id is id) once the child is OK:
   they are deleted, as Rucio lets them expire at once. */
struct parents {
	const char *child;
	json_t *ids;
};

static int
parent_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct parents *p = arg;
	json_t *r = json_loadb(val->data, val->size, 0, NULL);
	const char *c = str_of(r, "child_rule_id");

	(void)key;
	(void)pkey;
	if (c != NULL && strcmp(c, p->child) == 0)
		json_array_append(p->ids, json_object_get(r, "id"));
	json_decref(r);
	return GR_OK;
}

static int
release_parents(struct st_txn *t, const json_t *child, int64_t now,
    struct gr_err *err)
{
	struct parents p = { str_of(child, "id"), NULL };
	char kbuf[KEY_MAX];
	json_t *rec = NULL;
	size_t i;
	int rc;

	if (str_of(child, "state") == NULL || *str_of(child, "state") != 'O')
		return GR_OK;
	p.ids = json_array();
	rc = st_scan_key(t, TBL_RULES_BY_DID, kbuf,
	    did_key(kbuf, str_of(child, "scope"), str_of(child, "name")),
	    parent_one, &p, err);
	for (i = 0; i < json_array_size(p.ids) && rc == GR_OK; i++) {
		if ((rc = rule_load(t,
			 json_string_value(json_array_get(p.ids, i)), DB_RMW,
			 &rec, err)) == GR_OK)
			rc = rule_remove(t, rec,
			    json_is_true(
				json_object_get(rec, "purge_replicas")),
			    now, err);
		json_decref(rec);
		rec = NULL;
	}
	json_decref(p.ids);
	return rc;
}

/* The POST /rules/ dict that recreates rec on its DID (reduce, move). */
static json_t *
spec_of(const json_t *rec, int64_t now)
{
	const char *g = str_of(rec, "grouping"),
		   *n = str_of(rec, "notification");
	char nl[2] = { n != NULL ? *n : 'N', 0 };
	json_t *s;

	s = json_pack("{s:[{s:O, s:O}], s:O, s:O, s:O, s:s, s:O, s:O, s:O, "
		      "s:O, s:O, s:s, s:O, s:O, s:O, s:O}",
	    "dids", "scope", json_object_get(rec, "scope"), "name",
	    json_object_get(rec, "name"), "account",
	    json_object_get(rec, "account"), "copies",
	    json_object_get(rec, "copies"), "rse_expression",
	    json_object_get(rec, "rse_expression"), "grouping",
	    g == NULL || *g == 'D' ? "DATASET"
		: *g == 'A'        ? "ALL"
				   : "NONE",
	    "weight", json_object_get(rec, "weight"), "locked",
	    json_object_get(rec, "locked"), "subscription_id",
	    json_object_get(rec, "subscription_id"),
	    "source_replica_expression",
	    json_object_get(rec, "source_replica_expression"), "activity",
	    json_object_get(rec, "activity"), "notify", nl, "purge_replicas",
	    json_object_get(rec, "purge_replicas"), "ignore_availability",
	    json_object_get(rec, "ignore_availability"), "comment",
	    json_object_get(rec, "comments"), "priority",
	    json_object_get(rec, "priority"));
	if (s != NULL && json_is_integer(json_object_get(rec, "expires_at")))
		json_object_set_new(s, "lifetime",
		    json_integer(int_of(rec, "expires_at") - now > 0
			    ? int_of(rec, "expires_at") - now
			    : 0));
	/* nulls are the options' defaults */
	if (s != NULL) {
		const char *k;
		json_t *v;
		void *tmp;

		json_object_foreach_safe(s, tmp, k, v)
			if (json_is_null(v) && strcmp(k, "account") != 0)
				json_object_del(s, k);
	}
	return s;
}

struct replace_args {
	const char *issuer, *id, *expr, *exclude;
	const json_t *override;
	json_int_t copies;
	json_t *ids;
};

/* The start of reduce and move: an admin, the rule (*rec, DB_RMW). */
static int
replace_start(struct st_txn *t, struct replace_args *a, const char *verb,
    json_t **rec, struct gr_err *err)
{
	bool admin;
	int rc;

	json_array_clear(a->ids);
	if ((rc = account_is_admin(t, a->issuer, &admin, err)) != GR_OK)
		return rc;
	if (!admin)
		return gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not %s this replication rule. ", a->issuer,
		    verb);
	return rule_load(t, a->id, DB_RMW, rec, err);
}

static int
reduce_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct replace_args *a = arg;
	int64_t now = time_now();
	json_t *rec = NULL, *spec = NULL, *nrec = NULL;
	char expr[2 * RSE_EXPR_MAX + 8];
	int rc;

	if ((rc = replace_start(t, a, "reduce", &rec, err)) != GR_OK)
		return rc;
	if (a->copies >= int_of(rec, "copies")) {
		rc = gr_fail(err, GR_RULE_REPLACE_FAILED,
		    "Copies of the new rule must be smaller than the old "
		    "rule.");
		goto out;
	}
	if (*str_of(rec, "state") != 'O') {
		rc = gr_fail(err, GR_RULE_REPLACE_FAILED,
		    "The source rule must be in state OK.");
		goto out;
	}
	spec = spec_of(rec, now);
	json_object_set_new(spec, "copies", json_integer(a->copies));
	if (a->exclude != NULL && *a->exclude != '\0') {
		(void)snprintf(expr, sizeof(expr), "(%s)\\(%s)",
		    str_of(rec, "rse_expression"), a->exclude);
		json_object_set_new(spec, "rse_expression", json_string(expr));
	}
	if ((rc = rule_add_in(t, a->issuer, spec, a->ids, err)) != GR_OK)
		goto out;
	if ((rc = rule_load(t, json_string_value(json_array_get(a->ids, 0)), 0,
		 &nrec, err)) != GR_OK)
		goto out;
	if (*str_of(nrec, "state") != 'O') {
		rc = gr_fail(err, GR_RULE_REPLACE_FAILED,
		    "The replacement of the rule failed.");
		goto out;
	}
	rc = rule_remove(t, rec,
	    json_is_true(json_object_get(rec, "purge_replicas")), now, err);
out:
	json_decref(rec);
	json_decref(nrec);
	json_decref(spec);
	return rc;
}

int
rule_reduce(const char *issuer, const char *id, json_int_t copies,
    const char *exclude, json_t *ids_out, struct gr_err *err)
{
	struct replace_args a = { .issuer = issuer,
		.id = id,
		.exclude = exclude,
		.copies = copies,
		.ids = ids_out };

	if (copies <= 0)
		return gr_fail(err, GR_INVALID_VALUE,
		    "The number of copies for a replication rule should be "
		    "greater than 0.");
	return st_txn_run(reduce_txn, &a, err);
}

static const char *const move_keys[] = { "account", "copies", "rse_expression",
	"grouping", "weight", "lifetime", "locked", "subscription_id",
	"source_replica_expression", "activity", "notify", "purge_replicas",
	"ignore_availability", "comment" };

static int
move_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct replace_args *a = arg;
	int64_t now = time_now();
	json_t *rec = NULL, *spec = NULL;
	const char *key;
	json_t *v;
	size_t i;
	int rc;

	if ((rc = replace_start(t, a, "move", &rec, err)) != GR_OK)
		return rc;
	if (str_of(rec, "child_rule_id") != NULL) {
		rc = gr_fail(err, GR_RULE_REPLACE_FAILED,
		    "The rule must not have a child rule.");
		goto out;
	}
	spec = spec_of(rec, now);
	json_object_set_new(spec, "rse_expression", json_string(a->expr));
	json_object_foreach(jsonx_unconst(a->override), key, v) {
		for (i = 0; i < ARRAY_LEN(move_keys); i++)
			if (strcmp(key, move_keys[i]) == 0)
				break;
		if (i == ARRAY_LEN(move_keys)) {
			rc = gr_fail(err, GR_UNSUPPORTED_OPERATION,
			    strcmp(key, "dids") == 0
				? "Not allowed to override option %.64s"
				: "Non-valid override option %.64s",
			    key);
			goto out;
		}
		json_object_set(spec, key, v);
	}
	if ((rc = rule_add_in(t, a->issuer, spec, a->ids, err)) != GR_OK)
		goto out;
	json_object_set(rec, "child_rule_id", json_array_get(a->ids, 0));
	json_object_set_new(rec, "updated_at", json_integer(now));
	if ((rc = rule_store(t, rec, err)) == GR_OK) {
		json_t *child = NULL;

		/* a child that is OK at once releases its parent now */
		if ((rc = rule_load(t,
			 json_string_value(json_array_get(a->ids, 0)), 0,
			 &child, err)) == GR_OK)
			rc = release_parents(t, child, now, err);
		json_decref(child);
	}
out:
	json_decref(rec);
	json_decref(spec);
	return rc;
}

int
rule_move(const char *issuer, const char *id, const char *rse_expression,
    const json_t *override, json_t *ids_out, struct gr_err *err)
{
	json_t *none = json_object();
	struct replace_args a = { .issuer = issuer,
		.id = id,
		.expr = rse_expression,
		.override = override != NULL && json_is_object(override)
		    ? override
		    : none,
		.ids = ids_out };
	int rc;

	if (override != NULL && !json_is_null(override) &&
	    !json_is_object(override))
		rc = gr_fail(err, GR_RULE_INVALID_OBJECT,
		    "'override' must be a dictionary");
	else
		rc = st_txn_run(move_txn, &a, err);
	json_decref(none);
	return rc;
}

/* Does a rule (its stored text) go when its lifetime ends? A locked one
   and one with a child stay (upstream's cleaner cannot delete them). */
static bool
expirable(const DBT *val)
{
	const char *v;
	size_t vl;

	if (jsonx_member(val->data, val->size, "locked", &v, &vl) && vl == 4 &&
	    memcmp(v, "true", 4) == 0)
		return false;
	return !jsonx_member(val->data, val->size, "child_rule_id", &v, &vl) ||
	    (vl == 4 && memcmp(v, "null", 4) == 0);
}

struct expire_args {
	int64_t now;
	size_t max, done;
	json_t *ids;
};

static int
expire_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct expire_args *e = arg;
	unsigned char bound[8];

	didx_num((double)e->now, bound);
	if (key->size != 8 || memcmp(key->data, bound, 8) > 0)
		return ST_STOP;
	if (!expirable(val))
		return GR_OK; /* kept: never taken */
	json_array_append_new(e->ids, json_stringn(pkey->data, pkey->size));
	return json_array_size(e->ids) >= e->max ? ST_STOP : GR_OK;
}

static int
expire_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct expire_args *e = arg;
	json_t *rec = NULL;
	size_t i;
	int rc;

	json_array_clear(e->ids);
	e->done = 0;
	if ((rc = st_scan(t, TBL_RULES_BY_EXPIRY, NULL, 0, NULL, expire_one, e,
		 err)) != GR_OK)
		return rc;
	for (i = 0; i < json_array_size(e->ids) && rc == GR_OK; i++) {
		if ((rc = rule_load(t,
			 json_string_value(json_array_get(e->ids, i)), DB_RMW,
			 &rec, err)) != GR_OK)
			break;
		/* a locked rule, or one with a child, outlives its lifetime
		   (Rucio's cleaner cannot delete them either) */
		if (!json_is_true(json_object_get(rec, "locked")) &&
		    str_of(rec, "child_rule_id") == NULL) {
			rc = rule_remove(t, rec,
			    json_is_true(
				json_object_get(rec, "purge_replicas")),
			    e->now, err);
			e->done++;
		}
		json_decref(rec);
		rec = NULL;
	}
	return rc;
}

struct next_args {
	int64_t now, at;
};

static int
next_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct next_args *n = arg;
	const char *v;
	size_t vl;
	long long at = 0;

	(void)key;
	(void)pkey;
	if (!expirable(val) ||
	    !jsonx_member(val->data, val->size, "expires_at", &v, &vl) ||
	    !jsonx_member_int(v, vl, &at) || at <= n->now)
		return GR_OK; /* due already, or never: not what is next */
	n->at = at;
	return ST_STOP;
}

static int
next_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct next_args *n = arg;
	unsigned char from[8] = { 0 };
	DBT f;

	n->at = 0;
	didx_num((double)n->now + 1, from);
	f = st_dbt(from, sizeof(from));
	return st_scan(t, TBL_RULES_BY_EXPIRY, NULL, 0, &f, next_one, n, err);
}

int64_t
rule_expiry_next(void)
{
	struct next_args n = { time_now(), 0 };
	struct gr_err err = { 0 };

	return st_view(next_txn, &n, 0, &err) == GR_OK ? n.at : 0;
}

int
rule_expire(size_t max, size_t *done, struct gr_err *err)
{
	struct expire_args e = { time_now(), max > 0 ? max : 100, 0,
		json_array() };
	int rc = st_txn_run(expire_txn, &e, err);

	*done = rc == GR_OK ? e.done : 0;
	json_decref(e.ids);
	return rc;
}

/* --- PUT /rules/<id> ----------------------------------------------------- */

static const char *const update_keys[] = { "comment", "locked", "lifetime",
	"account", "state", "activity", "source_replica_expression",
	"cancel_requests", "priority", "child_rule_id", "eol_at", "meta",
	"purge_replicas", "boost_rule" };

struct upd_args {
	const char *issuer, *id;
	const json_t *options;
};

/* Move every lock's bytes from the rule's account to account. */
static int
move_usage(struct st_txn *t, json_t *rec, const char *account,
    struct gr_err *err)
{
	struct lockset s = { 0 };
	struct applier from = { .t = t, .err = err },
		       to = { .t = t, .err = err };
	char kbuf[KEY_MAX];
	size_t i, il;
	int rc;

	from.account = str_of(rec, "account");
	to.account = account;
	rc = st_scan(t, TBL_LOCKS, kbuf,
	    key_join(kbuf, sizeof(kbuf), str_of(rec, "id"), "", (char *)NULL),
	    NULL, lockset_one, &s, err);
	for (i = 0; i < s.n && rc == GR_OK; i++) {
		const char *id = key_part(s.keys.s + s.off[i],
		    s.off[i + 1] - s.off[i], 3, &il);
		char rse[RSE_ID_LEN + 1];
		struct acc *a;

		if (id == NULL || il != RSE_ID_LEN)
			continue;
		memcpy(rse, id, il);
		rse[il] = '\0';
		a = acc_get(&from, rse);
		a->files--;
		a->bytes -= s.bytes[i];
		a = acc_get(&to, rse);
		a->files++;
		a->bytes += s.bytes[i];
	}
	if (rc == GR_OK && (rc = flush_usage(&from)) == GR_OK)
		rc = flush_usage(&to);
	applier_free(&from);
	applier_free(&to);
	lockset_free(&s);
	return rc;
}

/* Manual STUCK: the REPLICATING locks become STUCK (with cancel_requests
   their requests go and the replicas become UNAVAILABLE). */
static int
stuck_locks(struct st_txn *t, json_t *rec, bool cancel, int64_t now,
    struct gr_err *err)
{
	struct lockset s = { 0 };
	char kbuf[KEY_MAX];
	json_int_t moved = 0;
	json_t *l = NULL;
	size_t i;
	int ret, rc;

	rc = st_scan(t, TBL_LOCKS, kbuf,
	    key_join(kbuf, sizeof(kbuf), str_of(rec, "id"), "", (char *)NULL),
	    NULL, lockset_one, &s, err);
	for (i = 0; i < s.n && rc == GR_OK; i++) {
		const char *k = s.keys.s + s.off[i], *sc;
		size_t kl = s.off[i + 1] - s.off[i], sl;
		DBT lk = st_dbt(k, kl), rk;
		bool flying = false;

		if (s.state[i] != 'R' || (sc = key_part(k, kl, 1, &sl)) == NULL)
			continue;
		ret = st_get_json(t, TBL_LOCKS, &lk, &l, DB_RMW);
		if (ret == 0) {
			json_object_set_new(l, "state", json_string("S"));
			json_object_set_new(l, "updated_at", json_integer(now));
			ret = st_put_json(t, TBL_LOCKS, &lk, l, 0);
		}
		json_decref(l);
		l = NULL;
		rk = st_dbt(sc, (size_t)(k + kl - sc));
		/* a copy under way ends as it will (rule_request_in_flight) */
		if (ret == 0 && cancel &&
		    (rc = rule_request_in_flight(t, &rk, &flying, err)) !=
			GR_OK)
			break;
		if (ret == 0 && cancel && !flying) {
			ret = st_del(t, TBL_REQUESTS, &rk);
			if (ret == 0 || ret == DB_NOTFOUND)
				ret = st_get_json(t, TBL_REPLICAS, &rk, &l,
				    DB_RMW);
			if (ret == 0) {
				json_object_set_new(l, "state",
				    json_string("U"));
				ret = st_put_json(t, TBL_REPLICAS, &rk, l, 0);
			}
			json_decref(l);
			l = NULL;
			if (ret == DB_NOTFOUND)
				ret = 0;
		}
		if (ret != 0)
			rc = st_fail(err, ret);
		moved++;
	}
	lockset_free(&s);
	add_counts(rec, 0, -moved, moved);
	return rc;
}

/* boost_rule: the rule's STUCK locks' updated_at a day earlier. */
static int
boost_locks(struct st_txn *t, const char *id, struct gr_err *err)
{
	struct lockset s = { 0 };
	char kbuf[KEY_MAX];
	json_t *l = NULL;
	size_t i;
	int ret = 0, rc;

	rc = st_scan(t, TBL_LOCKS, kbuf,
	    key_join(kbuf, sizeof(kbuf), id, "", (char *)NULL), NULL,
	    lockset_one, &s, err);
	for (i = 0; i < s.n && rc == GR_OK; i++) {
		DBT lk = st_dbt(s.keys.s + s.off[i], s.off[i + 1] - s.off[i]);

		if (s.state[i] != 'S')
			continue;
		if ((ret = st_get_json(t, TBL_LOCKS, &lk, &l, DB_RMW)) == 0) {
			json_object_set_new(l, "updated_at",
			    json_integer(int_of(l, "updated_at") - 86400));
			ret = st_put_json(t, TBL_LOCKS, &lk, l, 0);
		}
		json_decref(l);
		l = NULL;
		if (ret != 0)
			rc = st_fail(err, ret);
	}
	lockset_free(&s);
	return rc;
}

static int
update_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct upd_args *a = arg;
	const json_t *o = a->options;
	json_t *v;
	int64_t now = time_now();
	json_t *rec = NULL;
	const char *key;
	char before; /* the state letter: rec's string is replaced */
	bool admin;
	int rc;

	if ((rc = account_is_admin(t, a->issuer, &admin, err)) != GR_OK)
		return rc;
	if ((rc = rule_load(t, a->id, DB_RMW, &rec, err)) != GR_OK)
		return rc;
	before = *str_of(rec, "state");
	if ((v = json_object_get(o, "approve")) != NULL) {
		if (!admin) {
			rc = gr_fail(err, GR_ACCESS_DENIED,
			    "Account %s can not approve/deny this replication "
			    "rule. ",
			    a->issuer);
			goto out;
		}
		if (before != 'W') {
			rc = GR_OK; /* as Rucio: nothing to do */
			goto out;
		}
		if (!json_is_true(v)) { /* denied: the rule goes */
			const char *why = str_of(o, "comment");

			if (why != NULL)
				json_object_set_new(rec, "comments",
				    json_string(why));
			rc = rule_remove(t, rec, false, now, err);
			goto out;
		}
		json_object_set_new(rec, "ignore_account_limit", json_true());
		json_object_set_new(rec, "state", json_string("I"));
		inject_kick = true;
		json_object_set_new(rec, "updated_at", json_integer(now));
		if ((rc = rule_store(t, rec, err)) == GR_OK)
			rc = rule_history_add(t, rec, err);
		goto out;
	}
	if (!admin) {
		rc = gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not update this replication rule. ",
		    a->issuer);
		goto out;
	}
	json_object_foreach(jsonx_unconst(o), key, v) {
		if (strcmp(key, "comment") == 0) {
			if (!json_is_string(v) && !json_is_null(v))
				goto bad;
			json_object_set(rec, "comments", v);
		} else if (strcmp(key, "locked") == 0 ||
		    strcmp(key, "purge_replicas") == 0 ||
		    strcmp(key, "boost_rule") == 0) {
			if (!json_is_boolean(v))
				goto bad;
			if (strcmp(key, "boost_rule") != 0)
				json_object_set(rec, key, v);
		} else if (strcmp(key, "lifetime") == 0) {
			if (json_is_null(v))
				json_object_set_new(rec, "expires_at",
				    json_null());
			else if (json_is_number(v) &&
			    json_number_value(v) >= 0 &&
			    json_number_value(v) < 1e10)
				json_object_set_new(rec, "expires_at",
				    json_integer(now +
					(json_int_t)json_number_value(v)));
			else
				goto bad;
			if ((rc = scratch_cap(t, rec, false, now, err)) !=
			    GR_OK)
				goto out;
		} else if (strcmp(key, "account") == 0) {
			if (!json_is_string(v) ||
			    !valid_account(json_string_value(v))) {
				rc = gr_fail(err, GR_ACCOUNT_NOT_FOUND,
				    "Account with ID '%.32s' cannot be found",
				    json_is_string(v) ? json_string_value(v)
						      : "");
				goto out;
			}
			if ((rc = account_check_active(t, json_string_value(v),
				 err)) != GR_OK ||
			    (rc = move_usage(t, rec, json_string_value(v),
				 err)) != GR_OK)
				goto out;
			json_object_set(rec, "account", v);
		} else if (strcmp(key, "state") == 0) {
			const char *s = json_string_value(v);

			if (s != NULL && strcasecmp(s, "SUSPENDED") == 0)
				json_object_set_new(rec, "state",
				    json_string("U"));
			else if (s != NULL && strcasecmp(s, "STUCK") == 0) {
				if ((rc = stuck_locks(t, rec,
					 json_is_true(json_object_get(o,
					     "cancel_requests")),
					 now, err)) != GR_OK)
					goto out;
				json_object_set_new(rec, "state",
				    json_string("S"));
				json_object_set_new(rec, "stuck_at",
				    json_integer(now));
			} else
				goto bad;
		} else if (strcmp(key, "activity") == 0) {
			if (!rule_valid_activity(json_string_value(v)))
				goto bad;
			json_object_set(rec, key, v);
		} else if (strcmp(key, "source_replica_expression") == 0 ||
		    strcmp(key, "meta") == 0) {
			if (!json_is_string(v) && !json_is_null(v))
				goto bad;
			json_object_set(rec, key, v);
		} else if (strcmp(key, "priority") == 0) {
			if (!json_is_integer(v))
				goto bad;
			json_object_set(rec, key, v);
		} else if (strcmp(key, "eol_at") == 0) {
			int64_t when;

			if (json_is_null(v))
				json_object_set_new(rec, key, json_null());
			else if (json_is_string(v) &&
			    date_parse(json_string_value(v), &when) == 0)
				json_object_set_new(rec, key,
				    json_integer(when));
			else
				goto bad;
		} else if (strcmp(key, "child_rule_id") == 0) {
			json_t *child = NULL;

			if (json_is_null(v)) {
				if (str_of(rec, "child_rule_id") == NULL) {
					rc = gr_fail(err,
					    GR_RULE_INPUT_VALIDATION,
					    "Cannot detach child when no such "
					    "relationship exists");
					goto out;
				}
				json_object_set_new(rec, key, json_null());
				json_object_set_new(rec, "expires_at",
				    json_null());
				continue;
			}
			if ((rc = rule_load(t, json_string_value(v), 0, &child,
				 err)) != GR_OK)
				goto out;
			if (strcmp(str_of(child, "scope"),
				str_of(rec, "scope")) != 0 ||
			    strcmp(str_of(child, "name"),
				str_of(rec, "name")) != 0 ||
			    strcmp(str_of(child, "id"), str_of(rec, "id")) ==
				0) {
				json_decref(child);
				rc = gr_fail(err, GR_RULE_INPUT_VALIDATION,
				    "Parent and child rule must be set on the "
				    "same dataset.");
				goto out;
			}
			json_object_set(rec, key, json_object_get(child, "id"));
			json_decref(child);
		} else if (strcmp(key, "cancel_requests") != 0) {
			rc = gr_fail(err, GR_RULE_INPUT_VALIDATION,
			    "%.64s is not a valid option to set.", key);
			goto out;
		}
		continue;
	bad:
		rc = gr_fail(err, GR_RULE_INPUT_VALIDATION,
		    "'%.64s' has an invalid value", key);
		goto out;
	}
	json_object_set_new(rec, "updated_at", json_integer(now));
	/* boost_rule, after the other options (a state STUCK among them),
	   as upstream: the rule and its STUCK locks look a day older, so
	   that whatever repairs stuck rules oldest first takes it sooner */
	v = json_object_get(o, "boost_rule");
	if (json_is_true(v) &&
	    (rc = boost_locks(t, str_of(rec, "id"), err)) == GR_OK)
		json_object_set_new(rec, "updated_at",
		    json_integer(now - 86400));
	if (rc == GR_OK && (rc = rule_store(t, rec, err)) == GR_OK &&
	    (before != *str_of(rec, "state") || json_is_true(v)) &&
	    (rc = rule_history_add(t, rec, err)) == GR_OK)
		rc = dataset_locks_state(t, str_of(rec, "id"),
		    str_of(rec, "state"), now, err);
out:
	json_decref(rec);
	return rc;
}

int
rule_update(const char *issuer, const char *id, const json_t *options,
    struct gr_err *err)
{
	struct upd_args a = { issuer, id, options };
	const char *key;
	const json_t *v;
	size_t i;

	if (!json_is_object(options))
		return gr_fail(err, GR_RULE_INPUT_VALIDATION,
		    "'options' must be a dictionary");
	json_object_foreach(jsonx_unconst(options), key, v) {
		for (i = 0; i < ARRAY_LEN(update_keys); i++)
			if (strcmp(key, update_keys[i]) == 0)
				break;
		if (i == ARRAY_LEN(update_keys) && strcmp(key, "approve") != 0)
			return gr_fail(err, GR_RULE_INPUT_VALIDATION,
			    "%.64s is not a valid option to set.", key);
	}
	return st_txn_run(update_txn, &a, err);
}

static int
due_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	unsigned char bound[8];
	bool *due = arg;

	(void)pkey;
	didx_num((double)time_now(), bound);
	if (key->size != 8 || memcmp(key->data, bound, 8) > 0)
		return ST_STOP;
	if (!expirable(val))
		return GR_OK;
	*due = true;
	return ST_STOP;
}

static int
due_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	*(bool *)arg = false;
	return st_scan(t, TBL_RULES_BY_EXPIRY, NULL, 0, NULL, due_one, arg,
	    err);
}

/* Does an evaluator hold its lock? */
static bool
evaluator_running(void)
{
	return proc_lock_held(st_dir(), "rules.lock");
}

void
rule_evaluator_wanted(void)
{
	inject_kick = true;
}

void
rule_evaluator_kick(void)
{
	int e;

	if (evaluator_running())
		return;
	if ((e = proc_start_tool("gridrest-rules", "GRIDREST_RULES_EXEC",
		 st_after_fork)) != 0)
		log_msg(LOG_ERR, "rules: cannot start gridrest-rules: %s",
		    strerror(e));
}

void
rule_tick(void)
{
	static int64_t next;
	struct gr_err err = { 0 };
	int64_t now = time_now();
	bool due = false;

	if (now < next && !inject_kick)
		return;
	next = now + 1;
	inject_kick = false;
	/* expired rules are the evaluator's too: a big one is not deleted
	   in a backend between two requests; so is a retroactive
	   subscription's pass over the collections */
	if ((st_view(due_txn, &due, 0, &err) == GR_OK && due) ||
	    rule_inject_due() || sub_retro_due())
		rule_evaluator_kick();
	if (err.code != GR_OK)
		log_msg(LOG_WARN, "rules: %s", err.msg);
}

/* --- the undertaker ---------------------------------------------------- */

int
rule_remove_of_did(struct st_txn *t, const char *scope, const char *name,
    bool purge, int64_t now, bool *locked, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	json_t *ids = json_array(), *rec = NULL;
	size_t i;
	int rc;

	*locked = false;
	rc = st_scan_key(t, TBL_RULES_BY_DID, kbuf, did_key(kbuf, scope, name),
	    rule_id_one, ids, err);
	/* a locked rule keeps its DID (upstream's delete_rule refuses it):
	   nothing is removed then */
	for (i = 0; i < json_array_size(ids) && rc == GR_OK && !*locked; i++) {
		rc = rule_load(t, json_string_value(json_array_get(ids, i)), 0,
		    &rec, err);
		if (rc == GR_OK)
			*locked = json_is_true(json_object_get(rec, "locked"));
		json_decref(rec);
		rec = NULL;
	}
	for (i = 0; i < json_array_size(ids) && rc == GR_OK && !*locked; i++) {
		if ((rc = rule_load(t,
			 json_string_value(json_array_get(ids, i)), DB_RMW,
			 &rec, err)) == GR_OK)
			rc = rule_remove(t, rec, purge, now, err);
		json_decref(rec);
		rec = NULL;
	}
	json_decref(ids);
	return rc;
}

/* --- re-evaluation: attach and detach ------------------------------------ */

int
rule_id_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	json_t *ids = arg;
	json_t *id = json_stringn(pkey->data, pkey->size);
	size_t i;

	(void)key;
	(void)val;
	for (i = 0; i < json_array_size(ids); i++)
		if (json_equal(json_array_get(ids, i), id)) {
			json_decref(id);
			return GR_OK;
		}
	json_array_append_new(ids, id);
	return GR_OK;
}

struct above_rules {
	struct st_txn *t;
	json_t *ids;
	struct gr_err *err;
};

static int
rules_on(const char *scope, const char *name, void *arg)
{
	struct above_rules *a = arg;
	char kbuf[KEY_MAX];

	return st_scan_key(a->t, TBL_RULES_BY_DID, kbuf,
	    did_key(kbuf, scope, name), rule_id_one, a->ids, a->err);
}

/* The ids of the rules on scope:name or above it, into ids. */
static int
rules_above(struct st_txn *t, const char *scope, const char *name, json_t *ids,
    struct gr_err *err)
{
	struct above_rules a = { t, ids, err };

	return coll_above(t, scope, name, rules_on, &a, err);
}

/* Set up ap for the rule rec (loaded DB_RMW) inside t. */
static void
applier_init(struct applier *ap, struct st_txn *t, json_t *rec,
    struct gr_err *err)
{
	const char *g = str_of(rec, "grouping");

	memset(ap, 0, sizeof(*ap));
	ap->t = t;
	ap->err = err;
	ap->rule = rec;
	ap->id = str_of(rec, "id");
	ap->account = str_of(rec, "account");
	ap->grouping = g != NULL ? *g : 'D';
	ap->copies = int_of(rec, "copies");
	ap->now = time_now();
}

/* A failure that is the rule's, not the store's: it is recorded on the
   rule (which becomes STUCK) and the work goes on. */
static bool
soft_failure(int rc)
{
	return rc != GR_OK && rc != GR_DATABASE && rc != GR_UNAVAILABLE &&
	    rc != GR_INTERNAL;
}

static int
rule_failed(struct applier *ap, struct gr_err *err)
{
	const char *st = str_of(ap->rule, "state");
	char msg[sizeof(err->msg)];

	memcpy(msg, err->msg, sizeof(msg));
	gr_clear(err);
	json_object_set_new(ap->rule, "error", json_string(msg));
	if (st == NULL || strchr("UW", *st) == NULL) {
		if (st == NULL || *st != 'S')
			json_object_set_new(ap->rule, "stuck_at",
			    json_integer(ap->now));
		json_object_set_new(ap->rule, "state", json_string("S"));
	}
	json_object_set_new(ap->rule, "updated_at", json_integer(ap->now));
	if (rule_store(ap->t, ap->rule, err) != GR_OK)
		return err->code;
	return rule_history_add(ap->t, ap->rule, err);
}

/* The content records of dids attached to ps:pn, as a group of files. */
static int
attached_files(struct st_txn *t, const char *ps, const char *pn,
    const json_t *dids, struct group *g, struct gr_err *err)
{
	struct sbuf rec = { 0 };
	char kbuf[KEY_MAX];
	const json_t *d;
	size_t i;
	int ret = 0;

	group_clear(g);
	json_array_foreach(dids, i, d) {
		const char *cs = str_of(d, "scope"), *cn = str_of(d, "name");
		DBT k = st_dbt(kbuf,
		    key_join(kbuf, sizeof(kbuf), ps, pn, cs, cn, (char *)NULL));

		if ((ret = st_get_text(t, TBL_CONTENTS, &k, &rec)) == 0)
			group_add(g, cs, cn, rec.s, rec.len);
		else if (ret != DB_NOTFOUND)
			break;
		ret = 0;
	}
	sbuf_free(&rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/* The datasets among (or below) the collections dids. */
static int
attached_datasets(struct st_txn *t, const json_t *dids, struct dslist *d,
    struct gr_err *err)
{
	const json_t *c;
	json_t *rec = NULL;
	size_t i;
	int rc = GR_OK;

	json_array_foreach(dids, i, c) {
		const char *cs = str_of(c, "scope"), *cn = str_of(c, "name");
		const char *type;

		if ((rc = did_load(t, cs, cn, 0, &rec, err)) != GR_OK)
			break;
		type = str_of(rec, "type");
		if (type != NULL && strcmp(type, "DATASET") == 0)
			dslist_add(d, cs, cn);
		else if ((rc = ds_walk(d, cs, cn)) != GR_OK)
			break;
		json_decref(rec);
		rec = NULL;
	}
	json_decref(rec);
	return rc;
}

int
rule_on_attach(struct st_txn *t, const char *ps, const char *pn,
    const char *ptype, const json_t *dids, struct gr_err *err)
{
	json_t *ids = json_array(), *rec = NULL;
	struct dslist d = { .t = t, .err = err };
	struct group g = { 0 };
	struct applier ap;
	bool dataset = ptype != NULL && strcmp(ptype, "DATASET") == 0;
	size_t i, j;
	int rc;

	memset(&ap, 0, sizeof(ap));
	if ((rc = rules_above(t, ps, pn, ids, err)) != GR_OK ||
	    json_array_size(ids) == 0)
		goto out;
	if (!dataset && (rc = attached_datasets(t, dids, &d, err)) != GR_OK)
		goto out;
	for (i = 0; i < json_array_size(ids) && rc == GR_OK; i++) {
		const char *st;
		char was;

		json_decref(rec);
		rec = NULL;
		if ((rc = rule_load(t,
			 json_string_value(json_array_get(ids, i)), DB_RMW,
			 &rec, err)) != GR_OK)
			break;
		st = str_of(rec, "state");
		if (st != NULL && *st == 'W')
			continue; /* applied in full once approved */
		was = st != NULL ? *st : 'R';
		applier_free(&ap);
		applier_init(&ap, t, rec, err);
		rc = build_cands(&ap, rec, NULL, false);
		if (soft_failure(rc)) {
			rc = rule_failed(&ap, err);
			continue;
		}
		if (dataset) {
			if ((rc = attached_files(t, ps, pn, dids, &g, err)) ==
			    GR_OK)
				rc = place(&ap, ps, pn, &g, 0);
		} else if ((rc = choose_all(&ap, &d)) == GR_OK) {
			for (j = 0; j < d.n && rc == GR_OK; j++)
				if ((rc = dataset_files(t, d.scope[j],
					 d.name[j], &g, err)) == GR_OK)
					rc = place(&ap, d.scope[j], d.name[j],
					    &g, (json_int_t)g.n);
		}
		if (rc == GR_OK)
			rc = finish(&ap, was, false);
	}
out:
	applier_free(&ap);
	group_free(&g);
	dslist_free(&d);
	json_decref(rec);
	json_decref(ids);
	return rc;
}

/* Remove the rule's locks on the files of g that are no longer below it. */
static int
drop_files(struct st_txn *t, json_t *rec, struct group *g, int64_t now,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	size_t i, klen;
	bool below;
	int rc = GR_OK;

	for (i = 0; i < g->n && rc == GR_OK; i++) {
		if ((rc = coll_within(t, g->f[i].scope, g->f[i].name,
			 str_of(rec, "scope"), str_of(rec, "name"), &below,
			 err)) != GR_OK ||
		    below)
			continue;
		klen = key_join(kbuf, sizeof(kbuf), str_of(rec, "id"),
		    g->f[i].scope, g->f[i].name, "", (char *)NULL);
		rc = locks_remove_prefix(t, rec, kbuf, klen,
		    json_is_true(json_object_get(rec, "purge_replicas")), now,
		    err);
	}
	return rc;
}

int
rule_on_detach(struct st_txn *t, const char *ps, const char *pn, const char *cs,
    const char *cn, struct gr_err *err)
{
	json_t *ids = json_array(), *rec = NULL, *child = NULL;
	struct dslist d = { .t = t, .err = err };
	struct group g = { 0 };
	int64_t now = time_now();
	const char *type, *before;
	json_int_t ok_before;
	char kbuf[KEY_MAX];
	size_t i, j, klen;
	bool below;
	int rc;

	if ((rc = rules_above(t, ps, pn, ids, err)) != GR_OK ||
	    json_array_size(ids) == 0)
		goto out;
	rc = did_load(t, cs, cn, 0, &child, err);
	if (rc == GR_DID_NOT_FOUND) { /* gone already: nothing to place */
		gr_clear(err);
		rc = GR_OK;
		goto out;
	}
	if (rc != GR_OK)
		goto out;
	type = str_of(child, "type");
	if (type != NULL && strcmp(type, "FILE") == 0)
		group_add(&g, cs, cn, "{}", 2);
	else if (type != NULL && strcmp(type, "DATASET") == 0) {
		json_t *one = json_pack("[{s:s, s:s}]", "scope", cs, "name",
		    cn);

		rc = attached_datasets(t, one, &d, err);
		json_decref(one);
	} else
		rc = ds_walk(&d, cs, cn);
	for (i = 0; i < json_array_size(ids) && rc == GR_OK; i++) {
		json_decref(rec);
		rec = NULL;
		if ((rc = rule_load(t,
			 json_string_value(json_array_get(ids, i)), DB_RMW,
			 &rec, err)) != GR_OK)
			break;
		before = str_of(rec, "state");
		ok_before = int_of(rec, "locks_ok_cnt");
		if (g.n > 0)
			rc = drop_files(t, rec, &g, now, err);
		for (j = 0; j < d.n && rc == GR_OK; j++) {
			struct group f = { 0 };

			if ((rc = coll_within(t, d.scope[j], d.name[j],
				 str_of(rec, "scope"), str_of(rec, "name"),
				 &below, err)) != GR_OK ||
			    below)
				continue;
			klen = key_join(kbuf, sizeof(kbuf), str_of(rec, "id"),
			    d.scope[j], d.name[j], "", (char *)NULL);
			if ((rc = dataset_locks_remove(t, kbuf, klen, err)) ==
				GR_OK &&
			    (rc = dataset_files(t, d.scope[j], d.name[j], &f,
				 err)) == GR_OK)
				rc = drop_files(t, rec, &f, now, err);
			group_free(&f);
		}
		if (rc != GR_OK)
			break;
		{
			char was = before != NULL ? *before : 'R';

			settle(rec, now, NULL);
			json_object_set_new(rec, "updated_at",
			    json_integer(now));
			if ((rc = rule_store(t, rec, err)) == GR_OK &&
			    (rc = rule_history_add(t, rec, err)) == GR_OK &&
			    was != *str_of(rec, "state"))
				rc = release_parents(t, rec, now, err);
			/* OK with other locks OK than before: notified
			   again, as upstream */
			if (rc == GR_OK && *str_of(rec, "state") == 'O' &&
			    int_of(rec, "locks_ok_cnt") != ok_before)
				rc = rule_notify(t, rec, 0, err);
		}
	}
out:
	group_free(&g);
	dslist_free(&d);
	json_decref(rec);
	json_decref(child);
	json_decref(ids);
	return rc;
}

/* --- injection: large and asynchronous rules ------------------------------ */

/*
 * Grouping DATASET, a dataset injected in batches: before its first batch
 * its RSEs are chosen from all its files (their size for the quotas, the
 * RSEs holding most of their bytes preferred), as upstream chooses for
 * the whole dataset, and kept as its dataset locks (with the dataset's
 * bytes and length), which the batches then follow (place). Nothing when
 * the dataset has its locks already.
 */
static int
choose_dataset(struct applier *ap, const char *scope, const char *name)
{
	char(*pref)[RSE_ID_LEN + 1] = NULL;
	char(*out)[RSE_ID_LEN + 1];
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf), ap->id, scope, name, "",
		   (char *)NULL),
	       npref;
	struct group all = { 0 };
	bool found = false;
	int rc;

	if (ap->grouping != 'D')
		return GR_OK;
	if ((rc = st_scan(ap->t, TBL_DATASET_LOCKS, kbuf, klen, NULL,
		 st_scan_found, &found, ap->err)) != GR_OK ||
	    found)
		return rc;
	out = xcalloc((size_t)ap->copies + 1, sizeof(*out));
	if ((rc = dataset_files(ap->t, scope, name, &all, ap->err)) == GR_OK &&
	    (rc = load_replicas(ap, &all)) == GR_OK) {
		npref = preferred(ap, &all, &pref);
		rc = select_rses(ap, all.bytes, pref, npref, out);
	}
	if (rc == GR_OK)
		rc = dataset_locks_add(ap, scope, name, out, (size_t)ap->copies,
		    all.bytes, (json_int_t)all.n);
	free(pref);
	free(out);
	group_free(&all);
	return rc;
}

/* Files of a dataset after a key, at most max, into g (emptied first). */
struct from_args {
	struct group *g;
	size_t max;
	const DBT *skip;
};

static int
from_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct from_args *f = arg;

	if (f->skip != NULL && key->size == f->skip->size &&
	    memcmp(key->data, f->skip->data, key->size) == 0)
		return GR_OK;
	(void)file_one(key, pkey, val, f->g);
	return f->g->n >= f->max ? ST_STOP : GR_OK;
}

static int
files_from(struct st_txn *t, const char *scope, const char *name,
    const json_t *after, size_t max, struct group *g, struct gr_err *err)
{
	char pbuf[KEY_MAX], kbuf[KEY_MAX];
	size_t plen = key_join(pbuf, sizeof(pbuf), scope, name, "",
	    (char *)NULL);
	struct from_args f = { g, max, NULL };
	DBT from;

	group_clear(g);
	if (json_array_size(after) == 2) {
		from = st_dbt(kbuf,
		    key_join(kbuf, sizeof(kbuf), scope, name,
			json_string_value(json_array_get(after, 0)),
			json_string_value(json_array_get(after, 1)),
			(char *)NULL));
		f.skip = &from;
	}
	return st_scan(t, TBL_CONTENTS, pbuf, plen, f.skip, from_one, &f, err);
}

struct inj_args {
	char id[RULE_ID_LEN + 1];
	bool found;
};

/* Where the next batch starts: after the last file of g, or the next
   dataset when g came short. */
static void
inject_mark(json_t *rec, const struct group *g, size_t want, json_int_t ds)
{
	if (g->n < want) {
		json_object_set_new(rec, "inject_ds", json_integer(ds + 1));
		json_object_del(rec, "inject_after");
		return;
	}
	json_object_set_new(rec, "inject_ds", json_integer(ds));
	json_object_set_new(rec, "inject_after",
	    json_pack("[s, s]", g->f[g->n - 1].scope, g->f[g->n - 1].name));
}

/*
 * A split_container rule on a container, as upstream's injector does
 * it: a rule per dataset below the container (each once, none where
 * the account has a rule on the same expression already), grouping
 * DATASET, asynchronous (injected next), outside the quotas, with the
 * rule's copies, expression, remaining lifetime, activity, notification,
 * comment, priority and ignore_availability; then the container's rule
 * goes.
 */
static int
split_container(struct st_txn *t, json_t *rec, struct gr_err *err)
{
	const char *account = str_of(rec, "account"),
		   *expr = str_of(rec, "rse_expression");
	json_t *sets = json_array(), *dids = json_array(), *spec, *ids;
	const json_t *set;
	int64_t now = time_now();
	char kbuf[KEY_MAX], notify[2] = { 'N', 0 };
	size_t i;
	int rc;

	rc = rule_child_datasets(t, str_of(rec, "scope"), str_of(rec, "name"),
	    sets, err);
	json_array_foreach(sets, i, set) {
		const char *s = json_string_value(json_array_get(set, 0)),
			   *n = json_string_value(json_array_get(set, 1));
		/* one of the account on the expression: any copies */
		struct dup_args sim = { account, expr, -1, false };

		if (rc != GR_OK)
			break;
		rc = st_scan_key(t, TBL_RULES_BY_DID, kbuf, did_key(kbuf, s, n),
		    dup_one, &sim, err);
		if (rc == GR_OK && !sim.found)
			json_array_append_new(dids,
			    json_pack("{s:s, s:s}", "scope", s, "name", n));
	}
	if (str_of(rec, "notification") != NULL)
		notify[0] = *str_of(rec, "notification");
	spec = json_pack("{s:O, s:s, s:O?, s:s, s:s, s:b, s:O?, s:s, s:O?, "
			 "s:b, s:O?, s:b, s:b, s:O?}",
	    "dids", dids, "account", account, "copies",
	    json_object_get(rec, "copies"), "rse_expression", expr, "grouping",
	    "DATASET", "locked", 0, "activity",
	    json_object_get(rec, "activity"), "notify", notify, "comment",
	    json_object_get(rec, "comments"), "asynchronous", 1,
	    "ignore_availability", json_object_get(rec, "ignore_availability"),
	    "ignore_account_limit", 1, "split_container", 1, "priority",
	    json_object_get(rec, "priority"));
	if (spec == NULL) {
		json_decref(dids);
		json_decref(sets);
		return gr_fail(err, GR_INTERNAL,
		    "a split rule's record is odd");
	}
	if (json_is_integer(json_object_get(rec, "expires_at"))) {
		json_int_t left = int_of(rec, "expires_at") - now;

		json_object_set_new(spec, "lifetime",
		    json_integer(left > 0 ? left : 0));
	}
	ids = json_array();
	/* the evaluator acts for the system: root, an admin, adds them */
	if (rc == GR_OK && json_array_size(dids) > 0)
		rc = rule_add_in(t, "root", spec, ids, err);
	if (rc == GR_OK)
		rc = rule_remove(t, rec, false, now, err);
	json_decref(ids);
	json_decref(spec);
	json_decref(dids);
	json_decref(sets);
	return rc;
}

/*
 * One batch of an INJECT rule, in its own transaction: up to
 * GRIDREST_RULES_BATCH files placed, the position kept in the rule
 * ("inject_ds", "inject_after") with the locks and counters, so a killed
 * injector's successor goes on where the last commit ended and never
 * counts a lock twice. The last batch settles the rule's state.
 */
static int
inject_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct inj_args *a = arg;
	struct dslist d = { .t = t, .err = err };
	struct group g = { 0 };
	struct applier ap;
	json_t *rec = NULL, *did = NULL;
	const char *type, *scope, *name, *st;
	size_t batch = cfg.rules_batch > 0 ? cfg.rules_batch
					   : RULE_INJECT_BATCH;
	json_int_t ds;
	bool done = false;
	int rc;

	memset(&ap, 0, sizeof(ap));
	rc = rule_load(t, a->id, DB_RMW, &rec, err);
	if (rc == GR_RULE_NOT_FOUND) { /* deleted meanwhile */
		gr_clear(err);
		rc = GR_OK;
		goto out;
	}
	st = str_of(rec, "state");
	if (rc != GR_OK || st == NULL || *st != 'I')
		goto out;
	type = str_of(rec, "did_type");
	if (json_is_true(json_object_get(rec, "split_container")) &&
	    type != NULL && *type == 'C') {
		rc = split_container(t, rec, err);
		goto out;
	}
	applier_init(&ap, t, rec, err);
	rc = build_cands(&ap, rec, NULL, true);
	if (soft_failure(rc)) {
		rc = rule_failed(&ap, err);
		goto out;
	}
	type = str_of(rec, "did_type");
	scope = str_of(rec, "scope");
	name = str_of(rec, "name");
	ds = int_of(rec, "inject_ds");
	if (rc != GR_OK)
		goto out;
	if (type != NULL && *type == 'F') {
		char *text;

		if ((rc = did_load(t, scope, name, 0, &did, err)) != GR_OK)
			goto out;
		text = json_dumps(did, JSON_COMPACT);
		group_add(&g, scope, name, text, strlen(text));
		free(text);
		rc = place(&ap, NULL, NULL, &g, 0);
		done = true;
	} else if (type != NULL && *type == 'D') {
		if ((rc = files_from(t, scope, name,
			 json_object_get(rec, "inject_after"), batch, &g,
			 err)) != GR_OK)
			goto out;
		if (g.n == batch)
			rc = choose_dataset(&ap, scope, name);
		if (rc == GR_OK)
			rc = place(&ap, scope, name, &g, (json_int_t)g.n);
		done = g.n < batch;
		inject_mark(rec, &g, batch, 0);
	} else {
		if ((rc = ds_walk(&d, scope, name)) != GR_OK ||
		    (rc = choose_all(&ap, &d)) != GR_OK)
			goto fail;
		if ((size_t)ds < d.n) {
			if ((rc = files_from(t, d.scope[ds], d.name[ds],
				 json_object_get(rec, "inject_after"), batch,
				 &g, err)) != GR_OK)
				goto out;
			if (g.n == batch)
				rc = choose_dataset(&ap, d.scope[ds],
				    d.name[ds]);
			if (rc == GR_OK)
				rc = place(&ap, d.scope[ds], d.name[ds], &g,
				    (json_int_t)g.n);
			inject_mark(rec, &g, batch, ds);
		}
		done = int_of(rec, "inject_ds") >= (json_int_t)d.n;
	}
fail:
	if (soft_failure(rc)) {
		rc = rule_failed(&ap, err);
		goto out;
	}
	if (rc == GR_OK)
		rc = finish(&ap, 'I', done);
	/* a batch before the last need not wait for the disk: lost in a
	   crash, it is done again (the rule is INJECT where the log ends),
	   and the last batch's durable commit flushes the log with it */
	if (rc == GR_OK && !done)
		st_txn_lazy(t);
out:
	applier_free(&ap);
	group_free(&g);
	dslist_free(&d);
	json_decref(did);
	json_decref(rec);
	return rc;
}

/* The first INJECT rule whose time has come (delay_injection moves a
   rule's created_at ahead). */
static int
due_rule(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct inj_args *a = arg;
	const char *v;
	size_t vl;
	long long at = 0;

	(void)key;
	if (jsonx_member(val->data, val->size, "created_at", &v, &vl))
		(void)jsonx_member_int(v, vl, &at);
	if (at > time_now() || pkey->size != RULE_ID_LEN)
		return GR_OK;
	memcpy(a->id, pkey->data, RULE_ID_LEN);
	a->id[RULE_ID_LEN] = '\0';
	a->found = true;
	return ST_STOP;
}

static int
find_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct inj_args *a = arg;

	a->found = false;
	return st_scan_key(t, TBL_RULES_BY_STATE, "I", 1, due_rule, a, err);
}

int
rule_inject_step(bool *worked, struct gr_err *err)
{
	struct inj_args a = { .found = false };
	int rc;

	*worked = false;
	if ((rc = st_view(find_txn, &a, 0, err)) != GR_OK || !a.found)
		return rc;
	*worked = true;
	return st_txn_run(inject_txn, &a, err);
}

void
rule_evaluator_open(void)
{
	static const enum tbl_id used[] = { TBL_RULES, TBL_LOCKS,
		TBL_DATASET_LOCKS, TBL_RULE_HISTORY, TBL_REQUESTS, TBL_REPLICAS,
		TBL_CONTENTS, TBL_DIDS, TBL_RSES, TBL_RSE_ATTRS, TBL_ACCOUNTS,
		TBL_ACCOUNT_ATTRS, TBL_ACCOUNT_LIMITS, TBL_ACCOUNT_GLIMITS,
		TBL_ACCOUNT_USAGE, TBL_ACCOUNT_USAGE_HIST, TBL_RSE_USAGE,
		TBL_RSE_USAGE_HIST, TBL_MESSAGES, TBL_SEQS, TBL_SUBSCRIPTIONS };
	size_t i;

	for (i = 0; i < sizeof(used) / sizeof(used[0]); i++)
		(void)st_db(used[i]);
}

bool
rule_inject_due(void)
{
	struct inj_args a = { .found = false };
	struct gr_err err = { 0 };

	return st_view(find_txn, &a, 0, &err) == GR_OK && a.found;
}

/* --- the operator's re-evaluation ---------------------------------------- */

struct reeval_args {
	const char *scope, *name;
	json_t *kids;
};

static int
kid_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	json_t *kids = arg;
	char *s, *n;

	(void)pkey;
	(void)val;
	if (!key_did(key->data, key->size, 2, &s, &n))
		return GR_OK;
	json_array_append_new(kids,
	    json_pack("{s:s, s:s}", "scope", s, "name", n));
	free(s);
	free(n);
	return GR_OK;
}

static int
reeval_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct reeval_args *a = arg;
	char kbuf[KEY_MAX];
	json_t *did = NULL;
	const char *type;
	int rc;

	json_array_clear(a->kids);
	if ((rc = did_load(t, a->scope, a->name, 0, &did, err)) != GR_OK)
		return rc;
	type = str_of(did, "type");
	if (type == NULL || strcmp(type, "FILE") == 0)
		rc = gr_fail(err, GR_UNSUPPORTED_OPERATION,
		    "%s:%s is a file: re-evaluate its datasets", a->scope,
		    a->name);
	else
		rc = st_scan(t, TBL_CONTENTS, kbuf,
		    key_join(kbuf, sizeof(kbuf), a->scope, a->name, "",
			(char *)NULL),
		    NULL, kid_one, a->kids, err);
	if (rc == GR_OK && json_array_size(a->kids) > 0)
		rc = rule_on_attach(t, a->scope, a->name, type, a->kids, err);
	json_decref(did);
	return rc;
}

int
rule_reevaluate(const char *scope, const char *name, struct gr_err *err)
{
	struct reeval_args a = { scope, name, json_array() };
	int rc;

	if ((rc = did_check(scope, name, err)) == GR_OK)
		rc = st_txn_run(reeval_txn, &a, err);
	json_decref(a.kids);
	return rc;
}
