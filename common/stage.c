/*
 * stage.c -- a job's input data copied into its working directory before
 * it runs, its output data copied out after it (stage.h). Core without a
 * store: the local supervisor and gridrest-drm-exec both run it.
 */
#define _GNU_SOURCE /* O_NOFOLLOW, O_DIRECTORY with openat */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "drm_run.h"
#include "stage.h"
#include "template.h"
#include "util.h"
#include "workload.h"
#include "xfer.h"

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The copy layer's settings of a source or destination entry. */
static void
stage_rse_of(const json_t *e, struct xfer_rse *r)
{
	memset(r, 0, sizeof(*r));
	r->prefix = str(e, "prefix") != NULL ? str(e, "prefix") : "";
	r->cafile = str(e, "cafile");
	r->cert = str(e, "cert");
	r->key = str(e, "key");
}

/* "file://<cwd>/<name>" (malloc'ed) and cwd as its RSE's prefix. */
static char *
local_pfn(const char *cwd, const char *name, struct xfer_rse *r)
{
	struct sbuf b = { 0 };

	memset(r, 0, sizeof(*r));
	r->prefix = cwd;
	sbuf_adds(&b, "file://");
	sbuf_adds(&b, cwd);
	sbuf_adds(&b, "/");
	sbuf_adds(&b, name);
	return b.s;
}

/* The expected figures of an input entry. */
static void
want_of(const json_t *e, struct xfer_sum *w)
{
	memset(w, 0, sizeof(*w));
	w->bytes = json_is_integer(json_object_get(e, "bytes"))
	    ? json_integer_value(json_object_get(e, "bytes"))
	    : -1;
	if (str(e, "adler32") != NULL)
		(void)snprintf(w->adler32, sizeof(w->adler32), "%s",
		    str(e, "adler32"));
	if (str(e, "md5") != NULL)
		(void)snprintf(w->md5, sizeof(w->md5), "%s", str(e, "md5"));
}

/* The name must be a plain one, and nothing but a file (or nothing) may
   stand under it in the directory dfd. */
static bool
name_free(int dfd, const char *name)
{
	struct stat st;

	if (name == NULL || !wl_name_ok(name, strlen(name)))
		return false;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT;
	return S_ISREG(st.st_mode);
}

static int
in_one(struct xfer *x, int dfd, const char *cwd, const json_t *e, bool give,
    uid_t uid, gid_t gid, char *why, size_t n)
{
	const char *name = str(e, "name"), *lfn = str(e, "lfn");
	const json_t *src, *srcs = json_object_get(e, "sources");
	struct gr_err err = { 0 };
	struct xfer_rse srs, drs;
	struct xfer_sum want;
	char *dst;
	size_t i;

	if (lfn == NULL)
		lfn = "?";
	if (!name_free(dfd, name)) {
		(void)snprintf(why, n,
		    "Input data not available: %s: '%s' cannot be a file of "
		    "the working directory",
		    lfn, name != NULL ? name : "");
		return -1;
	}
	if (json_array_size(srcs) == 0) {
		(void)snprintf(why, n, "Input data not available: %s: %s", lfn,
		    str(e, "why") != NULL ? str(e, "why") : "no replica");
		return -1;
	}
	want_of(e, &want);
	dst = local_pfn(cwd, name, &drs);
	json_array_foreach(srcs, i, src) {
		gr_clear(&err);
		stage_rse_of(src, &srs);
		if (str(src, "pfn") != NULL &&
		    xfer_copy(x, str(src, "pfn"), &srs, dst, &drs, &want,
			XFER_NOSYNC, NULL, &err) == GR_OK)
			break;
		if (str(src, "pfn") == NULL)
			(void)gr_fail(&err, GR_INVALID_PATH, "no PFN");
	}
	free(dst);
	if (i == json_array_size(srcs)) {
		/* the last source's failure says why */
		(void)snprintf(why, n, "Input data not available: %s: %s", lfn,
		    err.msg);
		return -1;
	}
	/* the job's, never through a link (the name was just renamed in) */
	if (give && fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
		(void)snprintf(why, n,
		    "Input data not available: %s: cannot give '%s' to the "
		    "job: %s",
		    lfn, name, strerror(errno));
		return -1;
	}
	return 0;
}

/* --- InputData by protocol: a POOL XML catalogue of TURLs ------------ */

/* A PFN as the job opens it: a posix one's path, others as they are. */
static const char *
turl_of(const char *pfn)
{
	const char *p;

	if (strncmp(pfn, "file://", 7) != 0)
		return pfn;
	p = strchr(pfn + 7, '/'); /* past the host (and port) */
	return p != NULL ? p : pfn;
}

/* The first source of e whose file is there, of its size, as a File of
   the catalogue cat; -1 with why when none is. */
static int
turl_one(struct xfer *x, struct arena *a, const json_t *e, struct sbuf *cat,
    char *why, size_t n)
{
	const char *lfn = str(e, "lfn"), *pfn = NULL;
	const json_t *src = NULL, *srcs = json_object_get(e, "sources");
	struct gr_err err = { 0 };
	struct xfer_rse rs;
	struct xfer_sum want;
	unsigned char rnd[16];
	char guid[40];
	int64_t bytes;
	size_t i;

	if (lfn == NULL)
		lfn = "?";
	if (json_array_size(srcs) == 0) {
		(void)snprintf(why, n, "Input data not available: %s: %s", lfn,
		    str(e, "why") != NULL ? str(e, "why") : "no replica");
		return -1;
	}
	want_of(e, &want);
	json_array_foreach(srcs, i, src) {
		gr_clear(&err);
		stage_rse_of(src, &rs);
		if ((pfn = str(src, "pfn")) == NULL) {
			(void)gr_fail(&err, GR_INVALID_PATH, "no PFN");
			continue;
		}
		if (xfer_stat(x, pfn, &rs, &bytes, &err) != GR_OK)
			continue;
		if (bytes < 0)
			(void)gr_fail(&err, GR_SOURCE_NOT_FOUND,
			    "source missing");
		else if (want.bytes >= 0 && bytes != want.bytes)
			(void)gr_fail(&err, GR_FILE_CONSISTENCY,
			    "size mismatch: %lld bytes, %lld expected",
			    (long long)bytes, (long long)want.bytes);
		else
			break;
	}
	if (i == json_array_size(srcs)) {
		(void)snprintf(why, n, "Input data not available: %s: %s", lfn,
		    err.msg);
		return -1;
	}
	if (str(e, "guid") != NULL) {
		(void)snprintf(guid, sizeof(guid), "%s", str(e, "guid"));
	} else {
		random_bytes(rnd, sizeof(rnd));
		rnd[6] = (unsigned char)((rnd[6] & 0x0f) | 0x40);
		rnd[8] = (unsigned char)((rnd[8] & 0x3f) | 0x80);
		(void)snprintf(guid, sizeof(guid),
		    "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
		    "%02X%02X%02X%02X%02X%02X",
		    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
		    rnd[7], rnd[8], rnd[9], rnd[10], rnd[11], rnd[12], rnd[13],
		    rnd[14], rnd[15]);
	}
	sbuf_adds(cat, "  <File ID=\"");
	sbuf_adds(cat, tmpl_html(a, guid));
	sbuf_adds(cat,
	    "\">\n    <physical>\n      <pfn filetype=\"ROOT\" "
	    "name=\"");
	sbuf_adds(cat, tmpl_html(a, turl_of(pfn)));
	sbuf_adds(cat, "\" se=\"");
	sbuf_adds(cat, tmpl_html(a, str(src, "rse")));
	sbuf_adds(cat,
	    "\"/>\n    </physical>\n    <logical>\n      <lfn "
	    "name=\"");
	sbuf_adds(cat, tmpl_html(a, lfn));
	sbuf_adds(cat, "\"/>\n    </logical>\n  </File>\n");
	return 0;
}

/* The catalogue written into the directory dfd under STAGE_CATALOG (a
   temporary first: never through a link, the job's when give). */
static int
stage_catalog_write(int dfd, const struct sbuf *cat, bool give, uid_t uid,
    gid_t gid, char *why, size_t n)
{
	static const char head[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" "
	    "?>\n<!DOCTYPE POOLFILECATALOG SYSTEM \"InMemory\">\n"
	    "<POOLFILECATALOG>\n";
	static const char tail[] = "</POOLFILECATALOG>\n";
	char part[NAME_MAX + 1];
	bool done;
	int fd;

	xfer_part_name(STAGE_CATALOG, part);
	(void)unlinkat(dfd, part, 0);
	fd = openat(dfd, part,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	done = fd >= 0 &&
	    write(fd, head, sizeof(head) - 1) == (ssize_t)(sizeof(head) - 1) &&
	    (cat->len == 0 ||
		write(fd, cat->s, cat->len) == (ssize_t)cat->len) &&
	    write(fd, tail, sizeof(tail) - 1) == (ssize_t)(sizeof(tail) - 1) &&
	    (!give || fchown(fd, uid, gid) == 0);
	if (fd >= 0 && close(fd) != 0)
		done = false;
	if (!done || !name_free(dfd, STAGE_CATALOG) ||
	    renameat(dfd, part, dfd, STAGE_CATALOG) != 0) {
		(void)snprintf(why, n,
		    "Input data not available: cannot write %s: %s",
		    STAGE_CATALOG, strerror(errno));
		(void)unlinkat(dfd, part, 0);
		return -1;
	}
	return 0;
}

int
stage_in(const json_t *in, const char *cwd, bool give, uid_t uid, gid_t gid,
    char *why, size_t n)
{
	struct sbuf cat = { 0 };
	struct arena a;
	const json_t *e;
	struct xfer *x;
	bool turls = false;
	size_t i;
	int dfd, rc = 0;

	if (json_array_size(in) == 0)
		return 0;
	dfd = open(cwd, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		(void)snprintf(why, n,
		    "Input data not available: no working directory: %s",
		    strerror(errno));
		return -1;
	}
	arena_init(&a, 4096);
	x = xfer_new();
	json_array_foreach(in, i, e) {
		if (str(e, "access") != NULL &&
		    strcmp(str(e, "access"), "protocol") == 0) {
			turls = true;
			rc = turl_one(x, &a, e, &cat, why, n);
		} else {
			rc = in_one(x, dfd, cwd, e, give, uid, gid, why, n);
		}
		if (rc != 0)
			break;
	}
	if (rc == 0 && turls)
		rc = stage_catalog_write(dfd, &cat, give, uid, gid, why, n);
	xfer_free(x);
	arena_free(&a);
	sbuf_free(&cat);
	close(dfd);
	return rc;
}

/* --- the copies in a process of their own ---------------------------- */

int
stage_in_start(const json_t *in, const char *cwd, bool give, uid_t uid,
    gid_t gid, struct drm_run *r, int *fd, char *why, size_t n)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGALRM, SIGPIPE,
		SIGCHLD };
	int fds[2], rc;
	sigset_t none;
	size_t i;
	pid_t pid;

	r->pid = -1;
	*fd = -1;
	if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		(void)snprintf(why, n,
		    "Input data not available: cannot start the copies: %s",
		    strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* the runner ends the group; nothing of the parent's
		   handlers (its store, its guard) acts here */
		close(fds[0]);
		(void)setpgid(0, 0);
		for (i = 0; i < ARRAY_LEN(sigs); i++)
			(void)signal(sigs[i], SIG_DFL);
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		why[0] = '\0';
		rc = stage_in(in, cwd, give, uid, gid, why, n);
		if (rc != 0)
			(void)!write(fds[1], why, strlen(why));
		_exit(rc == 0 ? 0 : 1);
	}
	close(fds[1]);
	(void)setpgid(pid, pid); /* also here: no race with the child's */
	r->pid = pid;
	*fd = fds[0];
	return 0;
}

/* After copies ended early: no input file of the plan, whole or partial,
   stays in cwd. */
static void
in_clean(const json_t *in, const char *cwd)
{
	char part[NAME_MAX + 1];
	const char *name;
	const json_t *e;
	size_t i;
	int dfd;

	dfd = open(cwd, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	xfer_part_name(STAGE_CATALOG, part);
	(void)unlinkat(dfd, part, 0);
	json_array_foreach(in, i, e) {
		name = str(e, "name");
		if (name == NULL || !wl_name_ok(name, strlen(name)) ||
		    (str(e, "access") != NULL &&
			strcmp(str(e, "access"), "protocol") == 0))
			continue;
		if (name_free(dfd, name))
			(void)unlinkat(dfd, name, 0);
		xfer_part_name(name, part);
		(void)unlinkat(dfd, part, 0);
	}
	close(dfd);
}

int
stage_in_wait(const json_t *in, const char *cwd, struct drm_run *r, int fd,
    char *why, size_t n)
{
	time_t t0 = time(NULL);
	ssize_t len;
	int st;

	drm_run_wait(r);
	st = r->status;
	/* a cancel that reached the copies before the runner saw it (Slurm
	   signals every process of the job) */
	if (r->how == NULL && st >= 0 && WIFSIGNALED(st) && r->stop != NULL)
		r->how = r->stop(r->ctx);
	if (r->how != NULL) {
		close(fd);
		in_clean(in, cwd);
		(void)snprintf(why, n, "the copy of the input data was %s",
		    strcmp(r->how, "timeout") == 0 ? "stopped at the time limit"
						   : "interrupted");
		return -1;
	}
	if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		close(fd);
		/* what the job has left of its time */
		if (r->limit > 0)
			r->limit = r->limit - (long)(time(NULL) - t0) > 1
			    ? r->limit - (long)(time(NULL) - t0)
			    : 1;
		return 0;
	}
	len = read(fd, why, n - 1);
	close(fd);
	if (len > 0) {
		why[len] = '\0';
	} else if (st >= 0 && WIFSIGNALED(st)) {
		(void)snprintf(why, n,
		    "Input data not available: the copies ended by signal %d",
		    WTERMSIG(st));
	} else {
		(void)snprintf(why, n,
		    "Input data not available: the copies ended with status "
		    "%d",
		    st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	return -1;
}

static int
out_one(struct xfer *x, int dfd, const char *cwd, const json_t *e, json_t *got,
    char *why, size_t n)
{
	const char *name = str(e, "name");
	struct gr_err err = { 0 };
	struct xfer_rse srs, drs;
	struct xfer_sum sum;
	struct stat st;
	char *src;
	int fd, rc;

	if (name == NULL)
		name = "";
	/* a regular file of the directory itself, of one name: never a
	   link (nor a hard link to a file the job could not write) */
	if (wl_open_file(dfd, name, &fd, &st) != 0) {
		(void)snprintf(why, n,
		    "Failed to upload output data: %s: no such file in the "
		    "working directory",
		    name);
		return -1;
	}
	close(fd);
	if (st.st_nlink != 1) {
		(void)snprintf(why, n,
		    "Failed to upload output data: %s: the file has other "
		    "names (hard links)",
		    name);
		return -1;
	}
	if (str(e, "pfn") == NULL) {
		(void)snprintf(why, n,
		    "Failed to upload output data: %s: no PFN", name);
		return -1;
	}
	src = local_pfn(cwd, name, &srs);
	stage_rse_of(e, &drs);
	rc = xfer_copy(x, src, &srs, str(e, "pfn"), &drs, NULL, XFER_MD5, &sum,
	    &err);
	free(src);
	if (rc != GR_OK) {
		(void)snprintf(why, n, "Failed to upload output data: %s: %s",
		    name, err.msg);
		return -1;
	}
	json_array_append_new(got,
	    json_pack("{s:s, s:I, s:s, s:s}", "name", name, "bytes",
		(json_int_t)sum.bytes, "adler32", sum.adler32, "md5", sum.md5));
	return 0;
}

int
stage_out(const json_t *out, const char *cwd, json_t **got, char *why, size_t n)
{
	const json_t *e;
	struct xfer *x;
	size_t i;
	int dfd, rc = 0;

	*got = json_array();
	if (json_array_size(out) == 0)
		return 0;
	dfd = open(cwd, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		(void)snprintf(why, n,
		    "Failed to upload output data: no working directory: %s",
		    strerror(errno));
		return -1;
	}
	x = xfer_new();
	json_array_foreach(out, i, e) {
		if ((rc = out_one(x, dfd, cwd, e, *got, why, n)) != 0)
			break;
	}
	xfer_free(x);
	close(dfd);
	return rc;
}

/* --- a Slurm job's phase, in its working directory ------------------ */

static bool
phase_path(char *buf, size_t size, const char *cwd, const char *native)
{
	return native != NULL &&
	    snprintf(buf, size, "%s/%s%s", cwd, STAGE_PHASE_NAME, native) <
	    (int)size;
}

const char *
stage_phase_read(const char *cwd, const char *native)
{
	static const char *const names[] = { "in", "run", "out" };
	char path[PATH_MAX], buf[8];
	ssize_t len;
	size_t i;
	int fd;

	if (cwd == NULL || !phase_path(path, sizeof(path), cwd, native) ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) <
		0)
		return NULL;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return NULL;
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	for (i = 0; i < ARRAY_LEN(names); i++)
		if (strcmp(buf, names[i]) == 0)
			return names[i];
	return NULL;
}

void
stage_phase_write(const char *cwd, const char *native, const char *p)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd;

	if (!phase_path(path, sizeof(path), cwd, native) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0)
		return;
	if (write(fd, p, strlen(p)) == (ssize_t)strlen(p)) {
		if (close(fd) == 0)
			(void)rename(tmp, path);
	} else {
		close(fd);
	}
}

/* --- a Slurm job's data results ------------------------------------- */

int
stage_result_write(const char *cwd, const char *native, const json_t *res)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd, rc = -1;

	if (native == NULL ||
	    snprintf(path, sizeof(path), "%s/%s%s", cwd, STAGE_DATA_NAME,
		native) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0)
		return -1;
	if (json_dumpfd(res, fd, JSON_COMPACT) == 0) {
		if (close(fd) == 0 && rename(tmp, path) == 0)
			rc = 0;
	} else {
		close(fd);
	}
	return rc;
}

json_t *
stage_result_read(const char *cwd, const char *native)
{
	char path[PATH_MAX];
	struct stat st;
	json_t *res = NULL;
	int fd;

	if (cwd == NULL || native == NULL ||
	    snprintf(path, sizeof(path), "%s/%s%s", cwd, STAGE_DATA_NAME,
		native) >= (int)sizeof(path) ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) <
		0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size <= STAGE_RESULT_MAX)
		res = json_loadfd(fd, 0, NULL);
	close(fd);
	if (!json_is_object(res)) {
		json_decref(res);
		return NULL;
	}
	return res;
}
