/*
 * test_oauth.c -- the OAuth2 core on a real store: setups, groups, client
 * registration, codes with PKCE, single use and replay revocation, refresh
 * rotation and replay, client_credentials, the PKCE rule of an
 * authorization request and the consent page's grant.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "account.h"
#include "cfg.h"
#include "identity.h"
#include "oauth.h"
#include "secret.h"
#include "testlib.h"
#include "token.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-oauth";
static char client_id[64];
static const char redirect[] = "https://portal.example.org/cb";
static const char verifier[] =
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"; /* RFC 7636 B */
static const char challenge[] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

static int
check_token(const char *t)
{
	struct token_info info;
	struct gr_err err = { 0 };

	return token_validate(t, &info, &err);
}

static void
test_setups(void **state)
{
	json_t *s;
	char *txt;

	(void)state;
	cfg.oauth_setups = "prod,,cert";
	s = oauth_setups();
	txt = json_dumps(s, JSON_COMPACT);
	assert_string_equal(txt, "[\"prod\",\"cert\"]");
	free(txt);
	json_decref(s);
	assert_true(oauth_setup_known("cert"));
	assert_false(oauth_setup_known("pro"));
	assert_false(oauth_setup_known(NULL));
	cfg.oauth_setups = "gridrest";
}

static void
test_clients(void **state)
{
	struct gr_err err = { 0 };
	json_t *c;

	(void)state;
	assert_int_equal(oauth_client_add("root", "portal", redirect, NULL, &c,
			     &err),
	    GR_OK);
	(void)snprintf(client_id, sizeof(client_id), "%s",
	    json_string_value(json_object_get(c, "client_id")));
	assert_int_equal(strlen(client_id), 22);
	json_decref(c);
	assert_int_equal(oauth_client_add("root", "portal", redirect, NULL, &c,
			     &err),
	    GR_DUPLICATE);
	gr_clear(&err);
	assert_int_equal(oauth_client_add("alice", "other", redirect, NULL, &c,
			     &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(oauth_client_add(NULL, "x", "ftp://a/b", NULL, &c,
			     &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	assert_int_equal(oauth_client_add(NULL, "x", "https://a/b#frag", NULL,
			     &c, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	assert_int_equal(oauth_client_check(client_id, redirect, &c, &err),
	    GR_OK);
	json_decref(c);
	assert_int_equal(oauth_client_check(client_id,
			     "https://portal.example."
			     "org/cb/",
			     &c, &err),
	    GR_OAUTH_INVALID_REQUEST);
	gr_clear(&err);
	assert_int_equal(oauth_client_check("nope", NULL, &c, &err),
	    GR_OAUTH_INVALID_CLIENT);
}

static void
consent(char code[OAUTH_CODE_MAX], const char *chal)
{
	struct oauth_consent c = { .client_id = client_id,
		.account = "alice",
		.group = "dirac_user",
		.setup = "gridrest",
		.redirect_uri = redirect,
		.challenge = chal,
		.lifetime = 7200 };
	struct gr_err err = { 0 };

	assert_int_equal(oauth_code_issue(&c, code, &err), GR_OK);
	assert_int_equal(strlen(code), 43);
}

static void
test_code_flow(void **state)
{
	char code[OAUTH_CODE_MAX];
	struct oauth_tokens t, t2;
	struct gr_err err = { 0 };

	(void)state;
	consent(code, challenge);
	/* every way to get it wrong */
	assert_int_equal(oauth_code_redeem(code, client_id, redirect, NULL, &t,
			     &err),
	    GR_OAUTH_INVALID_GRANT);
	gr_clear(&err);
	assert_int_equal(oauth_code_redeem(code, client_id, redirect,
			     "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx", &t,
			     &err),
	    GR_OAUTH_INVALID_GRANT);
	gr_clear(&err);
	assert_int_equal(oauth_code_redeem(code, client_id, NULL, verifier, &t,
			     &err),
	    GR_OAUTH_INVALID_GRANT);
	gr_clear(&err);
	assert_int_equal(oauth_code_redeem(code, "other", redirect, verifier,
			     &t, &err),
	    GR_OAUTH_INVALID_CLIENT);
	gr_clear(&err);
	assert_int_equal(oauth_code_redeem("nope", client_id, redirect,
			     verifier, &t, &err),
	    GR_OAUTH_INVALID_GRANT);
	gr_clear(&err);
	/* right */
	assert_int_equal(oauth_code_redeem(code, client_id, redirect, verifier,
			     &t, &err),
	    GR_OK);
	assert_int_equal(check_token(t.access), GR_OK);
	assert_int_equal(check_token(t.refresh), GR_CANNOT_AUTHENTICATE);
	assert_true(t.expires_in == cfg.token_lifetime);
	/* a replay fails and revokes what the first use gave */
	assert_int_equal(oauth_code_redeem(code, client_id, redirect, verifier,
			     &t2, &err),
	    GR_OAUTH_INVALID_GRANT);
	gr_clear(&err);
	assert_int_equal(check_token(t.access), GR_CANNOT_AUTHENTICATE);
	assert_int_equal(oauth_refresh(t.refresh, client_id, &t2, &err),
	    GR_OAUTH_INVALID_GRANT);
}

static void
test_refresh_rotation(void **state)
{
	char code[OAUTH_CODE_MAX];
	struct oauth_tokens t, t2, t3;
	struct gr_err err = { 0 };

	(void)state;
	consent(code, NULL); /* no PKCE: the verifier is not needed */
	assert_int_equal(oauth_code_redeem(code, client_id, redirect, NULL, &t,
			     &err),
	    GR_OK);
	assert_int_equal(oauth_refresh(t.refresh, "other", &t2, &err),
	    GR_OAUTH_INVALID_GRANT);
	gr_clear(&err);
	assert_int_equal(oauth_refresh(t.access, client_id, &t2, &err),
	    GR_OAUTH_INVALID_GRANT); /* an access token is no refresh token */
	gr_clear(&err);
	assert_int_equal(oauth_refresh(t.refresh, client_id, &t2, &err), GR_OK);
	assert_string_not_equal(t2.refresh, t.refresh);
	assert_int_equal(check_token(t2.access), GR_OK);
	assert_int_equal(check_token(t.access), GR_OK); /* still valid */
	assert_int_equal(oauth_refresh(t2.refresh, client_id, &t3, &err),
	    GR_OK);
	/* replaying a spent refresh token revokes the whole family */
	assert_int_equal(oauth_refresh(t.refresh, client_id, &t2, &err),
	    GR_OAUTH_INVALID_GRANT);
	gr_clear(&err);
	assert_int_equal(check_token(t.access), GR_CANNOT_AUTHENTICATE);
	assert_int_equal(check_token(t3.access), GR_CANNOT_AUTHENTICATE);
	assert_int_equal(oauth_refresh(t3.refresh, client_id, &t2, &err),
	    GR_OAUTH_INVALID_GRANT);
}

static void
test_client_credentials(void **state)
{
	struct oauth_tokens t;
	struct token_info info;
	struct gr_err err = { 0 };
	json_t *groups;
	char *txt;

	(void)state;
	assert_int_equal(oauth_groups("alice", &groups, &err), GR_OK);
	txt = json_dumps(groups, JSON_COMPACT);
	assert_string_equal(txt, "[\"dirac_user\"]");
	free(txt);
	json_decref(groups);
	assert_int_equal(oauth_client_credentials("/C=CH/CN=Alice",
			     "dirac_user", "gridrest", NULL, &t, &err),
	    GR_OK);
	assert_string_equal(t.refresh, "");
	assert_int_equal(token_validate(t.access, &info, &err), GR_OK);
	assert_string_equal(info.account, "alice");
	assert_string_equal(info.group, "dirac_user");
	assert_string_equal(info.setup, "gridrest");
	/* RFC 2253 form of the same DN */
	assert_int_equal(oauth_client_credentials("CN=Alice,C=CH", "dirac_user",
			     "gridrest", NULL, &t, &err),
	    GR_OK);
	assert_int_equal(oauth_client_credentials("/C=CH/CN=Alice",
			     "dirac_admin", "gridrest", NULL, &t, &err),
	    GR_OAUTH_UNAUTHORIZED);
	gr_clear(&err);
	assert_int_equal(oauth_client_credentials("/C=CH/CN=Alice",
			     "dirac_user", "nosuch", NULL, &t, &err),
	    GR_OAUTH_UNAUTHORIZED);
	gr_clear(&err);
	assert_int_equal(oauth_client_credentials("/C=CH/CN=Bob", "dirac_user",
			     "gridrest", NULL, &t, &err),
	    GR_OAUTH_INVALID_CLIENT);
	gr_clear(&err);
	assert_int_equal(oauth_client_credentials(NULL, "dirac_user",
			     "gridrest", NULL, &t, &err),
	    GR_OAUTH_INVALID_CLIENT);
	gr_clear(&err);
	assert_int_equal(oauth_client_credentials("/C=CH/CN=Alice", NULL,
			     "gridrest", NULL, &t, &err),
	    GR_OAUTH_INVALID_REQUEST);
}

static void
test_pkce_request(void **state)
{
	(void)state;
	/* none, or a 43-character base64url S256 challenge */
	assert_true(oauth_pkce_request_ok(NULL, NULL));
	assert_true(oauth_pkce_request_ok("", ""));
	assert_true(oauth_pkce_request_ok(challenge, "S256"));
	assert_true(oauth_pkce_request_ok(challenge, NULL));
	assert_true(oauth_pkce_request_ok(challenge, ""));
	/* plain, another method, or a method without a challenge */
	assert_false(oauth_pkce_request_ok(challenge, "plain"));
	assert_false(oauth_pkce_request_ok(challenge, "s256"));
	assert_false(oauth_pkce_request_ok(NULL, "S256"));
	assert_false(oauth_pkce_request_ok("", "S256"));
	assert_false(oauth_pkce_request_ok(NULL, "plain"));
	/* not a SHA-256 digest in base64url */
	assert_false(
	    oauth_pkce_request_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c",
		"S256"));
	assert_false(oauth_pkce_request_ok(
	    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cMM", "S256"));
	assert_false(
	    oauth_pkce_request_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
		"S256"));
	assert_false(
	    oauth_pkce_request_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c=",
		"S256"));
}

/* oauth_consent_grant of a form: its code, and on a refusal whether the
   page comes back and the sentence it shows */
static int
grant(const char *user, const char *pw, const char *group, const char *hours,
    char code[OAUTH_CODE_MAX], bool *on_page, struct gr_err *err)
{
	struct oauth_grant_form f = { .client_id = client_id,
		.redirect_uri = redirect,
		.username = user,
		.password = pw,
		.group = group,
		.lifetime_hours = hours,
		.challenge = challenge };

	gr_clear(err);
	return oauth_consent_grant(&f, code, on_page, err);
}

static void
test_consent_grant(void **state)
{
	static const char *const bad_hours[] = { "0", "721", "x", "1.5", "-1" };
	char code[OAUTH_CODE_MAX];
	struct oauth_tokens t, t2;
	struct token_info info;
	struct gr_err err = { 0 };
	bool on_page;
	size_t i;

	(void)state;
	assert_int_equal(grant("alice", "wrong", NULL, NULL, code, &on_page,
			     &err),
	    GR_CANNOT_AUTHENTICATE);
	assert_true(on_page);
	assert_string_equal(err.msg, "Wrong username or password.");
	assert_int_equal(grant("nobody", "pw-alice", NULL, NULL, code, &on_page,
			     &err),
	    GR_CANNOT_AUTHENTICATE);
	assert_string_equal(err.msg, "Wrong username or password.");
	for (i = 0; i < ARRAY_LEN(bad_hours); i++) {
		assert_int_equal(grant("alice", "pw-alice", NULL, bad_hours[i],
				     code, &on_page, &err),
		    GR_INVALID_VALUE);
		assert_true(on_page);
		assert_string_equal(err.msg,
		    "The access time is a number of hours, 1 to 720.");
	}
	assert_int_equal(grant("alice", "pw-alice", "dirac_admin", NULL, code,
			     &on_page, &err),
	    GR_FORBIDDEN);
	assert_true(on_page);
	assert_string_equal(err.msg, "Your account is not in that group.");

	/* a login of two accounts, neither its default: said only after the
	   right password */
	assert_int_equal(grant("shared", "pw-shared", NULL, NULL, code,
			     &on_page, &err),
	    GR_CANNOT_AUTHENTICATE);
	assert_true(on_page);
	assert_string_equal(err.msg,
	    "This login belongs to several accounts (alice,bob) and none of "
	    "them is its default: an administrator must make one the "
	    "default.");
	assert_int_equal(grant("shared", "wrong", NULL, NULL, code, &on_page,
			     &err),
	    GR_CANNOT_AUTHENTICATE);
	assert_string_equal(err.msg, "Wrong username or password.");

	/* granted (no group named: the account's first); the code needs
	   the PKCE verifier */
	assert_int_equal(grant("alice", "pw-alice", "", "3", code, &on_page,
			     &err),
	    GR_OK);
	assert_int_equal(strlen(code), 43);
	assert_int_equal(oauth_code_redeem(code, client_id, redirect, NULL, &t,
			     &err),
	    GR_OAUTH_INVALID_GRANT);
	gr_clear(&err);
	assert_int_equal(grant("alice", "pw-alice", "dirac_user", "3", code,
			     &on_page, &err),
	    GR_OK);
	assert_int_equal(oauth_code_redeem(code, client_id, redirect, verifier,
			     &t, &err),
	    GR_OK);
	assert_int_equal(token_validate(t.access, &info, &err), GR_OK);
	assert_string_equal(info.account, "alice");
	assert_string_equal(info.group, "dirac_user");
	assert_string_equal(info.setup, "gridrest");
	assert_string_equal(info.client_id, client_id);
	assert_true(t.refresh[0] != '\0');
	assert_int_equal(oauth_refresh(t.refresh, client_id, &t2, &err), GR_OK);
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	json_t *yes = json_true();
	int rc;

	(void)state;
	cfg.pbkdf2_iter = 1000;
	rc = testlib_store_accounts(home) != 0 ||
	    account_attr_add("root", "alice", "group.dirac_user", yes, &err) !=
		GR_OK ||
	    identity_add("root", "alice", "X509", "/C=CH/CN=Alice",
		"a@example.org", NULL, true, &err) != GR_OK ||
	    identity_add("root", "alice", "USERPASS", "alice", "a@example.org",
		"pw-alice", true, &err) != GR_OK ||
	    account_add("root", "bob", "USER", "b@example.org", &err) !=
		GR_OK ||
	    identity_add("root", "alice", "USERPASS", "shared", "a@example.org",
		"pw-shared", false, &err) != GR_OK ||
	    identity_add("root", "bob", "USERPASS", "shared", "b@example.org",
		NULL, false, &err) != GR_OK;
	json_decref(yes);
	return rc ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return testlib_store_remove(home);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setups),
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_code_flow),
		cmocka_unit_test(test_refresh_rotation),
		cmocka_unit_test(test_client_credentials),
		cmocka_unit_test(test_pkce_request),
		cmocka_unit_test(test_consent_grant),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("oauth", tests, setup, teardown);
}
