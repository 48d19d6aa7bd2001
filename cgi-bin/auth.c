/*
 * auth.c -- the auth family: /ping, /auth, /accounts (and later /oauth2,
 * /identities, /scopes, /token). Routes and handlers only: parse, call
 * core, answer.
 */
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "cfg.h"
#include "date.h"
#include "identity.h"
#include "scope.h"
#include "token.h"
#include "web.h"

#define CT_HTML "text/html; charset=utf-8" /* Flask's, for empty 200s */

/* GET /ping: the server version; no token. */
static int
auth_ping(struct web_req *r)
{
	return web_reply_json_new(r, 200,
	    json_pack("{s:s}", "version", GRIDREST_VERSION));
}

/* The token headers every successful /auth answer carries. */
static void
token_headers(struct web_req *r, const char *token, int64_t expires,
    const char *account)
{
	char date[DATE_RFC1123_LEN];

	web_add_header(r, "X-Rucio-Auth-Token", token);
	web_add_header(r, "X-Rucio-Auth-Token-Expires",
	    date_rfc1123(expires, date));
	web_add_header(r, "X-Rucio-Auth-Account", account);
	web_add_header(r, "Access-Control-Expose-Headers",
	    "X-Rucio-Auth-Token, X-Rucio-Auth-Token-Expires, "
	    "X-Rucio-Auth-Account, X-Rucio-Auth-Accounts");
	web_add_header(r, "Cache-Control", "no-store");
}

/* GET /auth/userpass: X-Rucio-Account, -Username, -Password -> token. */
static int
auth_userpass(struct web_req *r)
{
	char account[ACCOUNT_NAME_MAX + 1], token[TOKEN_MAX];
	const char *username = web_env(r, "HTTP_X_RUCIO_USERNAME");
	int64_t expires;
	int rc;

	rc = identity_check_userpass(web_env(r, "HTTP_X_RUCIO_ACCOUNT"),
	    username, web_env(r, "HTTP_X_RUCIO_PASSWORD"), account, &r->err);
	if (rc != GR_OK)
		return rc;
	rc = token_issue(account, username, web_env(r, "HTTP_X_RUCIO_APPID"),
	    cfg.token_lifetime, token, &expires, &r->err);
	if (rc != GR_OK)
		return rc;
	token_headers(r, token, expires, account);
	return web_reply_text(r, 200, "application/octet-stream", "", 0);
}

/* GET /auth/x509 (and /x509_proxy, /x509/webui): the verified client
   certificate's DN, proxy parts cut off, logs in to its account. */
static int
auth_x509(struct web_req *r)
{
	char account[ACCOUNT_NAME_MAX + 1], token[TOKEN_MAX];
	const char *cdn = web_client_dn(r);
	char *dn;
	int64_t expires;
	int rc;

	if (cdn == NULL)
		return gr_fail(&r->err, GR_CANNOT_AUTHENTICATE,
		    "Cannot get DN: no verified client certificate");
	dn = arena_strdup(&r->arena, cdn);
	identity_dn_strip_proxy(dn);
	rc = identity_login("X509", web_env(r, "HTTP_X_RUCIO_ACCOUNT"), dn,
	    account, &r->err);
	if (rc != GR_OK)
		return rc;
	rc = token_issue(account, dn, web_env(r, "HTTP_X_RUCIO_APPID"),
	    cfg.token_lifetime, token, &expires, &r->err);
	if (rc != GR_OK)
		return rc;
	token_headers(r, token, expires, account);
	return web_reply_text(r, 200, "application/octet-stream", "", 0);
}

/* GET /auth/validate: what the token in X-Rucio-Auth-Token stands for. */
static int
auth_validate(struct web_req *r)
{
	const char *token = web_env(r, "HTTP_X_RUCIO_AUTH_TOKEN");
	struct token_info info;
	struct tm tm;
	time_t t;
	char *body;
	int rc;

	if (token == NULL || *token == '\0')
		return gr_fail(&r->err, GR_VALUE_ERROR, "Token must be set.");
	if ((rc = token_validate(token, &info, &r->err)) != GR_OK)
		return rc;
	t = (time_t)info.expires_at;
	(void)gmtime_r(&t, &tm);
	/* Rucio answers the str() of a Python dict; clients only print it */
	body = arena_printf(&r->arena,
	    "{'account': '%s', 'identity': '%s', 'lifetime': "
	    "datetime.datetime(%d, %d, %d, %d, %d, %d), 'audience': None, "
	    "'authz_scope': None, 'vo': 'def'}",
	    info.account, info.identity, tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return web_reply_text(r, 200, "application/octet-stream", body,
	    strlen(body));
}

/* GET /accounts: a stream of {account, type, email}, filtered. */
static int
accounts_list(struct web_req *r)
{
	const char *keys[WEB_QUERY_MAX], *values[WEB_QUERY_MAX];
	struct account_filter f = { 0 };
	size_t i;
	int rc;

	for (i = 0; i < r->nquery; i++) {
		const char *k = r->query[i].key, *v = r->query[i].value;

		if (strcmp(k, "account") == 0)
			f.account = v;
		else if (strcmp(k, "account_type") == 0)
			f.type = v;
		else if (strcmp(k, "identity") == 0)
			f.identity = v;
		else if (strcmp(k, "access_token") != 0) {
			keys[f.nattrs] = k;
			values[f.nattrs++] = v;
		}
	}
	f.attr_keys = keys;
	f.attr_values = values;
	rc = account_list(&f, web_emit, r, &r->err);
	if (rc != GR_OK)
		return rc;
	return web_stream_end(r);
}

/* GET /accounts/whoami: 303 to the token's own account. */
static int
accounts_whoami(struct web_req *r)
{
	return web_reply_redirect(r, 303,
	    arena_printf(&r->arena, "/accounts/%s", r->issuer));
}

/* GET /accounts/{account} */
static int
accounts_get(struct web_req *r)
{
	json_t *acc;
	int rc;

	rc = account_get(web_param(r, "account"), &acc, &r->err);
	if (rc != GR_OK)
		return rc;
	return web_reply_json_new(r, 200, acc);
}

/* POST /accounts/{account} {"type", "email"} */
static int
accounts_add(struct web_req *r)
{
	const char *type, *email;
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_string(r, body, "type", true, &type)) == GR_OK &&
	    (rc = web_json_string(r, body, "email", true, &email)) == GR_OK)
		rc = account_add(r->issuer, web_param(r, "account"), type,
		    email, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* PUT /accounts/{account} {key: value, ...} */
static int
accounts_update(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	rc = account_update(r->issuer, web_param(r, "account"), body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* DELETE /accounts/{account}: status DELETED, tokens revoked. */
static int
accounts_delete(struct web_req *r)
{
	int rc;

	rc = account_delete(r->issuer, web_param(r, "account"), &r->err);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* GET /accounts/{account}/attr: [{"key", "value"}] */
static int
attrs_list(struct web_req *r)
{
	json_t *list;
	int rc;

	rc = account_attr_list(web_param(r, "account"), &list, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, list);
}

/* POST /accounts/{account}/attr/{key} {"value": ...}: the path's key wins
   over a "key" in the body, as upstream */
static int
attrs_add(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if (json_object_get(body, "value") == NULL)
		rc = gr_fail(&r->err, GR_KEY_ERROR, "'value' not defined");
	else
		rc = account_attr_add(r->issuer, web_param(r, "account"),
		    web_param(r, "key"), json_object_get(body, "value"),
		    &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* DELETE /accounts/{account}/attr/{key} */
static int
attrs_del(struct web_req *r)
{
	int rc;

	rc = account_attr_del(r->issuer, web_param(r, "account"),
	    web_param(r, "key"), &r->err);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* POST /accounts/{account}/identities {"identity", "authtype", "email",
   "password" (new USERPASS identities), "default"} */
static int
identities_add(struct web_req *r)
{
	const char *id, *type, *email, *pw;
	json_t *body;
	bool dflt;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_string(r, body, "identity", true, &id)) == GR_OK &&
	    (rc = web_json_string(r, body, "authtype", true, &type)) == GR_OK &&
	    (rc = web_json_string(r, body, "email", true, &email)) == GR_OK &&
	    (rc = web_json_string(r, body, "password", false, &pw)) == GR_OK &&
	    (rc = web_json_bool(r, body, "default", false, &dflt)) == GR_OK)
		rc = identity_add(r->issuer, web_param(r, "account"), type, id,
		    email, pw, dflt, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* GET /accounts/{account}/identities: a stream of {type, identity, email} */
static int
identities_list(struct web_req *r)
{
	int rc;

	rc = identity_list(web_param(r, "account"), web_emit, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* DELETE /accounts/{account}/identities {"identity", "authtype"} */
static int
identities_del(struct web_req *r)
{
	const char *id, *type;
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_string(r, body, "identity", true, &id)) == GR_OK &&
	    (rc = web_json_string(r, body, "authtype", true, &type)) == GR_OK)
		rc = identity_del(r->issuer, web_param(r, "account"), type, id,
		    &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* GET /identities/{identity*}/{type}/accounts and
   GET /identities/accounts?identity_key=&type=: account names */
static int
identities_accounts(struct web_req *r)
{
	const char *id = web_param(r, "identity"), *type = web_param(r, "type");
	json_t *list;
	int rc;

	if (id == NULL) {
		id = web_query(r, "identity_key");
		type = web_query(r, "type");
		if (id == NULL || type == NULL)
			return gr_fail(&r->err, GR_VALUE_ERROR,
			    "identity_key and type are both required");
	}
	rc = identity_accounts(type, id, &list, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, list);
}

/* PUT /identities/{account}/userpass: X-Rucio-Username, -Password, -Email */
static int
identities_put_userpass(struct web_req *r)
{
	const char *user = web_env(r, "HTTP_X_RUCIO_USERNAME");
	const char *pw = web_env(r, "HTTP_X_RUCIO_PASSWORD");
	const char *email = web_env(r, "HTTP_X_RUCIO_EMAIL");
	int rc;

	if (user == NULL || pw == NULL || email == NULL || *user == '\0' ||
	    *pw == '\0')
		return gr_fail(&r->err, GR_VALUE_ERROR,
		    "X-Rucio-Username, X-Rucio-Password and X-Rucio-Email are "
		    "required");
	rc = identity_add(r->issuer, web_param(r, "account"), "USERPASS", user,
	    email, pw, false, &r->err);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* PUT /identities/{account}/x509: the verified client certificate's DN */
static int
identities_put_x509(struct web_req *r)
{
	const char *dn = web_client_dn(r);
	const char *email = web_env(r, "HTTP_X_RUCIO_EMAIL");
	int rc;

	if (dn == NULL)
		return gr_fail(&r->err, GR_CANNOT_AUTHENTICATE,
		    "Cannot get DN: no verified client certificate");
	if (email == NULL)
		return gr_fail(&r->err, GR_VALUE_ERROR,
		    "X-Rucio-Email is required");
	rc = identity_add(r->issuer, web_param(r, "account"), "X509", dn, email,
	    NULL, false, &r->err);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* GET /scopes, /scopes/{account}/scopes, /accounts/{account}/scopes */
static int
scopes_list(struct web_req *r)
{
	json_t *list;
	int rc;

	rc = scope_list(web_param(r, "account"), &list, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, list);
}

/* GET /scopes/owner: [{"scope", "account"}] */
static int
scopes_owners(struct web_req *r)
{
	json_t *list;
	int rc;

	rc = scope_owners(&list, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, list);
}

/* POST /scopes/{account}/{scope}, /accounts/{account}/scopes/{scope} */
static int
scopes_add(struct web_req *r)
{
	int rc;

	rc = scope_add(r->issuer, web_param(r, "account"),
	    web_param(r, "scope"), &r->err);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* PUT /scopes/{account}/{scope}: the scope changes owner (201, as the
   client expects) */
static int
scopes_set_owner(struct web_req *r)
{
	int rc;

	rc = scope_set_owner(r->issuer, web_param(r, "account"),
	    web_param(r, "scope"), &r->err);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* clang-format off */
static const struct web_route auth_routes[] = {
	{ WEB_GET,	"/ping",			auth_ping,	WEB_PUBLIC },
	{ WEB_GET,	"/auth/userpass",		auth_userpass,	WEB_PUBLIC | WEB_ANY },
	{ WEB_GET,	"/auth/x509",			auth_x509,	WEB_PUBLIC | WEB_ANY },
	{ WEB_GET,	"/auth/x509/webui",		auth_x509,	WEB_PUBLIC | WEB_ANY },
	{ WEB_GET,	"/auth/x509_proxy",		auth_x509,	WEB_PUBLIC | WEB_ANY },
	{ WEB_GET,	"/auth/validate",		auth_validate,	WEB_PUBLIC | WEB_ANY },
	{ WEB_GET,	"/accounts",			accounts_list,	WEB_STREAM },
	{ WEB_GET,	"/accounts/whoami",		accounts_whoami, WEB_ANY },
	{ WEB_GET,	"/accounts/{account}",		accounts_get,	0 },
	{ WEB_POST,	"/accounts/{account}",		accounts_add,	WEB_ANY },
	{ WEB_PUT,	"/accounts/{account}",		accounts_update, WEB_ANY },
	{ WEB_DELETE,	"/accounts/{account}",		accounts_delete, WEB_ANY },
	{ WEB_GET,	"/accounts/{account}/attr",	attrs_list,	0 },
	{ WEB_POST,	"/accounts/{account}/attr/{key}", attrs_add,	WEB_ANY },
	{ WEB_DELETE,	"/accounts/{account}/attr/{key}", attrs_del,	WEB_ANY },
	{ WEB_GET,	"/accounts/{account}/identities", identities_list, WEB_STREAM },
	{ WEB_POST,	"/accounts/{account}/identities", identities_add, WEB_ANY },
	{ WEB_DELETE,	"/accounts/{account}/identities", identities_del, WEB_ANY },
	{ WEB_GET,	"/identities/accounts",		identities_accounts, 0 },
	{ WEB_PUT,	"/identities/{account}/userpass", identities_put_userpass, WEB_ANY },
	{ WEB_PUT,	"/identities/{account}/x509",	identities_put_x509, WEB_ANY },
	{ WEB_GET,	"/identities/{identity*}/{type}/accounts", identities_accounts, 0 },
	{ WEB_GET,	"/accounts/{account}/scopes",	scopes_list,	0 },
	{ WEB_POST,	"/accounts/{account}/scopes/{scope}", scopes_add, WEB_ANY },
	{ WEB_GET,	"/scopes",			scopes_list,	0 },
	{ WEB_GET,	"/scopes/owner",		scopes_owners,	0 },
	{ WEB_GET,	"/scopes/{account}/scopes",	scopes_list,	0 },
	{ WEB_POST,	"/scopes/{account}/{scope}",	scopes_add,	WEB_ANY },
	{ WEB_PUT,	"/scopes/{account}/{scope}",	scopes_set_owner, WEB_ANY },
	{ 0, NULL, NULL, 0 }
};
/* clang-format on */

int
main(void)
{
	return web_main("auth", auth_routes);
}
