/*
 * pfn.h -- how the storage daemons reach a file (core): the protocol of an
 * RSE first in line for an operation among the schemes the copy layer
 * (xfer.h) speaks, the file's PFN through it, and the copy layer's
 * settings of the RSE. Shared by the mover (mover.h) and the reaper
 * (reaper.h). Knows nothing of HTTP.
 */
#ifndef PFN_H
#define PFN_H

#include <jansson.h>

#include "err.h"

struct xfer_rse;

/*
 * *out: new reference to rse's protocol first in line (lowest wan priority
 * above 0) for op (read, write, delete) among file, https and davs.
 * RSENotFound; RSEProtocolNotSupported when it has none.
 */
int pfn_proto(const char *rse, const char *op, json_t **out,
    struct gr_err *err);

/*
 * *pfn (malloc'ed): scope:name's PFN on rse through proto for op: the
 * protocol's base and path, the stored path of a non-deterministic RSE's
 * replica (may be NULL), else rse_lfns2pfns's.
 */
int pfn_make(const char *rse, const json_t *proto, const char *op,
    const char *scope, const char *name, const char *path, char **pfn,
    struct gr_err *err);

/*
 * The copy layer's settings of an RSE from its protocol proto: the
 * prefix, and extended_attributes ca_file, client_cert, client_key (the
 * CA default: the home's private CA, tls/ca.pem, which also signs
 * scripts/webdav-rse). r's strings are borrowed from proto.
 */
void pfn_settings(const json_t *proto, struct xfer_rse *r);

#endif /* PFN_H */
