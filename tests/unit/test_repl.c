/*
 * test_repl.c -- the store as a replication site (store_repl.c): the
 * configuration refused with the variable named, a group of one site that
 * elects itself and takes writes, its status, and nothing of it when
 * replication is off. Groups of several sites are tested through real
 * nodes (tests/smoke/92-cluster.t).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "testlib.h"

#include "account.h"
#include "cfg.h"
#include "store.h"
#include "store_repl.h"

/* A TCP port on 127.0.0.1 that nothing listens on now. */
static unsigned
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void
test_off(void **state)
{
	char home[TEST_PATH_MAX] = "gr-repl";

	(void)state;
	cfg.repl_self = NULL;
	assert_false(st_repl_on());
	assert_int_equal(testlib_store_open(home), 0);
	assert_null(st_repl_status());
	assert_int_equal(st_repl_role(true), ST_ROLE_NONE);
	st_close();
	nftw(home, testlib_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void
test_config_refused(void **state)
{
	static const struct {
		const char *self, *peers, *names;
	} bad[] = {
		{ "nohost", NULL, "GRIDREST_REPL_SELF" },
		{ "127.0.0.1:0", NULL, "GRIDREST_REPL_SELF" },
		{ "127.0.0.1:70000", NULL, "GRIDREST_REPL_SELF" },
		{ ":8080", NULL, "GRIDREST_REPL_SELF" },
		{ "127.0.0.1:9001", "127.0.0.2:9001,nohost",
		    "GRIDREST_REPL_PEERS" },
		{ "127.0.0.1:9001", "127.0.0.2:9001=ftp://h/",
		    "GRIDREST_REPL_PEERS" },
		{ "127.0.0.1:9001", "127.0.0.2:9001=", "GRIDREST_REPL_PEERS" },
	};
	char home[TEST_PATH_MAX] = "gr-repl";
	struct gr_err err = { 0 };
	size_t i;

	(void)state;
	assert_int_equal(test_tmpdir(home), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.repl_self = bad[i].self;
		cfg.repl_peers = bad[i].peers;
		gr_clear(&err);
		assert_int_equal(st_open(home, ST_INIT, &err),
		    GR_INPUT_VALIDATION);
		assert_non_null(strstr(err.msg, bad[i].names));
		assert_null(st_env());
	}
	cfg.repl_self = cfg.repl_peers = NULL;
	nftw(home, testlib_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void
test_group_of_one(void **state)
{
	char home[TEST_PATH_MAX] = "gr-repl", self[32], peers[96];
	char hex[ST_REPL_TOKEN_HEX], url[64], addr[64];
	struct gr_err err = { 0 };
	json_t *st, *acc = NULL;
	unsigned port = free_port();
	bool created;

	(void)state;
	snprintf(self, sizeof(self), "127.0.0.1:%u", port);
	/* the site itself among the peers, with its URL: that is allowed
	   (every node can be given the same list) */
	snprintf(peers, sizeof(peers), "127.0.0.1:%u=http://127.0.0.1:1/",
	    port);
	cfg.repl_self = self;
	cfg.repl_peers = peers;
	cfg.durability = CFG_DURABLE_NONE;
	assert_true(st_repl_on());
	assert_int_equal(testlib_store_open(home), 0);
	assert_int_equal(st_repl_role(true), ST_ROLE_MASTER);
	/* writes and reads, as without replication */
	assert_int_equal(account_ensure("root", "SERVICE", NULL, &created,
			     &err),
	    GR_OK);
	assert_int_equal(account_add("root", "alice", "USER", "a@b.c", &err),
	    GR_OK);
	assert_int_equal(account_get("alice", &acc, &err), GR_OK);
	assert_string_equal(json_string_value(json_object_get(acc, "account")),
	    "alice");
	json_decref(acc);
	/* a write's commit token, applied here at once; the master's URL */
	st_repl_token_reset();
	assert_false(st_repl_token_hex(hex));
	assert_int_equal(account_add("root", "bob", "USER", "b@b.c", &err),
	    GR_OK);
	assert_true(st_repl_token_hex(hex));
	assert_int_equal(strlen(hex), 2 * sizeof(DB_TXN_TOKEN));
	assert_int_equal(st_repl_applied(hex, 1000), 0);
	assert_int_equal(st_repl_applied("00zz", 1000), EINVAL);
	hex[0] = 'g';
	assert_int_equal(st_repl_applied(hex, 1000), EINVAL);
	assert_true(st_repl_master_url(url, sizeof(url), addr, sizeof(addr)));
	assert_string_equal(url, "http://127.0.0.1:1");
	assert_string_equal(addr, self);
	assert_string_equal(st_repl_self(), self);
	st = st_repl_status();
	assert_non_null(st);
	assert_string_equal(json_string_value(json_object_get(st, "role")),
	    "master");
	assert_string_equal(json_string_value(json_object_get(st, "self")),
	    self);
	assert_string_equal(json_string_value(json_object_get(st, "master")),
	    self);
	assert_string_equal(json_string_value(
				json_object_get(st, "master_url")),
	    "http://127.0.0.1:1/");
	assert_true(json_is_true(json_object_get(st, "caught_up")));
	assert_int_equal(json_array_size(json_object_get(st, "sites")), 0);
	assert_non_null(json_string_value(json_object_get(st, "lsn")));
	json_decref(st);
	st_close();
	cfg.repl_self = cfg.repl_peers = NULL;
	nftw(home, testlib_rm, 16, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_config_refused),
		cmocka_unit_test(test_group_of_one),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
