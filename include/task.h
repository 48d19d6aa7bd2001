/*
 * task.h -- DRMAA tasks: a script submitted with parameter values, run
 * through the DRM (drm.h) in a working directory, followed, stopped,
 * deleted; its files listed, read and zipped.
 *
 * A task record (TBL_TASKS, key: its uuid):
 *   {uuid, task_name, task_description, owner, sender_ip_addr, age,
 *    creation_date, update_date, status, deleted, parent_task, root,
 *    depends_on: [uuid], dependency_type, drm_job_id, files_name:
 *    {saved: original}, params: [{name, value, private}], _drm: [id...],
 *    _children: [uuid...] (the tasks whose parent_task it is)}
 * The working directory is <home>/tasks/<root>/ (a child task shares its
 * root ancestor's); it belongs to the DRM's job user. The task's stdout
 * and stderr go to <uuid8>_out.txt and <uuid8>_err.txt there.
 */
#ifndef TASK_H
#define TASK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"

#define TASK_VALUE_MAX    5000  /* bytes of a parameter value */
#define TASK_DESC_MAX     200   /* bytes of a task description */
#define TASK_FILES_MAX    64    /* uploaded files of one task */
#define TASK_LIST_FILES   10000 /* entries GET /task/{uuid}/file lists */
#define TASK_UUID_LEN     36
#define TASK_CHILDREN_MAX 1000 /* tasks with one parent_task */
#define TASK_IDS_MAX      1000 /* uuids an anonymous listing's ids names */

/* DRMAAtic's status strings */
#define TASK_RECEIVED     "task has been received from the ws"
#define TASK_REJECTED     "task has been rejected from the ws"
#define TASK_CREATED      "task has been created and sent to the DRM"
#define TASK_QUEUED       "job is queued and active"
#define TASK_RUNNING      "job is running"
#define TASK_DONE         "job finished normally"
#define TASK_FAILED       "job finished, but failed"
#define TASK_STOPPED      "job was stopped by the user"
#define TASK_UNDETERMINED "process status cannot be determined"

/* A form field of the submission: a value, or an uploaded file. */
struct task_field {
	const char *name;
	const char *value; /* a value, or the file's bytes */
	size_t len;
	const char *filename; /* the client's file name; NULL: a value */
};

/* Settings (GRIDREST_TASK_*), read on first use. */
struct task_cfg {
	unsigned rate;        /* submissions a user may make ... */
	unsigned rate_period; /* ... per this many seconds (default 600/60) */
	size_t upload_max;    /* bytes of one uploaded file (16 MiB) */
	bool remove_files;    /* DELETE removes a root's directory (yes) */
	bool anonymous;       /* callers without a token may submit public
				 scripts (GRIDREST_TASK_ANONYMOUS=1; no) */
	unsigned anon_rate;   /* submissions one client address may make
				 anonymously ... */
	unsigned anon_rate_period;  /* ... per this many s (100/86400) */
	unsigned anon_reads;        /* other requests (reads, stop, delete) one
				       client address may make anonymously ... */
	unsigned anon_reads_period; /* ... per this many s (20/1) */
};
const struct task_cfg *task_config(void);

/*
 * Build the argv of a script (borrowed) for the supplied values
 * (vals: {name: [value...]}, file parameters' values are the saved
 * names): argv[0] is the program, then the parameters by position (ties
 * by declaration), private ones always their default, absent ones their
 * default if they have one, bools only when true. *argv: a new array of
 * strings. 406 (ParameterNotAcceptable) for a missing required one, 400
 * TypeError for a value of the wrong type.
 */
int task_argv(const json_t *script, const char *scripts_dir, const json_t *vals,
    json_t **argv, struct gr_err *err);

/*
 * The saved name of the i-th (of n) file of parameter param, from the
 * client's name: "<param>.<ext>" or "<param>_<i>.<ext>", the extension
 * after the first dot when the name has several; false when the name has
 * no usable extension (letters, digits, '.', '_', '-' only).
 */
bool task_file_name(const char *param, const char *client, size_t i, size_t n,
    char *out, size_t size);

/*
 * Submit: task_name and the other fields of the form; ip the sender's.
 * *out: new reference, the task's view. retry_after: set (seconds) when
 * the caller is throttled (429). issuer ACCOUNT_ANONYMOUS (refused unless
 * task_config()->anonymous): public scripts only, throttled per ip, the
 * task owned by ACCOUNT_ANONYMOUS and run under that name's job uid.
 */
int task_submit(const char *issuer, const char *group, const char *ip,
    const struct task_field *fields, size_t nfields, json_t **out,
    long *retry_after, struct gr_err *err);

/* One task (status refreshed from the DRM). Owner or admin (or anyone
   for a script with visible output, for reading). Every function on one
   task follows wl_may: an anonymous task is read by anybody holding its
   uuid, stopped and deleted by anonymous callers and admins. */
int task_get(const char *issuer, const char *uuid, json_t **out,
    struct gr_err *err);

/*
 * The caller's tasks (admins: everybody's), newest first, not deleted,
 * filtered: task_name and description by substring (any case), status
 * exactly, ids a comma-separated list; a page as script_list's. An
 * anonymous caller (ACCOUNT_ANONYMOUS) gets only the anonymous tasks its
 * ids name (the first TASK_IDS_MAX uuids); without ids, none.
 */
struct task_filter {
	const char *task_name, *description, *status, *ids;
};
int task_list(const char *issuer, const struct task_filter *f, long page,
    long page_size, json_t **results, size_t *count, struct gr_err *err);

/*
 * The anonymous callers' buckets (per client address: its submissions',
 * its other requests') of the addresses that have been quiet long enough to be
 * full again: removing them changes no answer and keeps TBL_META from growing
 * with every address that ever submitted. At most 256 a call (*removed tells).
 * task_throttle_tick: the same after a tasks backend's requests, once a
 * minute, failures logged.
 */
int task_throttle_sweep(size_t *removed, struct gr_err *err);

/*
 * An anonymous request other than a submission from client address ip
 * (DRMAAtic throttles every action of the anon group at its burst rate):
 * one from the address's bucket of anon_reads per anon_reads_period.
 * GR_THROTTLED (429) with *retry_after (s) when it is empty.
 */
int task_read_throttle(const char *ip, long *retry_after, struct gr_err *err);
void task_throttle_tick(void);

/* Stop a task that has not ended (UnsupportedOperation if it has). */
int task_stop(const char *issuer, const char *uuid, json_t **out,
    struct gr_err *err);

/* Stop it if needed, mark it deleted, remove its files as configured. */
int task_delete(const char *issuer, const char *uuid, json_t **out,
    struct gr_err *err);

/* The relative paths of the files in the task's working directory. */
int task_files(const char *issuer, const char *uuid, json_t **out,
    struct gr_err *err);

/*
 * Open a file of the task's working directory for reading: path is
 * relative, every component a plain name (no "..", no links followed).
 * *fd and *size; NotFound otherwise.
 */
int task_open_file(const char *issuer, const char *uuid, const char *path,
    int *fd, long long *size, struct gr_err *err);

/* Where zip bytes go; GR_OK to go on. */
typedef int (*task_write_fn)(const void *buf, size_t n, void *ctx);

/*
 * The working directory as a zip through fn, streamed (flat memory).
 * Fails before writing anything when the task has not ended
 * (NotFound "Output files not available, check task status").
 * *root: the root uuid (for the file name), static until the next call.
 */
int task_zip(const char *issuer, const char *uuid, task_write_fn fn, void *ctx,
    struct gr_err *err);

#endif /* TASK_H */
