/*
 * job.h -- DIRAC jobs: manifests (JDL fields as JSON), submission with an
 * input sandbox, DIRAC's state machine, listings, sandboxes and output
 * peeking. Jobs run through the DRM (drm.h); its state changes reach the
 * job through a hook in the same transaction.
 *
 * A job record (TBL_JOBS, key: the jid in 10 digits) is the REST JOB shape
 * plus private members whose names start with '_':
 *   {jid, status, minorStatus, appStatus, reschedules, cpuTime, jobGroup,
 *    name, site, setup, priority, owner, ownerDN, ownerGroup, vo, jobType,
 *    flags: {...}, times: {submission, lastUpdate, startExecution,
 *    endExecution}, _drm, _dir, _manifest, _stdout, _stderr, _osb, _isb}
 * Files live under <home>/jobs/<_dir>/: isb/ (the input sandbox as sent,
 * the service's) and run/ (the job's working directory, the job user's).
 */
#ifndef JOB_H
#define JOB_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "workload.h"

#define JOB_LIST_DEFAULT   100   /* maxJobs when not given */
#define JOB_LIST_MAX       1000  /* the server's cap on maxJobs */
#define JOB_BULK_MAX       100   /* manifests in one submission */
#define JOB_SUBMIT_MAX     1000  /* jobs one submission may create */
#define JOB_PARAMETRIC_MAX 1000  /* jobs one parametric manifest yields */
#define JOB_FILES_MAX      100   /* files in one input sandbox */
#define JOB_NAME_MAX       255   /* bytes of a sandbox file name */
#define JOB_STRING_MAX     4096  /* bytes of a manifest string */
#define JOB_PEEK_MAX       65536 /* bytes one peek returns */
#define JOB_GROUPS_MAX     4     /* summary groupings */
#define JOB_HISTORY_MAX    (10L * 366 * 86400) /* seconds of a timeSpan */

/* Reconcile the DRM jobs a restart left behind (and start the queue). */
int job_init(struct gr_err *err);

/*
 * Submit manifests (a JSON array of objects, borrowed) with files for
 * their common input sandbox, as owner (the token's account) in group;
 * owner_dn: the DN of the token's X509 identity, or NULL. *jids: new
 * reference to the array of new jids (parametric manifests give
 * several). All or nothing.
 */
int job_submit(const char *owner, const char *group, const char *owner_dn,
    const json_t *manifests, const struct wl_file *files, size_t nfiles,
    json_t **jids, struct gr_err *err);

/*
 * The record member a list filter or summary grouping names, from the
 * REST short names (site, status, minorStatus...) or DIRAC's (Site,
 * Status, JobID...); NULL for an unknown one.
 */
const char *job_attr(const char *name);

/*
 * {"entries": total, "jobs": [JOB...]} of the issuer's jobs, newest
 * first, from start, at most max. all_owners: every job the issuer may
 * see (admins: all; a member of a group that shares jobs, group being
 * its token's: its own and that group's; anybody else: its own).
 * filters: {member: [values]} (borrowed), values compared as text.
 */
int job_list(const char *issuer, const char *group, bool all_owners,
    const json_t *filters, long start, long max, json_t **out,
    struct gr_err *err);

/* Does group share its members' jobs (GRIDREST_JOB_SHARING, a comma-
   separated list of groups: DIRAC's JobSharing property)? */
bool job_group_shares(const char *group);

/*
 * One job (the JOB shape), its manifest (DIRAC's: values as strings).
 * Every function on one job takes the token's account and group: its
 * owner, an admin, or a member of the group it was submitted in when
 * that group shares its jobs (job_group_shares, the listing's allOwners
 * rule) may read, kill and delete it; anybody else gets
 * NonauthorizedJobIDs.
 */
int job_get(const char *issuer, const char *group, long jid, json_t **out,
    struct gr_err *err);
int job_manifest(const char *issuer, const char *group, long jid, json_t **out,
    struct gr_err *err);

/* Where sandbox bytes go (tar.bz2); GR_OK to go on. */
typedef int (*job_write_fn)(const void *buf, size_t n, void *ctx);

/*
 * Write the job's input or output sandbox as tar.bz2 through fn. Fails
 * before writing anything (GR_NOT_FOUND "No ... sandbox") when there is
 * none: no input files, or the job has not ended.
 */
int job_sandbox(const char *issuer, const char *group, long jid, bool output,
    job_write_fn fn, void *ctx, struct gr_err *err);

/*
 * DELETE: kill (killonly) or delete the job. A job that cannot make the
 * move (a Done job killed, a Deleted one deleted) is refused with
 * InvalidJobIDs.
 */
int job_delete(const char *issuer, const char *group, long jid, bool killonly,
    struct gr_err *err);

/*
 * {"<v1>|<v2>": count} of the issuer's jobs (all_owners: as job_list) by
 * the members in groups (default: status).
 */
int job_summary(const char *issuer, const char *group, bool all_owners,
    const char *const *groups, size_t ngroups, json_t **out,
    struct gr_err *err);

/*
 * GET /jobs/history: the issuer's jobs (all_owners: as job_list) last
 * updated within the past span seconds, by status, in buckets of
 * "granularity" seconds (the accounting's WMSHistory NumberOfJobs,
 * grouped by Status): {"timeSpan", "granularity", "data": {status:
 * {"<bucket start, epoch s>": n}}, "totals": {status: n}}.
 */
int job_history(const char *issuer, const char *group, bool all_owners,
    long span, json_t **out, struct gr_err *err);

/* The job's stdout, opened for a peek of up to JOB_PEEK_MAX bytes. */
struct job_peek {
	int fd;             /* -1: no output yet (or no regular file) */
	long long size;     /* the file's size now */
	const char *status; /* the job's status (static) */
	bool final;         /* the job has ended: the file is complete */
};
int job_peek(const char *issuer, const char *group, long jid,
    struct job_peek *out, struct gr_err *err);

/* Does DIRAC's state machine allow from -> to? */
bool job_can_move(const char *from, const char *to);

/* Is name a safe sandbox file name (no path, no dot file, UTF-8)? */
bool job_name_ok(const char *name, size_t len);

#endif /* JOB_H */
