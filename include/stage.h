/*
 * stage.h -- a job's data moved in and out of its working directory by
 * whatever runs the job (core, no store: the local supervisor links it,
 * and so does gridrest-drm-exec on Slurm's nodes). The plans are JSON,
 * made on the service's side by jobdata.c and carried in the DRM record:
 *
 *   in:  [{"name", "lfn", "bytes", "adler32", "md5", "guid", "access",
 *          "sources": [{"pfn", "rse", "prefix", "cafile", "cert", "key"}],
 *          "why"}]            why: no source at all, and why not
 *        access "protocol": not copied, the job reads it where it lies
 *        (DIRAC's InputDataByProtocol): see stage_in
 *   out: [{"name", "pfn", "rse", "prefix", "cafile", "cert", "key", ...}]
 *
 * Copies go through xfer.c (posix and WebDAV), sizes and checksums checked.
 */
#ifndef STAGE_H
#define STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#define STAGE_IN_MAX  500 /* InputData of a User job (DIRAC's bound) */
#define STAGE_OUT_MAX 100 /* OutputData of one job */

/* The DRM's phase files of a Slurm job: ".gridrest-phase-<slurm id>"
   holds "in", "run" or "out"; ".gridrest-data-<slurm id>" the results. */
#define STAGE_PHASE_NAME ".gridrest-phase-"
#define STAGE_DATA_NAME  ".gridrest-data-"

/*
 * Copy every file of in into the directory cwd under its name (a plain
 * name, never through a link, nothing outside cwd), trying its sources in
 * order; with give, each file is then the uid:gid's. An entry of access
 * "protocol" is not copied: its first source whose file is there with its
 * size goes into STAGE_CATALOG in cwd, a POOL XML file catalogue as
 * DIRAC's PoolXMLSlice writes it (<File ID=guid> with <pfn name=TURL
 * se=RSE> and <lfn name=LFN>; a posix PFN as its path, others as they
 * are). On failure, why (size n) says which file and why: "Input data not
 * available: <lfn>: ..." (no source, none reached, a checksum or size that
 * does not match). 0 or -1.
 */
#define STAGE_CATALOG "pool_xml_catalog.xml"
int stage_in(const json_t *in, const char *cwd, bool give, uid_t uid, gid_t gid,
    char *why, size_t n);

/*
 * stage_in inside the job's life: in a process of its own (its own process
 * group, the caller's signal handlers dropped) that the runner r ends as it
 * ends a job: at r->limit seconds, or when r->stop answers (a kill).
 * stage_in_start forks it (r->pid, and *fd to hand to stage_in_wait); -1
 * with why when it cannot. stage_in_wait waits for it to its end: 0 when
 * every file was copied (r->limit then the time the job has left, at
 * least 1 s); -1 with why (stage_in's reason) when one could
 * not be, or with r->how set when the runner ended the copies ("timeout"
 * or stop's answer): then no file of in, whole or partial, stays in cwd.
 * The job's end then: STAGE_TIMEOUT_WHY, STAGE_CANCEL_WHY.
 */
struct drm_run;
#define STAGE_TIMEOUT_WHY                                                      \
	"the job reached its time limit while its input data was copied"
#define STAGE_CANCEL_WHY "cancelled while its input data was copied"
int stage_in_start(const json_t *in, const char *cwd, bool give, uid_t uid,
    gid_t gid, struct drm_run *r, int *fd, char *why, size_t n);
int stage_in_wait(const json_t *in, const char *cwd, struct drm_run *r, int fd,
    char *why, size_t n);

/*
 * Copy every file of out from cwd to its PFN. *got: new reference to
 * [{"name", "bytes", "adler32", "md5"}] of what was stored (on failure,
 * what was stored before it). why as stage_in's: "Failed to upload output
 * data: <name>: ...". 0 or -1.
 */
int stage_out(const json_t *out, const char *cwd, json_t **got, char *why,
    size_t n);

/* The phase of a Slurm job (stage_phase_write) read back: "in", "run",
   "out", or NULL when there is none. */
const char *stage_phase_read(const char *cwd, const char *native);
void stage_phase_write(const char *cwd, const char *native, const char *p);

/*
 * The data results of a Slurm job, written by gridrest-drm-exec for the
 * service: {"got": [stage_out's], "why": a failure}. read: new reference,
 * or NULL when there is none (or it is no object).
 */
#define STAGE_RESULT_MAX (1 << 20)
int stage_result_write(const char *cwd, const char *native, const json_t *res);
json_t *stage_result_read(const char *cwd, const char *native);

#endif /* STAGE_H */
