/*
 * catalog.h -- the DIRAC file catalogue (core): a tree of directories and
 * files named by LFNs ("/vo/data/run1/f.root"), typed metadata fields,
 * metadata on directories (inherited by everything below them) and on
 * files, and the search of directories by metadata. Knows nothing of
 * HTTP.
 *
 * Store (tables.h): TBL_FC_DIRS holds one record per directory under its
 * LFN (the root "/" is implicit until something is put under it):
 *   "id", "owner", "group", "mode", "ct", "mt" (epoch s),
 *   "f", "s"   files and bytes directly inside,
 *   "rf", "rs" files and bytes in the whole subtree (kept on every
 *              file registration and removal, so sizes cost nothing),
 *   "meta"     the metadata the directory sets itself, typed.
 * TBL_FC_FILES holds files under "directory \0 basename":
 *   "id", "size", "checksum", "checksumtype", "guid", "owner", "group",
 *   "mode", "status", "ct", "mt", "replicas" {SE: PFN}, "meta".
 * TBL_FC_FIELDS holds the fields, 'd' (directories) or 'f' (files) \0
 * name -> {"type": "int"|"float"|"varchar(128)"|"datetime"}.
 *
 * Rights: the owner of a directory or file and admins write; everyone
 * with a token reads (the web layer checks the token).
 */
#ifndef CATALOG_H
#define CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"

#define FC_PATH_MAX   900    /* bytes of an LFN */
#define FC_NAME_MAX   255    /* bytes of one path component */
#define FC_FIELD_MAX  64     /* bytes of a metadata field name */
#define FC_STR_MAX    128    /* bytes of a varchar(128) value */
#define FC_BULK_MAX   1000   /* files in one registration */
#define FC_COND_MAX   16     /* fields in one condition */
#define FC_OPS_MAX    8      /* operators on one field */
#define FC_LIST_MAX   100    /* values of one in/nin list */
#define FC_SEARCH_MAX 100000 /* directories one search may reach */

/*
 * Decode a url-safe base64 LFN (RFC 4648 section 5, padded or not; NULL
 * or "" means "/") into out (FC_PATH_MAX + 1 bytes), normalised: absolute,
 * no empty, "." or ".." components, trailing "/" removed. GR_INVALID_PATH
 * (400) for anything else.
 */
int fc_path_decode(const char *b64, char out[FC_PATH_MAX + 1],
    struct gr_err *err);

/*
 * Add one query argument to a condition (a JSON object, borrowed): a value
 * "op|value" becomes cond[key][op] = value (a list of strings for in and
 * nin, split on ',', trimmed, empties dropped). *used is false for
 * arguments without '|', which are not conditions. Unknown operators:
 * InvalidValueForKey. Types are checked by the searches.
 */
int fc_cond_add(json_t *cond, const char *key, const char *value, bool *used,
    struct gr_err *err);

/* Define a field: kind 'd' or 'f', type int|float|string|date (or
   DIRAC's INT, FLOAT, VARCHAR(128), DATETIME). Admins. Duplicate: 409. */
int fc_field_add(const char *issuer, const char *name, const char *type,
    char kind, struct gr_err *err);

/*
 * GET /filecatalogue/metadata: *out = {field: {"type", "values"}} of the
 * directory fields; with a condition only those with values among the
 * matching directories (and only those values).
 */
int fc_fields(const json_t *cond, json_t **out, struct gr_err *err);

/*
 * Create a directory and the missing ones above it (owner: issuer, or
 * opts "owner" when an admin asks; opts "mode", default 0775). The
 * nearest existing ancestor must be the issuer's (or the issuer an
 * admin). An existing directory: Duplicate.
 */
int fc_dir_add(const char *issuer, const char *group, const char *path,
    const json_t *opts, struct gr_err *err);

/*
 * Create up to FC_BULK_MAX directories (with their parents) in one
 * transaction: a list of LFNs or {"path", "mode", "owner", "meta"}, meta
 * set as fc_meta_set would. All or nothing.
 */
int fc_dirs_add(const char *issuer, const char *group, const json_t *dirs,
    struct gr_err *err);

/* Remove an empty directory (not "/"): 409 UnsupportedOperation if not
   empty. The owner or admins. */
int fc_dir_del(const char *issuer, const char *path, struct gr_err *err);

/*
 * The content of a directory as one JSON object, {"Files", "SubDirs",
 * "Links", "Datasets"}, written in pieces to emit as it is read (memory
 * stays flat). verbose: directory details and file replicas. Fails before
 * the first piece for an unknown directory (NotFound).
 */
int fc_dir_list(const char *path, bool verbose, gr_emit_text_fn emit, void *ctx,
    struct gr_err *err);

/* *out = {field: [values]} found in and below path (inherited values
   included) among the directories matching cond (may be NULL). */
int fc_dir_compatible(const char *path, const json_t *cond, json_t **out,
    struct gr_err *err);

/*
 * *out = the tree of the directories at or below path that match cond:
 * {"f", "s", "d": {child: {...}}}, "f"/"s" the files and bytes of a
 * matching directory's subtree; levels that do not match hold only "d".
 */
int fc_dir_search(const char *path, const json_t *cond, json_t **out,
    struct gr_err *err);

/*
 * Register files: a list (1..FC_BULK_MAX) of {"lfn", "size", "checksum",
 * "checksumtype", "guid", "replicas": {SE: PFN}, "mode", "owner"
 * (admins)}; the directories must exist and be the issuer's (or the
 * issuer an admin). All or nothing; an existing LFN: 409 FileAlreadyExists.
 */
int fc_files_add(const char *issuer, const char *group, const json_t *files,
    struct gr_err *err);

/* Remove a file: its owner, its directory's owner, or admins. */
int fc_file_del(const char *issuer, const char *path, struct gr_err *err);

/* *out = DIRAC's file attributes {Size, Checksum, ..., FileID}. */
int fc_file_attrs(const char *path, json_t **out, struct gr_err *err);

/* *out = the file's stored record (new reference): "size", "checksum",
   "checksumtype", "owner", "group", "mode", "replicas" {SE: PFN}... */
int fc_file_record(const char *path, json_t **out, struct gr_err *err);

/* *out = {field: value} of a file, with its directories' (inherited). */
int fc_file_meta(const char *path, json_t **out, struct gr_err *err);

/*
 * Set ({field: value}) or unset ([field]) metadata on a directory (dir)
 * or a file: fields of that kind, values of the field's type (400
 * InvalidValueForKey naming the field). Unsetting a field that is not
 * set: 404 KeyNotFound. The owner or admins.
 */
int fc_meta_set(const char *issuer, const char *path, bool dir,
    const json_t *meta, struct gr_err *err);
int fc_meta_unset(const char *issuer, const char *path, bool dir,
    const json_t *keys, struct gr_err *err);

#endif /* CATALOG_H */
