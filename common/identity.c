/*
 * identity.c -- identities and their accounts (core).
 * TBL_IDENTITIES: TYPE \0 identity -> {"type","identity","email",
 *   "password": {pbkdf2 record} (USERPASS only), "created_at"}
 * TBL_IDMAP: TYPE \0 identity \0 account -> {"is_default","created_at"}
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "cfg.h"
#include "identity.h"
#include "secret.h"
#include "tables.h"
#include "util.h"
#include "valid.h"

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

bool
identity_valid(const char *identity)
{
	size_t n, i;

	if (identity == NULL || (n = strlen(identity)) == 0 ||
	    n > IDENTITY_MAX || !utf8_valid(identity, n))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)identity[i] < 0x20 || identity[i] == 0x7f)
			return false;
	return true;
}

struct ensure_args {
	const char *issuer; /* NULL: the admin tool */
	const char *type, *identity, *account, *email;
	const json_t *password; /* hashed, or NULL */
	bool is_default, created;
	bool exists_ok; /* an existing mapping is no error */
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
	if (a->issuer != NULL &&
	    (rc = account_require_admin(t, a->issuer, "add identity", err)) !=
		GR_OK)
		return rc;
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
	if (ret == DB_KEYEXIST && a->exists_ok)
		return GR_OK;
	if (ret == DB_KEYEXIST)
		return gr_fail(err, GR_DUPLICATE,
		    "Identity '%s' of type %s is already mapped to account "
		    "'%s'",
		    a->identity, a->type, a->account);
	if (ret != 0)
		return st_fail(err, ret);
	a->created = true;
	return GR_OK;
}

/*
 * X509 identities are kept in the grid's DN form, whatever form they came
 * in: the canonical identity, in buf, or the input itself for other types.
 * NULL when an X509 identity is no DN.
 */
static const char *
canonical(const char *type, const char *identity, char *buf, size_t size)
{
	if (type == NULL || strcmp(type, "X509") != 0)
		return identity;
	if (identity_dn_canonical(identity, buf, size) != 0)
		return NULL;
	return buf;
}

static int
add_common(struct ensure_args *a, const char *type, const char *password,
    struct gr_err *err)
{
	char dn[IDENTITY_MAX + 1];
	json_t *hash = NULL;
	int rc;

	if ((a->type = identity_type(type)) == NULL)
		return gr_fail(err, GR_IDENTITY_ERROR,
		    "identity type '%s' is not one of X509, GSS, USERPASS, "
		    "SSH, SAML, OIDC",
		    type != NULL ? type : "");
	if (identity_valid(a->identity) &&
	    (a->identity = canonical(a->type, a->identity, dn, sizeof(dn))) ==
		NULL)
		return gr_fail(err, GR_IDENTITY_ERROR,
		    "an X509 identity is a DN: /C=../O=../CN=.. or "
		    "CN=..,O=..,C=..");
	if (!identity_valid(a->identity))
		return gr_fail(err, GR_IDENTITY_ERROR,
		    "an identity is 1 to %d bytes of UTF-8 without control "
		    "characters",
		    IDENTITY_MAX);
	if (a->email != NULL && !valid_email(a->email))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating email: not an address");
	if (!valid_account(a->account))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", a->account);
	/* hash outside the transaction: it is slow by design */
	if (password != NULL && strcmp(a->type, "USERPASS") == 0 &&
	    secret_hash_password(password, cfg.pbkdf2_iter, &hash) != 0)
		return gr_fail(err, GR_INTERNAL, "cannot hash the password");
	a->password = hash;
	rc = st_txn_run(ensure_txn, a, err);
	json_decref(hash);
	return rc;
}

int
identity_ensure(const char *type, const char *identity, const char *account,
    const char *email, const char *password, bool is_default, bool *created,
    struct gr_err *err)
{
	struct ensure_args a = { .identity = identity,
		.account = account,
		.email = email,
		.is_default = is_default,
		.exists_ok = true };
	int rc;

	rc = add_common(&a, type, password, err);
	*created = a.created;
	return rc;
}

int
identity_add(const char *issuer, const char *account, const char *type,
    const char *identity, const char *email, const char *password,
    bool is_default, struct gr_err *err)
{
	struct ensure_args a = { .issuer = issuer,
		.identity = identity,
		.account = account,
		.email = email,
		.is_default = is_default };

	return add_common(&a, type, password, err);
}

struct login_args {
	const char *type; /* USERPASS, X509 */
	const char *account, *username;
	json_t *password;                    /* out: the stored hash */
	char resolved[ACCOUNT_NAME_MAX + 1]; /* out */
	int nmapped, ndefault;
	char only[ACCOUNT_NAME_MAX + 1], dflt[ACCOUNT_NAME_MAX + 1];
	char names[GR_ERR_MSG_MAX]; /* "a,b": every mapped account */
	struct st_txn *t;
};

static int
login_mapping(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct login_args *a = arg;
	json_t *rec;
	const char *p;
	size_t len, n;

	(void)pkey;
	p = key_part(key->data, key->size, 2, &len);
	if (p == NULL || len > ACCOUNT_NAME_MAX)
		return GR_OK;
	a->nmapped++;
	memcpy(a->only, p, len);
	a->only[len] = '\0';
	n = strlen(a->names);
	(void)snprintf(a->names + n, sizeof(a->names) - n, "%s%s",
	    n > 0 ? "," : "", a->only);
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
	a->names[0] = '\0';
	key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), a->type, a->username, (char *)NULL));
	ret = st_get_json(t, TBL_IDENTITIES, &key, &rec, 0);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate with given credentials");
	if (ret != 0)
		return st_fail(err, ret);
	a->password = json_incref(json_object_get(rec, "password"));
	json_decref(rec);
	if (a->account != NULL && *a->account != '\0') {
		klen = key_join(kbuf, sizeof(kbuf), a->type, a->username,
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
		klen = key_join(kbuf, sizeof(kbuf), a->type, a->username, "",
		    (char *)NULL);
		rc = st_scan(t, TBL_IDMAP, kbuf, klen, NULL, login_mapping, a,
		    err);
		if (rc != GR_OK)
			return rc;
		if (a->nmapped == 1)
			memcpy(a->resolved, a->only, sizeof(a->resolved));
		else if (a->ndefault == 1)
			memcpy(a->resolved, a->dflt, sizeof(a->resolved));
		else if (a->nmapped > 1)
			return gr_fail(err, GR_MULTIPLE_ACCOUNTS, "%s",
			    a->names);
		else
			return gr_fail(err, GR_CANNOT_AUTHENTICATE,
			    "Cannot authenticate with given credentials");
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
	struct login_args a = { .type = "USERPASS",
		.account = account,
		.username = username };
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
	if (rc != GR_OK && rc != GR_CANNOT_AUTHENTICATE &&
	    rc != GR_MULTIPLE_ACCOUNTS) {
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

struct del_args {
	const char *issuer, *account, *type, *identity;
};

static int
del_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const struct del_args *a = arg;
	char kbuf[KEY_MAX];
	DBT key;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "delete identity",
		 err)) != GR_OK)
		return rc;
	if ((rc = account_check_active(t, a->account, err)) != GR_OK)
		return rc;
	key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), a->type, a->identity, a->account,
		(char *)NULL));
	ret = st_del(t, TBL_IDMAP, &key);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_IDENTITY_ERROR,
		    "Identity '%s' of type %s is not mapped to account '%s'",
		    a->identity, a->type, a->account);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
identity_del(const char *issuer, const char *account, const char *type,
    const char *identity, struct gr_err *err)
{
	struct del_args a = { issuer, account, identity_type(type), identity };
	char dn[IDENTITY_MAX + 1];

	if (a.type == NULL)
		return gr_fail(err, GR_IDENTITY_ERROR,
		    "identity type '%s' is not one of X509, GSS, USERPASS, "
		    "SSH, SAML, OIDC",
		    type != NULL ? type : "");
	if (!identity_valid(identity) ||
	    (a.identity = canonical(a.type, identity, dn, sizeof(dn))) == NULL)
		return gr_fail(err, GR_IDENTITY_ERROR, "invalid identity");
	if (!valid_account(account))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", account);
	return st_txn_run(del_txn, &a, err);
}

struct list_args {
	const char *account;
	gr_emit_fn emit;
	void *ctx;
	struct st_txn *t;
	struct gr_err *err;
};

/* One mapping of the account (via the index): emit its identity. */
static int
list_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct list_args *a = arg;
	const char *type, *id;
	size_t tlen, ilen;
	char kbuf[KEY_MAX];
	json_t *rec = NULL, *item;
	DBT ikey;
	int ret, rc;

	(void)val;
	if (key->size != strlen(a->account))
		return GR_OK;
	type = key_part(pkey->data, pkey->size, 0, &tlen);
	id = key_part(pkey->data, pkey->size, 1, &ilen);
	if (type == NULL || id == NULL || tlen + ilen + 1 > sizeof(kbuf))
		return GR_OK;
	/* the identity record: TYPE \0 identity, a prefix of the mapping */
	memcpy(kbuf, pkey->data, tlen + 1 + ilen);
	ikey = st_dbt(kbuf, tlen + 1 + ilen);
	ret = st_get_json(a->t, TBL_IDENTITIES, &ikey, &rec, 0);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(a->err, ret);
	item = json_pack("{s:s%, s:s%, s:O}", "type", type, tlen, "identity",
	    id, ilen, "email",
	    json_object_get(rec, "email") != NULL
		? json_object_get(rec, "email")
		: json_null());
	rc = a->emit(item, a->ctx);
	json_decref(item);
	json_decref(rec);
	return rc;
}

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;
	int rc;

	a->t = t;
	a->err = err;
	if ((rc = account_check_active(t, a->account, err)) != GR_OK)
		return rc;
	return st_scan(t, TBL_IDMAP_BY_ACCOUNT, a->account, strlen(a->account),
	    NULL, list_one, a, err);
}

int
identity_list(const char *account, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	struct list_args a = { .account = account, .emit = emit, .ctx = ctx };

	if (!valid_account(account))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", account);
	return st_view(list_txn, &a, ST_ONCE, err);
}

struct accounts_args {
	const char *type, *identity;
	json_t *out;
};

static int
accounts_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct accounts_args *a = arg;
	const char *acc;
	size_t len;

	(void)pkey;
	(void)val;
	acc = key_part(key->data, key->size, 2, &len);
	if (acc != NULL)
		json_array_append_new(a->out, json_stringn(acc, len));
	return GR_OK;
}

static int
accounts_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct accounts_args *a = arg;
	char kbuf[KEY_MAX];
	size_t klen;

	json_array_clear(a->out);
	klen = key_join(kbuf, sizeof(kbuf), a->type, a->identity, "",
	    (char *)NULL);
	return st_scan(t, TBL_IDMAP, kbuf, klen, NULL, accounts_one, a, err);
}

int
identity_accounts(const char *type, const char *identity, json_t **out,
    struct gr_err *err)
{
	struct accounts_args a = { identity_type(type), identity, NULL };
	char dn[IDENTITY_MAX + 1];
	int rc;

	*out = NULL;
	if (a.type == NULL)
		return gr_fail(err, GR_VALUE_ERROR,
		    "Invalid identity type '%s': use X509, GSS, USERPASS, SSH, "
		    "SAML or OIDC",
		    type != NULL ? type : "");
	if (!identity_valid(identity) ||
	    (a.identity = canonical(a.type, identity, dn, sizeof(dn))) == NULL)
		return gr_fail(err, GR_IDENTITY_ERROR, "invalid identity");
	a.out = json_array();
	rc = st_view(accounts_txn, &a, 0, err);
	if (rc != GR_OK) {
		json_decref(a.out);
		return rc;
	}
	*out = a.out;
	return GR_OK;
}

int
identity_login(const char *type, const char *account, const char *identity,
    char resolved[ACCOUNT_NAME_MAX + 1], struct gr_err *err)
{
	struct login_args a = { .type = identity_type(type),
		.account = account,
		.username = identity };
	char dn[IDENTITY_MAX + 1];
	int rc;

	resolved[0] = '\0';
	if (a.type == NULL || strcmp(a.type, "USERPASS") == 0)
		return gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate with this identity type");
	if (!identity_valid(identity) ||
	    (a.username = canonical(a.type, identity, dn, sizeof(dn))) == NULL)
		return gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "Cannot authenticate with given credentials");
	rc = st_view(login_txn, &a, 0, err);
	json_decref(a.password);
	if (rc == GR_OK)
		memcpy(resolved, a.resolved, ACCOUNT_NAME_MAX + 1);
	return rc;
}

/* The value of an RFC 2253 attribute type in OpenSSL's slash form. */
static const char *
dn_attr_name(const char *name, size_t len)
{
	if ((len == 1 && strncasecmp(name, "E", 1) == 0) ||
	    (len == 5 && strncasecmp(name, "EMAIL", 5) == 0))
		return "emailAddress";
	return NULL;
}

int
identity_dn_canonical(const char *in, char *out, size_t size)
{
	const char *parts[64];
	size_t lens[64], n = 0, i, o = 0;
	const char *p, *start;

	if (in == NULL || *in == '\0')
		return -1;
	if (in[0] == '/') { /* already the grid's slash form */
		if (strlen(in) >= size)
			return -1;
		memcpy(out, in, strlen(in) + 1);
		return 0;
	}
	/* RFC 2253: most significant last, ',' separated, '\' escapes */
	for (p = start = in;; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == ',' || *p == '\0') {
			const char *b = start, *e = p;

			while (b < e && *b == ' ')
				b++;
			while (e > b && e[-1] == ' ')
				e--;
			if (e == b || n == ARRAY_LEN(parts) ||
			    memchr(b, '=', (size_t)(e - b)) == NULL)
				return -1;
			parts[n] = b;
			lens[n++] = (size_t)(e - b);
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	for (i = n; i-- > 0;) {
		const char *eq = memchr(parts[i], '=', lens[i]);
		size_t nlen = (size_t)(eq - parts[i]);
		const char *alias = dn_attr_name(parts[i], nlen);
		size_t j;

		if (o + 2 + (alias != NULL ? strlen(alias) : nlen) + lens[i] >=
		    size)
			return -1;
		out[o++] = '/';
		if (alias != NULL) {
			memcpy(out + o, alias, strlen(alias));
			o += strlen(alias);
		} else {
			memcpy(out + o, parts[i], nlen);
			o += nlen;
		}
		/* the value, unescaped */
		for (j = nlen; j < lens[i]; j++) {
			if (parts[i][j] == '\\' && j + 1 < lens[i])
				j++;
			out[o++] = parts[i][j];
		}
	}
	out[o] = '\0';
	return 0;
}

/* Length of a trailing "/CN=<digits>", "/CN=proxy" or "/CN=limited proxy"
   of dn[0..n), or 0. The first part of a DN is never cut. */
static size_t
proxy_suffix(const char *dn, size_t n)
{
	const char *slash = NULL, *v;
	size_t i, vlen;

	for (i = n; i > 0 && slash == NULL; i--)
		if (dn[i - 1] == '/')
			slash = dn + i - 1;
	if (slash == NULL || slash == dn || strncmp(slash, "/CN=", 4) != 0)
		return 0;
	v = slash + 4;
	vlen = n - (size_t)(v - dn);
	if ((vlen == 5 && memcmp(v, "proxy", 5) == 0) ||
	    (vlen == 13 && memcmp(v, "limited proxy", 13) == 0))
		return n - (size_t)(slash - dn);
	if (vlen == 0)
		return 0;
	for (i = 0; i < vlen; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return n - (size_t)(slash - dn);
}

void
identity_dn_strip_proxy(char *dn)
{
	size_t n = strlen(dn), cut;

	while ((cut = proxy_suffix(dn, n)) > 0) {
		n -= cut;
		dn[n] = '\0';
	}
}
