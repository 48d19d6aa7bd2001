/*
 * oauth.c -- DIRAC's OAuth2 (core). Clients in TBL_OAUTH_CLIENTS
 * (client_id -> {"client_id","name","redirect_uri","url","created_at"});
 * codes in TBL_OAUTH_CODES under the SHA-256 of the code; the tokens a code
 * gives carry the code's digest (TBL_TOKENS_BY_CODE), so that a replayed
 * code or a replayed refresh token revokes the whole family, as RFC 6749
 * 4.1.2 and 10.4 advise. Refresh tokens are spent, not deleted, for that
 * reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "cfg.h"
#include "identity.h"
#include "oauth.h"
#include "secret.h"
#include "tables.h"
#include "util.h"

json_t *
oauth_setups(void)
{
	json_t *out = json_array();
	const char *s = cfg.oauth_setups, *comma;

	while (s != NULL && *s != '\0') {
		size_t n;

		comma = strchr(s, ',');
		n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (n > 0)
			json_array_append_new(out, json_stringn(s, n));
		s = comma != NULL ? comma + 1 : NULL;
	}
	return out;
}

bool
oauth_setup_known(const char *setup)
{
	json_t *all = oauth_setups(), *v;
	size_t i;
	bool known = false;

	json_array_foreach(all, i, v)
		if (setup != NULL && strcmp(json_string_value(v), setup) == 0)
			known = true;
	json_decref(all);
	return known;
}

int
oauth_groups(const char *account, json_t **out, struct gr_err *err)
{
	json_t *attrs, *a;
	size_t i, plen = strlen(OAUTH_GROUP_ATTR);
	int rc;

	*out = NULL;
	if ((rc = account_attr_list(account, &attrs, err)) != GR_OK)
		return rc;
	*out = json_array();
	json_array_foreach(attrs, i, a) {
		const char *k = json_string_value(json_object_get(a, "key"));

		if (k != NULL && strncmp(k, OAUTH_GROUP_ATTR, plen) == 0 &&
		    k[plen] != '\0')
			json_array_append_new(*out, json_string(k + plen));
	}
	json_decref(attrs);
	return GR_OK;
}

/* An absolute http(s) URI without fragment, spaces or controls. */
static bool
uri_ok(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > OAUTH_REDIRECT_MAX)
		return false;
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == '#')
			return false;
	return s[strncmp(s, "https://", 8) == 0 ? 8 : 7] != '\0';
}

static bool
client_name_ok(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return utf8_valid(s, n);
}

struct client_args {
	const char *issuer;
	json_t *rec;
	bool dup;
};

static int
name_taken(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct client_args *a = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	const char *name = json_string_value(json_object_get(rec, "name"));

	(void)key;
	(void)pkey;
	if (name != NULL &&
	    strcmp(name, json_string_value(json_object_get(a->rec, "name"))) ==
		0)
		a->dup = true;
	json_decref(rec);
	return a->dup ? ST_STOP : GR_OK;
}

static int
client_add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct client_args *a = arg;
	const char *id = json_string_value(
	    json_object_get(a->rec, "client_id"));
	DBT key = st_dbt(id, strlen(id));
	int ret, rc;

	if (a->issuer != NULL &&
	    (rc = account_require_admin(t, a->issuer, "register OAuth2 clients",
		 err)) != GR_OK)
		return rc;
	a->dup = false;
	rc = st_scan(t, TBL_OAUTH_CLIENTS, NULL, 0, NULL, name_taken, a, err);
	if (rc != GR_OK)
		return rc;
	if (a->dup)
		return gr_fail(err, GR_DUPLICATE,
		    "an OAuth2 client named '%s' exists already",
		    json_string_value(json_object_get(a->rec, "name")));
	ret = st_put_json(t, TBL_OAUTH_CLIENTS, &key, a->rec, DB_NOOVERWRITE);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
oauth_client_add(const char *issuer, const char *name, const char *redirect_uri,
    const char *url, json_t **out, struct gr_err *err)
{
	struct client_args a = { .issuer = issuer };
	unsigned char rnd[16];
	char id[32];
	int rc;

	*out = NULL;
	if (!client_name_ok(name))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "a client name is 1 to 64 characters");
	if (!uri_ok(redirect_uri))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "redirect_uri must be an absolute http(s) URI without "
		    "fragment");
	if (url != NULL && !uri_ok(url))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "url must be an absolute http(s) URI");
	random_bytes(rnd, sizeof(rnd));
	base64url_encode(rnd, sizeof(rnd), id);
	a.rec = json_pack("{s:s, s:s, s:s, s:s?, s:I}", "client_id", id, "name",
	    name, "redirect_uri", redirect_uri, "url", url, "created_at",
	    (json_int_t)time_now());
	rc = st_txn_run(client_add_txn, &a, err);
	if (rc != GR_OK) {
		json_decref(a.rec);
		return rc;
	}
	json_object_del(a.rec, "created_at");
	*out = a.rec;
	return GR_OK;
}

struct check_args {
	const char *client_id;
	json_t *rec;
};

static int
client_get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct check_args *a = arg;
	DBT key = st_dbt(a->client_id, strlen(a->client_id));
	int ret;

	json_decref(a->rec);
	ret = st_get_json(t, TBL_OAUTH_CLIENTS, &key, &a->rec, 0);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_OAUTH_INVALID_CLIENT,
		    "unknown client_id");
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
oauth_client_check(const char *client_id, const char *redirect_uri,
    json_t **out, struct gr_err *err)
{
	struct check_args a = { client_id, NULL };
	const char *reg;
	int rc;

	*out = NULL;
	if (client_id == NULL || *client_id == '\0' || strlen(client_id) > 64)
		return gr_fail(err, GR_OAUTH_INVALID_CLIENT,
		    "unknown client_id");
	if ((rc = st_view(client_get_txn, &a, 0, err)) != GR_OK) {
		json_decref(a.rec);
		return rc;
	}
	reg = json_string_value(json_object_get(a.rec, "redirect_uri"));
	if (redirect_uri != NULL &&
	    (reg == NULL || strcmp(reg, redirect_uri) != 0)) {
		json_decref(a.rec);
		return gr_fail(err, GR_OAUTH_INVALID_REQUEST,
		    "redirect_uri does not match the client's registration");
	}
	*out = a.rec;
	return GR_OK;
}

/* A new random code/secret: base64url of 32 bytes (43 characters). */
static void
new_secret(char out[OAUTH_CODE_MAX])
{
	unsigned char rnd[32];

	random_bytes(rnd, sizeof(rnd));
	base64url_encode(rnd, sizeof(rnd), out);
	mem_wipe(rnd, sizeof(rnd));
}

struct code_args {
	unsigned char digest[SECRET_DIGEST_LEN];
	json_t *rec;
};

static int
code_put_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct code_args *a = arg;
	DBT key = st_dbt(a->digest, sizeof(a->digest));
	int ret, rc;

	if ((rc = account_check_active(t,
		 json_string_value(json_object_get(a->rec, "account")), err)) !=
	    GR_OK)
		return rc;
	ret = st_put_json(t, TBL_OAUTH_CODES, &key, a->rec, DB_NOOVERWRITE);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
oauth_code_issue(const struct oauth_consent *c, char out[OAUTH_CODE_MAX],
    struct gr_err *err)
{
	struct code_args a;
	int rc;

	new_secret(out);
	secret_digest(out, strlen(out), a.digest);
	a.rec = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:I, "
			  "s:b}",
	    "client_id", c->client_id, "account", c->account, "group", c->group,
	    "setup", c->setup, "scope", c->scope, "redirect_uri",
	    c->redirect_uri, "challenge", c->challenge, "lifetime",
	    (json_int_t)c->lifetime, "expires_at",
	    (json_int_t)(time_now() + OAUTH_CODE_TTL), "used", 0);
	rc = st_txn_run(code_put_txn, &a, err);
	json_decref(a.rec);
	if (rc != GR_OK)
		mem_wipe(out, OAUTH_CODE_MAX);
	return rc;
}

#define B64URL                                                                 \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* absent when NULL or "" */
static const char *
given(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

bool
oauth_pkce_request_ok(const char *challenge, const char *method)
{
	size_t i;

	challenge = given(challenge);
	method = given(method);
	if (challenge == NULL)
		return method == NULL;
	if (method != NULL && strcmp(method, "S256") != 0)
		return false;
	if (strlen(challenge) != 43)
		return false;
	for (i = 0; i < 43; i++)
		if (strchr(B64URL, challenge[i]) == NULL)
			return false;
	return true;
}

int
oauth_consent_grant(const struct oauth_grant_form *f, char out[OAUTH_CODE_MAX],
    bool *on_page, struct gr_err *err)
{
	char account[ACCOUNT_NAME_MAX + 1], accounts[GR_ERR_MSG_MAX];
	struct oauth_consent c = { 0 };
	json_t *groups = NULL, *setups = oauth_setups(), *g;
	long hours = 24;
	size_t i;
	bool member = false;
	int rc;

	*on_page = true;
	rc = identity_check_userpass(NULL, f->username, f->password, account,
	    err);
	if (rc != GR_OK) {
		/* the accounts are named only after a right password */
		(void)snprintf(accounts, sizeof(accounts), "%s", err->msg);
		gr_clear(err);
		rc = rc == GR_MULTIPLE_ACCOUNTS
		    ? gr_fail(err, GR_CANNOT_AUTHENTICATE,
			  "This login belongs to several accounts (%s) and "
			  "none of them is its default: an administrator must "
			  "make one the default.",
			  accounts)
		    : gr_fail(err, GR_CANNOT_AUTHENTICATE,
			  "Wrong username or password.");
		goto out;
	}
	if (given(f->lifetime_hours) != NULL &&
	    parse_long(f->lifetime_hours, 1, OAUTH_REFRESH_MAX / 3600,
		&hours) != 0) {
		rc = gr_fail(err, GR_INVALID_VALUE,
		    "The access time is a number of hours, 1 to %d.",
		    OAUTH_REFRESH_MAX / 3600);
		goto out;
	}
	*on_page = false;
	if ((rc = oauth_groups(account, &groups, err)) != GR_OK)
		goto out;
	c.group = given(f->group);
	json_array_foreach(groups, i, g)
		if (c.group == NULL ||
		    strcmp(json_string_value(g), c.group) == 0)
			member = true;
	if (c.group == NULL)
		c.group = json_string_value(json_array_get(groups, 0));
	if (!member && c.group != NULL) {
		*on_page = true;
		rc = gr_fail(err, GR_FORBIDDEN,
		    "Your account is not in that group.");
		goto out;
	}
	c.setup = json_string_value(json_array_get(setups, 0));
	if (c.setup == NULL)
		c.setup = "";
	c.client_id = f->client_id;
	c.redirect_uri = given(f->redirect_uri);
	c.account = account;
	c.scope = f->scope;
	c.challenge = given(f->challenge);
	c.lifetime = (int64_t)hours * 3600;
	rc = oauth_code_issue(&c, out, err);
out:
	json_decref(groups);
	json_decref(setups);
	return rc;
}

/* Issue an access token (and a refresh token when refresh_life > 0) for
   the grant in rec, inside the caller's transaction. */
static int
give_tokens(struct st_txn *t, const json_t *rec, const char *code_hex,
    int64_t refresh_life, struct oauth_tokens *out, struct gr_err *err)
{
	const char *account = json_string_value(
	    json_object_get(rec, "account"));
	struct token_grant g = {
		.group = json_string_value(json_object_get(rec, "group")),
		.setup = json_string_value(json_object_get(rec, "setup")),
		.client_id = json_string_value(
		    json_object_get(rec, "client_id")),
		.scope = json_string_value(json_object_get(rec, "scope")),
		.code = code_hex,
	};
	unsigned char digest[SECRET_DIGEST_LEN];
	int64_t exp;
	int rc;

	if (account == NULL)
		return gr_fail(err, GR_OAUTH_INVALID_GRANT, "broken grant");
	if ((rc = account_check_active(t, account, err)) != GR_OK) {
		gr_clear(err);
		return gr_fail(err, GR_OAUTH_INVALID_GRANT,
		    "the account of this grant is not active");
	}
	if ((rc = token_make(account, account, "oauth2", out->access, digest,
		 err)) != GR_OK ||
	    (rc = token_store(t, digest, account, account, cfg.token_lifetime,
		 &g, &exp, err)) != GR_OK)
		return rc;
	out->expires_in = cfg.token_lifetime;
	(void)snprintf(out->scope, sizeof(out->scope), "%s",
	    g.scope != NULL ? g.scope : "");
	out->refresh[0] = '\0';
	if (refresh_life <= 0)
		return GR_OK;
	g.kind = "refresh";
	if ((rc = token_make(account, account, "refresh", out->refresh, digest,
		 err)) != GR_OK)
		return rc;
	return token_store(t, digest, account, account, refresh_life, &g, &exp,
	    err);
}

/* PKCE S256: base64url(SHA-256(verifier)) == challenge (RFC 7636). */
static bool
pkce_ok(const char *verifier, const char *challenge)
{
	unsigned char d[SECRET_DIGEST_LEN];
	char enc[64];
	size_t i, n;

	if (verifier == NULL || (n = strlen(verifier)) < 43 || n > 128)
		return false;
	for (i = 0; i < n; i++) {
		char c = verifier[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.' ||
			c == '_' || c == '~'))
			return false;
	}
	secret_digest(verifier, n, d);
	base64url_encode(d, sizeof(d), enc);
	return strlen(enc) == strlen(challenge) &&
	    mem_ct_cmp(enc, challenge, strlen(enc)) == 0;
}

struct redeem_args {
	unsigned char digest[SECRET_DIGEST_LEN];
	char hex[2 * SECRET_DIGEST_LEN + 1];
	const char *client_id, *redirect_uri, *verifier;
	struct oauth_tokens *out;
	bool replayed;
};

static int
redeem_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct redeem_args *a = arg;
	DBT key = st_dbt(a->digest, sizeof(a->digest));
	json_t *rec = NULL;
	const char *client, *redirect, *challenge;
	int ret, rc;

	a->replayed = false;
	ret = st_get_json(t, TBL_OAUTH_CODES, &key, &rec, DB_RMW);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_OAUTH_INVALID_GRANT, "unknown code");
	if (ret != 0)
		return st_fail(err, ret);
	if (json_is_true(json_object_get(rec, "used"))) {
		/* a second use: what the first gave is revoked, and that
		   must commit, so the body succeeds and the caller fails */
		a->replayed = true;
		rc = token_revoke_code(t, a->hex, err);
		goto out;
	}
	client = json_string_value(json_object_get(rec, "client_id"));
	redirect = json_string_value(json_object_get(rec, "redirect_uri"));
	challenge = json_string_value(json_object_get(rec, "challenge"));
	if (client == NULL || strcmp(client, a->client_id) != 0) {
		rc = gr_fail(err, GR_OAUTH_INVALID_GRANT,
		    "the code was issued to another client");
	} else if (json_integer_value(json_object_get(rec, "expires_at")) <=
	    time_now()) {
		rc = gr_fail(err, GR_OAUTH_INVALID_GRANT, "the code expired");
	} else if (redirect != NULL &&
	    (a->redirect_uri == NULL ||
		strcmp(redirect, a->redirect_uri) != 0)) {
		rc = gr_fail(err, GR_OAUTH_INVALID_GRANT,
		    "redirect_uri differs from the authorization request's");
	} else if (challenge != NULL && !pkce_ok(a->verifier, challenge)) {
		rc = gr_fail(err, GR_OAUTH_INVALID_GRANT,
		    "code_verifier does not match the code_challenge");
	} else {
		json_object_set_new(rec, "used", json_true());
		ret = st_put_json(t, TBL_OAUTH_CODES, &key, rec, 0);
		rc = ret == 0
		    ? give_tokens(t, rec, a->hex,
			  json_integer_value(json_object_get(rec, "lifetime")),
			  a->out, err)
		    : st_fail(err, ret);
	}
out:
	json_decref(rec);
	return rc;
}

int
oauth_code_redeem(const char *code, const char *client_id,
    const char *redirect_uri, const char *verifier, struct oauth_tokens *out,
    struct gr_err *err)
{
	struct redeem_args a = { .client_id = client_id,
		.redirect_uri = redirect_uri,
		.verifier = verifier,
		.out = out };
	json_t *client;
	int rc;

	memset(out, 0, sizeof(*out));
	if (code == NULL || *code == '\0' || client_id == NULL)
		return gr_fail(err, GR_OAUTH_INVALID_REQUEST,
		    "code and client_id are required");
	if ((rc = oauth_client_check(client_id, NULL, &client, err)) != GR_OK)
		return rc;
	json_decref(client);
	if (strlen(code) >= OAUTH_CODE_MAX)
		return gr_fail(err, GR_OAUTH_INVALID_GRANT, "unknown code");
	secret_digest(code, strlen(code), a.digest);
	hex_encode(a.digest, sizeof(a.digest), a.hex);
	rc = st_txn_run(redeem_txn, &a, err);
	if (rc == GR_OK && a.replayed)
		rc = gr_fail(err, GR_OAUTH_INVALID_GRANT,
		    "the code was used before: what it gave is revoked");
	if (rc != GR_OK)
		mem_wipe(out, sizeof(*out));
	return rc;
}

struct refresh_args {
	const char *refresh, *client_id;
	struct oauth_tokens *out;
	bool replayed;
};

static int
refresh_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct refresh_args *a = arg;
	unsigned char digest[SECRET_DIGEST_LEN];
	json_t *rec = NULL;
	const char *kind, *client, *code;
	int64_t left;
	DBT key;
	int ret, rc;

	a->replayed = false;
	ret = token_load(t, a->refresh, digest, &rec);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_OAUTH_INVALID_GRANT,
		    "unknown refresh token");
	if (ret != 0)
		return st_fail(err, ret);
	kind = json_string_value(json_object_get(rec, "kind"));
	client = json_string_value(json_object_get(rec, "client_id"));
	code = json_string_value(json_object_get(rec, "code"));
	left = json_integer_value(json_object_get(rec, "expires_at")) -
	    time_now();
	if (kind != NULL && strcmp(kind, "spent") == 0 && code != NULL) {
		a->replayed = true;
		rc = token_revoke_code(t, code, err);
	} else if (kind == NULL || strcmp(kind, "refresh") != 0) {
		rc = gr_fail(err, GR_OAUTH_INVALID_GRANT,
		    "not a refresh token");
	} else if (client == NULL || a->client_id == NULL ||
	    strcmp(client, a->client_id) != 0) {
		rc = gr_fail(err, GR_OAUTH_INVALID_GRANT,
		    "the refresh token belongs to another client");
	} else if (left <= 0) {
		rc = gr_fail(err, GR_OAUTH_INVALID_GRANT,
		    "the refresh token expired");
	} else {
		/* spent, not deleted: a replay is recognised */
		json_object_set_new(rec, "kind", json_string("spent"));
		key = st_dbt(digest, sizeof(digest));
		ret = st_put_json(t, TBL_TOKENS, &key, rec, 0);
		/* the new refresh token ends when the old one would have */
		rc = ret == 0 ? give_tokens(t, rec, code, left, a->out, err)
			      : st_fail(err, ret);
	}
	json_decref(rec);
	return rc;
}

int
oauth_refresh(const char *refresh, const char *client_id,
    struct oauth_tokens *out, struct gr_err *err)
{
	struct refresh_args a = { refresh, client_id, out, false };
	int rc;

	memset(out, 0, sizeof(*out));
	if (refresh == NULL || *refresh == '\0')
		return gr_fail(err, GR_OAUTH_INVALID_REQUEST,
		    "refresh_token is required");
	rc = st_txn_run(refresh_txn, &a, err);
	if (rc == GR_OK && a.replayed)
		rc = gr_fail(err, GR_OAUTH_INVALID_GRANT,
		    "the refresh token was used before: its family is "
		    "revoked");
	if (rc != GR_OK)
		mem_wipe(out, sizeof(*out));
	return rc;
}

struct cc_args {
	json_t *rec; /* the grant */
	struct oauth_tokens *out;
};

static int
cc_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct cc_args *a = arg;

	return give_tokens(t, a->rec, NULL, 0, a->out, err);
}

int
oauth_dn_refused(int rc, struct gr_err *err)
{
	char names[GR_ERR_MSG_MAX];

	if (rc != GR_MULTIPLE_ACCOUNTS && rc != GR_CANNOT_AUTHENTICATE)
		return rc;
	(void)snprintf(names, sizeof(names), "%s", err->msg);
	gr_clear(err);
	if (rc == GR_MULTIPLE_ACCOUNTS)
		return gr_fail(err, GR_OAUTH_INVALID_CLIENT,
		    "the certificate's DN belongs to several accounts (%.180s) "
		    "and none of them is its default",
		    names);
	return gr_fail(err, GR_OAUTH_INVALID_CLIENT,
	    "the certificate's DN is not the identity of an active account");
}

int
oauth_client_credentials(const char *dn, const char *group, const char *setup,
    const char *scope, struct oauth_tokens *out, struct gr_err *err)
{
	char account[ACCOUNT_NAME_MAX + 1];
	struct cc_args a = { NULL, out };
	json_t *groups = NULL, *g;
	size_t i;
	bool member = false;
	char *list;
	int rc;

	memset(out, 0, sizeof(*out));
	if (group == NULL || *group == '\0' || setup == NULL || *setup == '\0')
		return gr_fail(err, GR_OAUTH_INVALID_REQUEST,
		    "group and setup are required");
	if (dn == NULL)
		return gr_fail(err, GR_OAUTH_INVALID_CLIENT,
		    "client_credentials needs a verified client certificate");
	if ((rc = identity_login("X509", NULL, dn, account, err)) != GR_OK)
		return oauth_dn_refused(rc, err);
	if ((rc = oauth_groups(account, &groups, err)) != GR_OK)
		return rc;
	json_array_foreach(groups, i, g)
		if (strcmp(json_string_value(g), group) == 0)
			member = true;
	if (!member) {
		list = json_dumps(groups, JSON_COMPACT);
		json_decref(groups);
		rc = gr_fail(err, GR_OAUTH_UNAUTHORIZED,
		    "group '%.40s' is not one of the account's groups: %.160s",
		    group, list != NULL ? list : "[]");
		free(list);
		return rc;
	}
	json_decref(groups);
	if (!oauth_setup_known(setup))
		return gr_fail(err, GR_OAUTH_UNAUTHORIZED,
		    "setup '%.40s' is unknown", setup);
	a.rec = json_pack("{s:s, s:s, s:s, s:s?}", "account", account, "group",
	    group, "setup", setup, "scope", scope);
	rc = st_txn_run(cc_txn, &a, err);
	json_decref(a.rec);
	return rc;
}
