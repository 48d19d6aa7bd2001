/*
 * store_counter.c -- the counters every process of a store shares
 * (store_counter.h): the change counters, a page of the file "changes"
 * mapped shared and updated with atomics (not transactional, not
 * persistent in meaning), and the sequences, records of TBL_SEQS taken in
 * transactions of their own.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "store_counter.h"
#include "store_repl.h"
#include "store_int.h"

#define ST_CHANGES_SIZE 4096
static uint64_t *changes; /* mapped once, kept across reopens */

int
st_changes_map(const char *dir, struct gr_err *err)
{
	char path[PATH_MAX + 16];
	struct stat sb;
	void *p;
	int fd;

	if (changes != NULL)
		return GR_OK;
	(void)snprintf(path, sizeof(path), "%s/changes", dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (sb.st_size < ST_CHANGES_SIZE &&
		ftruncate(fd, ST_CHANGES_SIZE) != 0)) {
		int e = errno;

		if (fd >= 0)
			(void)close(fd);
		return gr_fail(err, GR_DATABASE, "cannot open %s: %s", path,
		    strerror(e));
	}
	p = mmap(NULL, ST_CHANGES_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	(void)close(fd);
	if (p == MAP_FAILED)
		return gr_fail(err, GR_DATABASE, "cannot map %s: %s", path,
		    strerror(errno));
	changes = p;
	return GR_OK;
}

uint64_t
st_changes(enum st_change c)
{
	static uint64_t fresh = 1ULL << 63;

	/* a replica applies the master's writes without counting them:
	   the caches that hold while a counter stays (tokens, the archive)
	   never hold there (a transition of roles counts, store_repl.c) */
	if (c != ST_CHANGE_TOMBSTONES && st_repl_on() &&
	    st_repl_role(false) != ST_ROLE_MASTER)
		return fresh++;
	return changes != NULL ? __atomic_load_n(&changes[c], __ATOMIC_ACQUIRE)
			       : 0;
}

void
st_changed(enum st_change c)
{
	if (changes != NULL)
		(void)__atomic_add_fetch(&changes[c], 1, __ATOMIC_SEQ_CST);
}

struct seq_args {
	const char *name;
	uint64_t n, first;
};

static int
seq_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct seq_args *a = arg;
	DBT key = st_dbt(a->name, strlen(a->name));
	json_t *rec = NULL;
	json_int_t next = 0;
	int ret;

	st_txn_lazy(t);
	ret = st_get_json(t, TBL_SEQS, &key, &rec, DB_RMW);
	if (ret == 0)
		next = json_integer_value(json_object_get(rec, "next"));
	else if (ret != DB_NOTFOUND)
		return st_fail(err, ret);
	json_decref(rec);
	if (next < 1)
		next = 1;
	a->first = (uint64_t)next;
	rec = json_pack("{s:I}", "next", next + (json_int_t)a->n);
	ret = st_put_json(t, TBL_SEQS, &key, rec, 0);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
st_seq_take(const char *name, uint64_t n, uint64_t *first, struct gr_err *err)
{
	struct seq_args a = { name, n > 0 ? n : 1, 0 };
	int rc = st_txn_run(seq_txn, &a, err);

	*first = a.first;
	return rc;
}
