/*
 * admin.c -- gridrest-db, the store's admin tool: init, bootstrap, verify,
 * backup (hot), dump. Runs beside live backends: everything here goes
 * through the shared environment and transactions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <jansson.h>

#include "account.h"
#include "cfg.h"
#include "date.h"
#include "did.h"
#include "didlife.h"
#include "identity.h"
#include "log.h"
#include "message.h"
#include "oauth.h"
#include "script.h"
#include "secret.h"
#include "store.h"
#include "store_repl.h"
#include "tables.h"
#include "mover.h"
#include "rule.h"
#include "token.h"
#include "usage.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gridrest-db [-h home] command\n"
	    "  init                 create the environment and every table\n"
	    "  bootstrap            create account root with userpass "
	    "identity\n"
	    "                       root; password from "
	    "GRIDREST_ROOT_PASSWORD\n"
	    "                       or generated and printed once\n"
	    "  verify               check every record and every index "
	    "entry,\n"
	    "                       and that the rules' lock counters, the "
	    "replicas'\n"
	    "                       lock_cnt and account usage agree with "
	    "the locks\n"
	    "  rules-stuck          the STUCK replication rules, one JSON "
	    "line each\n"
	    "  rules-expire         delete the rules whose lifetime ended, "
	    "now\n"
	    "  rules-reevaluate SCOPE:NAME\n"
	    "                       lock what the rules on or above the "
	    "collection\n"
	    "                       should hold below it and do not\n"
	    "  messages [--drain] [EVENT_TYPE]\n"
	    "                       the rules' notifications, oldest first, "
	    "one\n"
	    "                       JSON line each; --drain deletes those "
	    "printed\n"
	    "  backup DIR           hot backup of the environment into DIR\n"
	    "  dump [TABLE]         every record as one JSON line\n"
	    "  token ACCOUNT [SECONDS]\n"
	    "                       issue a token for an ACTIVE account "
	    "(default\n"
	    "                       lifetime GRIDREST_TOKEN_LIFETIME; a "
	    "negative\n"
	    "                       one makes an expired token, for tests)\n"
	    "  usage-add ACCOUNT RSE FILES BYTES\n"
	    "                       add to (or, negative, take from) an "
	    "account's\n"
	    "                       usage on an RSE, as replication rules "
	    "do\n"
	    "  register-client NAME REDIRECT_URI [URL]\n"
	    "                       register an OAuth2 client; prints its id\n"
	    "  expired              the DIDs whose lifetime has ended, oldest "
	    "first\n"
	    "  undertaker           deal with every expired DID now, as the "
	    "dids\n"
	    "                       backends do every "
	    "GRIDREST_UNDERTAKER_INTERVAL s\n"
	    "  script-put FILE      create or replace a task script from its "
	    "JSON\n"
	    "                       description (as POST /script takes it)\n"
	    "  script-del NAME      delete a task script\n"
	    "  group                the replication group: this site's "
	    "view (JSON),\n"
	    "                       then each site with a URL as its "
	    "/health says,\n"
	    "                       its log position and lag behind the "
	    "master\n"
	    "  tables               list the tables\n"
	    "home: -h, else GRIDREST_HOME, else ./var\n");
}

static int
cmd_init(void)
{
	printf("store initialised in %s (schema %d)\n", st_dir(),
	    TBL_SCHEMA_VERSION);
	return 0;
}

static int
cmd_bootstrap(void)
{
	struct gr_err err = { 0 };
	const char *pw = getenv("GRIDREST_ROOT_PASSWORD");
	char generated[33];
	bool created, mapped;

	if (account_ensure(ACCOUNT_ROOT, "SERVICE", NULL, &created, &err) !=
	    GR_OK) {
		fprintf(stderr, "gridrest-db: bootstrap: %s\n", err.msg);
		return 1;
	}
	if (pw == NULL || *pw == '\0') {
		secret_random_hex(generated, 12);
		pw = generated;
	}
	if (identity_ensure("USERPASS", "root", ACCOUNT_ROOT, NULL, pw, true,
		&mapped, &err) != GR_OK) {
		fprintf(stderr, "gridrest-db: bootstrap: %s\n", err.msg);
		return 1;
	}
	if (!mapped) {
		printf("account root exists; its password is unchanged\n");
	} else if (pw == generated) {
		printf("account root created; userpass identity root, "
		       "password: %s\n(printed once: keep it)\n",
		    generated);
	} else {
		printf("account root created; userpass identity root, password "
		       "from GRIDREST_ROOT_PASSWORD\n");
	}
	mem_wipe(generated, sizeof(generated));
	return 0;
}

/* A key for humans: NUL-separated parts as a JSON list, binary as hex. */
static json_t *
render_key(const DBT *k)
{
	const unsigned char *p = k->data;
	json_t *parts;
	size_t i, len;
	int n;

	for (i = 0; i < k->size; i++)
		if (p[i] != 0 && (p[i] < 0x20 || p[i] >= 0x7f))
			break;
	if (i < k->size) {
		char *hex = xmalloc(2 * k->size + 1);
		json_t *out;

		hex_encode(p, k->size, hex);
		out = json_pack("{s:s}", "hex", hex);
		free(hex);
		return out;
	}
	parts = json_array();
	for (n = 0;; n++) {
		const char *s = key_part(k->data, k->size, n, &len);

		if (s == NULL)
			break;
		json_array_append_new(parts, json_stringn(s, len));
		if (s + len >= (const char *)k->data + k->size)
			break;
	}
	return parts;
}

struct dump_args {
	enum tbl_id tbl;
	unsigned long n;
	unsigned long bad; /* verify: problems found */
	bool verify;
};

static int
dump_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct dump_args *d = arg;
	json_t *v, *line;
	char *s;

	(void)pkey;
	d->n++;
	v = json_loadb(val->data, val->size, 0, NULL);
	if (d->verify) {
		if (!json_is_object(v)) {
			json_t *k = render_key(key);

			s = json_dumps(k, JSON_COMPACT);
			printf("%s: record %s is not a JSON object\n",
			    tbl_defs[d->tbl].file, s);
			free(s);
			json_decref(k);
			d->bad++;
		}
		json_decref(v);
		return GR_OK;
	}
	line = json_pack("{s:s, s:o, s:o}", "table", tbl_defs[d->tbl].file,
	    "key", render_key(key), "value",
	    v != NULL ? v : json_stringn(val->data, val->size));
	s = json_dumps(line, JSON_COMPACT);
	if (s != NULL)
		puts(s);
	free(s);
	json_decref(line);
	return GR_OK;
}

static int
dump_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct dump_args *d = arg;

	d->n = 0;
	return st_scan(t, d->tbl, NULL, 0, NULL, dump_one, d, err);
}

static int
find_table(const char *name)
{
	int i;

	for (i = 0; i < TBL_COUNT; i++) {
		const char *f = tbl_defs[i].file, *dot = strchr(f, '.');

		if (strcmp(name, f) == 0 ||
		    (dot != NULL && strncmp(name, f, (size_t)(dot - f)) == 0 &&
			name[dot - f] == '\0'))
			return i;
	}
	return -1;
}

static int
cmd_dump(const char *table)
{
	struct gr_err err = { 0 };
	struct dump_args d = { 0 };
	int i, from = 0, to = TBL_COUNT;

	if (table != NULL) {
		if ((i = find_table(table)) < 0) {
			fprintf(stderr, "gridrest-db: no table %s\n", table);
			return 2;
		}
		from = i;
		to = i + 1;
	}
	for (i = from; i < to; i++) {
		if (tbl_defs[i].primary >= 0 && table == NULL)
			continue; /* an index holds nothing of its own */
		d.tbl = (enum tbl_id)i;
		if (st_view(dump_txn, &d, ST_ONCE, &err) != GR_OK) {
			fprintf(stderr, "gridrest-db: dump: %s\n", err.msg);
			return 1;
		}
	}
	return 0;
}

/*
 * verify: every primary record is a JSON object; every secondary entry
 * points at an existing primary record whose extracted key is that entry;
 * every primary record that yields a secondary key has its entry.
 */
struct idx_args {
	enum tbl_id sec, pri;
	struct st_txn *t;
	unsigned long bad, entries, expected;
	struct gr_err *err;
};

/* The keys an extractor gave: one, or DB_DBT_MULTIPLE's array. */
static size_t
sk_count(const DBT *sk)
{
	return (sk->flags & DB_DBT_MULTIPLE) ? sk->size : 1;
}

static const DBT *
sk_at(const DBT *sk, size_t i)
{
	return (sk->flags & DB_DBT_MULTIPLE) ? &((const DBT *)sk->data)[i] : sk;
}

static void
sk_free(DBT *sk)
{
	size_t i;

	if (sk->flags & DB_DBT_MULTIPLE)
		for (i = 0; i < sk->size; i++)
			if (((DBT *)sk->data)[i].flags & DB_DBT_APPMALLOC)
				free(((DBT *)sk->data)[i].data);
	if (sk->flags & DB_DBT_APPMALLOC)
		free(sk->data);
}

static int
check_entry(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct idx_args *a = arg;
	bool found = false;
	size_t i;
	DBT sk;
	int ret;

	a->entries++;
	memset(&sk, 0, sizeof(sk));
	ret = tbl_defs[a->sec].extract(st_db(a->sec), pkey, val, &sk);
	for (i = 0; ret == 0 && !found && i < sk_count(&sk); i++) {
		const DBT *k = sk_at(&sk, i);

		found = k->size == key->size &&
		    memcmp(k->data, key->data, key->size) == 0;
	}
	if (!found) {
		printf("%s: an entry does not match its primary record\n",
		    tbl_defs[a->sec].file);
		a->bad++;
	}
	if (ret == 0)
		sk_free(&sk);
	return GR_OK;
}

static int
count_expected(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct idx_args *a = arg;
	DBT sk;

	(void)pkey;
	memset(&sk, 0, sizeof(sk));
	if (tbl_defs[a->sec].extract(st_db(a->sec), key, val, &sk) == 0) {
		a->expected += sk_count(&sk);
		sk_free(&sk);
	}
	return GR_OK;
}

static int
verify_idx_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct idx_args *a = arg;
	int rc;

	a->bad = a->entries = a->expected = 0;
	rc = st_scan(t, a->sec, NULL, 0, NULL, check_entry, a, err);
	if (rc == GR_OK)
		rc = st_scan(t, a->pri, NULL, 0, NULL, count_expected, a, err);
	return rc;
}

static int
print_json(json_t *item, void *ctx)
{
	char *s = json_dumps(item, JSON_COMPACT);

	(void)ctx;
	printf("%s\n", s);
	free(s);
	return GR_OK;
}

/* The STUCK rules, one JSON line each (as GET /rules/ renders them). */
static int
cmd_rules_stuck(void)
{
	struct gr_err err = { 0 };
	json_t *f = json_pack("{s:s}", "state", "S");
	int rc = rule_list(f, print_json, NULL, &err);

	json_decref(f);
	if (rc != GR_OK) {
		fprintf(stderr, "gridrest-db: rules-stuck: %s\n", err.msg);
		return 1;
	}
	return 0;
}

/* rules-expire: every rule whose lifetime ended, now (a hundred a
   transaction), for an operator or a cron job of an idle server. */
static int
cmd_rules_expire(void)
{
	struct gr_err err = { 0 };
	size_t done, all = 0;

	do {
		if (rule_expire(100, &done, &err) != GR_OK) {
			fprintf(stderr, "gridrest-db: rules-expire: %s\n",
			    err.msg);
			return 1;
		}
		all += done;
	} while (done == 100);
	printf("%zu expired rules deleted\n", all);
	return 0;
}

/* Print one message; a failed write (a closed pipe) keeps the rest. */
static int
print_message(json_t *item, void *ctx)
{
	char *s = json_dumps(item, JSON_COMPACT);
	int ok = printf("%s\n", s) >= 0 && fflush(stdout) == 0;

	(void)ctx;
	free(s);
	return ok ? GR_OK : GR_INTERNAL;
}

/* messages [--drain] [EVENT_TYPE]: a thousand a round until none is
   left (draining) or all were printed. */
static int
cmd_messages(char **args, int n)
{
	struct gr_err err = { 0 };
	const char *type = NULL;
	bool drain = false;
	size_t got;
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(args[i], "--drain") == 0)
			drain = true;
		else if (type == NULL && args[i][0] != '-')
			type = args[i];
		else {
			usage();
			return 2;
		}
	}
	do {
		if (msg_list(type, drain ? 1000 : 0, drain, print_message, NULL,
			&got, &err) != GR_OK) {
			fprintf(stderr, "gridrest-db: messages: %s\n",
			    err.code == GR_INTERNAL && err.msg[0] == '\0'
				? "cannot write"
				: err.msg);
			return 1;
		}
	} while (drain && got == 1000);
	return 0;
}

static int
cmd_rules_reevaluate(const char *did)
{
	struct gr_err err = { 0 };
	const char *colon = strchr(did, ':');
	char scope[256];

	if (colon == NULL || (size_t)(colon - did) >= sizeof(scope)) {
		fprintf(stderr, "gridrest-db: rules-reevaluate SCOPE:NAME\n");
		return 2;
	}
	memcpy(scope, did, (size_t)(colon - did));
	scope[colon - did] = '\0';
	if (rule_reevaluate(scope, colon + 1, &err) != GR_OK) {
		fprintf(stderr, "gridrest-db: rules-reevaluate: %s\n", err.msg);
		return 1;
	}
	printf("re-evaluated %s\n", did);
	return 0;
}

static int
print_line(const char *line, size_t n, void *ctx)
{
	(void)ctx;
	printf("%.*s\n", (int)n, line);
	return GR_OK;
}

static int
cmd_verify(void)
{
	struct gr_err err = { 0 };
	unsigned long bad = 0;
	long nbad = 0;
	int i;

	for (i = 0; i < TBL_COUNT; i++) {
		if (tbl_defs[i].primary < 0) {
			struct dump_args d = { .tbl = (enum tbl_id)i,
				.verify = true };

			if (st_view(dump_txn, &d, ST_ONCE, &err) != GR_OK)
				goto fail;
			printf("%-24s %8lu records\n", tbl_defs[i].file, d.n);
			bad += d.bad;
		} else {
			struct idx_args a = { .sec = (enum tbl_id)i,
				.pri = (enum tbl_id)tbl_defs[i].primary };

			if (st_view(verify_idx_txn, &a, ST_ONCE, &err) != GR_OK)
				goto fail;
			if (a.entries != a.expected) {
				printf("%s: %lu entries, %lu expected\n",
				    tbl_defs[i].file, a.entries, a.expected);
				a.bad++;
			}
			printf("%-24s %8lu entries\n", tbl_defs[i].file,
			    a.entries);
			bad += a.bad;
		}
	}
	/* the top level of each scope against the DIDs and contents */
	if (did_top_verify(print_line, NULL, &nbad, &err) != GR_OK)
		goto fail;
	printf("%-24s %8ld problems\n", "top-level DIDs", nbad);
	bad += (unsigned long)nbad;
	/* the replication rules' counters against their locks */
	if (rule_verify(print_line, NULL, &nbad, &err) != GR_OK)
		goto fail;
	printf("%-24s %8ld problems\n", "rule counters", nbad);
	bad += (unsigned long)nbad;
	if (bad != 0) {
		printf("verify: %lu problems\n", bad);
		return 1;
	}
	printf("verify: ok\n");
	return 0;
fail:
	fprintf(stderr, "gridrest-db: verify: %s\n", err.msg);
	return 1;
}

static int
cmd_backup(const char *dir)
{
	DB_ENV *env = st_env(), *copy = NULL;
	int ret;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "gridrest-db: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	/* copies the databases, then the logs */
	ret = env->backup(env, dir,
	    DB_CREATE | DB_BACKUP_CLEAN | DB_BACKUP_FILES |
		DB_BACKUP_SINGLE_DIR);
	if (ret != 0) {
		fprintf(stderr, "gridrest-db: backup: %s\n", db_strerror(ret));
		return 1;
	}
	/* A database copied before a checkpoint that the copied log holds
	   is older than that checkpoint says: normal recovery, which starts
	   there, fails on it ("Log sequence error"). Catastrophic recovery
	   replays the whole copied log over the copies, as Berkeley DB asks
	   of a hot backup, and leaves a checkpoint that agrees with them. */
	if ((ret = db_env_create(&copy, 0)) != 0 ||
	    (ret = copy->open(copy, dir,
		 DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
		     DB_INIT_TXN | DB_PRIVATE | DB_RECOVER_FATAL,
		 0600)) != 0) {
		fprintf(stderr,
		    "gridrest-db: backup: recovery of the copy: %s\n",
		    db_strerror(ret));
		if (copy != NULL)
			(void)copy->close(copy, 0);
		return 1;
	}
	if ((ret = copy->close(copy, 0)) != 0) {
		fprintf(stderr, "gridrest-db: backup: %s\n", db_strerror(ret));
		return 1;
	}
	printf("backup written to %s; restore by making it <home>/db\n", dir);
	return 0;
}

static int
cmd_register_client(const char *name, const char *redirect, const char *url)
{
	struct gr_err err = { 0 };
	json_t *out;
	char *s;

	if (oauth_client_add(NULL, name, redirect, url, &out, &err) != GR_OK) {
		fprintf(stderr, "gridrest-db: register-client: %s\n", err.msg);
		return 1;
	}
	s = json_dumps(out, JSON_INDENT(2));
	printf("%s\n", s);
	free(s);
	json_decref(out);
	return 0;
}

static int
cmd_usage_add(char **argv)
{
	struct gr_err err = { 0 };
	long files, bytes;

	if (parse_long(argv[2], -(1L << 53), 1L << 53, &files) != 0 ||
	    parse_long(argv[3], -(1L << 53), 1L << 53, &bytes) != 0) {
		fprintf(stderr,
		    "gridrest-db: usage-add: FILES and BYTES are "
		    "integers\n");
		return 2;
	}
	if (account_usage_adjust(argv[0], argv[1], files, bytes, &err) !=
	    GR_OK) {
		fprintf(stderr, "gridrest-db: usage-add: %s\n", err.msg);
		return 1;
	}
	return 0;
}

static int
cmd_token(const char *account, const char *seconds)
{
	struct gr_err err = { 0 };
	char token[TOKEN_MAX];
	json_t *acc = NULL;
	long life = (long)cfg.token_lifetime;
	int64_t exp;

	if (seconds != NULL &&
	    parse_long(seconds, -86400, 30L * 86400, &life)) {
		fprintf(stderr,
		    "gridrest-db: token: SECONDS is -86400..2592000\n");
		return 2;
	}
	if (account_get(account, &acc, &err) != GR_OK ||
	    strcmp(json_string_value(json_object_get(acc, "status")),
		"ACTIVE") != 0) {
		fprintf(stderr, "gridrest-db: token: no active account %s\n",
		    account);
		json_decref(acc);
		return 1;
	}
	json_decref(acc);
	if (token_issue(account, "gridrest-db", "admin", life, token, &exp,
		&err) != GR_OK) {
		fprintf(stderr, "gridrest-db: token: %s\n", err.msg);
		return 1;
	}
	printf("%s\n", token);
	mem_wipe(token, sizeof(token));
	return 0;
}

static int
print_expired(const char *scope, const char *name, int64_t when, void *arg)
{
	char date[DATE_RFC1123_LEN];

	(void)arg;
	printf("%s:%s\t%s\n", scope, name, date_rfc1123(when, date));
	return GR_OK;
}

static int
expired_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	(void)arg;
	return didlife_expired_each(t, time_now(), print_expired, NULL, err);
}

/* expired: what the undertaker will take, oldest first */
static int
cmd_expired(void)
{
	struct gr_err err = { 0 };

	if (st_view(expired_txn, NULL, ST_ONCE, &err) != GR_OK) {
		fprintf(stderr, "gridrest-db: %s\n", err.msg);
		return 1;
	}
	return 0;
}

/* undertaker: every expired DID, now */
static int
cmd_undertaker(void)
{
	struct gr_err err = { 0 };
	struct didlife_sweep s;

	if (didlife_undertake(time_now(), (size_t)-1, &s, &err) != GR_OK) {
		fprintf(stderr, "gridrest-db: %s\n", err.msg);
		return 1;
	}
	printf("%zu expired collections deleted, the expiry of %zu files "
	       "lifted\n",
	    s.buried, s.files);
	if (s.kept > 0)
		printf("%zu expired collections kept a day more: a rule on "
		       "each "
		       "is locked\n",
		    s.kept);
	return 0;
}

static int
cmd_tables(void)
{
	int i;

	for (i = 0; i < TBL_COUNT; i++)
		printf("%-24s %s\n", tbl_defs[i].file,
		    tbl_defs[i].primary >= 0 ? "index" : "table");
	return 0;
}

/* --- task scripts --- */

static int
cmd_script_put(const char *file)
{
	struct gr_err err = { 0 };
	json_error_t jerr;
	json_t *in = json_load_file(file, 0, &jerr), *out = NULL;
	int rc;

	if (in == NULL) {
		fprintf(stderr, "gridrest-db: script-put: %s: %s\n", file,
		    jerr.text);
		return 1;
	}
	rc = script_put("root", NULL, in, true, &out, &err);
	if (rc == GR_DUPLICATE) {
		gr_clear(&err);
		rc = script_put("root", NULL, in, false, &out, &err);
	}
	json_decref(in);
	if (rc != GR_OK) {
		fprintf(stderr, "gridrest-db: script-put: %s\n", err.msg);
		return 1;
	}
	printf("%s\n", json_string_value(json_object_get(out, "name")));
	json_decref(out);
	return 0;
}

static int
cmd_script_del(const char *name)
{
	struct gr_err err = { 0 };

	if (script_del("root", name, &err) != GR_OK) {
		fprintf(stderr, "gridrest-db: script-del: %s\n", err.msg);
		return 1;
	}
	return 0;
}

static size_t
group_body(char *p, size_t size, size_t n, void *arg)
{
	struct sbuf *b = arg;

	if (b->len + size * n > 65536)
		return 0;
	sbuf_add(b, p, size * n);
	return size * n;
}

/* GET url/health, parsed; NULL when it did not answer JSON. */
static json_t *
group_health(const char *url)
{
	struct sbuf body = { 0 };
	char full[1024];
	CURL *c = curl_easy_init();
	json_t *o = NULL;

	if (c == NULL ||
	    snprintf(full, sizeof(full), "%s/health", url) >=
		(int)sizeof(full)) {
		curl_easy_cleanup(c);
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 3L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, group_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	if (curl_easy_perform(c) == CURLE_OK && body.len > 0)
		o = json_loadb(body.s, body.len, 0, NULL);
	curl_easy_cleanup(c);
	sbuf_free(&body);
	return o;
}

/* "file/offset" as one number: offsets stay below 2^32 (log files of
   10 MB here), so the file is the high word. */
static long long
lsn_value(const json_t *o)
{
	unsigned f, off;
	const char *s = json_string_value(json_object_get(o, "lsn"));

	if (s == NULL || sscanf(s, "%u/%u", &f, &off) != 2)
		return -1;
	return ((long long)f << 32) | off;
}

static int
cmd_group(void)
{
	json_t *self = st_repl_status(), *sites, *site, *h;
	json_t *seen = json_array(), *master = NULL;
	size_t i;
	long long top = -1, v;

	if (self == NULL) {
		fprintf(stderr,
		    "gridrest-db: group: replication is off "
		    "(GRIDREST_REPL_SELF is not set)\n");
		json_decref(seen);
		return 1;
	}
	json_dumpf(self, stdout, JSON_COMPACT);
	printf("\n");
	/* every site with a URL, this one included, as it sees itself */
	sites = json_object_get(self, "sites");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	json_array_foreach(sites, i, site) {
		const char *url = json_string_value(
		    json_object_get(site, "url"));

		h = url != NULL ? group_health(url) : NULL;
		json_array_append_new(seen,
		    json_pack("{s:O,s:o}", "address",
			json_object_get(site, "address"), "health",
			h != NULL ? h : json_null()));
	}
	json_array_append_new(seen,
	    json_pack("{s:O,s:o}", "address", json_object_get(self, "self"),
		"health", self)); /* self is the array's now */
	json_array_foreach(seen, i, site) {
		h = json_object_get(site, "health");
		const char *role = json_string_value(
		    json_object_get(h, "role"));

		if (role != NULL && strcmp(role, "master") == 0 &&
		    (v = lsn_value(h)) > top) {
			top = v;
			master = h;
		}
	}
	printf("%-24s %-8s %-14s %s\n", "SITE", "ROLE", "LSN", "LAG");
	json_array_foreach(seen, i, site) {
		const char *role, *lsn;

		h = json_object_get(site, "health");
		role = json_string_value(json_object_get(h, "role"));
		lsn = json_string_value(json_object_get(h, "lsn"));
		v = lsn_value(h);
		printf("%-24s %-8s %-14s ",
		    json_string_value(json_object_get(site, "address")),
		    role != NULL ? role : "?", lsn != NULL ? lsn : "?");
		if (master == NULL || v < 0)
			printf("?\n");
		else if ((top >> 32) == (v >> 32))
			printf("%lld bytes\n", top - v > 0 ? top - v : 0);
		else
			printf("%lld log files\n", (top >> 32) - (v >> 32));
	}
	json_decref(seen);
	curl_global_cleanup();
	return 0;
}

int
main(int argc, char **argv)
{
	struct gr_err err = { 0 };
	const char *cmd;
	unsigned flags = 0;
	int rc, i = 1;

	log_set_name("db");
	json_set_alloc_funcs(xmalloc, free);
	if (cfg_load(&err) != GR_OK) {
		fprintf(stderr, "gridrest-db: %s\n", err.msg);
		return 2;
	}
	if (i + 1 < argc && strcmp(argv[i], "-h") == 0) {
		cfg.home = argv[i + 1];
		i += 2;
	}
	if (i >= argc) {
		usage();
		return 2;
	}
	cmd = argv[i++];
	if (strcmp(cmd, "tables") == 0)
		return cmd_tables();
	if (strcmp(cmd, "init") == 0)
		flags = ST_INIT;
	else if (strcmp(cmd, "usage-add") != 0 &&
	    strcmp(cmd, "bootstrap") != 0 && strcmp(cmd, "verify") != 0 &&
	    strcmp(cmd, "backup") != 0 && strcmp(cmd, "dump") != 0 &&
	    strcmp(cmd, "register-client") != 0 && strcmp(cmd, "token") != 0 &&
	    strcmp(cmd, "expired") != 0 && strcmp(cmd, "undertaker") != 0 &&
	    strcmp(cmd, "script-put") != 0 && strcmp(cmd, "script-del") != 0 &&
	    strcmp(cmd, "rules-stuck") != 0 && strcmp(cmd, "group") != 0 &&
	    strcmp(cmd, "rules-expire") != 0 &&
	    strcmp(cmd, "rules-reevaluate") != 0 &&
	    strcmp(cmd, "messages") != 0) {
		usage();
		return 2;
	}
	if ((strcmp(cmd, "backup") == 0 && i >= argc) ||
	    (strcmp(cmd, "register-client") == 0 && i + 2 > argc) ||
	    (strcmp(cmd, "token") == 0 && i >= argc) ||
	    (strcmp(cmd, "usage-add") == 0 && i + 4 != argc) ||
	    (strncmp(cmd, "script-", 7) == 0 && i >= argc) ||
	    (strcmp(cmd, "rules-reevaluate") == 0 && i >= argc)) {
		usage();
		return 2;
	}
	if (st_open(cfg.home, flags, &err) != GR_OK) {
		fprintf(stderr,
		    "gridrest-db: cannot open the store in %s: %s\n", cfg.home,
		    err.msg);
		return 1;
	}
	if (strcmp(cmd, "init") == 0)
		rc = cmd_init();
	else if (strcmp(cmd, "bootstrap") == 0)
		rc = cmd_bootstrap();
	else if (strcmp(cmd, "verify") == 0)
		rc = cmd_verify();
	else if (strcmp(cmd, "backup") == 0)
		rc = cmd_backup(argv[i]);
	else if (strcmp(cmd, "token") == 0)
		rc = cmd_token(argv[i], i + 1 < argc ? argv[i + 1] : NULL);
	else if (strcmp(cmd, "expired") == 0)
		rc = cmd_expired();
	else if (strcmp(cmd, "undertaker") == 0)
		rc = cmd_undertaker();
	else if (strcmp(cmd, "script-put") == 0)
		rc = cmd_script_put(argv[i]);
	else if (strcmp(cmd, "script-del") == 0)
		rc = cmd_script_del(argv[i]);
	else if (strcmp(cmd, "register-client") == 0)
		rc = cmd_register_client(argv[i], argv[i + 1],
		    i + 2 < argc ? argv[i + 2] : NULL);
	else if (strcmp(cmd, "usage-add") == 0)
		rc = cmd_usage_add(argv + i);
	else if (strcmp(cmd, "rules-stuck") == 0)
		rc = cmd_rules_stuck();
	else if (strcmp(cmd, "group") == 0)
		rc = cmd_group();
	else if (strcmp(cmd, "rules-expire") == 0)
		rc = cmd_rules_expire();
	else if (strcmp(cmd, "rules-reevaluate") == 0)
		rc = cmd_rules_reevaluate(argv[i]);
	else if (strcmp(cmd, "messages") == 0)
		rc = cmd_messages(argv + i, argc - i);
	else
		rc = cmd_dump(i < argc ? argv[i] : NULL);
	mover_kick_noted(); /* transfers a command queued */
	st_close();
	return rc;
}
