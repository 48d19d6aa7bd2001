/*
 * web_file.c -- a file's bytes as a reply, whole or a range (RFC 9110
 * 14.1.2: one range; several, or a malformed one, get the whole file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web_file.h"

#define CHUNK 65536

int
web_file_range(const char *h, long long size, long long *from, long long *to)
{
	long long a, b;
	char *end;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL)
		return 1;
	h += 6;
	if (*h == '-') {
		b = strtoll(h + 1, &end, 10);
		if (*end != '\0' || end == h + 1 || b <= 0)
			return -1;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return size > 0 ? 0 : -1;
	}
	if (*h < '0' || *h > '9')
		return 1;
	a = strtoll(h, &end, 10);
	if (end == h || *end != '-' || a < 0)
		return 1;
	h = end + 1;
	b = *h == '\0' ? size - 1 : strtoll(h, &end, 10);
	if (*h != '\0' && (*end != '\0' || b < a))
		return 1;
	if (a >= size)
		return -1;
	*from = a;
	*to = b >= size ? size - 1 : b;
	return 0;
}

int
web_file_send(struct web_req *r, int fd, long long size, long long from,
    long long to, int status, const char *ctype)
{
	long long left = to >= from ? to - from + 1 : 0;
	char *buf, hdr[96];
	ssize_t n;
	int rc;

	if (status == 206) {
		(void)snprintf(hdr, sizeof(hdr), "bytes %lld-%lld/%lld", from,
		    to, size);
		web_add_header(r, "Content-Range", hdr);
	}
	rc = web_stream_head(r, status, ctype, left);
	if (r->method == WEB_HEAD)
		return GR_OK;
	buf = malloc(CHUNK);
	while (buf != NULL && rc == GR_OK && left > 0) {
		n = pread(fd, buf, left < CHUNK ? (size_t)left : CHUNK,
		    (off_t)from);
		if (n <= 0)
			break; /* the file shrank: the client sees it short */
		rc = web_stream_text(r, ctype, buf, (size_t)n);
		from += n;
		left -= n;
	}
	free(buf);
	return GR_OK;
}

int
web_file_reply(struct web_req *r, int fd, long long size, const char *ctype)
{
	long long from = 0, to = size - 1;
	char hdr[64];
	int rg = web_file_range(web_env(r, "HTTP_RANGE"), size, &from, &to);

	if (rg < 0) {
		(void)snprintf(hdr, sizeof(hdr), "bytes */%lld", size);
		web_add_header(r, "Content-Range", hdr);
		return gr_fail(&r->err, GR_RANGE_NOT_SATISFIABLE,
		    "Range not satisfiable: the file has %lld bytes", size);
	}
	web_add_header(r, "Accept-Ranges", "bytes");
	if (rg != 0) {
		from = 0;
		to = size - 1;
	}
	return web_file_send(r, fd, size, from, to, rg != 0 ? 200 : 206, ctype);
}
