/*
 * auth.c -- the auth family: /ping, /auth (Rucio's token routes), /token
 * (DRMAAtic's token exchange), /oauth2 (DIRAC's authorization server),
 * /accounts with their attributes, identities, scopes, limits, usage and
 * rules, /identities and /scopes; lighttpd sends it every path no other
 * family claims, which it answers with a JSON 404. Routes and handlers
 * only: parse, call core, answer.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "rule.h"
#include "cfg.h"
#include "date.h"
#include "exchange.h"
#include "identity.h"
#include "jsonx.h"
#include "limit.h"
#include "oauth.h"
#include "template.h"
#include "scope.h"
#include "token.h"
#include "store_repl.h"
#include "usage.h"
#include "util.h"
#include "web.h"

#define CT_HTML "text/html; charset=utf-8" /* Flask's, for empty 200s */

/* GET /ping: the server version; no token. */
static int
auth_ping(struct web_req *r)
{
	return web_reply_json_new(r, 200,
	    json_pack("{s:s}", "version", GRIDREST_VERSION));
}

/*
 * GET /health: this node's part in the replication group, no token (for
 * load balancers): 200 when it serves -- the master, or a replica that
 * knows its master and caught up with it -- else 503, with the same body.
 * A node without replication is its own master.
 */
static int
auth_health(struct web_req *r)
{
	json_t *o = st_repl_status();
	const char *role;
	bool ok;

	if (o == NULL)
		return web_reply_json_new(r, 200,
		    json_pack("{s:s,s:b,s:s}", "role", "master", "replicated",
			false, "version", GRIDREST_VERSION));
	role = json_string_value(json_object_get(o, "role"));
	ok = role != NULL &&
	    (strcmp(role, "master") == 0 ||
		(strcmp(role, "replica") == 0 &&
		    json_is_true(json_object_get(o, "caught_up")) &&
		    json_is_string(json_object_get(o, "master"))));
	json_object_set_new(o, "replicated", json_true());
	json_object_set_new(o, "version", json_string(GRIDREST_VERSION));
	return web_reply_json_new(r, ok ? 200 : 503, o);
}

/* The token headers every successful /auth answer carries. */
static void
add_token_headers(struct web_req *r, const char *token, int64_t expires,
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

/* Rucio's 206: the identity has several accounts and none was named or is
   the default; the client is told which (r->err.msg holds "a,b"). */
static int
multiple_accounts(struct web_req *r)
{
	json_t *list = json_array();
	const char *s = r->err.msg, *comma;

	while (*s != '\0') {
		comma = strchr(s, ',');
		json_array_append_new(list,
		    json_stringn(s,
			comma != NULL ? (size_t)(comma - s) : strlen(s)));
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	web_add_header(r, "X-Rucio-Auth-Accounts", r->err.msg);
	web_add_header(r, "Access-Control-Expose-Headers",
	    "X-Rucio-Auth-Token, X-Rucio-Auth-Token-Expires, "
	    "X-Rucio-Auth-Account, X-Rucio-Auth-Accounts");
	gr_clear(&r->err);
	return web_reply_json_new(r, 206, list);
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
	if (rc == GR_MULTIPLE_ACCOUNTS)
		return multiple_accounts(r);
	if (rc != GR_OK)
		return rc;
	rc = token_issue(account, username, web_env(r, "HTTP_X_RUCIO_APPID"),
	    cfg.token_lifetime, token, &expires, &r->err);
	if (rc != GR_OK)
		return rc;
	add_token_headers(r, token, expires, account);
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
	if (rc == GR_MULTIPLE_ACCOUNTS) {
		const char *allow = web_env(r,
		    "HTTP_X_RUCIO_ALLOW_RETURN_MULTIPLE_ACCOUNTS");

		if (allow != NULL && strcasecmp(allow, "true") == 0)
			return multiple_accounts(r);
		gr_clear(&r->err);
		return gr_fail(&r->err, GR_CANNOT_AUTHENTICATE,
		    "the certificate's DN maps to several accounts and none "
		    "is the default: name one in X-Rucio-Account");
	}
	if (rc != GR_OK)
		return rc;
	rc = token_issue(account, dn, web_env(r, "HTTP_X_RUCIO_APPID"),
	    cfg.token_lifetime, token, &expires, &r->err);
	if (rc != GR_OK)
		return rc;
	add_token_headers(r, token, expires, account);
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

/* GET /accounts/{account}/rules: a stream of the account's rules */
static int
accounts_rules(struct web_req *r)
{
	int rc;

	rc = rule_list_account(web_param(r, "account"), web_emit, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* Limits and usage may hold Infinity (jsonx.h): a JSON answer... */
static int
reply_inf(struct web_req *r, json_t *body)
{
	struct sbuf b = { 0 };
	int rc;

	jsonx_text(&b, body);
	json_decref(body);
	rc = web_reply_text(r, 200, "application/json", b.s, b.len);
	sbuf_free(&b);
	return rc;
}

/* ... and a stream's item (the gr_emit_fn, ctx = r). */
static int
emit_inf(json_t *item, void *ctx)
{
	struct sbuf b = { 0 };
	int rc;

	jsonx_text(&b, item);
	rc = web_emit_text(b.s, b.len, ctx);
	sbuf_free(&b);
	return rc;
}

/* GET /accounts/{a}/limits[/local][/{rse}]: {rse: bytes} */
static int
limits_local_get(struct web_req *r)
{
	json_t *out;
	int rc;

	rc = limit_local_get(web_param(r, "account"), web_param(r, "rse"), &out,
	    &r->err);
	return rc != GR_OK ? rc : reply_inf(r, out);
}

/* GET /accounts/{a}/limits/global[/{expr}] */
static int
limits_global_get(struct web_req *r)
{
	json_t *out;
	int rc;

	rc = limit_global_get(web_param(r, "account"), web_param(r, "expr"),
	    &out, &r->err);
	return rc != GR_OK ? rc : reply_inf(r, out);
}

/* GET /accounts/{a}/usage[/local][/{rse}]: stream of local usage rows */
static int
accounts_usage_local(struct web_req *r)
{
	int rc;

	rc = account_usage_local(r->issuer, web_param(r, "account"),
	    web_param(r, "rse"), emit_inf, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /accounts/{a}/usage/global[/{expr}]: stream of global usage rows */
static int
accounts_usage_global(struct web_req *r)
{
	int rc;

	rc = account_usage_global(r->issuer, web_param(r, "account"),
	    web_param(r, "expr"), emit_inf, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /accounts/{a}/usage/history/{rse}: [{bytes, files, updated_at}] */
static int
accounts_usage_history(struct web_req *r)
{
	json_t *out;
	int rc;

	rc = account_usage_history(r->issuer, web_param(r, "account"),
	    web_param(r, "rse"), &out, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* POST /accounts/{a}/limits/local/{rse} and .../global/{expr}
   {"bytes": n}: insert or replace */
static int
limits_set(struct web_req *r)
{
	const char *rse = web_param(r, "rse");
	const json_t *bytes;
	json_t *body;
	int rc;

	if ((rc = web_body_member(r, "bytes", &body, &bytes)) != GR_OK)
		return rc;
	if (rse != NULL)
		rc = limit_local_set(r->issuer, web_param(r, "account"), rse,
		    bytes, &r->err);
	else
		rc = limit_global_set(r->issuer, web_param(r, "account"),
		    web_param(r, "expr"), bytes, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* DELETE /accounts/{a}/limits/local/{rse} and .../global/{expr} */
static int
limits_del(struct web_req *r)
{
	const char *rse = web_param(r, "rse");
	int rc;

	if (rse != NULL)
		rc = limit_local_del(r->issuer, web_param(r, "account"), rse,
		    &r->err);
	else
		rc = limit_global_del(r->issuer, web_param(r, "account"),
		    web_param(r, "expr"), &r->err);
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
	const json_t *value;
	json_t *body;
	int rc;

	if ((rc = web_body_member(r, "value", &body, &value)) != GR_OK)
		return rc;
	rc = account_attr_add(r->issuer, web_param(r, "account"),
	    web_param(r, "key"), value, &r->err);
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

/*
 * DIRAC's OAuth2 (/oauth2). Parameters come in the query or a form body
 * (GET and POST alike); errors are RFC 6749 JSON (WEB_OAUTH).
 */

/* GET /oauth2/setups */
static int
oauth2_setups(struct web_req *r)
{
	return web_reply_json_new(r, 200,
	    json_pack("{s:o}", "setups", oauth_setups()));
}

/* GET /oauth2/groups: the groups of the client certificate's account */
static int
oauth2_groups(struct web_req *r)
{
	char account[ACCOUNT_NAME_MAX + 1];
	const char *dn = web_client_dn(r);
	json_t *groups;
	int rc;

	if (dn == NULL)
		return gr_fail(&r->err, GR_OAUTH_INVALID_CLIENT,
		    "a verified client certificate is required");
	if ((rc = identity_login("X509", NULL, dn, account, &r->err)) != GR_OK)
		return oauth_dn_refused(rc, &r->err);
	if ((rc = oauth_groups(account, &groups, &r->err)) != GR_OK)
		return rc;
	return web_reply_json_new(r, 200, json_pack("{s:o}", "groups", groups));
}

/* The token answer: both DIRAC's "token" and the standard keys. */
static int
reply_tokens(struct web_req *r, const struct oauth_tokens *t)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "access_token", t->access,
	    "token", t->access, "token_type", "bearer", "expires_in",
	    (json_int_t)t->expires_in);

	if (t->refresh[0] != '\0')
		json_object_set_new(o, "refresh_token",
		    json_string(t->refresh));
	if (t->scope[0] != '\0')
		json_object_set_new(o, "scope", json_string(t->scope));
	web_add_header(r, "Cache-Control", "no-store");
	web_add_header(r, "Pragma", "no-cache");
	return web_reply_json_new(r, 200, o);
}

/* GET|POST /oauth2/token */
static int
oauth2_token(struct web_req *r)
{
	struct oauth_tokens t;
	const char *grant;
	int rc;

	if (r->method == WEB_POST && (rc = web_read_form(r)) != GR_OK)
		return rc;
	grant = web_query(r, "grant_type");
	if (grant == NULL || *grant == '\0')
		return gr_fail(&r->err, GR_OAUTH_INVALID_REQUEST,
		    "grant_type is required");
	if (strcmp(grant, "client_credentials") == 0)
		rc = oauth_client_credentials(web_client_dn(r),
		    web_query(r, "group"), web_query(r, "setup"),
		    web_query(r, "scope"), &t, &r->err);
	else if (strcmp(grant, "authorization_code") == 0)
		rc = oauth_code_redeem(web_query(r, "code"),
		    web_query(r, "client_id"), web_query(r, "redirect_uri"),
		    web_query(r, "code_verifier"), &t, &r->err);
	else if (strcmp(grant, "refresh_token") == 0)
		rc = oauth_refresh(web_query(r, "refresh_token"),
		    web_query(r, "client_id"), &t, &r->err);
	else
		return gr_fail(&r->err, GR_OAUTH_UNSUPPORTED_GRANT,
		    "grant_type %.40s is not supported", grant);
	if (rc != GR_OK)
		return rc;
	rc = reply_tokens(r, &t);
	mem_wipe(&t, sizeof(t));
	return rc;
}

/* GET /oauth2/userinfo: who the bearer token stands for */
static int
oauth2_userinfo(struct web_req *r)
{
	json_t *acc, *email, *o;
	int rc;

	if ((rc = account_get(r->issuer, &acc, &r->err)) != GR_OK)
		return rc;
	email = json_object_get(acc, "email");
	o = json_pack("{s:s, s:s, s:O, s:b}", "sub", r->issuer,
	    "preferred_username", r->issuer, "email",
	    email != NULL ? email : json_null(), "email_verified",
	    json_is_string(email));
	if (r->group != NULL && *r->group != '\0')
		json_object_set_new(o, "group", json_string(r->group));
	if (r->setup != NULL && *r->setup != '\0')
		json_object_set_new(o, "setup", json_string(r->setup));
	json_decref(acc);
	return web_reply_json_new(r, 200, o);
}

/* POST /oauth2/clients {"name", "redirect_uri", "url"}: admins */
static int
oauth2_client_add(struct web_req *r)
{
	const char *name, *redirect, *url;
	json_t *body, *out = NULL;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_string(r, body, "name", true, &name)) == GR_OK &&
	    (rc = web_json_string(r, body, "redirect_uri", true, &redirect)) ==
		GR_OK &&
	    (rc = web_json_string(r, body, "url", false, &url)) == GR_OK)
		rc = oauth_client_add(r->issuer, name, redirect, url, &out,
		    &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_json_new(r, 201, out);
}

/* The consent page (share/gridrest/oauth2-consent.html): a login form for
   the account's password, the group and lifetime asked for, Grant and
   Deny; error, when not NULL, says why the form is back. */
static int
consent_page(struct web_req *r, int status, const json_t *client,
    const char *error)
{
	const char *lifetime = web_query(r, "lifetime"), *text;
	const struct tmpl_var vars[] = {
		{ "client_name",
		    json_string_value(json_object_get(client, "name")) },
		{ "error", error },
		{ "client_id", web_query(r, "client_id") },
		{ "redirect_uri", web_query(r, "redirect_uri") },
		{ "state", web_query(r, "state") },
		{ "scope", web_query(r, "scope") },
		{ "code_challenge", web_query(r, "code_challenge") },
		{ "code_challenge_method",
		    web_query(r, "code_challenge_method") },
		{ "group", web_query(r, "group") },
		{ "lifetime", lifetime != NULL ? lifetime : "24" },
	};
	char *page;
	int rc;

	if ((rc = tmpl_load("oauth2-consent.html", &text, &r->err)) != GR_OK ||
	    (rc = tmpl_render(&r->arena, text, vars, ARRAY_LEN(vars), &page,
		 &r->err)) != GR_OK)
		return rc;
	web_add_header(r, "Cache-Control", "no-store");
	web_add_header(r, "X-Frame-Options", "DENY");
	/* no form-action: browsers apply it to the redirect to the client */
	web_add_header(r, "Content-Security-Policy",
	    "default-src 'none'; frame-ancestors 'none'");
	return web_reply_text(r, status, CT_HTML, page, strlen(page));
}

/* A plain HTML error for what cannot be sent back to the client: an
   unknown client or a redirect URI that is not the registered one. */
static int
auth_error_page(struct web_req *r)
{
	char *page = arena_printf(&r->arena,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>gridrest: authorisation error</title></head><body>\n"
	    "<h1>This authorisation request is not valid</h1>\n"
	    "<p id=\"error\">%s: %s</p></body></html>\n",
	    web_html(r, gr_err_class(r->err.code)), web_html(r, r->err.msg));

	web_add_header(r, "Cache-Control", "no-store");
	return web_reply_text(r, gr_err_status(r->err.code), CT_HTML, page,
	    strlen(page));
}

/* 302 back to the client with the answer in the query. */
static int
back_to_client(struct web_req *r, const char *redirect, const char *params)
{
	const char *state = web_query(r, "state");

	return web_reply_redirect(r, 302,
	    arena_printf(&r->arena, "%s%c%s%s%s", redirect,
		strchr(redirect, '?') != NULL ? '&' : '?', params,
		state != NULL ? "&state=" : "",
		state != NULL ? web_urlencode(r, state) : ""));
}

/* GET /oauth2/auth: the consent page; POST: its answer. The rules of the
   grant (PKCE, the password, the group, the code) are oauth.c's. */
static int
oauth2_auth(struct web_req *r)
{
	struct oauth_grant_form f = { 0 };
	const char *redirect, *rtype, *action, *why;
	char code[OAUTH_CODE_MAX];
	json_t *client = NULL;
	bool on_page;
	int rc;

	if (r->method == WEB_POST && (rc = web_read_form(r)) != GR_OK)
		return rc;
	f.client_id = web_query(r, "client_id");
	f.redirect_uri = web_query(r, "redirect_uri");
	if (f.redirect_uri != NULL && *f.redirect_uri == '\0')
		f.redirect_uri = NULL;
	/* until the client and its redirect URI are known good, nothing is
	   sent back to them */
	if (oauth_client_check(f.client_id, f.redirect_uri, &client, &r->err) !=
	    GR_OK)
		return auth_error_page(r);
	redirect = f.redirect_uri != NULL
	    ? f.redirect_uri
	    : arena_strdup(&r->arena,
		  json_string_value(json_object_get(client, "redirect_uri")));
	rtype = web_query(r, "response_type");
	action = web_query(r, "action");
	f.challenge = web_query(r, "code_challenge");
	if (rtype == NULL || strcmp(rtype, "code") != 0) {
		rc = back_to_client(r, redirect,
		    rtype == NULL ? "error=invalid_request"
				  : "error=unsupported_response_type");
	} else if (!oauth_pkce_request_ok(f.challenge,
		       web_query(r, "code_challenge_method"))) {
		rc = back_to_client(r, redirect,
		    "error=invalid_request&error_description="
		    "PKCE%20needs%20S256%20and%20a%2043-character%20challenge");
	} else if (r->method == WEB_GET) {
		rc = consent_page(r, 200, client, NULL);
	} else if (action == NULL || strcmp(action, "grant") != 0) {
		rc = back_to_client(r, redirect, "error=access_denied");
	} else {
		f.username = web_query(r, "username");
		f.password = web_query(r, "password");
		f.group = web_query(r, "group");
		f.lifetime_hours = web_query(r, "lifetime");
		f.scope = web_query(r, "scope");
		rc = oauth_consent_grant(&f, code, &on_page, &r->err);
		if (rc == GR_OK) {
			rc = back_to_client(r, redirect,
			    arena_printf(&r->arena, "code=%s", code));
		} else if (on_page) {
			why = arena_strdup(&r->arena, r->err.msg);
			gr_clear(&r->err);
			rc = consent_page(r, gr_err_status(rc), client, why);
		}
	}
	json_decref(client);
	return rc;
}

/* GET /token/{username} with Authorization: Bearer <the provider's token>:
   the DRMAA portals' exchange for a gridrest token */
static int
tokens_exchange(struct web_req *r)
{
	const char *auth = web_env(r, "HTTP_AUTHORIZATION");
	char token[TOKEN_MAX];
	int64_t expires;
	json_t *o;
	int rc;

	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0)
		auth += 7;
	else
		auth = NULL;
	while (auth != NULL && *auth == ' ')
		auth++;
	rc = exchange_token(web_param(r, "username"), auth, token, &expires,
	    &r->err);
	if (rc != GR_OK)
		return rc;
	o = json_pack("{s:s, s:s, s:s, s:I}", "user_source",
	    cfg.exchange_source, "user_name", web_param(r, "username"),
	    "access_token", token, "expires_in",
	    (json_int_t)cfg.token_lifetime);
	mem_wipe(token, sizeof(token));
	web_add_header(r, "Cache-Control", "no-store");
	return web_reply_json_new(r, 200, o);
}

/* clang-format off */
static const struct web_route auth_routes[] = {
	{ WEB_GET,	"/ping",			auth_ping,	WEB_PUBLIC },
	{ WEB_GET,	"/health",			auth_health,	WEB_PUBLIC },
	{ WEB_GET,	"/auth/userpass",		auth_userpass,	WEB_PUBLIC | WEB_ANY },
	{ WEB_GET,	"/auth/x509",			auth_x509,	WEB_PUBLIC | WEB_ANY },
	{ WEB_GET,	"/auth/x509/webui",		auth_x509,	WEB_PUBLIC | WEB_ANY },
	{ WEB_GET,	"/auth/x509_proxy",		auth_x509,	WEB_PUBLIC | WEB_ANY },
	{ WEB_GET,	"/auth/validate",		auth_validate,	WEB_PUBLIC | WEB_ANY },
	{ WEB_GET,	"/token/{username}",		tokens_exchange, WEB_PUBLIC },
	{ WEB_GET,	"/oauth2/setups",		oauth2_setups,	WEB_PUBLIC | WEB_OAUTH },
	{ WEB_GET,	"/oauth2/groups",		oauth2_groups,	WEB_PUBLIC | WEB_OAUTH },
	{ WEB_GET,	"/oauth2/token",		oauth2_token,	WEB_PUBLIC | WEB_OAUTH },
	{ WEB_POST,	"/oauth2/token",		oauth2_token,	WEB_PUBLIC | WEB_OAUTH },
	{ WEB_GET,	"/oauth2/auth",			oauth2_auth,	WEB_PUBLIC | WEB_ANY },
	{ WEB_POST,	"/oauth2/auth",			oauth2_auth,	WEB_PUBLIC | WEB_ANY },
	{ WEB_GET,	"/oauth2/userinfo",		oauth2_userinfo, WEB_OAUTH },
	{ WEB_POST,	"/oauth2/clients",		oauth2_client_add, WEB_OAUTH },
	{ WEB_GET,	"/accounts",			accounts_list,	WEB_STREAM },
	{ WEB_GET,	"/accounts/whoami",		accounts_whoami, WEB_ANY },
	{ WEB_GET,	"/accounts/{account}",		accounts_get,	0 },
	{ WEB_POST,	"/accounts/{account}",		accounts_add,	WEB_ANY },
	{ WEB_PUT,	"/accounts/{account}",		accounts_update, WEB_ANY },
	{ WEB_DELETE,	"/accounts/{account}",		accounts_delete, WEB_ANY },
	{ WEB_GET,	"/accounts/{account}/limits",	limits_local_get, 0 },
	{ WEB_GET,	"/accounts/{account}/limits/local", limits_local_get, 0 },
	{ WEB_GET,	"/accounts/{account}/limits/global", limits_global_get, 0 },
	{ WEB_GET,	"/accounts/{account}/limits/local/{rse}", limits_local_get, 0 },
	{ WEB_POST,	"/accounts/{account}/limits/local/{rse}", limits_set, WEB_ANY },
	{ WEB_DELETE,	"/accounts/{account}/limits/local/{rse}", limits_del, WEB_ANY },
	{ WEB_GET,	"/accounts/{account}/limits/global/{expr}", limits_global_get, 0 },
	{ WEB_POST,	"/accounts/{account}/limits/global/{expr}", limits_set, WEB_ANY },
	{ WEB_DELETE,	"/accounts/{account}/limits/global/{expr}", limits_del, WEB_ANY },
	{ WEB_GET,	"/accounts/{account}/limits/{rse}", limits_local_get, 0 },
	{ WEB_GET,	"/accounts/{account}/rules",	accounts_rules,	WEB_STREAM },
	{ WEB_GET,	"/accounts/{account}/usage",	accounts_usage_local, WEB_STREAM },
	{ WEB_GET,	"/accounts/{account}/usage/local", accounts_usage_local, WEB_STREAM },
	{ WEB_GET,	"/accounts/{account}/usage/global", accounts_usage_global, WEB_STREAM },
	{ WEB_GET,	"/accounts/{account}/usage/local/{rse}", accounts_usage_local, WEB_STREAM },
	{ WEB_GET,	"/accounts/{account}/usage/global/{expr}", accounts_usage_global, WEB_STREAM },
	{ WEB_GET,	"/accounts/{account}/usage/history/{rse}", accounts_usage_history, 0 },
	{ WEB_GET,	"/accounts/{account}/usage/{rse}", accounts_usage_local, WEB_STREAM },
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
