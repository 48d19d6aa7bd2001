/*
 * identity.c -- identities and their accounts (core).
 * TBL_IDENTITIES: TYPE \0 identity -> {"type","identity","email",
 *   "password": {pbkdf2 record} (USERPASS only), "created_at"}
 * TBL_IDMAP: TYPE \0 identity \0 account -> {"is_default","created_at"}
 */
#include <string.h>
#include <strings.h>

#include "account.h"
#include "cfg.h"
#include "identity.h"
#include "secret.h"
#include "tables.h"
#include "util.h"

const char *const identity_types[] = { "X509", "GSS", "USERPASS", "SSH", "SAML",
	"OIDC", NULL };

const char *
identity_type(const char *type)
{
	size_t i;

	if (type == NULL)
		return NULL;
	for (i = 0; identity_types[i] != NULL; i++)
		if (strcasecmp(type, identity_types[i]) == 0)
			return identity_types[i];
	return NULL;
}

struct ensure_args {
	const char *type, *identity, *account, *email;
	const json_t *password; /* hashed, or NULL */
	bool is_default, created;
};

static int
ensure_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct ensure_args *a = arg;
	char kbuf[KEY_MAX];
	DBT key;
	json_t *rec;
	int64_t now = time_now();
	int ret, rc;

	a->created = false;
	if ((rc = account_check_active(t, a->account, err)) != GR_OK)
		return rc;
	key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), a->type, a->identity, (char *)NULL));
	ret = st_exists(t, TBL_IDENTITIES, &key);
	if (ret == DB_NOTFOUND) {
		if (strcmp(a->type, "USERPASS") == 0 && a->password == NULL)
			return gr_fail(err, GR_IDENTITY_ERROR,
			    "a new USERPASS identity needs a password");
		rec = json_pack("{s:s, s:s, s:s?, s:O?, s:I}", "type", a->type,
		    "identity", a->identity, "email", a->email, "password",
		    a->password, "created_at", (json_int_t)now);
		ret = st_put_json(t, TBL_IDENTITIES, &key, rec, 0);
		json_decref(rec);
	}
	if (ret != 0)
		return st_fail(err, ret);
	key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), a->type, a->identity, a->account,
		(char *)NULL));
	rec = json_pack("{s:b, s:I}", "is_default", a->is_default, "created_at",
	    (json_int_t)now);
	ret = st_put_json(t, TBL_IDMAP, &key, rec, DB_NOOVERWRITE);
	json_decref(rec);
	if (ret == DB_KEYEXIST)
		return GR_OK;
	if (ret != 0)
		return st_fail(err, ret);
	a->created = true;
	return GR_OK;
}

int
identity_ensure(const char *type, const char *identity, const char *account,
    const char *email, const char *password, bool is_default, bool *created,
    struct gr_err *err)
{
	struct ensure_args a = { .identity = identity,
		.account = account,
		.email = email,
		.is_default = is_default };
	json_t *hash = NULL;
	int rc;

	*created = false;
	if ((a.type = identity_type(type)) == NULL)
		return gr_fail(err, GR_IDENTITY_ERROR,
		    "identity type '%s' is not one of X509, GSS, USERPASS, "
		    "SSH, SAML, OIDC",
		    type);
	if (identity == NULL || *identity == '\0' ||
	    strlen(identity) > IDENTITY_MAX ||
	    !utf8_valid(identity, strlen(identity)))
		return gr_fail(err, GR_IDENTITY_ERROR, "invalid identity");
	/* hash outside the transaction: it is slow by design */
	if (password != NULL &&
	    secret_hash_password(password, cfg.pbkdf2_iter, &hash) != 0)
		return gr_fail(err, GR_INTERNAL, "cannot hash the password");
	a.password = hash;
	rc = st_txn_run(ensure_txn, &a, err);
	json_decref(hash);
	*created = a.created;
	return rc;
}

struct login_args {
	const char *account, *username;
	json_t *password;                    /* out: the stored hash */
	char resolved[ACCOUNT_NAME_MAX + 1]; /* out */
	int nmapped, ndefault;
	char only[ACCOUNT_NAME_MAX + 1], dflt[ACCOUNT_NAME_MAX + 1];
	struct st_txn *t;
};

static int
login_mapping(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct login_args *a = arg;
	json_t *rec;
	const char *p;
	size_t len;

	(void)pkey;
	p = key_part(key->data, key->size, 2, &len);
	if (p == NULL || len > ACCOUNT_NAME_MAX)
		return GR_OK;
	a->nmapped++;
	memcpy(a->only, p, len);
	a->only[len] = '\0';
	rec = json_loadb(val->data, val->size, 0, NULL);
	if (json_is_true(json_object_get(rec, "is_default"))) {
		a->ndefault++;
		memcpy(a->dflt, a->only, len + 1);
	}
	json_decref(rec);
	return GR_OK;
}

static int
login_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct login_args *a = arg;
	char kbuf[KEY_MAX];
	size_t klen;
	json_t *rec = NULL;
	DBT key;
	int ret, rc;

	json_decref(a->password);
	a->password = NULL;
	a->nmapped = a->ndefault = 0;
	key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), "USERPASS", a->username,
		(char *)NULL));
	ret = st_get_json(t, TBL_IDENTITIES, &key, &rec, 0);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate with given credentials");
	if (ret != 0)
		return st_fail(err, ret);
	a->password = json_incref(json_object_get(rec, "password"));
	json_decref(rec);
	if (a->account != NULL && *a->account != '\0') {
		klen = key_join(kbuf, sizeof(kbuf), "USERPASS", a->username,
		    a->account, (char *)NULL);
		key = st_dbt(kbuf, klen);
		ret = st_exists(t, TBL_IDMAP, &key);
		if (ret == DB_NOTFOUND)
			return gr_fail(err, GR_CANNOT_AUTHENTICATE,
			    "Cannot authenticate to account %s with given "
			    "credentials",
			    a->account);
		if (ret != 0)
			return st_fail(err, ret);
		(void)snprintf(a->resolved, sizeof(a->resolved), "%s",
		    a->account);
	} else {
		klen = key_join(kbuf, sizeof(kbuf), "USERPASS", a->username, "",
		    (char *)NULL);
		rc = st_scan(t, TBL_IDMAP, kbuf, klen, NULL, login_mapping, a,
		    err);
		if (rc != GR_OK)
			return rc;
		if (a->nmapped == 1)
			memcpy(a->resolved, a->only, sizeof(a->resolved));
		else if (a->ndefault == 1)
			memcpy(a->resolved, a->dflt, sizeof(a->resolved));
		else
			return gr_fail(err, GR_CANNOT_AUTHENTICATE,
			    "Identity %s maps to %d accounts and none is the "
			    "default: name one in X-Rucio-Account",
			    a->username, a->nmapped);
	}
	rc = account_check_active(t, a->resolved, err);
	if (rc == GR_ACCOUNT_NOT_FOUND) {
		gr_clear(err);
		return gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate to account %s with given credentials",
		    a->resolved);
	}
	return rc;
}

int
identity_check_userpass(const char *account, const char *username,
    const char *password, char resolved[ACCOUNT_NAME_MAX + 1],
    struct gr_err *err)
{
	/* a fixed record to spend the same time on unknown identities */
	static json_t *decoy;
	struct login_args a = { .account = account, .username = username };
	int rc;

	resolved[0] = '\0';
	if (username == NULL || *username == '\0' || password == NULL ||
	    *password == '\0')
		return gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate without passing all required "
		    "arguments");
	if (strlen(username) > IDENTITY_MAX)
		return gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate with given credentials");
	rc = st_view(login_txn, &a, 0, err);
	if (rc != GR_OK && rc != GR_CANNOT_AUTHENTICATE) {
		json_decref(a.password);
		return rc;
	}
	if (a.password == NULL) {
		if (decoy == NULL)
			(void)secret_hash_password("decoy", cfg.pbkdf2_iter,
			    &decoy);
		(void)secret_check_password(decoy, password);
	} else if (!secret_check_password(a.password, password)) {
		gr_clear(err);
		rc = gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate with given credentials");
	}
	json_decref(a.password);
	if (rc == GR_OK)
		memcpy(resolved, a.resolved, ACCOUNT_NAME_MAX + 1);
	return rc;
}
