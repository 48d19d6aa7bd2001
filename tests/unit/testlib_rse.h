/*
 * testlib_rse.h -- for the unit tests whose files live on real posix RSEs
 * (the mover's, the reaper's): a store with the scope data and RSEs rooted
 * in the test's home, and the local path a DID has on one of them.
 * Include after cmocka.h: the helpers assert.
 */
#ifndef TESTLIB_RSE_H
#define TESTLIB_RSE_H

#include <string.h>
#include <sys/stat.h>

#include "rse.h"
#include "scope.h"
#include "testlib.h"
#include "util.h"

/*
 * testlib_store_accounts(home), the scope data (root's), and the RSEs
 * rses[0..n-1], each with a posix protocol "file" on localhost, port 0,
 * read, write and delete on the wan, its prefix home/NAME; 0 or -1.
 */
static inline int
testlib_store_rses(char *home, const char *const *rses, size_t n)
{
	struct gr_err err = { 0 };
	char body[TEST_PATH_MAX + 300];
	json_t *s, *p;
	size_t i;
	int rc = 0;

	if (testlib_store_accounts(home) != 0 ||
	    scope_add("root", "root", "data", &err) != GR_OK)
		return -1;
	s = json_object();
	for (i = 0; i < n && rc == 0; i++) {
		(void)snprintf(body, sizeof(body),
		    "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": "
		    "\"%s/%s\", \"impl\": "
		    "\"rucio.rse.protocols.posix.Default\","
		    " \"domains\": {\"wan\": {\"read\": 1, \"write\": 1, "
		    "\"delete\": 1}}}",
		    home, rses[i]);
		p = json_loads(body, 0, NULL);
		if (rse_add("root", rses[i], s, &err) != GR_OK ||
		    rse_proto_add("root", rses[i], "file", p, &err) != GR_OK) {
			fprintf(stderr, "# setup: %s\n", err.msg);
			rc = -1;
		}
		json_decref(p);
	}
	json_decref(s);
	return rc;
}

/* The local path of data:name on rse for operation op ("write",
   "delete"...): its PFN without file://localhost:0; malloc'ed. */
static inline char *
testlib_rse_path(const char *rse, const char *name, const char *op)
{
	struct gr_err err = { 0 };
	json_t *lfns, *out = NULL;
	char lfn[300], *p;
	const char *pfn;

	(void)snprintf(lfn, sizeof(lfn), "data:%s", name);
	lfns = json_pack("[s]", lfn);
	assert_int_equal(rse_lfns2pfns(rse, lfns, "file", "wan", op, &out,
			     &err),
	    GR_OK);
	pfn = json_string_value(json_object_get(out, lfn));
	assert_non_null(pfn);
	assert_int_equal(strncmp(pfn, "file://localhost:0/", 19), 0);
	p = xstrdup(pfn + 18);
	json_decref(out);
	json_decref(lfns);
	return p;
}

/* The directories above path (not path itself), as mkdir -p would. */
static inline void
testlib_mkdirs(const char *path)
{
	char *p = xstrdup(path), *s;

	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		(void)mkdir(p, 0755);
		*s = '/';
	}
	free(p);
}

#endif /* TESTLIB_RSE_H */
