/*
 * web_file.h -- the one reply of a file's bytes, for every route that
 * serves a file (task files, job peeks): whole, or the byte range a
 * Range header (or the caller) asks for, read with pread from an open
 * descriptor (opened safely by workload.h's wl_open_at / wl_open_file).
 */
#ifndef WEB_FILE_H
#define WEB_FILE_H

#include <stdbool.h>

#include "web.h"

/*
 * "bytes=a-b", "bytes=a-", "bytes=-n" against size: 0 and [*from, *to];
 * 1 for no (usable) range (none, several, malformed); -1 when it cannot
 * be satisfied.
 */
int web_file_range(const char *h, long long size, long long *from,
    long long *to);

/*
 * Reply with bytes from..to (inclusive; none when to < from) of fd (size
 * bytes now) with status (206 adds Content-Range). fd borrowed.
 */
int web_file_send(struct web_req *r, int fd, long long size, long long from,
    long long to, int status, const char *ctype);

/*
 * Reply with the file, or with the Range the request asks for (206; 416
 * with Content-Range in its unsatisfied form when it cannot be met).
 * Accept-Ranges: bytes. fd borrowed.
 */
int web_file_reply(struct web_req *r, int fd, long long size,
    const char *ctype);

#endif /* WEB_FILE_H */
