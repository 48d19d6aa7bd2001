/*
 * xfer.h -- the mover's copy layer (core): one file from a source PFN to a
 * destination PFN over posix (file://) and WebDAV (https://, davs:// through
 * libcurl), in every combination, streamed in constant memory with its
 * adler32 (and md5) computed on the way and checked before the file appears
 * under its final name; and the reaper's delete. Knows nothing of HTTP
 * servers or of the store: the caller builds the PFNs (rse_lfns2pfns) and
 * fills a struct xfer_rse per storage element.
 */
#ifndef XFER_H
#define XFER_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/*
 * How one RSE is reached, filled by the caller from its protocol and
 * settings; every string borrowed for the call.
 *   prefix   the protocol's prefix: a PFN is only taken when its path lies
 *            beneath it (no "." or ".." anywhere; on posix no symbolic link
 *            below the prefix is followed)
 *   cafile   CAs that verify a WebDAV server (NULL: the system's)
 *   cert     client certificate, PEM (NULL: none); key its key (NULL: in
 *            cert)
 *   timeout  seconds a WebDAV transfer may make no progress (0: 60)
 */
struct xfer_rse {
	const char *prefix;
	const char *cafile;
	const char *cert;
	const char *key;
	long timeout;
};

#define XFER_ADLER32_LEN 8
#define XFER_MD5_LEN     32

/* A file's figures: bytes (-1 unknown), adler32 and md5 as lowercase hex
   ("" unknown). */
struct xfer_sum {
	int64_t bytes;
	char adler32[XFER_ADLER32_LEN + 1];
	char md5[XFER_MD5_LEN + 1];
};

/* Copy state kept between copies: its WebDAV connections and buffers. */
struct xfer;

struct xfer *xfer_new(void);
void xfer_free(struct xfer *x); /* x may be NULL */

/* xfer_copy's flags */
#define XFER_MD5    0x1 /* compute md5 even when expect has none */
#define XFER_STAGE  0x2 /* posix destination: keep for xfer_commit */
#define XFER_NOSYNC 0x4 /* posix destination: no fsync at all (below) */

/*
 * Copy src_pfn (of the RSE src) to dst_pfn (of dst). The figures in expect
 * that are known (may be NULL) are checked: the source's size before the
 * copy, the destination's size (stat, or HEAD for WebDAV) and the adler32
 * and md5 computed while streaming after it. The file appears under its
 * final name only once all of that held: posix writes a hidden temporary
 * name beside it (".<name>.gridrest-part"), fsyncs it (not with
 * XFER_NOSYNC: a copy that need not outlive a crash, a job's input that
 * the crash loses with its job) and renames it; WebDAV PUTs the temporary
 * name (parent collections made with MKCOL) and MOVEs it. A failure
 * removes the temporary. An existing destination is replaced. *got (may
 * be NULL): the figures measured (md5 only when computed). Errors, their
 * message saying what failed, with the PFN:
 *   GR_INVALID_PATH            a PFN outside its RSE's prefix, malformed
 *   GR_RSE_PROTO_NOT_SUPPORTED a scheme other than file, https, davs
 *   GR_SOURCE_NOT_FOUND        "source missing"
 *   GR_SOURCE_ACCESS_DENIED    the source cannot be read
 *   GR_DEST_NOT_ACCESSIBLE     "destination refused" (and why)
 *   GR_FILE_CONSISTENCY        "size mismatch", "checksum mismatch"
 *   GR_SERVICE_UNAVAILABLE     a WebDAV server not reached, a transfer cut
 */
int xfer_copy(struct xfer *x, const char *src_pfn, const struct xfer_rse *src,
    const char *dst_pfn, const struct xfer_rse *dst,
    const struct xfer_sum *expect, int flags, struct xfer_sum *got,
    struct gr_err *err);

/*
 * Many small files share their syncs: a copy to a posix destination with
 * XFER_STAGE is checked as above but left under its temporary name, not
 * synced and still locked (xfer_copy returns GR_OK; xfer_staged counts
 * it). xfer_commit then makes every staged copy durable and gives it its
 * final name: their data synced before the renames and their names after,
 * so a final name never shows a file whose data is not on disk; from 8
 * copies on with one syncfs(2) of each file system each time (two syncs
 * for the batch instead of two fsyncs a file), fewer one by one. errs: an array
 * of xfer_staged(x) entries, in staging order; a failed copy's entry is
 * set (DestinationNotAccessible) and its temporary removed, the others
 * untouched. Returns GR_OK when all were committed, else the last
 * failure's code. xfer_discard removes every staged temporary (xfer_free
 * does it too). Other destinations ignore XFER_STAGE.
 */
size_t xfer_staged(const struct xfer *x);
int xfer_commit(struct xfer *x, struct gr_err *errs);
void xfer_discard(struct xfer *x);

/*
 * Delete the file at pfn (unlink, WebDAV DELETE); a file already missing is
 * not an error. The same path rules and errors as xfer_copy (the
 * destination's).
 */
int xfer_delete(struct xfer *x, const char *pfn, const struct xfer_rse *rse,
    struct gr_err *err);

/*
 * The temporary name a posix copy writes beside leaf until it is checked
 * (".<leaf>.gridrest-part", or a digest of a long leaf), into out
 * (NAME_MAX + 1): what an interrupted copy may leave behind.
 */
void xfer_part_name(const char *leaf, char *out);

/*
 * *bytes: the size of the file at pfn, or -1 when there is none (not an
 * error). Posix stat (no symbolic link followed) or WebDAV HEAD.
 */
int xfer_stat(struct xfer *x, const char *pfn, const struct xfer_rse *rse,
    int64_t *bytes, struct gr_err *err);

#endif /* XFER_H */
