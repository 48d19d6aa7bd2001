/*
 * test_xfer.c -- the mover's copy layer (common/xfer.c) against real
 * storage: local directories, and a real lighttpd mod_webdav over HTTPS
 * with a private CA (scripts/webdav-rse, started here on a free port, in
 * the test's own directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/crypto.h>
#include <zlib.h>

#include "err.h"
#include "testlib.h"
#include "util.h"
#include "xfer.h"

extern char **environ;

static char T[TEST_PATH_MAX] = "gr-xfer";
static char dav[128];                    /* "davs://localhost:PORT" */
static char davroot[TEST_PATH_MAX + 32]; /* the server's files: T/webdav/data */
static char cafile[TEST_PATH_MAX + 32];  /* T/home/tls/ca.pem */
static struct xfer *X;

/* "abc": adler32 and md5 from their definitions' published examples */
#define ABC_ADLER "024d0127"
#define ABC_MD5   "900150983cd24fb0d6963f7d28e17f72"

static const char *path(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* T + the formatted rest; borrowed until the call after next */
static const char *
path(const char *fmt, ...)
{
	static char buf[2][TEST_PATH_MAX + 900];
	static int i;
	char rest[900];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	i = !i;
	(void)snprintf(buf[i], sizeof(buf[i]), "%s%s", T, rest);
	return buf[i];
}

/* path(), kept until the end of the group (a prefix lives that long) */
static char *kept[64];
static size_t nkept;

static const char *
keep(const char *p)
{
	assert_true(nkept < sizeof(kept) / sizeof(kept[0]));
	return kept[nkept++] = xstrdup(p);
}

static void
put_file(const char *p, const char *data, size_t n)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* The whole file (malloc'ed, NUL-terminated) or NULL. */
static char *
slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "r");
	char *buf;
	long len;

	if (f == NULL)
		return NULL;
	(void)fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)len + 1);
	*n = fread(buf, 1, (size_t)len, f);
	buf[*n] = '\0';
	(void)fclose(f);
	return buf;
}

static bool
exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

/* Entries in directory p whose name holds "gridrest-part". */
static int
parts_in(const char *p)
{
	char cmd[1200];
	FILE *f;
	int n = 0, c;

	(void)snprintf(cmd, sizeof(cmd),
	    "find '%s' -name '*gridrest-part*' 2>/dev/null", p);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			n++;
	(void)pclose(f);
	return n;
}

static int
run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;

	/* its stdout is not TAP */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A port no socket uses, below the ephemeral ones (32768-): a bind
   without SO_REUSEADDR also meets their TIME-WAIT sockets. */
static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd, port, i;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 1000; i++) {
		port = 20000 + (getpid() + i) % 10000;
		a.sin_port = htons((uint16_t)port);
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			return -1;
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			(void)close(fd);
			return port;
		}
		(void)close(fd);
	}
	return -1;
}

static int
setup(void **state)
{
	char port[16], home[TEST_PATH_MAX + 8], whome[TEST_PATH_MAX + 8];
	char *start[] = { "scripts/webdav-rse", "start", NULL };
	int p;

	(void)state;
	if (test_tmpdir(T) != 0 || (p = free_port()) < 0)
		return -1;
	(void)snprintf(port, sizeof(port), "%d", p);
	(void)snprintf(home, sizeof(home), "%s/home", T);
	(void)snprintf(whome, sizeof(whome), "%s/webdav", T);
	(void)snprintf(dav, sizeof(dav), "davs://localhost:%d", p);
	(void)snprintf(davroot, sizeof(davroot), "%s/data", whome);
	(void)snprintf(cafile, sizeof(cafile), "%s/tls/ca.pem", home);
	setenv("GRIDREST_HOME", home, 1);
	setenv("GRIDREST_WEBDAV_HOME", whome, 1);
	setenv("GRIDREST_WEBDAV_PORT", port, 1);
	if (run(start) != 0) {
		fprintf(stderr, "# scripts/webdav-rse start failed\n");
		return -1;
	}
	X = xfer_new();
	return 0;
}

static int
teardown(void **state)
{
	char *stop[] = { "scripts/webdav-rse", "stop", NULL };

	(void)state;
	xfer_free(X);
	(void)run(stop);
	while (nkept > 0)
		free(kept[--nkept]);
	return nftw(T, testlib_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static struct xfer_sum
sum(int64_t bytes, const char *adler, const char *md5)
{
	struct xfer_sum s = { .bytes = bytes };

	(void)snprintf(s.adler32, sizeof(s.adler32), "%s", adler);
	(void)snprintf(s.md5, sizeof(s.md5), "%s", md5);
	return s;
}

/* --- posix ---------------------------------------------------------- */

static void
test_posix_copy(void **state)
{
	struct xfer_rse r1 = { .prefix = keep(path("/p1")) },
			r2 = { .prefix = keep(path("/p2/deep")) };
	struct xfer_sum want = sum(3, ABC_ADLER, ABC_MD5), got;
	struct gr_err err = { 0 };
	char src[1024], dst[1024], *data;
	size_t n;

	(void)state;
	assert_int_equal(mkdir(path("/p1"), 0755), 0);
	put_file(path("/p1/f1"), "abc", 3);
	(void)snprintf(src, sizeof(src), "file://localhost:0%s",
	    path("/p1/f1"));
	(void)snprintf(dst, sizeof(dst), "file://%s",
	    path("/p2/deep/user/ab/cd/f1"));
	/* the destination's prefix and directories are made */
	assert_int_equal(xfer_copy(X, src, &r1, dst, &r2, &want, 0, &got, &err),
	    GR_OK);
	data = slurp(path("/p2/deep/user/ab/cd/f1"), &n);
	assert_non_null(data);
	assert_int_equal(n, 3);
	assert_memory_equal(data, "abc", 3);
	free(data);
	assert_int_equal(got.bytes, 3);
	assert_string_equal(got.adler32, ABC_ADLER);
	assert_string_equal(got.md5, ABC_MD5);
	assert_int_equal(parts_in(path("/p2")), 0);

	/* md5 only when asked or expected */
	want = sum(3, ABC_ADLER, "");
	assert_int_equal(xfer_copy(X, src, &r1, dst, &r2, &want, 0, &got, &err),
	    GR_OK);
	assert_string_equal(got.md5, "");
	assert_int_equal(xfer_copy(X, src, &r1, dst, &r2, NULL, XFER_MD5, &got,
			     &err),
	    GR_OK);
	assert_string_equal(got.md5, ABC_MD5);

	/* an existing destination is replaced */
	put_file(path("/p1/f1"), "abcd", 4);
	assert_int_equal(xfer_copy(X, src, &r1, dst, &r2, NULL, 0, &got, &err),
	    GR_OK);
	data = slurp(path("/p2/deep/user/ab/cd/f1"), &n);
	assert_int_equal(n, 4);
	free(data);
}

/* A large posix copy: its md5 in a thread beside the copy (eight
   buffers turned round five times and more), staged or not, durable or
   not; the figures measured against zlib's and gnutls's own, a wrong md5
   leaving nothing. */
static void
test_posix_large(void **state)
{
	struct xfer_rse r = { .prefix = keep(path("/big")) };
	struct xfer_sum want, got;
	struct gr_err err = { 0 };
	const int flags[] = { XFER_MD5, XFER_MD5 | XFER_NOSYNC,
		XFER_MD5 | XFER_STAGE, 0 };
	size_t n, i, bign = (41u << 20) + 777; /* many turns, a short end */
	unsigned char md5[16];
	char src[1024], dst[1024], *big, *data, hex[33];
	uLong ad;

	(void)state;
	assert_int_equal(mkdir(path("/big"), 0755), 0);
	big = xmalloc(bign);
	for (i = 0; i < bign; i++)
		big[i] = (char)(i * 2654435761u >> 11);
	put_file(path("/big/src"), big, bign);
	ad = adler32(adler32(0L, Z_NULL, 0), (const Bytef *)big, (uInt)bign);
	assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_MD5, big, bign, md5), 0);
	for (i = 0; i < 16; i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", md5[i]);
	(void)snprintf(src, sizeof(src), "file://%s", path("/big/src"));
	(void)snprintf(dst, sizeof(dst), "file://%s", path("/big/d/dst"));
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		(void)unlink(path("/big/d/dst"));
		assert_int_equal(xfer_copy(X, src, &r, dst, &r, NULL, flags[i],
				     &got, &err),
		    GR_OK);
		if (flags[i] & XFER_STAGE) {
			assert_false(exists(path("/big/d/dst")));
			assert_int_equal(xfer_commit(X, &err), GR_OK);
		}
		assert_int_equal(got.bytes, (int64_t)bign);
		assert_int_equal(strtoul(got.adler32, NULL, 16), ad);
		assert_string_equal(got.md5, flags[i] & XFER_MD5 ? hex : "");
		data = slurp(path("/big/d/dst"), &n);
		assert_non_null(data);
		assert_int_equal(n, bign);
		assert_memory_equal(data, big, bign);
		free(data);
	}
	/* a wrong md5 expected: the copy fails, nothing under either name */
	(void)unlink(path("/big/d/dst"));
	want = sum((int64_t)bign, got.adler32,
	    "00000000000000000000000000000000");
	assert_int_equal(xfer_copy(X, src, &r, dst, &r, &want, 0, &got, &err),
	    GR_FILE_CONSISTENCY);
	assert_non_null(strstr(err.msg, hex));
	assert_false(exists(path("/big/d/dst")));
	assert_int_equal(parts_in(path("/big")), 0);
	gr_clear(&err);
	free(big);
}

/* Staged posix copies (XFER_STAGE): checked, left under their temporary
   names until xfer_commit gives them their final names together; a
   failed one among them is said by its entry; xfer_discard removes what
   waits. */
static void
test_posix_stage(void **state)
{
	struct xfer_rse r1 = { .prefix = keep(path("/s1")) },
			r2 = { .prefix = keep(path("/s2")) };
	struct xfer_sum want = sum(3, ABC_ADLER, "");
	struct gr_err err = { 0 }, errs[3];
	char src[1024], dst[3][1024], *data;
	size_t n, i;

	(void)state;
	assert_int_equal(mkdir(path("/s1"), 0755), 0);
	put_file(path("/s1/f"), "abc", 3);
	(void)snprintf(src, sizeof(src), "file://%s", path("/s1/f"));
	for (i = 0; i < 3; i++)
		(void)snprintf(dst[i], sizeof(dst[i]), "file://%s/d%zu/f%zu",
		    path("/s2"), i, i);
	for (i = 0; i < 3; i++)
		assert_int_equal(xfer_copy(X, src, &r1, dst[i], &r2, &want,
				     XFER_STAGE, NULL, &err),
		    GR_OK);
	assert_int_equal(xfer_staged(X), 3);
	/* nothing under a final name yet, three temporaries */
	assert_int_equal(access(path("/s2/d0/f0"), F_OK), -1);
	assert_int_equal(parts_in(path("/s2")), 3);
	/* one of them cannot be renamed: a directory holds its name */
	assert_int_equal(mkdir(path("/s2/d1/f1"), 0755), 0);
	assert_int_equal(mkdir(path("/s2/d1/f1/x"), 0755), 0);
	memset(errs, 0, sizeof(errs));
	assert_int_equal(xfer_commit(X, errs), GR_DEST_NOT_ACCESSIBLE);
	assert_int_equal(errs[0].code, GR_OK);
	assert_int_equal(errs[1].code, GR_DEST_NOT_ACCESSIBLE);
	assert_non_null(strstr(errs[1].msg, "destination refused"));
	assert_int_equal(errs[2].code, GR_OK);
	assert_int_equal(xfer_staged(X), 0);
	for (i = 0; i < 3; i += 2) {
		data = slurp(path("/s2/d%zu/f%zu", i, i), &n);
		assert_non_null(data);
		assert_int_equal(n, 3);
		assert_memory_equal(data, "abc", 3);
		free(data);
	}
	assert_int_equal(parts_in(path("/s2")), 0);
	/* a checksum failure is not staged; discard removes the staged */
	want = sum(3, "00000001", "");
	assert_int_equal(xfer_copy(X, src, &r1, dst[0], &r2, &want, XFER_STAGE,
			     NULL, &err),
	    GR_FILE_CONSISTENCY);
	assert_int_equal(xfer_staged(X), 0);
	want = sum(3, ABC_ADLER, "");
	assert_int_equal(xfer_copy(X, src, &r1, dst[2], &r2, &want, XFER_STAGE,
			     NULL, &err),
	    GR_OK);
	assert_int_equal(parts_in(path("/s2")), 1);
	xfer_discard(X);
	assert_int_equal(xfer_staged(X), 0);
	assert_int_equal(parts_in(path("/s2")), 0);
	assert_int_equal(access(path("/s2/d2/f2"), F_OK), 0);
	/* nothing staged: nothing to do */
	assert_int_equal(xfer_commit(X, errs), GR_OK);
}

/* The adler32 measured while copying is zlib's, at every length around
   the vector code's steps (32 bytes, a 5536-byte round), for random
   bytes and for 0xff (the largest sums). */
static void
test_adler32(void **state)
{
	static const size_t lens[] = { 0, 1, 31, 32, 33, 63, 5535, 5536, 5537,
		11072, 11105, 100000, (1u << 20) + 7 };
	struct xfer_rse r = { .prefix = keep(path("/ad")) };
	struct xfer_sum got;
	struct gr_err err = { 0 };
	char src[1024], dst[1024], want[9];
	unsigned char *buf = xmalloc(lens[ARRAY_LEN(lens) - 1]);
	size_t i, j, fill;

	(void)state;
	assert_int_equal(mkdir(path("/ad"), 0755), 0);
	(void)snprintf(src, sizeof(src), "file://%s", path("/ad/src"));
	(void)snprintf(dst, sizeof(dst), "file://%s", path("/ad/dst"));
	for (fill = 0; fill < 2; fill++)
		for (i = 0; i < ARRAY_LEN(lens); i++) {
			for (j = 0; j < lens[i]; j++)
				buf[j] = fill
				    ? 0xff
				    : (unsigned char)((j * 2654435761u) >> 11);
			put_file(path("/ad/src"), (const char *)buf, lens[i]);
			assert_int_equal(xfer_copy(X, src, &r, dst, &r, NULL, 0,
					     &got, &err),
			    GR_OK);
			(void)snprintf(want, sizeof(want), "%08lx",
			    adler32(adler32(0L, Z_NULL, 0), buf,
				(uInt)lens[i]));
			assert_string_equal(got.adler32, want);
			assert_int_equal(got.bytes, (int64_t)lens[i]);
		}
	free(buf);
}

static void
test_posix_failures(void **state)
{
	struct xfer_rse r = { .prefix = keep(path("/q")) };
	struct xfer_sum want = sum(3, "11111111", ""), got;
	struct gr_err err = { 0 };
	char src[1024], dst[1024];

	(void)state;
	assert_int_equal(mkdir(path("/q"), 0755), 0);
	put_file(path("/q/src"), "abc", 3);
	(void)snprintf(src, sizeof(src), "file://%s", path("/q/src"));
	(void)snprintf(dst, sizeof(dst), "file://%s", path("/q/d/dst"));

	/* checksum mismatch: nothing under the final name, no temporary */
	assert_int_equal(xfer_copy(X, src, &r, dst, &r, &want, 0, &got, &err),
	    GR_FILE_CONSISTENCY);
	assert_non_null(strstr(err.msg,
	    "checksum mismatch: adler32 " ABC_ADLER ", expected 11111111"));
	assert_false(exists(path("/q/d/dst")));
	assert_int_equal(parts_in(path("/q")), 0);
	assert_int_equal(got.bytes, 3); /* what was measured */

	/* md5 mismatch */
	gr_clear(&err);
	want = sum(-1, "", "00000000000000000000000000000000");
	assert_int_equal(xfer_copy(X, src, &r, dst, &r, &want, 0, NULL, &err),
	    GR_FILE_CONSISTENCY);
	assert_non_null(strstr(err.msg, "checksum mismatch: md5 " ABC_MD5));
	assert_false(exists(path("/q/d/dst")));

	/* a size that is not the file's: refused before copying */
	gr_clear(&err);
	want = sum(4, ABC_ADLER, "");
	assert_int_equal(xfer_copy(X, src, &r, dst, &r, &want, 0, NULL, &err),
	    GR_FILE_CONSISTENCY);
	assert_non_null(strstr(err.msg, "size mismatch"));
	assert_false(exists(path("/q/d/dst")));

	/* source missing */
	gr_clear(&err);
	(void)snprintf(src, sizeof(src), "file://%s", path("/q/nothing/here"));
	assert_int_equal(xfer_copy(X, src, &r, dst, &r, NULL, 0, NULL, &err),
	    GR_SOURCE_NOT_FOUND);
	assert_non_null(strstr(err.msg, "source missing"));
	assert_false(exists(path("/q/d/dst")));

	/* a destination that refuses: its name is a directory */
	gr_clear(&err);
	(void)snprintf(src, sizeof(src), "file://%s", path("/q/src"));
	assert_true(exists(path("/q/d"))); /* made by the copies above */
	assert_int_equal(mkdir(path("/q/d/dst"), 0755), 0);
	assert_int_equal(xfer_copy(X, src, &r, dst, &r, NULL, 0, NULL, &err),
	    GR_DEST_NOT_ACCESSIBLE);
	assert_non_null(strstr(err.msg, "destination refused"));
	assert_int_equal(parts_in(path("/q")), 0);

	/* a copy already writing the temporary holds its lock */
	gr_clear(&err);
	{
		int fd = open(path("/q/d/.busy"
				   ".gridrest-part"),
		    O_WRONLY | O_CREAT, 0644);

		assert_true(fd >= 0);
		assert_int_equal(flock(fd, LOCK_EX), 0);
		(void)snprintf(dst, sizeof(dst), "file://%s",
		    path("/q/d/busy"));
		/* another open file description: flock conflicts */
		assert_int_equal(xfer_copy(X, src, &r, dst, &r, NULL, 0, NULL,
				     &err),
		    GR_DEST_NOT_ACCESSIBLE);
		assert_non_null(strstr(err.msg, "destination busy"));
		assert_false(exists(path("/q/d/busy")));
		(void)close(fd);
		/* a killed copy's leftover is taken over and replaced */
		gr_clear(&err);
		put_file(path("/q/d/.busy.gridrest-part"), "leftover", 8);
		assert_int_equal(xfer_copy(X, src, &r, dst, &r, NULL, 0, NULL,
				     &err),
		    GR_OK);
		assert_false(exists(path("/q/d/.busy.gridrest-part")));
	}
}

static void
test_hostile_paths(void **state)
{
	struct xfer_rse r = { .prefix = keep(path("/h/rse")) };
	struct gr_err err = { 0 };
	char src[1024], dst[1024];
	static const char *const bad[] = {
		"/h/rse/../out/f", /* .. */
		"/h/rse/./f",      /* . */
		"/h/rse2/f",       /* a sibling sharing the prefix's text */
		"/h/f",            /* above it */
		"/h/rse",          /* the prefix itself */
		"/h/rse/a/../../out/f",
	};
	size_t i;

	(void)state;
	assert_int_equal(mkdir(path("/h"), 0755), 0);
	assert_int_equal(mkdir(path("/h/rse"), 0755), 0);
	assert_int_equal(mkdir(path("/h/out"), 0755), 0);
	put_file(path("/h/rse/src"), "abc", 3);
	put_file(path("/h/out/secret"), "secret", 6);
	(void)snprintf(src, sizeof(src), "file://%s", path("/h/rse/src"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gr_clear(&err);
		(void)snprintf(dst, sizeof(dst), "file://%s",
		    path("%s", bad[i]));
		assert_int_equal(xfer_copy(X, src, &r, dst, &r, NULL, 0, NULL,
				     &err),
		    GR_INVALID_PATH);
		/* and as a source, and for deletion */
		gr_clear(&err);
		assert_int_equal(xfer_copy(X, dst, &r, src, &r, NULL, 0, NULL,
				     &err),
		    GR_INVALID_PATH);
		gr_clear(&err);
		assert_int_equal(xfer_delete(X, dst, &r, &err),
		    GR_INVALID_PATH);
	}
	assert_false(exists(path("/h/out/f")));
	assert_false(exists(path("/h/rse2")));
	assert_false(exists(path("/h/f")));

	/* a symbolic link below the prefix is never followed */
	assert_int_equal(symlink(path("/h/out"), path("/h/rse/link")), 0);
	gr_clear(&err);
	(void)snprintf(dst, sizeof(dst), "file://%s", path("/h/rse/link/f"));
	assert_int_equal(xfer_copy(X, src, &r, dst, &r, NULL, 0, NULL, &err),
	    GR_INVALID_PATH);
	assert_false(exists(path("/h/out/f")));
	gr_clear(&err);
	(void)snprintf(dst, sizeof(dst), "file://%s",
	    path("/h/rse/link/secret"));
	assert_int_equal(xfer_copy(X, dst, &r, src, &r, NULL, 0, NULL, &err),
	    GR_INVALID_PATH);
	gr_clear(&err);
	assert_int_equal(xfer_delete(X, dst, &r, &err), GR_INVALID_PATH);
	assert_true(exists(path("/h/out/secret")));
	/* a link as the final name: replaced, its target untouched */
	assert_int_equal(symlink(path("/h/out/secret"), path("/h/rse/ln")), 0);
	gr_clear(&err);
	(void)snprintf(dst, sizeof(dst), "file://%s", path("/h/rse/ln"));
	assert_int_equal(xfer_copy(X, dst, &r, src, &r, NULL, 0, NULL, &err),
	    GR_INVALID_PATH); /* not read through as a source */
	assert_int_equal(xfer_copy(X, src, &r, dst, &r, NULL, 0, NULL, &err),
	    GR_OK);
	{
		size_t n;
		char *s = slurp(path("/h/out/secret"), &n);

		assert_string_equal(s, "secret");
		free(s);
		s = slurp(path("/h/rse/ln"), &n);
		assert_string_equal(s, "abc");
		free(s);
	}

	/* hostile prefixes */
	{
		struct xfer_rse up = { .prefix = keep(path("/h/rse/../out")) },
				rel = { .prefix = "h/rse" };

		gr_clear(&err);
		(void)snprintf(dst, sizeof(dst), "file://%s", path("/h/out/f"));
		assert_int_equal(xfer_copy(X, src, &r, dst, &up, NULL, 0, NULL,
				     &err),
		    GR_INVALID_PATH);
		gr_clear(&err);
		assert_int_equal(xfer_copy(X, src, &r, dst, &rel, NULL, 0, NULL,
				     &err),
		    GR_INVALID_PATH);
		assert_false(exists(path("/h/out/f")));
	}

	/* unknown schemes */
	gr_clear(&err);
	assert_int_equal(xfer_copy(X, src, &r, "root://x:1094/h/rse/f", &r,
			     NULL, 0, NULL, &err),
	    GR_RSE_PROTO_NOT_SUPPORTED);
}

static void
test_posix_delete_stat(void **state)
{
	struct xfer_rse r = { .prefix = keep(path("/del")) };
	struct gr_err err = { 0 };
	char pfn[1024];
	int64_t bytes;

	(void)state;
	assert_int_equal(mkdir(path("/del"), 0755), 0);
	assert_int_equal(mkdir(path("/del/a"), 0755), 0);
	put_file(path("/del/a/f"), "abcde", 5);
	(void)snprintf(pfn, sizeof(pfn), "file://%s", path("/del/a/f"));
	assert_int_equal(xfer_stat(X, pfn, &r, &bytes, &err), GR_OK);
	assert_int_equal(bytes, 5);
	assert_int_equal(xfer_delete(X, pfn, &r, &err), GR_OK);
	assert_false(exists(path("/del/a/f")));
	assert_int_equal(xfer_stat(X, pfn, &r, &bytes, &err), GR_OK);
	assert_int_equal(bytes, -1);
	/* already missing, and its directory too: not an error */
	assert_int_equal(xfer_delete(X, pfn, &r, &err), GR_OK);
	(void)snprintf(pfn, sizeof(pfn), "file://%s", path("/del/b/c/f"));
	assert_int_equal(xfer_delete(X, pfn, &r, &err), GR_OK);
	assert_int_equal(err.code, GR_OK);
}

/* --- WebDAV --------------------------------------------------------- */

static void
test_dav_copies(void **state)
{
	struct xfer_rse fr = { .prefix = keep(path("/w")) },
			dr = { .prefix = "/rucio", .cafile = cafile };
	struct xfer_sum want, got;
	struct gr_err err = { 0 };
	char src[1024], d1[1024], d2[1024], back[1024], *data, *big;
	size_t n, i, bign = (5u << 20) + 12345; /* more than the ring */

	(void)state;
	assert_int_equal(mkdir(path("/w"), 0755), 0);
	big = xmalloc(bign);
	for (i = 0; i < bign; i++)
		big[i] = (char)(i * 2654435761u >> 13);
	put_file(path("/w/big"), big, bign);
	(void)snprintf(src, sizeof(src), "file://%s", path("/w/big"));
	/* posix -> WebDAV: the collections are made */
	(void)snprintf(d1, sizeof(d1), "%s/rucio/user/ab/cd/big", dav);
	assert_int_equal(xfer_copy(X, src, &fr, d1, &dr, NULL, XFER_MD5, &got,
			     &err),
	    GR_OK);
	assert_int_equal(got.bytes, (int64_t)bign);
	want = got;
	data = slurp(path("/webdav/data/rucio/user/ab/cd/big"), &n);
	assert_non_null(data);
	assert_int_equal(n, bign);
	assert_memory_equal(data, big, bign);
	free(data);
	assert_int_equal(parts_in(davroot), 0);

	/* WebDAV -> WebDAV (https:// names the same), the same figures */
	(void)snprintf(d2, sizeof(d2), "https://localhost:%s/rucio/other/big",
	    strrchr(dav, ':') + 1);
	assert_int_equal(xfer_copy(X, d1, &dr, d2, &dr, &want, 0, &got, &err),
	    GR_OK);
	assert_string_equal(got.adler32, want.adler32);
	assert_string_equal(got.md5, want.md5);
	data = slurp(path("/webdav/data/rucio/other/big"), &n);
	assert_non_null(data);
	assert_int_equal(n, bign);
	assert_memory_equal(data, big, bign);
	free(data);

	/* WebDAV -> posix */
	(void)snprintf(back, sizeof(back), "file://%s", path("/w/x/back"));
	assert_int_equal(xfer_copy(X, d2, &dr, back, &fr, &want, 0, &got, &err),
	    GR_OK);
	data = slurp(path("/w/x/back"), &n);
	assert_int_equal(n, bign);
	assert_memory_equal(data, big, bign);
	free(data);
	assert_int_equal(parts_in(path("/w")), 0);
	assert_int_equal(parts_in(davroot), 0);

	/* a checksum that does not match: nothing under the final name */
	want.adler32[0] = want.adler32[0] == '0' ? '1' : '0';
	(void)snprintf(d2, sizeof(d2), "%s/rucio/bad/big", dav);
	assert_int_equal(xfer_copy(X, src, &fr, d2, &dr, &want, 0, NULL, &err),
	    GR_FILE_CONSISTENCY);
	assert_non_null(strstr(err.msg, "checksum mismatch"));
	assert_false(exists(path("/webdav/data/rucio/bad/big")));
	gr_clear(&err);
	assert_int_equal(xfer_copy(X, d1, &dr, d2, &dr, &want, 0, NULL, &err),
	    GR_FILE_CONSISTENCY);
	assert_false(exists(path("/webdav/data/rucio/bad/big")));
	gr_clear(&err);
	assert_int_equal(xfer_copy(X, d1, &dr, back, &fr, &want, 0, NULL, &err),
	    GR_FILE_CONSISTENCY);
	assert_int_equal(parts_in(davroot), 0);
	assert_int_equal(parts_in(path("/w")), 0);
	free(big);
}

static void
test_dav_failures(void **state)
{
	struct xfer_rse fr = { .prefix = keep(path("/wf")) },
			dr = { .prefix = "/rucio", .cafile = cafile },
			nocas = { .prefix = "/rucio" };
	struct gr_err err = { 0 };
	char src[1024], dst[1024];
	int64_t bytes;

	(void)state;
	assert_int_equal(mkdir(path("/wf"), 0755), 0);
	put_file(path("/wf/f"), "abc", 3);
	(void)snprintf(src, sizeof(src), "file://%s", path("/wf/f"));

	/* a source missing on the server */
	(void)snprintf(dst, sizeof(dst), "%s/rucio/none/f", dav);
	assert_int_equal(xfer_copy(X, dst, &dr, src, &fr, NULL, 0, NULL, &err),
	    GR_SOURCE_NOT_FOUND);
	assert_non_null(strstr(err.msg, "source missing: HTTP 404"));

	/* a destination that refuses: its parent is a file */
	gr_clear(&err);
	(void)snprintf(dst, sizeof(dst), "%s/rucio/file", dav);
	assert_int_equal(xfer_copy(X, src, &fr, dst, &dr, NULL, 0, NULL, &err),
	    GR_OK);
	(void)snprintf(dst, sizeof(dst), "%s/rucio/file/f", dav);
	assert_int_equal(xfer_copy(X, src, &fr, dst, &dr, NULL, 0, NULL, &err),
	    GR_DEST_NOT_ACCESSIBLE);
	assert_non_null(strstr(err.msg, "destination refused"));

	/* a server the CA setting does not vouch for */
	gr_clear(&err);
	(void)snprintf(dst, sizeof(dst), "%s/rucio/x/f", dav);
	assert_int_equal(xfer_copy(X, src, &fr, dst, &nocas, NULL, 0, NULL,
			     &err),
	    GR_SERVICE_UNAVAILABLE);
	assert_false(exists(path("/webdav/data/rucio/x/f")));

	/* a server not there */
	gr_clear(&err);
	assert_int_equal(xfer_copy(X, src, &fr, "davs://localhost:1/rucio/f",
			     &dr, NULL, 0, NULL, &err),
	    GR_SERVICE_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "not reached"));

	/* hostile names: no '..' however written, encoded on the wire */
	gr_clear(&err);
	(void)snprintf(dst, sizeof(dst), "%s/rucio/../escape", dav);
	assert_int_equal(xfer_copy(X, src, &fr, dst, &dr, NULL, 0, NULL, &err),
	    GR_INVALID_PATH);
	gr_clear(&err);
	(void)snprintf(dst, sizeof(dst), "%s/other/f", dav);
	assert_int_equal(xfer_copy(X, src, &fr, dst, &dr, NULL, 0, NULL, &err),
	    GR_INVALID_PATH);
	gr_clear(&err);
	(void)snprintf(dst, sizeof(dst), "davs://user@localhost:1/rucio/f");
	assert_int_equal(xfer_copy(X, src, &fr, dst, &dr, NULL, 0, NULL, &err),
	    GR_INVALID_PATH);
	gr_clear(&err);
	(void)snprintf(dst, sizeof(dst), "%s/rucio/%%2e%%2e/a?b#c d", dav);
	assert_int_equal(xfer_copy(X, src, &fr, dst, &dr, NULL, 0, NULL, &err),
	    GR_OK);
	assert_true(exists(path("/webdav/data/rucio/%%2e%%2e/a?b#c d")));
	assert_int_equal(xfer_stat(X, dst, &dr, &bytes, &err), GR_OK);
	assert_int_equal(bytes, 3);

	/* delete, twice */
	assert_int_equal(xfer_delete(X, dst, &dr, &err), GR_OK);
	assert_false(exists(path("/webdav/data/rucio/%%2e%%2e/a?b#c d")));
	assert_int_equal(xfer_stat(X, dst, &dr, &bytes, &err), GR_OK);
	assert_int_equal(bytes, -1);
	assert_int_equal(xfer_delete(X, dst, &dr, &err), GR_OK);
	assert_int_equal(err.code, GR_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_posix_copy),
		cmocka_unit_test(test_posix_stage),
		cmocka_unit_test(test_posix_large),
		cmocka_unit_test(test_adler32),
		cmocka_unit_test(test_posix_failures),
		cmocka_unit_test(test_hostile_paths),
		cmocka_unit_test(test_posix_delete_stat),
		cmocka_unit_test(test_dav_copies),
		cmocka_unit_test(test_dav_failures),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("xfer", tests, setup, teardown);
}
