/*
 * test_jobdata.c -- a job's data (common/jobdata.c, common/stage.c) on a
 * real store and real posix storage: LFNs checked, resolved through the
 * file catalogue and Rucio's replicas with the owner's rights, copied
 * into a working directory with their checksums checked; outputs planned,
 * stored and registered in either catalogue, a failed registration
 * leaving no copy behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"
#include "drm_run.h"
#include "jobdata.h"
#include "replica.h"
#include "rse.h"
#include "scope.h"
#include "stage.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-jobdata";
static char rse_dir[TEST_PATH_MAX + 32], cwd[TEST_PATH_MAX + 32];

/* "abc" and "abd": their adler32 (the definition's published example) */
#define ABC_ADLER "024d0127"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char *
read_file(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* a fresh, empty working directory */
static void
fresh_cwd(void)
{
	char cmd[TEST_PATH_MAX + 100];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cwd);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(mkdir(cwd, 0700), 0);
}

static void
test_lfn_parse(void **state)
{
	static const char *const bad[] = { "relative/f", "/vo//f", "/vo/../f",
		"/vo/./f", "/vo/d/", "/vo/.hidden", ":name",
		"scope:", "sc ope:f", "data:a/.x", "LFN:", "/",
		"scopewithaverylongnameindeed:f" };
	struct gr_err err = { 0 };
	char lfn[FC_PATH_MAX + 1], name[WL_NAME_MAX + 1];
	bool rucio;
	size_t i;

	(void)state;
	assert_int_equal(jd_lfn_parse("LFN:/vo/data/f.root", lfn, name, &rucio,
			     &err),
	    GR_OK);
	assert_string_equal(lfn, "/vo/data/f.root");
	assert_string_equal(name, "f.root");
	assert_false(rucio);
	assert_int_equal(jd_lfn_parse("/vo/f", lfn, name, &rucio, &err), GR_OK);
	assert_int_equal(jd_lfn_parse("user.jdoe:run1/f.txt", lfn, name, &rucio,
			     &err),
	    GR_OK);
	assert_true(rucio);
	assert_string_equal(lfn, "user.jdoe:run1/f.txt");
	assert_string_equal(name, "f.txt");
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		gr_clear(&err);
		if (jd_lfn_parse(bad[i], lfn, name, &rucio, &err) !=
		    GR_INVALID_MANIFEST)
			fail_msg("'%s' was taken", bad[i]);
	}
}

/* the source entries of a resolved file (borrowed) */
static const json_t *
sources(const json_t *in, size_t i)
{
	return json_object_get(json_array_get(in, i), "sources");
}

static const char *
why(const json_t *in, size_t i)
{
	return json_string_value(json_object_get(json_array_get(in, i), "why"));
}

static void
test_resolve(void **state)
{
	struct gr_err err = { 0 };
	json_t *lfns = json_pack("[s, s, s, s, s, s]", "/vo/data/a.txt",
	    "LFN:/vo/data/secret.txt", "/vo/data/none.txt", "data:b.txt",
	    "data:none", "/vo/data/far.txt");
	json_t *in = NULL;
	char pfn[TEST_PATH_MAX + 100];

	(void)state;
	assert_int_equal(jd_resolve("alice", "user", lfns, &in, &err), GR_OK);
	assert_int_equal(json_array_size(in), 6);
	/* a catalogue file: its replica on the RSE, its figures */
	assert_int_equal(json_array_size(sources(in, 0)), 1);
	(void)snprintf(pfn, sizeof(pfn), "file://localhost:0%s/vo/data/a.txt",
	    rse_dir);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(sources(in, 0),
						    0),
				    "pfn")),
	    pfn);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(sources(in, 0),
						    0),
				    "prefix")),
	    rse_dir);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(in, 0),
				    "adler32")),
	    ABC_ADLER);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(in, 0), "bytes")),
	    3);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(in, 0), "name")),
	    "a.txt");
	/* root's file with mode 0600: not alice's to read */
	assert_int_equal(json_array_size(sources(in, 1)), 0);
	assert_string_equal(why(in, 1), "the job's owner may not read it");
	assert_string_equal(why(in, 2), "no such file in the file catalogue");
	/* a Rucio DID: its AVAILABLE replica */
	assert_int_equal(json_array_size(sources(in, 3)), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(in, 3),
				    "adler32")),
	    ABC_ADLER);
	assert_string_equal(why(in, 4), "no such file DID");
	/* a replica on an SE that is no RSE here is never a source */
	assert_int_equal(json_array_size(sources(in, 5)), 0);
	assert_non_null(why(in, 5));
	json_decref(in);
	/* an admin reads everything */
	assert_int_equal(jd_resolve("root", NULL, lfns, &in, &err), GR_OK);
	assert_int_equal(json_array_size(sources(in, 1)), 1);
	json_decref(in);
	json_decref(lfns);
	/* alice's own LFN with the PFN of root's file: not at its path */
	(void)snprintf(pfn, sizeof(pfn),
	    "file://localhost:0%s/vo/data/secret.txt", rse_dir);
	lfns = json_pack("[{s:s, s:i, s:{s:s}}]", "lfn",
	    "/vo/user/alice/steal.txt", "size", 3, "replicas", "POSIX_USERDISK",
	    pfn);
	assert_int_equal(fc_files_add("alice", "user", lfns, &err), GR_OK);
	json_decref(lfns);
	lfns = json_pack("[s]", "/vo/user/alice/steal.txt");
	assert_int_equal(jd_resolve("alice", "user", lfns, &in, &err), GR_OK);
	assert_int_equal(json_array_size(sources(in, 0)), 0);
	assert_non_null(strstr(why(in, 0), "no replica at its path"));
	json_decref(in);
	json_decref(lfns);
	/* a bad entry fails the whole */
	lfns = json_pack("[s, s]", "/vo/data/a.txt", "bad");
	assert_int_equal(jd_resolve("alice", "user", lfns, &in, &err),
	    GR_INVALID_MANIFEST);
	assert_null(in);
	json_decref(lfns);
}

static void
test_stage_in(void **state)
{
	struct gr_err err = { 0 };
	json_t *lfns = json_pack("[s, s]", "/vo/data/a.txt", "data:b.txt");
	json_t *in = NULL;
	char path[TEST_PATH_MAX + 100], away[TEST_PATH_MAX + 100],
	    want[TEST_PATH_MAX + 200], msg[512];
	struct stat st;

	(void)state;
	fresh_cwd();
	assert_int_equal(jd_resolve("alice", "user", lfns, &in, &err), GR_OK);
	assert_int_equal(stage_in(in, cwd, false, 0, 0, msg, sizeof(msg)), 0);
	(void)snprintf(path, sizeof(path), "%s/a.txt", cwd);
	assert_string_equal(read_file(path), "abc");
	(void)snprintf(path, sizeof(path), "%s/b.txt", cwd);
	assert_string_equal(read_file(path), "abc");
	/* a name taken by a link is refused; the link is left alone */
	fresh_cwd();
	(void)snprintf(path, sizeof(path), "%s/a.txt", cwd);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(stage_in(in, cwd, false, 0, 0, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "/vo/data/a.txt"));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* a corrupted replica: the checksum names it; nothing is left */
	fresh_cwd();
	(void)snprintf(path, sizeof(path), "%s/vo/data/a.txt", rse_dir);
	write_file(path, "abd");
	assert_int_equal(stage_in(in, cwd, false, 0, 0, msg, sizeof(msg)), -1);
	assert_non_null(
	    strstr(msg, "Input data not available: /vo/data/a.txt: "));
	assert_non_null(strstr(msg, "checksum mismatch"));
	(void)snprintf(path, sizeof(path), "%s/a.txt", cwd);
	assert_int_equal(access(path, F_OK), -1);
	(void)snprintf(path, sizeof(path), "%s/vo/data/a.txt", rse_dir);
	write_file(path, "abc");
	/* by protocol: nothing copied, the catalogue names each file where
	   it lies (a posix PFN as its path), its GUID, its RSE */
	fresh_cwd();
	json_object_set_new(json_array_get(in, 0), "access",
	    json_string("protocol"));
	json_object_set_new(json_array_get(in, 1), "access",
	    json_string("protocol"));
	assert_int_equal(stage_in(in, cwd, false, 0, 0, msg, sizeof(msg)), 0);
	(void)snprintf(path, sizeof(path), "%s/a.txt", cwd);
	assert_int_equal(access(path, F_OK), -1);
	(void)snprintf(path, sizeof(path), "%s/" STAGE_CATALOG, cwd);
	assert_non_null(read_file(path));
	assert_non_null(strstr(read_file(path), "<POOLFILECATALOG>\n"));
	(void)snprintf(want, sizeof(want),
	    "<pfn filetype=\"ROOT\" name=\"%s/vo/data/a.txt\" "
	    "se=\"POSIX_USERDISK\"/>",
	    rse_dir);
	assert_non_null(strstr(read_file(path), want));
	assert_non_null(
	    strstr(read_file(path), "<lfn name=\"/vo/data/a.txt\"/>"));
	/* a file gone from its storage: the job is told which */
	(void)snprintf(path, sizeof(path), "%s/vo/data/a.txt", rse_dir);
	(void)snprintf(away, sizeof(away), "%s/away", rse_dir);
	assert_int_equal(rename(path, away), 0);
	fresh_cwd();
	assert_int_equal(stage_in(in, cwd, false, 0, 0, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg,
	    "Input data not available: /vo/data/a.txt: source missing"));
	(void)snprintf(path, sizeof(path), "%s/" STAGE_CATALOG, cwd);
	assert_int_equal(access(path, F_OK), -1);
	(void)snprintf(path, sizeof(path), "%s/vo/data/a.txt", rse_dir);
	assert_int_equal(rename(away, path), 0);
	json_decref(in);
	/* no source at all: its why */
	in = json_pack("[{s:s, s:s, s:[], s:s}]", "name", "x", "lfn", "/vo/x",
	    "sources", "why", "no replica");
	assert_int_equal(stage_in(in, cwd, false, 0, 0, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "Input data not available: /vo/x: no replica");
	json_decref(in);
	json_decref(lfns);
}

/* A new sparse file of size bytes at path. */
static int
truncate_new(const char *path, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), rc;

	if (fd < 0)
		return -1;
	rc = ftruncate(fd, size);
	close(fd);
	return rc;
}

static void
test_policy(void **state)
{
	struct gr_err err = { 0 };
	json_t *v, *m;
	bool protocol = true;

	(void)state;
	/* none: download */
	assert_int_equal(jd_policy(NULL, NULL, &protocol, &err), GR_OK);
	assert_false(protocol);
	v = json_string(JD_BY_PROTOCOL);
	assert_int_equal(jd_policy(v, NULL, &protocol, &err), GR_OK);
	assert_true(protocol);
	json_decref(v);
	v = json_string("protocol"); /* the Job API's name, any case */
	assert_int_equal(jd_policy(v, NULL, &protocol, &err), GR_OK);
	assert_true(protocol);
	json_decref(v);
	/* a list: the first decides, every entry known */
	v = json_pack("[s, s]", JD_DOWNLOAD, JD_BY_PROTOCOL);
	m = json_string(JD_RESOLUTION);
	assert_int_equal(jd_policy(v, m, &protocol, &err), GR_OK);
	assert_false(protocol);
	json_decref(v);
	json_decref(m);
	v = json_pack("[s, s]", JD_BY_PROTOCOL, "Stream");
	assert_int_equal(jd_policy(v, NULL, &protocol, &err),
	    GR_INVALID_MANIFEST);
	assert_non_null(strstr(err.msg, JD_DOWNLOAD));
	json_decref(v);
	gr_clear(&err);
	v = json_pack("[]");
	assert_int_equal(jd_policy(v, NULL, &protocol, &err),
	    GR_INVALID_MANIFEST);
	json_decref(v);
	gr_clear(&err);
	v = json_integer(1);
	assert_int_equal(jd_policy(v, NULL, &protocol, &err),
	    GR_INVALID_MANIFEST);
	json_decref(v);
	gr_clear(&err);
	m = json_string("LHCbDIRAC.Resolution");
	assert_int_equal(jd_policy(NULL, m, &protocol, &err),
	    GR_INVALID_MANIFEST);
	assert_non_null(strstr(err.msg, JD_RESOLUTION));
	json_decref(m);
}

/* The runner's stop: asks for the end at once. */
static const char *
stop_now(void *ctx)
{
	(void)ctx;
	return "cancelled";
}

static void
test_stage_in_run(void **state)
{
	struct gr_err err = { 0 };
	json_t *lfns = json_pack("[s, s]", "/vo/data/a.txt", "data:b.txt");
	json_t *in = NULL;
	struct drm_run run = { .grace = 1 };
	char path[TEST_PATH_MAX + 100], msg[512];
	int fd;

	(void)state;
	fresh_cwd();
	assert_int_equal(jd_resolve("alice", "user", lfns, &in, &err), GR_OK);
	/* in a process of its own, to its end */
	assert_int_equal(stage_in_start(in, cwd, false, 0, 0, &run, &fd, msg,
			     sizeof(msg)),
	    0);
	assert_true(run.pid > 0);
	assert_int_equal(stage_in_wait(in, cwd, &run, fd, msg, sizeof(msg)), 0);
	assert_null(run.how);
	(void)snprintf(path, sizeof(path), "%s/b.txt", cwd);
	assert_string_equal(read_file(path), "abc");
	/* a failure's reason comes back from the process */
	fresh_cwd();
	(void)snprintf(path, sizeof(path), "%s/vo/data/a.txt", rse_dir);
	write_file(path, "abd");
	assert_int_equal(stage_in_start(in, cwd, false, 0, 0, &run, &fd, msg,
			     sizeof(msg)),
	    0);
	assert_int_equal(stage_in_wait(in, cwd, &run, fd, msg, sizeof(msg)),
	    -1);
	assert_null(run.how);
	assert_non_null(
	    strstr(msg, "Input data not available: /vo/data/a.txt: "));
	assert_non_null(strstr(msg, "checksum mismatch"));
	write_file(path, "abc");
	/* ended by the runner before it is done (a large file after them,
	   a copy of tens of ms): nothing left, not even a file copied
	   before, nor a partial one */
	fresh_cwd();
	(void)snprintf(path, sizeof(path), "%s/big", rse_dir);
	assert_int_equal(truncate_new(path, 256 << 20), 0);
	json_array_append_new(in,
	    json_pack("{s:s, s:s, s:[{s:s+, s:s}]}", "name", "big", "lfn",
		"/vo/big", "sources", "pfn", "file://", path, "prefix",
		rse_dir));
	(void)snprintf(path, sizeof(path), "%s/.big.gridrest-part", cwd);
	write_file(path, "ab");
	run.stop = stop_now;
	assert_int_equal(stage_in_start(in, cwd, false, 0, 0, &run, &fd, msg,
			     sizeof(msg)),
	    0);
	assert_int_equal(stage_in_wait(in, cwd, &run, fd, msg, sizeof(msg)),
	    -1);
	assert_string_equal(run.how, "cancelled");
	assert_string_equal(msg, "the copy of the input data was interrupted");
	assert_int_equal(access(path, F_OK), -1);
	(void)snprintf(path, sizeof(path), "%s/a.txt", cwd);
	assert_int_equal(access(path, F_OK), -1);
	(void)snprintf(path, sizeof(path), "%s/b.txt", cwd);
	assert_int_equal(access(path, F_OK), -1);
	(void)snprintf(path, sizeof(path), "%s/big", cwd);
	assert_int_equal(access(path, F_OK), -1);
	(void)snprintf(path, sizeof(path), "%s/big", rse_dir);
	(void)unlink(path);
	json_decref(in);
	json_decref(lfns);
}

static void
test_output(void **state)
{
	struct gr_err err = { 0 };
	json_t *names = json_pack("[s]", "out.txt"), *out = NULL, *got = NULL;
	json_t *rec = NULL;
	char path[TEST_PATH_MAX + 100], msg[512];

	(void)state;
	fresh_cwd();
	(void)snprintf(path, sizeof(path), "%s/out.txt", cwd);
	write_file(path, "abc");
	/* into the catalogue: alice's directory */
	assert_int_equal(jd_plan_out("alice", "user", names, "POSIX_USERDISK",
			     "/vo/user/alice", &out, &err),
	    GR_OK);
	assert_int_equal(stage_out(out, cwd, &got, msg, sizeof(msg)), 0);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(got, 0),
				    "adler32")),
	    ABC_ADLER);
	assert_int_equal(jd_register(out, got, msg, sizeof(msg)), 0);
	assert_int_equal(fc_file_record("/vo/user/alice/out.txt", &rec, &err),
	    GR_OK);
	assert_string_equal(json_string_value(json_object_get(rec, "owner")),
	    "alice");
	assert_string_equal(json_string_value(json_object_get(rec, "checksum")),
	    ABC_ADLER);
	assert_non_null(json_object_get(json_object_get(rec, "replicas"),
	    "POSIX_USERDISK"));
	(void)snprintf(path, sizeof(path), "%s/vo/user/alice/out.txt", rse_dir);
	assert_string_equal(read_file(path), "abc");
	/* registered twice (a second look): the same, no error */
	assert_int_equal(jd_register(out, got, msg, sizeof(msg)), 0);
	json_decref(rec);
	json_decref(out);
	json_decref(got);
	/* into root's directory: refused, and the copy is removed */
	assert_int_equal(jd_plan_out("alice", "user", names, "POSIX_USERDISK",
			     "/vo/data", &out, &err),
	    GR_OK);
	assert_int_equal(stage_out(out, cwd, &got, msg, sizeof(msg)), 0);
	assert_int_equal(jd_register(out, got, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "Failed to upload output data: "));
	(void)snprintf(path, sizeof(path), "%s/vo/data/out.txt", rse_dir);
	assert_int_equal(access(path, F_OK), -1);
	json_decref(out);
	json_decref(got);
	/* into Rucio: user.alice, a deterministic path */
	assert_int_equal(jd_plan_out("alice", "user", names, "POSIX_USERDISK",
			     NULL, &out, &err),
	    GR_OK);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(out, 0),
				    "scope")),
	    "user.alice");
	assert_int_equal(stage_out(out, cwd, &got, msg, sizeof(msg)), 0);
	assert_int_equal(jd_register(out, got, msg, sizeof(msg)), 0);
	json_decref(out);
	json_decref(got);
	/* ...and it resolves back as an input */
	names = (json_decref(names), json_pack("[s]", "user.alice:out.txt"));
	assert_int_equal(jd_resolve("alice", "user", names, &out, &err), GR_OK);
	assert_int_equal(json_array_size(sources(out, 0)), 1);
	json_decref(out);
	json_decref(names);
	/* a missing output, a plan with a bad name or RSE */
	names = json_pack("[s]", "never.txt");
	assert_int_equal(jd_plan_out("alice", "user", names, "POSIX_USERDISK",
			     NULL, &out, &err),
	    GR_OK);
	assert_int_equal(stage_out(out, cwd, &got, msg, sizeof(msg)), -1);
	assert_string_equal(msg,
	    "Failed to upload output data: never.txt: no such file in the "
	    "working directory");
	json_decref(out);
	json_decref(got);
	assert_int_equal(jd_plan_out("alice", "user", names, "NOPE", NULL, &out,
			     &err),
	    GR_INVALID_MANIFEST);
	json_decref(names);
	names = json_pack("[s]", "../x");
	gr_clear(&err);
	assert_int_equal(jd_plan_out("alice", "user", names, "POSIX_USERDISK",
			     NULL, &out, &err),
	    GR_INVALID_MANIFEST);
	json_decref(names);
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	char body[2 * TEST_PATH_MAX + 1000], path[TEST_PATH_MAX + 100];
	json_t *s = json_object(), *p, *files;

	(void)state;
	if (testlib_store_accounts(home) != 0 ||
	    scope_add("root", "root", "data", &err) != GR_OK ||
	    scope_add("root", "alice", "user.alice", &err) != GR_OK)
		return -1;
	(void)snprintf(rse_dir, sizeof(rse_dir), "%s/POSIX_USERDISK", home);
	(void)snprintf(cwd, sizeof(cwd), "%s/run", home);
	(void)snprintf(body, sizeof(body),
	    "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"%s\", "
	    "\"impl\": \"rucio.rse.protocols.posix.Default\", \"domains\": "
	    "{\"wan\": {\"read\": 1, \"write\": 1, \"delete\": 1}}}",
	    rse_dir);
	p = json_loads(body, 0, NULL);
	if (rse_add("root", "POSIX_USERDISK", s, &err) != GR_OK ||
	    rse_proto_add("root", "POSIX_USERDISK", "file", p, &err) != GR_OK)
		goto fail;
	json_decref(p);
	json_decref(s);
	/* catalogue files a.txt (everybody's), secret.txt (0600, root's),
	   far.txt (on an SE that is no RSE) */
	(void)snprintf(path, sizeof(path), "mkdir -p '%s/vo/data'", rse_dir);
	if (system(path) != 0)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/vo/data/a.txt", rse_dir);
	write_file(path, "abc");
	(void)snprintf(path, sizeof(path), "%s/vo/data/secret.txt", rse_dir);
	write_file(path, "abc");
	if (fc_dir_add("root", NULL, "/vo/data", NULL, &err) != GR_OK)
		goto fail;
	s = json_pack("{s:s}", "owner", "alice");
	if (fc_dir_add("root", NULL, "/vo/user/alice", s, &err) != GR_OK)
		goto fail;
	json_decref(s);
	(void)snprintf(body, sizeof(body),
	    "[{\"lfn\": \"/vo/data/a.txt\", \"size\": 3, \"checksum\": "
	    "\"" ABC_ADLER "\", \"replicas\": {\"POSIX_USERDISK\": "
	    "\"file://localhost:0%s/vo/data/a.txt\"}},"
	    " {\"lfn\": \"/vo/data/secret.txt\", \"size\": 3, \"mode\": 384,"
	    " \"replicas\": {\"POSIX_USERDISK\": "
	    "\"file://localhost:0%s/vo/data/secret.txt\"}},"
	    " {\"lfn\": \"/vo/data/far.txt\", \"size\": 3, \"replicas\": "
	    "{\"ELSEWHERE\": \"file:///etc/passwd\"}}]",
	    rse_dir, rse_dir);
	files = json_loads(body, 0, NULL);
	if (fc_files_add("root", NULL, files, &err) != GR_OK)
		goto fail;
	json_decref(files);
	/* Rucio's data:b.txt where lfns2pfns puts it */
	(void)snprintf(path, sizeof(path), "%s/data", rse_dir);
	(void)mkdir(path, 0755);
	files = json_pack("[s]", "data:b.txt");
	if (rse_lfns2pfns("POSIX_USERDISK", files, NULL, "wan", "write", &p,
		&err) != GR_OK)
		goto fail;
	(void)snprintf(path, sizeof(path), "mkdir -p \"$(dirname '%s')\"",
	    json_string_value(json_object_get(p, "data:b.txt")) + 18);
	if (system(path) != 0)
		return -1;
	write_file(json_string_value(json_object_get(p, "data:b.txt")) + 18,
	    "abc");
	json_decref(p);
	json_decref(files);
	files = json_pack("[{s:s, s:s, s:i, s:s}]", "scope", "data", "name",
	    "b.txt", "bytes", 3, "adler32", ABC_ADLER);
	if (replica_add("root", "POSIX_USERDISK", files, false, &err) != GR_OK)
		goto fail;
	json_decref(files);
	return 0;
fail:
	fprintf(stderr, "# setup: %s\n", err.msg);
	return -1;
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
		cmocka_unit_test(test_lfn_parse),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_stage_in),
		cmocka_unit_test(test_stage_in_run),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_output),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("jobdata", tests, setup, teardown);
}
