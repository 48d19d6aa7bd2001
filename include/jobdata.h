/*
 * jobdata.h -- the data a DIRAC job uses (core), as DIRAC's job wrapper
 * moves it: its InputData and "LFN:" input sandbox entries resolved through
 * this service's own catalogues into the copy plans of stage.h, and its
 * OutputData planned onto OutputSE under OutputPath and registered in a
 * catalogue once stored. No HTTP; the copies themselves are stage.c's, in
 * whatever runs the job.
 *
 * An LFN is either a DIRAC file catalogue path ("/vo/user/f", "LFN:/vo/
 * user/f") or a Rucio file DID ("scope:name", "LFN:scope:name"); the file
 * lands in the working directory under its last path component.
 *
 * Rights: a job reads what its owner may read. In the file catalogue, a
 * file of the owner, or one whose mode lets its group (the owner's token
 * group) or everybody read, or any file for admins; in Rucio, every file
 * (Rucio has no read permission on DIDs). Sources are only taken from the
 * protocols of this service's RSEs (a catalogue SE is an RSE of that name),
 * PFNs beneath their prefixes.
 */
#ifndef JOBDATA_H
#define JOBDATA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "catalog.h"
#include "err.h"
#include "workload.h"

/*
 * Check one LFN entry: its catalogue path or "scope:name" without "LFN:"
 * into lfn (FC_PATH_MAX + 1 bytes), the name it takes in the working
 * directory into name (WL_NAME_MAX + 1), *rucio when it is a DID.
 * GR_INVALID_MANIFEST for anything else (relative, "//", "." or "..", an
 * empty scope or name, a last component that is no plain file name).
 */
int jd_lfn_parse(const char *entry, char *lfn, char *name, bool *rucio,
    struct gr_err *err);

/*
 * DIRAC's input data policy of a job: InputDataPolicy (policy: NULL, a
 * string or a list of strings, the first taking precedence as in DIRAC's
 * InputDataResolution; every entry must be known) and InputDataModule
 * (module: NULL or DIRAC's InputDataResolution). *protocol: the job's
 * InputData is read where it lies (InputDataByProtocol, or the Job API's
 * "Protocol"), not copied (DownloadInputData, "Download", or no policy).
 * GR_INVALID_MANIFEST naming the values known for anything else.
 */
#define JD_DOWNLOAD "DIRAC.WorkloadManagementSystem.Client.DownloadInputData"
#define JD_BY_PROTOCOL                                                         \
	"DIRAC.WorkloadManagementSystem.Client.InputDataByProtocol"
#define JD_RESOLUTION                                                          \
	"DIRAC.WorkloadManagementSystem.Client.InputDataResolution"
int jd_policy(const json_t *policy, const json_t *module, bool *protocol,
    struct gr_err *err);

/*
 * *in: new reference to the stage-in plan of lfns (a list of entries,
 * each already accepted by jd_lfn_parse) for a job of owner in group. A
 * file that is unknown, that the owner may not read, or that has no
 * replica this service reaches gets no sources and a "why": the job is
 * accepted and fails when it starts, as DIRAC's does ("Input data not
 * available"). Errors: the store's.
 */
int jd_resolve(const char *owner, const char *group, const json_t *lfns,
    json_t **in, struct gr_err *err);

/*
 * *out: new reference to the stage-out plan of names (OutputData: plain
 * names in the working directory) onto the RSE se (OutputSE, with a file,
 * https or davs protocol to write) under path (OutputPath): a catalogue
 * directory ("/vo/user/out": LFN <path>/<name>, PFN the protocol's base
 * + LFN), else a Rucio "scope" or "scope:prefix" (DID scope:<prefix>/
 * <name>, PFN lfns2pfns's; NULL or "": the scope user.<owner>).
 * GR_INVALID_MANIFEST naming what is wrong.
 */
int jd_plan_out(const char *owner, const char *group, const json_t *names,
    const char *se, const char *path, json_t **out, struct gr_err *err);

/*
 * After the copies of out (the plan) gave got (stage_out's list): register
 * the files as their owner, in the file catalogue (a file with a replica
 * {se: pfn}) or in Rucio (a replica on se, the file DID made with it). A
 * file already registered with the same figures counts as done (another
 * process looked first). On failure the copies are deleted and why says
 * "Failed to upload output data: ...". 0 or -1.
 */
int jd_register(const json_t *out, const json_t *got, char *why, size_t n);

#endif /* JOBDATA_H */
