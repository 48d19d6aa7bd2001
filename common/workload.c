/*
 * workload.c -- what jobs and tasks share: the files of a working
 * directory (written before a submission commits, walked and opened
 * without ever leaving the directory or waiting on a special file), the
 * owner-or-admin rule, the end of a job's DRM jobs, a listing's page.
 */
#define _GNU_SOURCE /* O_NOFOLLOW, O_DIRECTORY with openat */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "account.h"
#include "cfg.h"
#include "drm.h"
#include "log.h"
#include "util.h"
#include "workload.h"

bool
wl_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > WL_NAME_MAX || name[0] == '.' ||
	    !utf8_valid(name, len))
		return false;
	for (i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\\' ||
		    (unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return false;
	return true;
}

int
wl_path(char *buf, size_t size, const char *family, const char *dir,
    const char *sub)
{
	int n = snprintf(buf, size, "%s/%s%s%s%s%s", cfg.home, family,
	    dir != NULL ? "/" : "", dir != NULL ? dir : "",
	    sub != NULL ? "/" : "", sub != NULL ? sub : "");

	return n > 0 && (size_t)n < size ? 0 : -1;
}

int
wl_mkdir(const char *path, mode_t mode, bool excl, bool give, uid_t uid,
    gid_t gid, int *dfd, struct gr_err *err)
{
	bool made = mkdir(path, mode) == 0;

	if (!made && (excl || errno != EEXIST))
		return gr_fail(err, GR_INTERNAL, "cannot create %s: %s", path,
		    strerror(errno));
	*dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*dfd < 0)
		return gr_fail(err, GR_INTERNAL, "cannot open %s: %s", path,
		    strerror(errno));
	if (made && give && fchown(*dfd, uid, gid) != 0) {
		close(*dfd);
		*dfd = -1;
		return gr_fail(err, GR_INTERNAL,
		    "cannot give %s to the job user: %s", path,
		    strerror(errno));
	}
	return GR_OK;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
wl_write_files(int dfd, const struct wl_file *files, size_t n, bool give,
    uid_t uid, gid_t gid, struct gr_err *err)
{
	size_t i;
	int fd;

	for (i = 0; i < n; i++) {
		const struct wl_file *f = &files[i];

		if (!wl_name_ok(f->name, strlen(f->name)))
			return gr_fail(err, GR_INVALID_PATH,
			    "'%.64s' is no plain file name", f->name);
		fd = openat(dfd, f->name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    f->mode != 0 ? f->mode : 0644);
		if (fd < 0 || write_all(fd, f->data, f->len) != 0 ||
		    (give && fchown(fd, uid, gid) != 0) ||
		    (wl_durable() && fsync(fd) != 0)) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			return gr_fail(err, GR_INTERNAL, "cannot write %s: %s",
			    f->name, strerror(e));
		}
		if (close(fd) != 0)
			return gr_fail(err, GR_INTERNAL, "cannot write %s: %s",
			    f->name, strerror(errno));
	}
	if (n > 0 && wl_durable() && fsync(dfd) != 0)
		return gr_fail(err, GR_INTERNAL, "cannot sync a directory: %s",
		    strerror(errno));
	return GR_OK;
}

bool
wl_durable(void)
{
	return cfg.durability == CFG_DURABLE_SYNC;
}

int
wl_sync_dir(const char *path)
{
	int fd, rc;

	if (!wl_durable())
		return 0;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb;
	(void)type;
	(void)f;
	return remove(path);
}

void
wl_rm_tree(const char *path)
{
	(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
wl_open_file(int dfd, const char *name, int *fd, struct stat *st)
{
	*fd = openat(dfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0)
		return -1;
	if (fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int
wl_open_at(int dfd, const char *path, int *fd, struct stat *st)
{
	char part[NAME_MAX + 1];
	const char *p = path, *e;
	int cur = dfd, next;

	*fd = -1;
	for (;;) {
		e = p + strcspn(p, "/");
		if (e == p || (size_t)(e - p) > NAME_MAX ||
		    (e - p == 1 && p[0] == '.') ||
		    (e - p == 2 && p[0] == '.' && p[1] == '.'))
			break;
		memcpy(part, p, (size_t)(e - p));
		part[e - p] = '\0';
		if (*e == '\0') {
			if (wl_open_file(cur, part, fd, st) != 0)
				break;
			if (cur != dfd)
				close(cur);
			return 0;
		}
		next = openat(cur, part,
		    O_RDONLY | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (cur != dfd)
			close(cur);
		cur = next;
		if (cur < 0)
			break;
		p = e + 1;
	}
	if (cur >= 0 && cur != dfd)
		close(cur);
	errno = ENOENT;
	return -1;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
walk(int dfd, const char *prefix, unsigned depth, const char *skip,
    wl_walk_fn fn, void *ctx)
{
	struct dirent *de;
	struct stat st;
	char rel[PATH_MAX], **names = NULL;
	size_t i, n = 0, cap = 0;
	DIR *d;
	int sub, rc = GR_OK;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return GR_OK;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (depth == 0 && skip != NULL &&
			strncmp(de->d_name, skip, strlen(skip)) == 0))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		const char *name = names[i];

		if (rc != GR_OK ||
		    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    snprintf(rel, sizeof(rel), "%s%s%s", prefix,
			*prefix ? "/" : "", name) >= (int)sizeof(rel))
			continue;
		if (S_ISREG(st.st_mode)) {
			rc = fn(dfd, name, rel, &st, ctx);
		} else if (S_ISDIR(st.st_mode) && depth < WL_DEPTH_MAX) {
			sub = openat(dfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				rc = walk(sub, rel, depth + 1, skip, fn, ctx);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int
wl_walk(int dfd, const char *skip_prefix, wl_walk_fn fn, void *ctx)
{
	return walk(dfd, "", 0, skip_prefix, fn, ctx);
}

int
wl_may(struct st_txn *t, const struct wl_right *q, bool *may, bool *admin,
    struct gr_err *err)
{
	bool anon = strcmp(q->issuer, ACCOUNT_ANONYMOUS) == 0, yes, dummy;
	bool *adm = admin != NULL ? admin : &dummy;
	int rc;

	/* the owner (an anonymous caller, of an anonymous job: DRMAAtic's
	   None == None); anybody, to read an anonymous job (its id is the
	   capability); a member of the group the job was submitted in,
	   when the caller's token is in that group and it shares its jobs
	   (DIRAC's JobSharing: the owner's rights) */
	yes = strcmp(q->owner, q->issuer) == 0 ||
	    (!q->write && strcmp(q->owner, ACCOUNT_ANONYMOUS) == 0) ||
	    (!anon && q->share != NULL && *q->share != '\0' &&
		q->owner_group != NULL &&
		strcmp(q->share, q->owner_group) == 0);
	*adm = false;
	/* no look-up when the answer is known, unless the caller wants to
	   know; an anonymous caller is nobody's admin */
	if ((admin == NULL && yes) || anon) {
		*may = yes;
		return GR_OK;
	}
	if ((rc = account_is_admin(t, q->issuer, adm, err)) != GR_OK)
		return rc;
	*may = yes || *adm;
	return GR_OK;
}

int
wl_kill_txn(struct st_txn *t, const json_t *ids, struct wl_kill *k,
    struct gr_err *err)
{
	const char *id;
	bool running;
	size_t i;
	int rc;

	if (k->ids == NULL)
		k->ids = json_array();
	json_array_clear(k->ids);
	for (i = 0; i < json_array_size(ids); i++) {
		if ((id = json_string_value(json_array_get(ids, i))) == NULL)
			continue;
		if ((rc = drm_cancel_txn(t, id, &running, err)) != GR_OK)
			return rc;
		json_array_append_new(k->ids, json_string(id));
	}
	return GR_OK;
}

void
wl_kill_end(struct wl_kill *k, bool committed)
{
	struct gr_err err = { 0 };
	const char *id;
	size_t i;

	/* every one, not only the running: a cancelled queued job's
	   dependents may start now, and drm_cancel_signal kicks the
	   backend for them */
	for (i = 0; committed && i < json_array_size(k->ids); i++) {
		id = json_string_value(json_array_get(k->ids, i));
		if (drm_cancel_signal(id, &err) != GR_OK) {
			log_msg(LOG_ERR, "cancel %s: %s", id, err.msg);
			gr_clear(&err);
		}
	}
	json_decref(k->ids);
	k->ids = NULL;
}

bool
wl_page_take(struct wl_page *p)
{
	bool in = p->count >= p->first && p->count < p->last;

	p->count++;
	return in;
}

/* --- archives ------------------------------------------------------ */

#define CHUNK 65536

bool
wl_member_ok(const char *rel)
{
	const char *p = rel, *e, *q;
	bool blank;

	if (rel == NULL || *rel == '\0' || *rel == '/' ||
	    !utf8_valid(rel, strlen(rel)))
		return false;
	for (;;) {
		e = p + strcspn(p, "/");
		if (e == p || (e - p == 1 && p[0] == '.') ||
		    (e - p == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (blank = true, q = p; q < e; q++) {
			if (*q == '\\' || (unsigned char)*q < 0x20 ||
			    *q == 0x7f)
				return false;
			blank &= *q == ' ';
		}
		if (blank)
			return false;
		if (*e == '\0')
			return true;
		p = e + 1;
	}
}

struct wl_archive {
	struct archive *ar;
	wl_write_fn fn;
	void *ctx;
	int rc; /* the writer's */
	char *buf;
	json_t *skipped;
};

static la_ssize_t
archive_out(struct archive *ar, void *c, const void *buf, size_t n)
{
	struct wl_archive *a = c;

	(void)ar;
	if (a->rc == GR_OK)
		a->rc = a->fn(buf, n, a->ctx);
	return a->rc == GR_OK ? (la_ssize_t)n : -1;
}

static void
wla_free(struct wl_archive *a)
{
	archive_write_free(a->ar);
	free(a->buf);
	json_decref(a->skipped);
	free(a);
}

struct wl_archive *
wl_archive_new(enum wl_format f, wl_write_fn fn, void *ctx, struct gr_err *err)
{
	struct wl_archive *a = xcalloc(1, sizeof(*a));
	int ok;

	a->ar = archive_write_new();
	a->fn = fn;
	a->ctx = ctx;
	a->buf = xmalloc(CHUNK);
	a->skipped = json_array();
	if (f == WL_ZIP)
		/* stored, not deflated: outputs are often compressed
		   already, and the download runs at disk speed */
		ok = archive_write_set_format_zip(a->ar) == ARCHIVE_OK &&
		    archive_write_set_options(a->ar, "zip:compression=store") ==
			ARCHIVE_OK;
	else
		ok = archive_write_add_filter_bzip2(a->ar) == ARCHIVE_OK &&
		    archive_write_set_format_pax_restricted(a->ar) ==
			ARCHIVE_OK;
	if (!ok ||
	    archive_write_set_bytes_in_last_block(a->ar, 1) != ARCHIVE_OK ||
	    archive_write_open(a->ar, a, NULL, archive_out, NULL) !=
		ARCHIVE_OK) {
		(void)gr_fail(err, GR_INTERNAL, "cannot start the archive: %s",
		    archive_error_string(a->ar));
		wla_free(a);
		return NULL;
	}
	return a;
}

static int
archive_fail(struct wl_archive *a, struct gr_err *err)
{
	if (a->rc != GR_OK)
		return gr_fail(err, (enum gr_code)a->rc, "client went away");
	return gr_fail(err, GR_UNAVAILABLE, "archive: %s",
	    archive_error_string(a->ar));
}

static int
add_member(struct wl_archive *a, int fd, const char *data, const char *rel,
    long long size, mode_t mode, time_t mtime, struct gr_err *err)
{
	struct archive_entry *e = archive_entry_new();
	long long left;
	ssize_t n;
	int rc = GR_OK;

	archive_entry_set_pathname(e, rel);
	archive_entry_set_size(e, size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, mode & 0755);
	archive_entry_set_mtime(e, mtime, 0);
	if (archive_write_header(a->ar, e) != ARCHIVE_OK)
		rc = archive_fail(a, err);
	for (left = size; rc == GR_OK && left > 0; left -= n) {
		if (data != NULL) { /* in memory: at once */
			n = (ssize_t)left;
			if (archive_write_data(a->ar, data, (size_t)n) != n)
				rc = archive_fail(a, err);
			continue;
		}
		n = read(fd, a->buf, (size_t)(left < CHUNK ? left : CHUNK));
		if (n <= 0) {
			rc = gr_fail(err, GR_UNAVAILABLE, "cannot read %s",
			    rel);
			break;
		}
		if (archive_write_data(a->ar, a->buf, (size_t)n) != n)
			rc = archive_fail(a, err);
	}
	archive_entry_free(e);
	return rc;
}

int
wl_archive_add(struct wl_archive *a, int fd, const char *rel,
    const struct stat *st, struct gr_err *err)
{
	if (!wl_member_ok(rel)) {
		json_t *j = json_stringn_nocheck(rel, strlen(rel));
		char *q = json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);

		log_msg(LOG_WARN, "archive: %s skipped (unsafe name)",
		    q != NULL ? q : "?");
		free(q);
		json_array_append_new(a->skipped, j);
		return GR_OK;
	}
	return add_member(a, fd, NULL, rel, (long long)st->st_size, st->st_mode,
	    st->st_mtime, err);
}

int
wl_archive_close(struct wl_archive *a, struct gr_err *err)
{
	struct sbuf b = { 0 };
	const json_t *v;
	char *q;
	size_t i;
	int rc = GR_OK;

	json_array_foreach(a->skipped, i, v) {
		q = json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
		sbuf_adds(&b, q != NULL ? q : "\"?\"");
		sbuf_adds(&b, "\n");
		free(q);
	}
	if (b.len > 0)
		rc = add_member(a, -1, b.s, WL_SKIPPED_NAME, (long long)b.len,
		    0644, (time_t)time_now(), err);
	sbuf_free(&b);
	if (archive_write_close(a->ar) != ARCHIVE_OK && rc == GR_OK)
		rc = archive_fail(a, err);
	wla_free(a);
	return rc;
}
