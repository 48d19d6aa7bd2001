/*
 * test_account.c -- the account, identity and token core on a real store:
 * rights, validation, records, listings with filters, deletion revoking
 * tokens, userpass logins, token expiry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "account.h"
#include "cfg.h"
#include "identity.h"
#include "store.h"
#include "token.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-account";

/* Collects a listing as "a b c " (names) for easy comparison. */
struct names {
	char buf[512];
	int stop_after; /* emit fails after this many items (0: never) */
	int seen;
};

static int
collect(json_t *item, void *ctx)
{
	struct names *n = ctx;
	size_t len = strlen(n->buf);

	(void)snprintf(n->buf + len, sizeof(n->buf) - len, "%s ",
	    json_string_value(json_object_get(item, "account")));
	assert_non_null(json_object_get(item, "type"));
	assert_non_null(json_object_get(item, "email"));
	if (n->stop_after != 0 && ++n->seen == n->stop_after)
		return GR_UNAVAILABLE;
	return GR_OK;
}

static const char *
list(const struct account_filter *f)
{
	static struct names n;
	struct gr_err err = { 0 };

	memset(&n, 0, sizeof(n));
	assert_int_equal(account_list(f, collect, &n, &err), GR_OK);
	return n.buf;
}

static int
set_attr_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const char *const *kv = arg;
	char kbuf[KEY_MAX];
	DBT key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), kv[0], kv[1], (char *)NULL));
	json_t *rec = json_pack("{s:s}", "value", kv[2]);
	int ret = st_put_json(t, TBL_ACCOUNT_ATTRS, &key, rec, 0);

	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static void
set_attr(const char *account, const char *key, const char *value)
{
	const char *kv[] = { account, key, value };
	struct gr_err err = { 0 };

	assert_int_equal(st_txn_run(set_attr_txn, kv, &err), GR_OK);
}

static void
test_add_and_get(void **state)
{
	struct gr_err err = { 0 };
	json_t *acc;
	const char *created;

	(void)state;
	assert_int_equal(account_add("root", "alice", "user", "a@example.org",
			     &err),
	    GR_OK);
	assert_int_equal(account_get("alice", &acc, &err), GR_OK);
	assert_string_equal(json_string_value(
				json_object_get(acc, "account_type")),
	    "USER");
	assert_string_equal(json_string_value(json_object_get(acc, "status")),
	    "ACTIVE");
	assert_string_equal(json_string_value(json_object_get(acc, "email")),
	    "a@example.org");
	created = json_string_value(json_object_get(acc, "created_at"));
	assert_non_null(created);
	assert_int_equal(strlen(created), 19);
	assert_int_equal(created[10], 'T');
	assert_true(json_is_null(json_object_get(acc, "deleted_at")));
	assert_true(json_is_null(json_object_get(acc, "suspended_at")));
	json_decref(acc);

	assert_int_equal(account_add("root", "alice", "USER", "a@example.org",
			     &err),
	    GR_DUPLICATE);
	assert_int_equal(gr_err_status(err.code), 409);
}

static void
test_add_validation(void **state)
{
	static const char *const names[] = { "", "Alice", "a.b", "a b",
		"abcdefghijklmnopqrstuvwxyz", "super_root", "a/b" };
	struct gr_err err = { 0 };
	json_t *acc = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(names); i++) {
		gr_clear(&err);
		assert_int_equal(account_add("root", names[i], "USER",
				     "x@example.org", &err),
		    GR_INVALID_OBJECT);
	}
	gr_clear(&err);
	assert_int_equal(account_add("root", "bob", "ROBOT", "x@example.org",
			     &err),
	    GR_INVALID_ACCOUNT_TYPE);
	gr_clear(&err);
	assert_int_equal(account_add("root", "bob", NULL, "x@example.org",
			     &err),
	    GR_INVALID_ACCOUNT_TYPE);
	gr_clear(&err);
	assert_int_equal(account_add("root", "bob", "USER", "x@", &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	assert_int_equal(account_get("bob", &acc, &err), GR_ACCOUNT_NOT_FOUND);
	assert_null(acc);
}

static void
test_rights(void **state)
{
	struct gr_err err = { 0 };
	json_t *change = json_pack("{s:s}", "email", "new@example.org");
	json_t *acc;

	(void)state;
	assert_int_equal(account_add("root", "carol", "USER", "c@example.org",
			     &err),
	    GR_OK);
	/* only root adds and deletes */
	assert_int_equal(account_add("carol", "dave", "USER", "d@example.org",
			     &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(account_delete("carol", "alice", &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	/* admins update: carol is none yet */
	assert_int_equal(account_update("carol", "alice", change, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	set_attr("carol", "admin", "true");
	assert_int_equal(account_update("carol", "alice", change, &err), GR_OK);
	assert_int_equal(account_get("alice", &acc, &err), GR_OK);
	assert_string_equal(json_string_value(json_object_get(acc, "email")),
	    "new@example.org");
	json_decref(acc);
	json_decref(change);
	/* an admin still cannot add accounts: that is root's */
	assert_int_equal(account_add("carol", "dave", "USER", "d@example.org",
			     &err),
	    GR_ACCESS_DENIED);
}

static void
test_update(void **state)
{
	struct gr_err err = { 0 };
	json_t *acc, *change;

	(void)state;
	assert_int_equal(account_add("root", "erin", "USER", "e@example.org",
			     &err),
	    GR_OK);
	change = json_pack("{s:s, s:s}", "status", "suspended", "account_type",
	    "group");
	assert_int_equal(account_update("root", "erin", change, &err), GR_OK);
	json_decref(change);
	assert_int_equal(account_get("erin", &acc, &err), GR_OK);
	assert_string_equal(json_string_value(json_object_get(acc, "status")),
	    "SUSPENDED");
	assert_string_equal(json_string_value(
				json_object_get(acc, "account_type")),
	    "GROUP");
	assert_true(json_is_string(json_object_get(acc, "suspended_at")));
	json_decref(acc);

	/* a bad change anywhere in the body changes nothing */
	change = json_pack("{s:s, s:s}", "status", "ACTIVE", "colour", "blue");
	assert_int_equal(account_update("root", "erin", change, &err),
	    GR_VALUE_ERROR);
	json_decref(change);
	gr_clear(&err);
	assert_int_equal(account_get("erin", &acc, &err), GR_OK);
	assert_string_equal(json_string_value(json_object_get(acc, "status")),
	    "SUSPENDED");
	json_decref(acc);

	change = json_pack("[s]", "status");
	assert_int_equal(account_update("root", "erin", change, &err),
	    GR_TYPE_ERROR);
	json_decref(change);
}

static void
test_list_filters(void **state)
{
	struct account_filter f = { 0 };
	struct gr_err err = { 0 };
	bool created;
	const char *keys[] = { "country" }, *values[] = { "ch" };

	(void)state;
	assert_int_equal(account_add("root", "gina", "GROUP", "g@example.org",
			     &err),
	    GR_OK);
	assert_int_equal(account_add("root", "hank", "SERVICE", "h@example.org",
			     &err),
	    GR_OK);
	/* erin is SUSPENDED (test_update): not listed */
	assert_string_equal(list(&f), "alice carol gina hank root ");
	f.type = "group";
	assert_string_equal(list(&f), "gina ");
	f.type = NULL;
	f.account = "*a*";
	assert_string_equal(list(&f), "alice carol gina hank ");
	f.account = "?ank";
	assert_string_equal(list(&f), "hank ");
	f.account = NULL;
	assert_int_equal(identity_ensure("USERPASS", "shared", "gina", NULL,
			     "pw", false, &created, &err),
	    GR_OK);
	assert_int_equal(identity_ensure("GSS", "shared", "alice", NULL, NULL,
			     false, &created, &err),
	    GR_OK);
	f.identity = "shared";
	assert_string_equal(list(&f), "alice gina ");
	f.identity = NULL;
	set_attr("hank", "country", "ch");
	f.nattrs = 1;
	f.attr_keys = keys;
	f.attr_values = values;
	assert_string_equal(list(&f), "hank ");
	values[0] = "de";
	assert_string_equal(list(&f), "");
	f.nattrs = 0;
	f.type = "ROBOT";
	assert_int_equal(account_list(&f, collect, NULL, &err),
	    GR_INVALID_ACCOUNT_TYPE);
}

static void
test_list_stops_when_emit_fails(void **state)
{
	struct account_filter f = { 0 };
	struct gr_err err = { 0 };
	struct names n;

	(void)state;
	memset(&n, 0, sizeof(n));
	n.stop_after = 2;
	assert_int_equal(account_list(&f, collect, &n, &err), GR_UNAVAILABLE);
	assert_string_equal(n.buf, "alice carol ");
}

static void
test_userpass_login(void **state)
{
	char acc[ACCOUNT_NAME_MAX + 1];
	struct gr_err err = { 0 };
	bool created;

	(void)state;
	assert_int_equal(identity_ensure("userpass", "ivy", "alice", NULL,
			     "s3cret", true, &created, &err),
	    GR_OK);
	assert_true(created);
	assert_int_equal(identity_check_userpass("alice", "ivy", "s3cret", acc,
			     &err),
	    GR_OK);
	assert_string_equal(acc, "alice");
	/* no account named: the identity's only (or default) account */
	assert_int_equal(identity_check_userpass(NULL, "ivy", "s3cret", acc,
			     &err),
	    GR_OK);
	assert_string_equal(acc, "alice");
	assert_int_equal(identity_check_userpass("alice", "ivy", "wrong", acc,
			     &err),
	    GR_CANNOT_AUTHENTICATE);
	assert_string_equal(acc, "");
	gr_clear(&err);
	assert_int_equal(identity_check_userpass("alice", "nobody", "s3cret",
			     acc, &err),
	    GR_CANNOT_AUTHENTICATE);
	gr_clear(&err);
	assert_int_equal(identity_check_userpass("carol", "ivy", "s3cret", acc,
			     &err),
	    GR_CANNOT_AUTHENTICATE);
	gr_clear(&err);
	assert_int_equal(identity_check_userpass("alice", "ivy", "", acc, &err),
	    GR_CANNOT_AUTHENTICATE);
	gr_clear(&err);
	/* mapped to a second account, not default: naming one is needed
	   only when neither is the default; alice's mapping is */
	assert_int_equal(identity_ensure("USERPASS", "ivy", "carol", NULL,
			     "other", false, &created, &err),
	    GR_OK);
	assert_int_equal(identity_check_userpass(NULL, "ivy", "s3cret", acc,
			     &err),
	    GR_OK);
	assert_string_equal(acc, "alice");
	/* neither mapping the default: the caller must choose */
	assert_int_equal(identity_ensure("USERPASS", "two", "alice", NULL,
			     "pw2", false, &created, &err),
	    GR_OK);
	assert_int_equal(identity_ensure("USERPASS", "two", "carol", NULL, NULL,
			     false, &created, &err),
	    GR_OK);
	assert_int_equal(identity_check_userpass(NULL, "two", "pw2", acc, &err),
	    GR_MULTIPLE_ACCOUNTS);
	assert_string_equal(err.msg, "alice,carol");
	assert_int_equal(gr_err_status(err.code), 206);
	gr_clear(&err);
	assert_int_equal(identity_check_userpass(NULL, "two", "bad", acc, &err),
	    GR_CANNOT_AUTHENTICATE); /* nothing told without the password */
	gr_clear(&err);
	assert_int_equal(identity_check_userpass("carol", "two", "pw2", acc,
			     &err),
	    GR_OK);
	/* the existing identity kept its password */
	assert_int_equal(identity_check_userpass("carol", "ivy", "s3cret", acc,
			     &err),
	    GR_OK);
	/* a suspended account cannot log in */
	assert_int_equal(identity_ensure("USERPASS", "erin", "erin", NULL, "pw",
			     true, &created, &err),
	    GR_ACCOUNT_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(identity_ensure("FOO", "x", "alice", NULL, NULL, true,
			     &created, &err),
	    GR_IDENTITY_ERROR);
	gr_clear(&err);
	assert_int_equal(identity_ensure("USERPASS", "nopw", "alice", NULL,
			     NULL, true, &created, &err),
	    GR_IDENTITY_ERROR);
}

static void
test_tokens(void **state)
{
	char token[TOKEN_MAX];
	struct token_info info;
	struct gr_err err = { 0 };
	int64_t exp;

	(void)state;
	assert_int_equal(token_issue("carol", "ivy", "my app", 3600, token,
			     &exp, &err),
	    GR_OK);
	assert_true(exp >= time_now() + 3599);
	/* Rucio's shape; the app id is sanitised */
	assert_true(strncmp(token, "carol-ivy-my_app-", 17) == 0);
	assert_int_equal(strlen(token), 17 + 32);
	assert_int_equal(token_validate(token, &info, &err), GR_OK);
	assert_string_equal(info.account, "carol");
	assert_string_equal(info.identity, "ivy");
	assert_true(info.expires_at == exp);
	token[strlen(token) - 1] ^= 1;
	assert_int_equal(token_validate(token, &info, &err),
	    GR_CANNOT_AUTHENTICATE);
	gr_clear(&err);
	assert_int_equal(token_validate("", &info, &err),
	    GR_CANNOT_AUTHENTICATE);
	gr_clear(&err);
	/* an expired token is refused */
	assert_int_equal(token_issue("carol", "ivy", NULL, -1, token, &exp,
			     &err),
	    GR_OK);
	assert_int_equal(token_validate(token, &info, &err),
	    GR_CANNOT_AUTHENTICATE);
}

static int count_tokens_txn(struct st_txn *t, void *arg, struct gr_err *err);

static int
count_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	int *n = arg;

	(void)pkey;
	(void)val;
	if (key->size == 5 && memcmp(key->data, "carol", 5) == 0)
		(*n)++;
	return GR_OK;
}

static int
count_tokens_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	*(int *)arg = 0;
	return st_scan(t, TBL_TOKENS_BY_ACCOUNT, "carol", 5, NULL, count_one,
	    arg, err);
}

/*
 * Another backend that validated token t (and so keeps it in its cache):
 * it answers 'v' once it did, then waits for a byte, validates again and
 * exits 0 if the token was refused this time.
 */
static pid_t
other_backend(const char *t, int *told, int *tell)
{
	int up[2], down[2];
	pid_t pid;

	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct token_info info;
		struct gr_err err = { 0 };
		char c = 'v';
		int first, second;

		st_after_fork();
		if (st_open(home, 0, &err) != GR_OK)
			_exit(2);
		first = token_validate(t, &info, &err);
		gr_clear(&err);
		if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(3);
		second = token_validate(t, &info, &err);
		st_close();
		_exit(
		    first == GR_OK && second == GR_CANNOT_AUTHENTICATE ? 0 : 1);
	}
	close(up[1]);
	close(down[0]);
	*told = up[0];
	*tell = down[1];
	return pid;
}

/* Tell the other backend (which validated a token) to validate it again,
   and check it was refused this time; then check here that tokens t1 and
   t2 are refused. */
static void
assert_revoked(pid_t child, int told, int tell, const char *t1, const char *t2)
{
	struct token_info info;
	struct gr_err err = { 0 };
	int status;
	char c = 'r';

	assert_int_equal(write(tell, &c, 1), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(told);
	close(tell);
	assert_int_equal(token_validate(t1, &info, &err),
	    GR_CANNOT_AUTHENTICATE);
	gr_clear(&err);
	assert_int_equal(token_validate(t2, &info, &err),
	    GR_CANNOT_AUTHENTICATE);
}

static void
test_delete_revokes_tokens(void **state)
{
	char t1[TOKEN_MAX], t2[TOKEN_MAX];
	struct token_info info;
	struct gr_err err = { 0 };
	json_t *acc;
	int64_t exp;
	int n, told, tell;
	pid_t child;
	char c;

	(void)state;
	/* carol has the expired token of test_tokens, plus one good one; the
	   next login purges the expired one */
	assert_int_equal(st_view(count_tokens_txn, &n, 0, &err), GR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(token_issue("carol", "ivy", NULL, 3600, t1, &exp,
			     &err),
	    GR_OK);
	assert_int_equal(token_issue("carol", "ivy", NULL, 3600, t2, &exp,
			     &err),
	    GR_OK);
	assert_int_equal(st_view(count_tokens_txn, &n, 0, &err), GR_OK);
	assert_int_equal(n, 3);
	/* both are valid, and cached here and in another process */
	assert_int_equal(token_validate(t1, &info, &err), GR_OK);
	assert_int_equal(token_validate(t2, &info, &err), GR_OK);
	child = other_backend(t1, &told, &tell);
	assert_int_equal(read(told, &c, 1), 1);

	assert_int_equal(account_delete("root", "carol", &err), GR_OK);
	/* the other process drops its copy too */
	assert_revoked(child, told, tell, t1, t2);
	assert_int_equal(st_view(count_tokens_txn, &n, 0, &err), GR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(account_get("carol", &acc, &err), GR_OK);
	assert_string_equal(json_string_value(json_object_get(acc, "status")),
	    "DELETED");
	assert_true(json_is_string(json_object_get(acc, "deleted_at")));
	json_decref(acc);
	assert_int_equal(account_delete("root", "carol", &err),
	    GR_ACCOUNT_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(account_delete("root", "root", &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	/* a deleted account cannot be updated or log in */
	{
		json_t *change = json_pack("{s:s}", "status", "ACTIVE");
		char a[ACCOUNT_NAME_MAX + 1];

		assert_int_equal(account_update("root", "carol", change, &err),
		    GR_ACCOUNT_NOT_FOUND);
		json_decref(change);
		gr_clear(&err);
		assert_int_equal(identity_check_userpass("carol", "ivy",
				     "s3cret", a, &err),
		    GR_CANNOT_AUTHENTICATE);
	}
}

static void
test_attributes(void **state)
{
	struct gr_err err = { 0 };
	json_t *v, *out;
	char *txt;

	(void)state;
	v = json_string("True");
	assert_int_equal(account_attr_add("root", "alice", "flag", v, &err),
	    GR_OK);
	assert_int_equal(account_attr_add("root", "alice", "flag", v, &err),
	    GR_DUPLICATE);
	gr_clear(&err);
	json_decref(v);
	v = json_integer(42);
	assert_int_equal(account_attr_add("root", "alice", "n", v, &err),
	    GR_OK);
	json_decref(v);
	v = json_string("a b");
	assert_int_equal(account_attr_add("root", "alice", "s", v, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(v);
	v = json_real(1.5);
	assert_int_equal(account_attr_add("root", "alice", "r", v, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	assert_int_equal(account_attr_add("root", "alice", "bad key", v, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	assert_int_equal(account_attr_add("alice", "alice", "x", v, &err),
	    GR_INVALID_OBJECT); /* the value is checked first */
	gr_clear(&err);
	json_decref(v);
	v = json_true();
	assert_int_equal(account_attr_add("hank", "alice", "x", v, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(account_attr_add("root", "nobody", "x", v, &err),
	    GR_ACCOUNT_NOT_FOUND);
	gr_clear(&err);
	json_decref(v);
	assert_int_equal(account_attr_list("alice", &out, &err), GR_OK);
	txt = json_dumps(out, JSON_COMPACT);
	assert_string_equal(txt,
	    "[{\"key\":\"flag\",\"value\":true},{\"key\":\"n\",\"value\":"
	    "\"42\"}]");
	free(txt);
	json_decref(out);
	assert_int_equal(account_attr_del("root", "alice", "n", &err), GR_OK);
	assert_int_equal(account_attr_del("root", "alice", "n", &err),
	    GR_ACCOUNT_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(account_attr_del("hank", "alice", "flag", &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(account_attr_list("erin", &out, &err),
	    GR_ACCOUNT_NOT_FOUND); /* SUSPENDED */
}

/* Suspension ends an account's sessions at once on every backend; the
   account cannot log in, and re-activation gives no old token back. */
static void
test_suspend_revokes_tokens(void **state)
{
	char t1[TOKEN_MAX], t2[TOKEN_MAX], acc[ACCOUNT_NAME_MAX + 1];
	struct token_info info;
	struct gr_err err = { 0 };
	json_t *change;
	int64_t exp;
	int told, tell;
	pid_t child;
	char c;

	(void)state;
	assert_int_equal(account_add("root", "sue", "user", "s@example.org",
			     &err),
	    GR_OK);
	assert_int_equal(identity_add("root", "sue", "userpass", "sue",
			     "s@example.org", "pw-sue", true, &err),
	    GR_OK);
	assert_int_equal(identity_check_userpass("sue", "sue", "pw-sue", acc,
			     &err),
	    GR_OK);
	assert_int_equal(token_issue("sue", "sue", NULL, 3600, t1, &exp, &err),
	    GR_OK);
	assert_int_equal(token_issue("sue", "sue", NULL, 3600, t2, &exp, &err),
	    GR_OK);
	assert_int_equal(token_validate(t1, &info, &err), GR_OK);
	assert_int_equal(token_validate(t2, &info, &err), GR_OK);
	child = other_backend(t1, &told, &tell);
	assert_int_equal(read(told, &c, 1), 1);

	change = json_pack("{s:s}", "status", "SUSPENDED");
	assert_int_equal(account_update("root", "sue", change, &err), GR_OK);
	json_decref(change);
	/* the other process, which had it cached, refuses it now */
	assert_revoked(child, told, tell, t1, t2);
	/* no login, and no token even if the login's check passed before
	   the suspension (token_issue checks again) */
	assert_int_equal(identity_check_userpass("sue", "sue", "pw-sue", acc,
			     &err),
	    GR_CANNOT_AUTHENTICATE);
	gr_clear(&err);
	assert_int_equal(token_issue("sue", "sue", NULL, 3600, t2, &exp, &err),
	    GR_CANNOT_AUTHENTICATE);
	gr_clear(&err);

	/* back to ACTIVE: the old tokens stay dead, a new login works */
	change = json_pack("{s:s}", "status", "ACTIVE");
	assert_int_equal(account_update("root", "sue", change, &err), GR_OK);
	json_decref(change);
	assert_int_equal(token_validate(t1, &info, &err),
	    GR_CANNOT_AUTHENTICATE);
	gr_clear(&err);
	assert_int_equal(identity_check_userpass("sue", "sue", "pw-sue", acc,
			     &err),
	    GR_OK);
	assert_int_equal(token_issue("sue", "sue", NULL, 3600, t2, &exp, &err),
	    GR_OK);
	assert_int_equal(token_validate(t2, &info, &err), GR_OK);
	assert_string_equal(info.account, "sue");
	/* an issue for an account that does not exist is refused too */
	assert_int_equal(token_issue("nobody", "x", NULL, 3600, t2, &exp, &err),
	    GR_CANNOT_AUTHENTICATE);
	gr_clear(&err);
}

static int
collect_ids(json_t *item, void *ctx)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	(void)snprintf(buf + n, 256 - n, "%s:%s ",
	    json_string_value(json_object_get(item, "type")),
	    json_string_value(json_object_get(item, "identity")));
	return GR_OK;
}

static void
test_identities(void **state)
{
	struct gr_err err = { 0 };
	char buf[256] = "";
	json_t *out;
	char *txt;

	(void)state;
	assert_int_equal(identity_add("root", "hank", "x509",
			     "/C=CH/O=Site/CN=Hank", "h@example.org", NULL,
			     true, &err),
	    GR_OK);
	assert_int_equal(identity_add("root", "hank", "X509",
			     "/C=CH/O=Site/CN=Hank", "h@example.org", NULL,
			     true, &err),
	    GR_DUPLICATE);
	gr_clear(&err);
	assert_int_equal(identity_add("hank", "hank", "GSS", "h@SITE",
			     "h@example.org", NULL, true, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(identity_add("root", "hank", "GSS", "bad\nid",
			     "h@example.org", NULL, true, &err),
	    GR_IDENTITY_ERROR);
	gr_clear(&err);
	assert_int_equal(identity_list("hank", collect_ids, buf, &err), GR_OK);
	assert_string_equal(buf, "X509:/C=CH/O=Site/CN=Hank ");
	assert_int_equal(identity_accounts("x509", "/C=CH/O=Site/CN=Hank", &out,
			     &err),
	    GR_OK);
	txt = json_dumps(out, JSON_COMPACT);
	assert_string_equal(txt, "[\"hank\"]");
	free(txt);
	json_decref(out);
	assert_int_equal(identity_accounts("FOO", "x", &out, &err),
	    GR_VALUE_ERROR);
	gr_clear(&err);
	assert_int_equal(identity_del("root", "hank", "X509",
			     "/C=CH/O=Site/CN=Hank", &err),
	    GR_OK);
	assert_int_equal(identity_del("root", "hank", "X509",
			     "/C=CH/O=Site/CN=Hank", &err),
	    GR_IDENTITY_ERROR);
	gr_clear(&err);
	buf[0] = '\0';
	assert_int_equal(identity_list("hank", collect_ids, buf, &err), GR_OK);
	assert_string_equal(buf, "");
}

static void
test_dn_forms(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "/C=CH/O=Site/CN=Jane Doe", "/C=CH/O=Site/CN=Jane Doe" },
		{ "CN=Jane Doe,O=Site,C=CH", "/C=CH/O=Site/CN=Jane Doe" },
		{ "CN=Jane Doe, O=Site, C=CH", "/C=CH/O=Site/CN=Jane Doe" },
		{ "EMAIL=j@x.org,CN=Jane,C=CH",
		    "/C=CH/CN=Jane/emailAddress=j@x.org" },
		{ "emailAddress=ph-adp-ddm-lab@cern.ch,CN=DDMLAB Client "
		  "Certificate,OU=PH-ADP-CO,O=CERN,ST=Geneva,C=CH",
		    "/C=CH/ST=Geneva/O=CERN/OU=PH-ADP-CO/CN=DDMLAB Client "
		    "Certificate/emailAddress=ph-adp-ddm-lab@cern.ch" },
		{ "CN=Doe\\, Jane,O=Site", "/O=Site/CN=Doe, Jane" },
	};
	static const char *const bad[] = { "", "Jane", "CN=a,,O=b", "CN=a,x" };
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(identity_dn_canonical(cases[i].in, out,
				     sizeof(out)),
		    0);
		assert_string_equal(out, cases[i].want);
	}
	for (i = 0; i < ARRAY_LEN(bad); i++)
		assert_int_equal(identity_dn_canonical(bad[i], out,
				     sizeof(out)),
		    -1);
	assert_int_equal(identity_dn_canonical("CN=abcdef,O=x", out, 8), -1);
}

static void
test_dn_strip_proxy(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "/C=CH/CN=Jane/CN=1234567", "/C=CH/CN=Jane" },
		{ "/C=CH/CN=Jane/CN=123/CN=456", "/C=CH/CN=Jane" },
		{ "/C=CH/CN=Jane/CN=proxy", "/C=CH/CN=Jane" },
		{ "/C=CH/CN=Jane/CN=limited proxy", "/C=CH/CN=Jane" },
		{ "/C=CH/CN=Jane", "/C=CH/CN=Jane" },
		{ "/C=CH/CN=Jane/CN=12a", "/C=CH/CN=Jane/CN=12a" },
		{ "/CN=12345", "/CN=12345" }, /* a DN of one part stays */
		{ "/C=CH/CN=", "/C=CH/CN=" },
	};
	char dn[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		(void)snprintf(dn, sizeof(dn), "%s", cases[i].in);
		identity_dn_strip_proxy(dn);
		assert_string_equal(dn, cases[i].want);
	}
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	bool created;

	(void)state;
	cfg.pbkdf2_iter = 1000;
	cfg.durability = CFG_DURABLE_NONE;
	if (testlib_store_open(home) != 0 ||
	    account_ensure("root", "SERVICE", NULL, &created, &err) != GR_OK)
		return -1;
	return 0;
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
		cmocka_unit_test(test_add_and_get),
		cmocka_unit_test(test_add_validation),
		cmocka_unit_test(test_rights),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_list_filters),
		cmocka_unit_test(test_list_stops_when_emit_fails),
		cmocka_unit_test(test_userpass_login),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_delete_revokes_tokens),
		cmocka_unit_test(test_suspend_revokes_tokens),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_identities),
		cmocka_unit_test(test_dn_forms),
		cmocka_unit_test(test_dn_strip_proxy),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("account", tests, setup, teardown);
}
