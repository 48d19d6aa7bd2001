/*
 * workload.h -- what DIRAC jobs (job.c) and DRMAA tasks (task.c) share:
 * a job's files on disk (the one writer of uploads, the path rules, the
 * safe walk and open of a working directory), who may see a job, and the
 * end of its DRM jobs. job.c and task.c keep only what differs: manifest
 * or script and parameters to a DRM spec, and their own state names.
 *
 * The order a submission follows, for both: the working directory and the
 * uploads are written, fsynced and the job user's BEFORE the transaction
 * that makes the DRM record QUEUED commits. A supervisor that finishes a
 * job claims the next queued one in the same transaction as the end, so
 * a record is claimable the moment its submission commits.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

#define WL_NAME_MAX  255 /* bytes of an uploaded file's name */
#define WL_DEPTH_MAX 32  /* directory levels a walk descends */

/* An uploaded file (borrowed). */
struct wl_file {
	const char *name; /* a plain name: wl_name_ok */
	const char *data;
	size_t len;
	mode_t mode; /* 0: 0644 */
};

/* A plain file name: no '/', '\', control character or leading '.',
   1..WL_NAME_MAX bytes of UTF-8. */
bool wl_name_ok(const char *name, size_t len);

/* "<home>/<family>[/<dir>[/<sub>]]" in buf; -1 when it does not fit. */
int wl_path(char *buf, size_t size, const char *family, const char *dir,
    const char *sub);

/*
 * Make the directory path (mode; its parent must exist), give it to
 * uid:gid when give, and open it (*dfd). With excl an existing one is an
 * error; without, it is opened as it is. Never through a link.
 */
int wl_mkdir(const char *path, mode_t mode, bool excl, bool give, uid_t uid,
    gid_t gid, int *dfd, struct gr_err *err);

/*
 * Are a submission's files fsynced (and their directories)? When commits
 * are (GRIDREST_DURABILITY=sync, the default): a committed job then
 * finds its files after a power loss. write and none accept losing
 * recent commits, and so their files' fsyncs (3 a task: the file, its
 * directory, the tasks' directory) are spared.
 */
bool wl_durable(void);

/*
 * The one writer of uploads: each file created new in dfd (O_EXCL, no
 * link followed), written whole, given to uid:gid when give, fsynced;
 * then dfd itself is fsynced (both as wl_durable says). All or nothing is the
 * caller's (it removes the directory on failure).
 */
int wl_write_files(int dfd, const struct wl_file *files, size_t n, bool give,
    uid_t uid, gid_t gid, struct gr_err *err);

/* fsync the directory path (after entries were made or moved in it), as
   wl_durable says. */
int wl_sync_dir(const char *path);

/* Remove path and everything below it (never following a link). */
void wl_rm_tree(const char *path);

/*
 * Open path, relative to the directory dfd, for reading: every component
 * a plain name (no "", ".", ".."), no link followed, O_NONBLOCK (a FIFO
 * is never waited on), and the end a regular file. *fd and *st, or -1
 * (errno ENOENT for anything refused). dfd stays open.
 */
int wl_open_at(int dfd, const char *path, int *fd, struct stat *st);

/*
 * Open name in dfd the same way (a single component). -1 when it is no
 * regular file.
 */
int wl_open_file(int dfd, const char *name, int *fd, struct stat *st);

/* Called for each regular file of a walk: its directory (open), its
   name there, its path from the top, its stat. GR_OK goes on. */
typedef int (*wl_walk_fn)(int dfd, const char *name, const char *rel,
    const struct stat *st, void *ctx);

/*
 * Every regular file below dfd (closed here), depth first, names in byte
 * order; links and special files skipped, never followed; at the top,
 * names starting with skip_prefix (the DRM's own files) left out.
 */
int wl_walk(int dfd, const char *skip_prefix, wl_walk_fn fn, void *ctx);

/* A question of rights: may issuer read (write: change) a job? */
struct wl_right {
	const char *issuer;      /* the caller (ACCOUNT_ANONYMOUS: no token) */
	const char *share;       /* the caller's token's group when that group
				    shares its members' jobs, else NULL */
	const char *owner;       /* the job's owner */
	const char *owner_group; /* the group it was submitted in, or NULL */
	bool write;              /* to change it (kill, stop, delete) */
};

/*
 * The one rights check of jobs and tasks. Its owner may; an admin may
 * (*admin tells; admin NULL: no look-up when the answer is known); a
 * caller whose token's group shares its jobs may read and change the jobs
 * submitted in that group (DIRAC's JobSharing). A job of ACCOUNT_ANONYMOUS
 * is read by anybody who names it (its id is the capability) and changed
 * by anonymous callers and admins (DRMAAtic's IsOwner: no user on both
 * sides). An anonymous caller is never an admin nor a group's member.
 */
int wl_may(struct st_txn *t, const struct wl_right *q, bool *may, bool *admin,
    struct gr_err *err);

/* --- the end of a job's DRM jobs: kill, stop, delete ---------------- */

/* A kill begun in a transaction, ended after its commit. Zeroed first. */
struct wl_kill {
	json_t *ids; /* the DRM jobs asked to end */
};

/*
 * The one kill path of jobs and tasks. Inside the caller's transaction
 * (with the job's own change: its state, a deleted mark), ask every DRM
 * job of ids (a JSON array of ids; borrowed; final ones are left alone)
 * to end: a queued one is CANCELLED at once, its client's hook running
 * in t; a running one is marked. k starts over at each run of the body.
 */
int wl_kill_txn(struct st_txn *t, const json_t *ids, struct wl_kill *k,
    struct gr_err *err);

/*
 * After the transaction (committed: the marked jobs are signalled and
 * the backend looks for jobs that may start now, failures logged: the
 * supervisor ends a marked job anyway; not: nothing), then free k.
 */
void wl_kill_end(struct wl_kill *k, bool committed);

/* --- archives of a job's files (task zips, job sandboxes) ---------- */

/* Where archive bytes go; GR_OK to go on. */
typedef int (*wl_write_fn)(const void *buf, size_t n, void *ctx);

/* The member an archive lists its skipped names in, one a line (as JSON
   strings), when it skipped any. */
#define WL_SKIPPED_NAME ".gridrest-skipped.txt"

/*
 * A path safe as an archive member: components separated by '/', each
 * non-blank, not "." or "..", without '\' or control characters, UTF-8;
 * no leading '/'.
 */
bool wl_member_ok(const char *rel);

enum wl_format { WL_ZIP, WL_TAR_BZ2 };

struct wl_archive;

/* A new archive streamed through fn; NULL (and err) if it cannot start. */
struct wl_archive *wl_archive_new(enum wl_format f, wl_write_fn fn, void *ctx,
    struct gr_err *err);

/*
 * Add the regular file fd (st its stat) as member rel: at most st_size
 * bytes (a file still growing is cut). A name wl_member_ok refuses is
 * skipped, logged and listed in WL_SKIPPED_NAME. fd borrowed.
 */
int wl_archive_add(struct wl_archive *a, int fd, const char *rel,
    const struct stat *st, struct gr_err *err);

/* Finish (the skipped list, then the archive's end) and free. */
int wl_archive_close(struct wl_archive *a, struct gr_err *err);

/* A page of a listing: the matches numbered first..last-1 are kept. */
struct wl_page {
	size_t first, last; /* the window */
	size_t count;       /* matches seen so far */
};

/* One more match: true when it falls in the window (count moves on). */
bool wl_page_take(struct wl_page *p);

#endif /* WORKLOAD_H */
