/*
 * token.c -- issue and check tokens (core). TBL_TOKENS is keyed by the
 * SHA-256 of the token: {"account","identity","appid","created_at",
 * "expires_at"}. Expired tokens of an account are purged when it logs in.
 *
 * Each process keeps the tokens it validated lately (as the upstream
 * server caches them for 15 minutes), but never past a revocation: a
 * cached answer holds only while the store's ST_CHANGE_TOKENS counter is
 * what it was before the token was read, and for TOKEN_CACHE_TTL at most.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "secret.h"
#include "store_counter.h"
#include "tables.h"
#include "token.h"
#include "util.h"

/* Copy s into out (size n), keeping [A-Za-z0-9._@] and mapping the rest
   to '_': the token goes into headers and file names. */
static void
sanitize(const char *s, char *out, size_t n, const char *dflt)
{
	size_t i;

	if (s == NULL || *s == '\0')
		s = dflt;
	for (i = 0; s[i] != '\0' && i + 1 < n; i++) {
		char c = s[i];

		out[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '.' || c == '@')
		    ? c
		    : '_';
	}
	out[i] = '\0';
}

/* Expired tokens of an account, collected for purging at login. */
struct purge_args {
	int64_t now;
	size_t n;
	unsigned char keys[64][SECRET_DIGEST_LEN];
	const char *account;
};

static int
purge_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct purge_args *p = arg;
	json_t *rec;
	json_int_t exp;

	if (key->size != strlen(p->account) || pkey->size != SECRET_DIGEST_LEN)
		return GR_OK;
	rec = json_loadb(val->data, val->size, 0, NULL);
	exp = json_integer_value(json_object_get(rec, "expires_at"));
	json_decref(rec);
	if (exp <= p->now)
		memcpy(p->keys[p->n++], pkey->data, SECRET_DIGEST_LEN);
	return p->n < ARRAY_LEN(p->keys) ? GR_OK : ST_STOP;
}

int
token_make(const char *account, const char *identity, const char *appid,
    char out[TOKEN_MAX], unsigned char digest[SECRET_DIGEST_LEN],
    struct gr_err *err)
{
	char id[40], app[33], rnd[33];
	int n;

	sanitize(identity, id, sizeof(id), "unknown");
	sanitize(appid, app, sizeof(app), "unknown");
	secret_random_hex(rnd, 16);
	n = snprintf(out, TOKEN_MAX, "%s-%s-%s-%s", account, id, app, rnd);
	if (n < 0 || n >= TOKEN_MAX)
		return gr_fail(err, GR_INTERNAL, "token too long");
	secret_digest(out, (size_t)n, digest);
	return GR_OK;
}

int
token_store(struct st_txn *t, const unsigned char digest[SECRET_DIGEST_LEN],
    const char *account, const char *identity, int64_t lifetime,
    const struct token_grant *g, int64_t *expires_at, struct gr_err *err)
{
	struct purge_args p = { .now = time_now(), .account = account };
	json_t *rec;
	DBT key;
	size_t i;
	int ret, rc;

	/* as upstream, a login purges the account's expired tokens */
	rc = st_scan(t, TBL_TOKENS_BY_ACCOUNT, account, strlen(account), NULL,
	    purge_one, &p, err);
	if (rc != GR_OK)
		return rc;
	for (i = 0; i < p.n; i++) {
		key = st_dbt(p.keys[i], SECRET_DIGEST_LEN);
		if ((ret = st_del(t, TBL_TOKENS, &key)) != 0 &&
		    ret != DB_NOTFOUND)
			return st_fail(err, ret);
	}
	*expires_at = p.now + lifetime;
	rec = json_pack("{s:s, s:s, s:I, s:I}", "account", account, "identity",
	    identity != NULL ? identity : "", "created_at", (json_int_t)p.now,
	    "expires_at", (json_int_t)*expires_at);
	if (g != NULL) {
		const char *const kv[][2] = { { "kind", g->kind },
			{ "group", g->group }, { "setup", g->setup },
			{ "client_id", g->client_id }, { "scope", g->scope },
			{ "code", g->code } };

		for (i = 0; i < ARRAY_LEN(kv); i++)
			if (kv[i][1] != NULL)
				json_object_set_new(rec, kv[i][0],
				    json_string(kv[i][1]));
	}
	key = st_dbt(digest, SECRET_DIGEST_LEN);
	ret = st_put_json(t, TBL_TOKENS, &key, rec, DB_NOOVERWRITE);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
token_load(struct st_txn *t, const char *token,
    unsigned char digest[SECRET_DIGEST_LEN], json_t **rec)
{
	DBT key;
	size_t n = token != NULL ? strlen(token) : 0;

	*rec = NULL;
	if (n == 0 || n >= TOKEN_MAX)
		return DB_NOTFOUND;
	secret_digest(token, n, digest);
	key = st_dbt(digest, SECRET_DIGEST_LEN);
	return st_get_json(t, TBL_TOKENS, &key, rec, 0);
}

struct issue_args {
	unsigned char digest[SECRET_DIGEST_LEN];
	const char *account, *identity;
	int64_t lifetime, expires_at;
};

static int
issue_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct issue_args *a = arg;
	int rc;

	/* the status is read under the lock a suspension or deletion takes
	   to change it: no token outlives the revocation that follows */
	if ((rc = account_check_active(t, a->account, err)) != GR_OK) {
		gr_clear(err);
		return gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate to account %s with given credentials",
		    a->account);
	}
	return token_store(t, a->digest, a->account, a->identity, a->lifetime,
	    NULL, &a->expires_at, err);
}

int
token_issue(const char *account, const char *identity, const char *appid,
    int64_t lifetime, char out[TOKEN_MAX], int64_t *expires_at,
    struct gr_err *err)
{
	struct issue_args a = { .account = account,
		.identity = identity,
		.lifetime = lifetime };
	int rc;

	if ((rc = token_make(account, identity, appid, out, a.digest, err)) !=
	    GR_OK)
		return rc;
	rc = st_txn_run(issue_txn, &a, err);
	*expires_at = a.expires_at;
	if (rc != GR_OK)
		mem_wipe(out, TOKEN_MAX);
	return rc;
}

static void
copy_field(const json_t *rec, const char *name, char *out, size_t n)
{
	const char *v = json_string_value(json_object_get(rec, name));

	(void)snprintf(out, n, "%s", v != NULL ? v : "");
}

struct validate_args {
	unsigned char digest[SECRET_DIGEST_LEN];
	struct token_info *info;
};

/* --- the cache of validated tokens --- */

#define TOKEN_CACHE_SLOTS 128 /* direct-mapped by the digest */
#define TOKEN_CACHE_TTL   60  /* seconds */

static struct token_slot {
	unsigned char digest[SECRET_DIGEST_LEN];
	uint64_t changes; /* ST_CHANGE_TOKENS before the read */
	int64_t until;    /* 0: empty */
	struct token_info info;
} token_cache[TOKEN_CACHE_SLOTS];

static struct token_slot *
slot_of(const unsigned char digest[SECRET_DIGEST_LEN])
{
	return &token_cache[(digest[0] | digest[1] << 8) % TOKEN_CACHE_SLOTS];
}

static bool
cached(const unsigned char digest[SECRET_DIGEST_LEN], uint64_t changes,
    int64_t now, struct token_info *info)
{
	const struct token_slot *s = slot_of(digest);

	if (s->until <= now || s->info.expires_at <= now ||
	    s->changes != changes ||
	    memcmp(s->digest, digest, SECRET_DIGEST_LEN) != 0)
		return false;
	*info = s->info;
	return true;
}

static void
remember(const unsigned char digest[SECRET_DIGEST_LEN], uint64_t changes,
    int64_t now, const struct token_info *info)
{
	struct token_slot *s = slot_of(digest);

	memcpy(s->digest, digest, SECRET_DIGEST_LEN);
	s->changes = changes;
	s->until = now + TOKEN_CACHE_TTL;
	s->info = *info;
}

void
token_forget_all(void)
{
	mem_wipe(token_cache, sizeof(token_cache));
}

static int
validate_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct validate_args *a = arg;
	DBT key = st_dbt(a->digest, sizeof(a->digest));
	json_t *rec = NULL;
	const char *account, *identity, *kind;
	int ret, rc = GR_OK;

	ret = st_get_json(t, TBL_TOKENS, &key, &rec, 0);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate with given credentials");
	if (ret != 0)
		return st_fail(err, ret);
	account = json_string_value(json_object_get(rec, "account"));
	identity = json_string_value(json_object_get(rec, "identity"));
	kind = json_string_value(json_object_get(rec, "kind"));
	a->info->expires_at = json_integer_value(
	    json_object_get(rec, "expires_at"));
	if (account == NULL || a->info->expires_at <= time_now() ||
	    strlen(account) > ACCOUNT_NAME_MAX ||
	    (kind != NULL && strcmp(kind, "refresh") == 0)) {
		rc = gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate with given credentials");
	} else {
		memcpy(a->info->account, account, strlen(account) + 1);
		(void)snprintf(a->info->identity, sizeof(a->info->identity),
		    "%s", identity != NULL ? identity : "");
		copy_field(rec, "group", a->info->group,
		    sizeof(a->info->group));
		copy_field(rec, "setup", a->info->setup,
		    sizeof(a->info->setup));
		copy_field(rec, "client_id", a->info->client_id,
		    sizeof(a->info->client_id));
	}
	json_decref(rec);
	return rc;
}

int
token_validate(const char *token, struct token_info *info, struct gr_err *err)
{
	struct validate_args a = { .info = info };
	size_t n;

	uint64_t changes;
	int64_t now;
	int rc;

	memset(info, 0, sizeof(*info));
	if (token == NULL || (n = strlen(token)) == 0 || n >= TOKEN_MAX)
		return gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate with given credentials");
	secret_digest(token, n, a.digest);
	/* the counter first: a revocation after this read drops the copy */
	changes = st_changes(ST_CHANGE_TOKENS);
	now = time_now();
	if (cached(a.digest, changes, now, info))
		return GR_OK;
	rc = st_view(validate_txn, &a, ST_ONEREAD, err);
	if (rc == GR_OK)
		remember(a.digest, changes, now, info);
	return rc;
}

struct revoke_args {
	const char *skey; /* the index key: an account, or a code digest */
	size_t n, cap;
	unsigned char (*keys)[SECRET_DIGEST_LEN];
};

static int
revoke_collect(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct revoke_args *r = arg;

	(void)val;
	if (key->size != strlen(r->skey) || pkey->size != SECRET_DIGEST_LEN)
		return GR_OK;
	if (r->n == r->cap) {
		r->cap = r->cap != 0 ? 2 * r->cap : 16;
		r->keys = xrealloc(r->keys, r->cap * sizeof(*r->keys));
	}
	memcpy(r->keys[r->n++], pkey->data, SECRET_DIGEST_LEN);
	return GR_OK;
}

/* Delete every token an index (by account, by code) lists under skey. */
static int
revoke_by(struct st_txn *t, enum tbl_id idx, const char *skey,
    struct gr_err *err)
{
	struct revoke_args r = { .skey = skey };
	size_t i;
	DBT key;
	int ret, rc;

	/* collect first: deleting under an open cursor of the index would
	   move it */
	rc = st_scan(t, idx, skey, strlen(skey), NULL, revoke_collect, &r, err);
	for (i = 0; i < r.n && rc == GR_OK; i++) {
		key = st_dbt(r.keys[i], SECRET_DIGEST_LEN);
		ret = st_del(t, TBL_TOKENS, &key);
		if (ret != 0 && ret != DB_NOTFOUND)
			rc = st_fail(err, ret);
	}
	/* after the deletes, under their locks: every process's cached
	   copies of tokens go (a retried body only bumps it again) */
	if (r.n > 0)
		st_changed(ST_CHANGE_TOKENS);
	free(r.keys);
	return rc;
}

int
token_revoke_account(struct st_txn *t, const char *account, struct gr_err *err)
{
	return revoke_by(t, TBL_TOKENS_BY_ACCOUNT, account, err);
}

int
token_revoke_code(struct st_txn *t, const char *code_hex, struct gr_err *err)
{
	return revoke_by(t, TBL_TOKENS_BY_CODE, code_hex, err);
}
