/*
 * xfer.c -- the mover's copy layer (core; xfer.h): PFN checks, posix and
 * WebDAV sources and destinations, checksums while streaming. No store and
 * no HTTP server code; WebDAV is spoken through libcurl.
 */
#define _GNU_SOURCE /* syncfs */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <immintrin.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <zlib.h>

#include "util.h"
#include "xfer.h"

#define XFER_PFN_MAX    4096
#define XFER_COMP_MAX   128         /* path components of a PFN */
#define XFER_BUF        (128 << 10) /* posix reads and writes */
#define XFER_RING       (2 << 20)   /* between a WebDAV GET and PUT */
#define XFER_DAV_BUF    (512 << 10)
#define XFER_TIMEOUT    60 /* seconds without progress */
#define XFER_CONNECT    10
#define XFER_PART       ".gridrest-part"
#define XFER_SHOW       160 /* of a PFN in a message */
#define XFER_SYNCFS_MIN 8   /* staged copies synced with syncfs(2) */
#define XFER_MD5_SLOTS  8   /* buffers between a copy and its md5 thread */
#define XFER_MD5_MIN    (8 << 20) /* smaller files: md5 inline */

/* A posix copy checked and left under its temporary name (XFER_STAGE). */
struct staged {
	int dfd, fd; /* its directory; the temporary, locked */
	char part[NAME_MAX + 1];
	char *leaf, *pfn;
};

struct xfer {
	CURL *src, *dst; /* kept between copies: their connections stay */
	CURLM *multi;
	char *buf; /* XFER_BUF, posix copies */
	char cerr[CURL_ERROR_SIZE];
	struct staged *st; /* XFER_STAGE copies waiting for xfer_commit */
	size_t nst, ast;
};

enum loc_kind { LOC_FILE, LOC_DAV };

/* A PFN taken apart, checked against its RSE's prefix. */
struct loc {
	enum loc_kind kind;
	const char *pfn; /* borrowed, for messages */
	char *origin;    /* "https://host[:port]" (WebDAV) */
	char *path;      /* a copy of the path, its components NUL-split */
	const char *comp[XFER_COMP_MAX];
	size_t n;    /* components */
	size_t npre; /* of them, the prefix's */
};

/* --- checksums ------------------------------------------------------ */

/*
 * adler32 with AVX2 where the processor has it: zlib's own is a byte at a
 * time (0.5-1 GB/s here), which made the checksum the cost of a local
 * copy. Per 32 bytes d[0..31] with the sums (a, b) before them: a += sum
 * of d[k], b += 32 a + sum of (32 - k) d[k]. A round adds, per 32-byte
 * step, the running byte sum before the step to ps (so b gains 32 ps),
 * the bytes to s1 (vpsadbw) and the weighted bytes to s2 (vpmaddubsw,
 * vpmaddwd); ADLER_ROUND bytes keep every lane far from overflow, and
 * the round ends with one reduction modulo 65521 in 64 bits.
 */
#define ADLER_BASE  65521U
#define ADLER_ROUND 5536 /* bytes per round, a multiple of 32 */

__attribute__((target("avx2"))) static uint32_t
adler32_avx2(uint32_t adler, const unsigned char *p, size_t len)
{
	const __m256i w = _mm256_setr_epi8(32, 31, 30, 29, 28, 27, 26, 25, 24,
	    23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6,
	    5, 4, 3, 2, 1);
	const __m256i ones = _mm256_set1_epi16(1),
		      zero = _mm256_setzero_si256();
	uint32_t a = adler & 0xffff, b = adler >> 16, l2[8];
	uint64_t t1, tp, t2, l1[4];
	size_t n, k;

	while (len >= 32) {
		__m256i s1 = zero, ps = zero, s2 = zero;

		n = len < ADLER_ROUND ? len & ~(size_t)31 : ADLER_ROUND;
		for (k = 0; k < n; k += 32) {
			__m256i d = _mm256_loadu_si256(
			    (const __m256i *)(p + k));

			ps = _mm256_add_epi64(ps, s1);
			s1 = _mm256_add_epi64(s1, _mm256_sad_epu8(d, zero));
			s2 = _mm256_add_epi32(s2,
			    _mm256_madd_epi16(_mm256_maddubs_epi16(d, w),
				ones));
		}
		_mm256_storeu_si256((__m256i *)l1, s1);
		t1 = l1[0] + l1[1] + l1[2] + l1[3];
		_mm256_storeu_si256((__m256i *)l1, ps);
		tp = l1[0] + l1[1] + l1[2] + l1[3];
		_mm256_storeu_si256((__m256i *)l2, s2);
		for (t2 = 0, k = 0; k < 8; k++)
			t2 += l2[k];
		b = (uint32_t)((b + (uint64_t)n * a + 32 * tp + t2) %
		    ADLER_BASE);
		a = (uint32_t)((a + t1) % ADLER_BASE);
		p += n;
		len -= n;
	}
	for (; len > 0; len--) {
		a += *p++;
		a -= a >= ADLER_BASE ? ADLER_BASE : 0;
		b += a;
		b -= b >= ADLER_BASE ? ADLER_BASE : 0;
	}
	return b << 16 | a;
}

static uLong
adler32_fast(uLong adler, const unsigned char *p, size_t n)
{
	static int avx2 = -1;
	uInt k;

	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	if (avx2)
		return adler32_avx2((uint32_t)adler, p, n);
	for (; n > 0; n -= k, p += k) { /* zlib takes a uInt length */
		k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		adler = adler32(adler, p, k);
	}
	return adler;
}

struct sums {
	uLong adler;
	gnutls_hash_hd_t md5; /* NULL: not computed */
	int64_t bytes;
};

static void
sums_init(struct sums *s, bool md5)
{
	s->adler = adler32(0L, Z_NULL, 0);
	s->md5 = NULL;
	s->bytes = 0;
	if (md5 && gnutls_hash_init(&s->md5, GNUTLS_DIG_MD5) < 0)
		s->md5 = NULL;
}

static void
sums_add(struct sums *s, const void *p, size_t n)
{
	s->bytes += (int64_t)n;
	s->adler = adler32_fast(s->adler, p, n);
	if (s->md5 != NULL)
		(void)gnutls_hash(s->md5, p, n);
}

/* The figures into out; ends the md5. */
static void
sums_end(struct sums *s, struct xfer_sum *out)
{
	unsigned char d[16];

	out->bytes = s->bytes;
	(void)snprintf(out->adler32, sizeof(out->adler32), "%08lx",
	    (unsigned long)s->adler & 0xffffffffUL);
	out->md5[0] = '\0';
	if (s->md5 != NULL) {
		gnutls_hash_deinit(s->md5, d);
		s->md5 = NULL;
		hex_encode(d, sizeof(d), out->md5);
	}
}

static void
sums_drop(struct sums *s)
{
	if (s->md5 != NULL)
		gnutls_hash_deinit(s->md5, NULL);
	s->md5 = NULL;
}

/* Are the known figures of expect those of got? */
static int
sums_check(const struct xfer_sum *expect, const struct xfer_sum *got,
    const char *pfn, struct gr_err *err)
{
	if (expect == NULL)
		return GR_OK;
	if (expect->bytes >= 0 && expect->bytes != got->bytes)
		return gr_fail(err, GR_FILE_CONSISTENCY,
		    "size mismatch: %lld bytes copied, expected %lld: %.*s",
		    (long long)got->bytes, (long long)expect->bytes, XFER_SHOW,
		    pfn);
	if (expect->adler32[0] != '\0' &&
	    strtoul(expect->adler32, NULL, 16) !=
		strtoul(got->adler32, NULL, 16))
		return gr_fail(err, GR_FILE_CONSISTENCY,
		    "checksum mismatch: adler32 %s, expected %s: %.*s",
		    got->adler32, expect->adler32, XFER_SHOW, pfn);
	if (expect->md5[0] != '\0' && got->md5[0] != '\0' &&
	    strcasecmp(expect->md5, got->md5) != 0)
		return gr_fail(err, GR_FILE_CONSISTENCY,
		    "checksum mismatch: md5 %s, expected %s: %.*s", got->md5,
		    expect->md5, XFER_SHOW, pfn);
	return GR_OK;
}

/* --- PFNs ----------------------------------------------------------- */

/*
 * Split s (modified) at '/' into comp[], skipping empty components; -1 when
 * one is "." or "..", or there are more than max.
 */
static int
split(char *s, const char **comp, size_t max, size_t *n)
{
	char *p = s, *slash;

	*n = 0;
	while (*p != '\0') {
		if (*p == '/') {
			p++;
			continue;
		}
		if ((slash = strchr(p, '/')) != NULL)
			*slash = '\0';
		if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0 || *n >= max)
			return -1;
		comp[(*n)++] = p;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	return 0;
}

static void
loc_free(struct loc *l)
{
	free(l->origin);
	free(l->path);
	memset(l, 0, sizeof(*l));
}

/* Take pfn apart and check that it lies beneath rse->prefix. */
static int
loc_parse(const char *pfn, const struct xfer_rse *rse, struct loc *l,
    struct gr_err *err)
{
	const char *pre[XFER_COMP_MAX], *rest, *slash, *p;
	char *prefix = NULL;
	size_t npre = 0, i, alen;
	int rc = GR_OK;

	memset(l, 0, sizeof(*l));
	l->pfn = pfn;
	if (strlen(pfn) > XFER_PFN_MAX)
		return gr_fail(err, GR_INVALID_PATH, "PFN too long: %.*s",
		    XFER_SHOW, pfn);
	if (strncmp(pfn, "file://", 7) == 0) {
		l->kind = LOC_FILE;
		rest = pfn + 7;
	} else if (strncmp(pfn, "https://", 8) == 0) {
		l->kind = LOC_DAV;
		rest = pfn + 8;
	} else if (strncmp(pfn, "davs://", 7) == 0) {
		l->kind = LOC_DAV;
		rest = pfn + 7;
	} else
		return gr_fail(err, GR_RSE_PROTO_NOT_SUPPORTED,
		    "protocol not supported (file, https, davs): %.*s",
		    XFER_SHOW, pfn);
	if ((slash = strchr(rest, '/')) == NULL)
		return gr_fail(err, GR_INVALID_PATH, "PFN without a path: %.*s",
		    XFER_SHOW, pfn);
	alen = (size_t)(slash - rest);
	if (l->kind == LOC_DAV) {
		/* host[:port], no user information */
		if (alen == 0)
			return gr_fail(err, GR_INVALID_PATH,
			    "PFN without a host: %.*s", XFER_SHOW, pfn);
		for (p = rest; p < slash; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
				(*p >= 'A' && *p <= 'Z') ||
				(*p >= '0' && *p <= '9') ||
				strchr(".-:[]", *p) != NULL))
				return gr_fail(err, GR_INVALID_PATH,
				    "PFN with a bad host: %.*s", XFER_SHOW,
				    pfn);
		l->origin = xmalloc(alen + 9);
		memcpy(l->origin, "https://", 8);
		memcpy(l->origin + 8, rest, alen);
		l->origin[alen + 8] = '\0';
	}
	l->path = xstrdup(slash);
	prefix = xstrdup(rse != NULL && rse->prefix != NULL ? rse->prefix : "");
	if (split(l->path, l->comp, XFER_COMP_MAX, &l->n) != 0) {
		rc = gr_fail(err, GR_INVALID_PATH,
		    "PFN with '.' or '..' or too deep: %.*s", XFER_SHOW, pfn);
		goto out;
	}
	if (split(prefix, pre, XFER_COMP_MAX, &npre) != 0) {
		rc = gr_fail(err, GR_INVALID_PATH,
		    "RSE prefix with '.' or '..': %.*s", XFER_SHOW,
		    rse->prefix);
		goto out;
	}
	if (l->kind == LOC_FILE && rse != NULL && rse->prefix != NULL &&
	    rse->prefix[0] != '/') {
		rc = gr_fail(err, GR_INVALID_PATH,
		    "a posix RSE prefix must be absolute: %.*s", XFER_SHOW,
		    rse->prefix);
		goto out;
	}
	for (i = 0; i < npre; i++)
		if (i >= l->n || strcmp(pre[i], l->comp[i]) != 0)
			break;
	if (i < npre || l->n <= npre) {
		rc = gr_fail(err, GR_INVALID_PATH,
		    "PFN not beneath the RSE prefix '%.60s': %.*s",
		    rse != NULL && rse->prefix != NULL ? rse->prefix : "",
		    XFER_SHOW, pfn);
		goto out;
	}
	l->npre = npre;
out:
	free(prefix);
	if (rc != GR_OK)
		loc_free(l);
	return rc;
}

void
xfer_part_name(const char *leaf, char *out)
{
	unsigned char d[16];
	char hex[33];

	if (strlen(leaf) + sizeof(XFER_PART) + 1 <= NAME_MAX) {
		(void)snprintf(out, NAME_MAX + 1, ".%s" XFER_PART, leaf);
		return;
	}
	(void)gnutls_hash_fast(GNUTLS_DIG_MD5, leaf, strlen(leaf), d);
	hex_encode(d, sizeof(d), hex);
	(void)snprintf(out, NAME_MAX + 1, ".%s" XFER_PART, hex);
}

/* --- posix ---------------------------------------------------------- */

/* The prefix's directory, made (as mkdir -p) when make; -1 and errno. */
static int
pfx_open(const struct loc *l, bool make)
{
	struct sbuf b = { 0 };
	size_t i;
	int fd;

	sbuf_adds(&b, "/");
	for (i = 0; i < l->npre; i++) {
		if (i > 0)
			sbuf_adds(&b, "/");
		sbuf_adds(&b, l->comp[i]);
		if (make && mkdir(b.s, 0755) != 0 && errno != EEXIST) {
			sbuf_free(&b);
			return -1;
		}
	}
	/* the prefix is the site's choice: symbolic links in it are followed */
	fd = open(b.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sbuf_free(&b);
	return fd;
}

/*
 * The directory holding the leaf, each component below the prefix opened
 * with O_NOFOLLOW beneath the last (made when make): a symbolic link there
 * never leads out. -1 and errno (ELOOP for a link).
 */
static int
parent_open(const struct loc *l, bool make)
{
	struct stat st;
	int fd, next, e;
	size_t i;

	if ((fd = pfx_open(l, make)) < 0)
		return -1;
	for (i = l->npre; i + 1 < l->n; i++) {
		next = openat(fd, l->comp[i],
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && make) {
			if (mkdirat(fd, l->comp[i], 0755) != 0 &&
			    errno != EEXIST) {
				e = errno;
				(void)close(fd);
				errno = e;
				return -1;
			}
			next = openat(fd, l->comp[i],
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		e = errno;
		/* O_DIRECTORY answers ENOTDIR for a link: say ELOOP */
		if (next < 0 && e == ENOTDIR &&
		    fstatat(fd, l->comp[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			e = ELOOP;
		(void)close(fd);
		if (next < 0) {
			errno = e;
			return -1;
		}
		fd = next;
	}
	return fd;
}

static const char *
leaf(const struct loc *l)
{
	return l->comp[l->n - 1];
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* --- WebDAV --------------------------------------------------------- */

static bool curl_ready;

/* origin + the first k components, percent-encoded, then "/" + tail when
   tail is not NULL, or a '/' when coll; malloc'ed. */
static char *
dav_url(const struct loc *l, size_t k, const char *tail, bool coll)
{
	static const char hexd[] = "0123456789ABCDEF";
	struct sbuf b = { 0 };
	const char *s;
	size_t i;

	sbuf_adds(&b, l->origin);
	for (i = 0; i <= k; i++) {
		if (i == k && tail == NULL)
			break;
		s = i < k ? l->comp[i] : tail;
		sbuf_adds(&b, "/");
		for (; *s != '\0'; s++) {
			unsigned char c = (unsigned char)*s;
			char esc[3];

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL)
				sbuf_add(&b, s, 1);
			else {
				esc[0] = '%';
				esc[1] = hexd[c >> 4];
				esc[2] = hexd[c & 15];
				sbuf_add(&b, esc, 3);
			}
		}
	}
	if (coll || b.len == strlen(l->origin))
		sbuf_adds(&b, "/");
	return b.s;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* A handle of x's (kept: its connections are reused), reset for url. */
static void
dav_setup(struct xfer *x, CURL *c, const struct xfer_rse *r, const char *url)
{
	curl_easy_reset(c);
	x->cerr[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->cerr);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)XFER_CONNECT);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
	    r != NULL && r->timeout > 0 ? r->timeout : (long)XFER_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, (long)XFER_DAV_BUF);
	curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, (long)XFER_DAV_BUF);
	if (r != NULL && r->cafile != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, r->cafile);
	if (r != NULL && r->cert != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, r->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY,
		    r->key != NULL ? r->key : r->cert);
	}
}

/* A request without a body (HEAD with len != NULL, else method). */
static CURLcode
dav_simple(struct xfer *x, CURL *c, const struct xfer_rse *r,
    const char *method, const char *url, struct curl_slist *hdrs, long *status,
    curl_off_t *len)
{
	CURLcode cc;

	dav_setup(x, c, r, url);
	if (len != NULL)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (hdrs != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	*status = 0;
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		if (len != NULL)
			curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
			    len);
	}
	return cc;
}

static const char *
curl_text(struct xfer *x, CURLcode cc)
{
	return x->cerr[0] != '\0' ? x->cerr : curl_easy_strerror(cc);
}

/* A server not reached or a transfer cut: GR_SERVICE_UNAVAILABLE. */
static int
dav_fail(struct xfer *x, CURLcode cc, const char *what, const char *pfn,
    struct gr_err *err)
{
	return gr_fail(err, GR_SERVICE_UNAVAILABLE, "%s: %s: %.*s", what,
	    curl_text(x, cc), XFER_SHOW, pfn);
}

/*
 * MKCOL of the collection of l's first k components: GR_OK when it is there
 * (201, or 405 for an existing one); with retry, a 409 (its parent is
 * missing) sets *missing instead of failing.
 */
static int
dav_mkcol(struct xfer *x, const struct loc *l, const struct xfer_rse *r,
    size_t k, bool *missing, struct gr_err *err)
{
	char *url = dav_url(l, k, NULL, true);
	long status = 0;
	CURLcode cc;

	cc = dav_simple(x, x->dst, r, "MKCOL", url, NULL, &status, NULL);
	free(url);
	if (cc != CURLE_OK)
		return dav_fail(x, cc, "destination not reached", l->pfn, err);
	if (status == 201 || status == 405)
		return GR_OK;
	if (status == 409 && missing != NULL) {
		*missing = true;
		return GR_OK;
	}
	return gr_fail(err, GR_DEST_NOT_ACCESSIBLE,
	    "destination refused: MKCOL HTTP %ld: %.*s", status, XFER_SHOW,
	    l->pfn);
}

/* The parent collections of l, made with MKCOL: the deepest first, so an
   existing parent costs one request; never above the prefix. */
static int
dav_mkcols(struct xfer *x, const struct loc *l, const struct xfer_rse *r,
    struct gr_err *err)
{
	size_t lo = l->npre > 0 ? l->npre : 1, k = l->n - 1;
	bool missing;
	int rc;

	if (k < lo)
		return GR_OK; /* the parent is the server's root */
	for (;;) {
		missing = false;
		rc = dav_mkcol(x, l, r, k, k > lo ? &missing : NULL, err);
		if (rc != GR_OK)
			return rc;
		if (!missing)
			break;
		k--;
	}
	for (k++; k < l->n; k++)
		if ((rc = dav_mkcol(x, l, r, k, NULL, err)) != GR_OK)
			return rc;
	return GR_OK;
}

/* --- the two ends of a copy ----------------------------------------- */

struct src {
	const struct loc *l;
	const struct xfer_rse *r;
	int fd;    /* posix */
	char *url; /* WebDAV */
	int64_t size;
	int rerr; /* errno of a failed read */
	struct sums *sums;
};

struct dst {
	const struct loc *l;
	const struct xfer_rse *r;
	int dfd, fd; /* posix: the parent directory, the temporary */
	char part[NAME_MAX + 1];
	char *url, *parturl; /* WebDAV */
	int werr;            /* errno of a failed write */
	bool made;           /* the temporary may exist */
	bool nosync;         /* posix: no fsync (XFER_NOSYNC) */
};

static int
src_open(struct xfer *x, struct src *s, struct gr_err *err)
{
	struct stat st;
	curl_off_t len = -1;
	long status;
	CURLcode cc;
	int dfd;

	if (s->l->kind == LOC_DAV) {
		s->url = dav_url(s->l, s->l->n, NULL, false);
		cc = dav_simple(x, x->src, s->r, "HEAD", s->url, NULL, &status,
		    &len);
		if (cc != CURLE_OK)
			return dav_fail(x, cc, "source not reached", s->l->pfn,
			    err);
		if (status == 404 || status == 410)
			return gr_fail(err, GR_SOURCE_NOT_FOUND,
			    "source missing: HTTP %ld: %.*s", status, XFER_SHOW,
			    s->l->pfn);
		if (status == 401 || status == 403)
			return gr_fail(err, GR_SOURCE_ACCESS_DENIED,
			    "source not readable: HTTP %ld: %.*s", status,
			    XFER_SHOW, s->l->pfn);
		if (status != 200)
			return gr_fail(err, GR_SERVICE_UNAVAILABLE,
			    "source answered HTTP %ld: %.*s", status, XFER_SHOW,
			    s->l->pfn);
		s->size = len;
		return GR_OK;
	}
	if ((dfd = parent_open(s->l, false)) >= 0) {
		s->fd = openat(dfd, leaf(s->l),
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		(void)close(dfd);
	}
	if (dfd < 0 || s->fd < 0) {
		if (errno == ELOOP)
			return gr_fail(err, GR_INVALID_PATH,
			    "PFN leaves the RSE prefix through a symbolic "
			    "link: %.*s",
			    XFER_SHOW, s->l->pfn);
		if (errno == ENOENT || errno == ENOTDIR)
			return gr_fail(err, GR_SOURCE_NOT_FOUND,
			    "source missing: %.*s", XFER_SHOW, s->l->pfn);
		return gr_fail(err, GR_SOURCE_ACCESS_DENIED,
		    "source not readable: %s: %.*s", strerror(errno), XFER_SHOW,
		    s->l->pfn);
	}
	if (fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return gr_fail(err, GR_SOURCE_NOT_FOUND,
		    "source missing: not a regular file: %.*s", XFER_SHOW,
		    s->l->pfn);
	(void)fcntl(s->fd, F_SETFL, 0); /* O_NONBLOCK only kept FIFOs away */
	(void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	s->size = st.st_size;
	return GR_OK;
}

static void
src_close(struct src *s)
{
	if (s->fd >= 0)
		(void)close(s->fd);
	s->fd = -1;
	free(s->url);
	s->url = NULL;
}

static int
dst_refused(struct dst *d, int e, struct gr_err *err)
{
	if (e == ELOOP)
		return gr_fail(err, GR_INVALID_PATH,
		    "PFN leaves the RSE prefix through a symbolic link: %.*s",
		    XFER_SHOW, d->l->pfn);
	return gr_fail(err, GR_DEST_NOT_ACCESSIBLE,
	    "destination refused: %s: %.*s", strerror(e), XFER_SHOW, d->l->pfn);
}

static int
dst_open(struct xfer *x, struct dst *d, struct gr_err *err)
{
	int rc;

	xfer_part_name(leaf(d->l), d->part);
	if (d->l->kind == LOC_DAV) {
		if ((rc = dav_mkcols(x, d->l, d->r, err)) != GR_OK)
			return rc;
		d->url = dav_url(d->l, d->l->n, NULL, false);
		d->parturl = dav_url(d->l, d->l->n - 1, d->part, false);
		return GR_OK;
	}
	if ((d->dfd = parent_open(d->l, true)) < 0)
		return dst_refused(d, errno, err);
	d->fd = openat(d->dfd, d->part,
	    O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
	if (d->fd < 0)
		return dst_refused(d, errno, err);
	/*
	 * The temporary's name is fixed, so a copy killed halfway leaves a
	 * file the next attempt truncates; the lock keeps two copies to one
	 * destination from writing it at once (a killed one drops its lock).
	 */
	if (flock(d->fd, LOCK_EX | LOCK_NB) != 0) {
		(void)close(d->fd);
		d->fd = -1;
		return gr_fail(err, GR_DEST_NOT_ACCESSIBLE,
		    "destination busy: another copy writes it: %.*s", XFER_SHOW,
		    d->l->pfn);
	}
	d->made = true;
	if (ftruncate(d->fd, 0) != 0)
		return dst_refused(d, errno, err);
	return GR_OK;
}

/* Remove the temporary; close. */
static void
dst_abort(struct xfer *x, struct dst *d)
{
	long status;

	if (d->l->kind == LOC_DAV && d->made && d->parturl != NULL)
		(void)dav_simple(x, x->dst, d->r, "DELETE", d->parturl, NULL,
		    &status, NULL);
	if (d->l->kind == LOC_FILE && d->made && d->dfd >= 0)
		(void)unlinkat(d->dfd, d->part, 0);
	d->made = false;
}

static void
dst_close(struct dst *d)
{
	if (d->fd >= 0)
		(void)close(d->fd);
	if (d->dfd >= 0)
		(void)close(d->dfd);
	d->fd = d->dfd = -1;
	free(d->url);
	free(d->parturl);
	d->url = d->parturl = NULL;
}

/* The temporary's size (after the copy), -1 when it is not there; a
   posix one synced first unless staged (xfer_commit syncs). */
static int
dst_size(struct xfer *x, struct dst *d, bool sync, int64_t *size,
    struct gr_err *err)
{
	struct stat st;
	curl_off_t len = -1;
	long status;
	CURLcode cc;

	*size = -1;
	if (d->l->kind == LOC_FILE) {
		if (sync && fsync(d->fd) != 0)
			return dst_refused(d, errno, err);
		if (fstat(d->fd, &st) != 0)
			return dst_refused(d, errno, err);
		*size = st.st_size;
		return GR_OK;
	}
	cc = dav_simple(x, x->dst, d->r, "HEAD", d->parturl, NULL, &status,
	    &len);
	if (cc != CURLE_OK)
		return dav_fail(x, cc, "destination not reached", d->l->pfn,
		    err);
	if (status == 200)
		*size = len;
	return GR_OK;
}

/* Give the temporary its final name. */
static int
dst_commit(struct xfer *x, struct dst *d, struct gr_err *err)
{
	struct curl_slist *h = NULL;
	struct sbuf b = { 0 };
	long status;
	CURLcode cc;

	if (d->l->kind == LOC_FILE) {
		if (renameat(d->dfd, d->part, d->dfd, leaf(d->l)) != 0)
			return dst_refused(d, errno, err);
		d->made = false;
		/* the new name itself is durable */
		if (!d->nosync && fsync(d->dfd) != 0)
			return dst_refused(d, errno, err);
		return GR_OK;
	}
	sbuf_adds(&b, "Destination: ");
	sbuf_adds(&b, d->url);
	h = curl_slist_append(h, b.s);
	h = curl_slist_append(h, "Overwrite: T");
	cc = dav_simple(x, x->dst, d->r, "MOVE", d->parturl, h, &status, NULL);
	curl_slist_free_all(h);
	sbuf_free(&b);
	if (cc != CURLE_OK)
		return dav_fail(x, cc, "destination not reached", d->l->pfn,
		    err);
	if (status != 201 && status != 204)
		return gr_fail(err, GR_DEST_NOT_ACCESSIBLE,
		    "destination refused: MOVE HTTP %ld: %.*s", status,
		    XFER_SHOW, d->l->pfn);
	d->made = false;
	return GR_OK;
}

/* --- streaming ------------------------------------------------------ */

/*
 * The md5 of a large posix copy in a thread of its own: md5 is serial and
 * the dearest part of a checked copy (~0.7 GB/s here against 10 GB/s for
 * the vectorised adler32), so it runs beside the reads, the adler32 and
 * the writes instead of after them. The copy fills the slots in turn and
 * hands each over; the thread hashes them in order and gives them back.
 */
struct xfer_md5 {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	gnutls_hash_hd_t h;
	char *buf[XFER_MD5_SLOTS];
	size_t len[XFER_MD5_SLOTS];
	unsigned long filled, hashed; /* slots handed over, hashed */
	bool end;
};

static void *
xfer_md5_run(void *arg)
{
	struct xfer_md5 *m = arg;
	unsigned long k;

	(void)pthread_mutex_lock(&m->mu);
	for (;;) {
		while (m->hashed == m->filled && !m->end)
			(void)pthread_cond_wait(&m->cv, &m->mu);
		if (m->hashed == m->filled)
			break;
		k = m->hashed % XFER_MD5_SLOTS;
		(void)pthread_mutex_unlock(&m->mu);
		(void)gnutls_hash(m->h, m->buf[k], m->len[k]);
		(void)pthread_mutex_lock(&m->mu);
		m->hashed++;
		(void)pthread_cond_broadcast(&m->cv);
	}
	(void)pthread_mutex_unlock(&m->mu);
	return NULL;
}

/* posix to posix; the md5 of a large file in a thread (xfer_md5) */
static int
copy_fd(struct xfer *x, struct src *s, struct dst *d, struct gr_err *err)
{
	struct xfer_md5 m = { .h = NULL };
	bool piped = false;
	char *buf = x->buf;
	size_t k = 0;
	ssize_t n;
	int rc;

	if (s->sums->md5 != NULL && s->size >= XFER_MD5_MIN) {
		m.h = s->sums->md5;
		for (k = 0; k < XFER_MD5_SLOTS; k++)
			m.buf[k] = xmalloc(XFER_BUF);
		(void)pthread_mutex_init(&m.mu, NULL);
		(void)pthread_cond_init(&m.cv, NULL);
		if (pthread_create(&m.th, NULL, xfer_md5_run, &m) == 0) {
			piped = true;
			s->sums->md5 = NULL; /* the thread's until the end */
		}
	}
	for (;;) {
		if (piped) {
			/* a slot the thread is done with */
			(void)pthread_mutex_lock(&m.mu);
			while (m.filled - m.hashed == XFER_MD5_SLOTS)
				(void)pthread_cond_wait(&m.cv, &m.mu);
			(void)pthread_mutex_unlock(&m.mu);
			buf = m.buf[m.filled % XFER_MD5_SLOTS];
		}
		n = read(s->fd, buf, XFER_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = gr_fail(err, GR_SOURCE_ACCESS_DENIED,
			    "source not readable: %s: %.*s", strerror(errno),
			    XFER_SHOW, s->l->pfn);
			break;
		}
		if (n == 0) {
			rc = GR_OK;
			break;
		}
		sums_add(s->sums, buf, (size_t)n);
		if (write_all(d->fd, buf, (size_t)n) != 0) {
			rc = dst_refused(d, errno, err);
			break;
		}
		if (piped) {
			(void)pthread_mutex_lock(&m.mu);
			m.len[m.filled % XFER_MD5_SLOTS] = (size_t)n;
			m.filled++;
			(void)pthread_cond_broadcast(&m.cv);
			(void)pthread_mutex_unlock(&m.mu);
		}
	}
	if (piped) {
		(void)pthread_mutex_lock(&m.mu);
		m.end = true;
		(void)pthread_cond_broadcast(&m.cv);
		(void)pthread_mutex_unlock(&m.mu);
		(void)pthread_join(m.th, NULL);
		s->sums->md5 = m.h; /* every byte hashed, in order */
	}
	if (m.h != NULL) {
		(void)pthread_cond_destroy(&m.cv);
		(void)pthread_mutex_destroy(&m.mu);
		for (k = 0; k < XFER_MD5_SLOTS; k++)
			free(m.buf[k]);
	}
	return rc;
}

static size_t
read_fd(char *p, size_t size, size_t n, void *arg)
{
	struct src *s = arg;
	ssize_t r;

	do
		r = read(s->fd, p, size * n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		s->rerr = errno;
		return CURL_READFUNC_ABORT;
	}
	sums_add(s->sums, p, (size_t)r);
	return (size_t)r;
}

struct sink {
	struct src *s;
	struct dst *d;
};

static size_t
write_fd(char *p, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;

	sums_add(k->s->sums, p, size * n);
	if (write_all(k->d->fd, p, size * n) != 0) {
		k->d->werr = errno;
		return 0;
	}
	return size * n;
}

/* The failure of a GET from s that ended with cc. */
static int
get_failed(struct xfer *x, CURL *c, CURLcode cc, struct src *s,
    struct gr_err *err)
{
	long status = 0;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_HTTP_RETURNED_ERROR && (status == 404 || status == 410))
		return gr_fail(err, GR_SOURCE_NOT_FOUND,
		    "source missing: HTTP %ld: %.*s", status, XFER_SHOW,
		    s->l->pfn);
	if (cc == CURLE_HTTP_RETURNED_ERROR)
		return gr_fail(err, GR_SOURCE_ACCESS_DENIED,
		    "source not readable: HTTP %ld: %.*s", status, XFER_SHOW,
		    s->l->pfn);
	return dav_fail(x, cc, "source transfer failed", s->l->pfn, err);
}

/* The failure of a PUT to d that ended with cc and status. */
static int
put_failed(struct xfer *x, CURLcode cc, long status, struct src *s,
    struct dst *d, struct gr_err *err)
{
	if (cc == CURLE_OK)
		return gr_fail(err, GR_DEST_NOT_ACCESSIBLE,
		    "destination refused: PUT HTTP %ld: %.*s", status,
		    XFER_SHOW, d->l->pfn);
	if (cc == CURLE_ABORTED_BY_CALLBACK && s->rerr != 0)
		return gr_fail(err, GR_SOURCE_ACCESS_DENIED,
		    "source not readable: %s: %.*s", strerror(s->rerr),
		    XFER_SHOW, s->l->pfn);
	return dav_fail(x, cc, "destination transfer failed", d->l->pfn, err);
}

static void
put_setup(struct xfer *x, CURL *c, struct dst *d, int64_t size)
{
	dav_setup(x, c, d->r, d->parturl);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (size >= 0)
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
}

/* WebDAV to posix */
static int
copy_get(struct xfer *x, struct src *s, struct dst *d, struct gr_err *err)
{
	struct sink k = { s, d };
	CURLcode cc;

	dav_setup(x, x->src, s->r, s->url);
	curl_easy_setopt(x->src, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(x->src, CURLOPT_WRITEFUNCTION, write_fd);
	curl_easy_setopt(x->src, CURLOPT_WRITEDATA, &k);
	cc = curl_easy_perform(x->src);
	if (cc == CURLE_WRITE_ERROR && d->werr != 0)
		return dst_refused(d, d->werr, err);
	if (cc != CURLE_OK)
		return get_failed(x, x->src, cc, s, err);
	return GR_OK;
}

/* posix to WebDAV */
static int
copy_put(struct xfer *x, struct src *s, struct dst *d, struct gr_err *err)
{
	long status = 0;
	CURLcode cc;

	put_setup(x, x->dst, d, s->size);
	curl_easy_setopt(x->dst, CURLOPT_READFUNCTION, read_fd);
	curl_easy_setopt(x->dst, CURLOPT_READDATA, s);
	d->made = true;
	cc = curl_easy_perform(x->dst);
	if (cc == CURLE_OK)
		curl_easy_getinfo(x->dst, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK || (status != 200 && status != 201 && status != 204))
		return put_failed(x, cc, status, s, d, err);
	return GR_OK;
}

/* WebDAV to WebDAV: a GET and a PUT at once, through a fixed ring. */
struct ring {
	char *buf;
	size_t off, len; /* the data: buf[off..off+len) modulo XFER_RING */
	int64_t in, out, size;
	bool eof, failed, get_paused, put_paused;
	struct sums *sums;
};

static size_t
ring_in(char *p, size_t size, size_t n, void *arg)
{
	struct ring *r = arg;
	size_t m = size * n, end, first;

	if (XFER_RING - r->len < m) {
		r->get_paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	end = (r->off + r->len) % XFER_RING;
	first = m < XFER_RING - end ? m : XFER_RING - end;
	memcpy(r->buf + end, p, first);
	memcpy(r->buf, p + first, m - first);
	r->len += m;
	r->in += (int64_t)m;
	sums_add(r->sums, p, m);
	return m;
}

static size_t
ring_out(char *p, size_t size, size_t n, void *arg)
{
	struct ring *r = arg;
	size_t m = size * n, first;

	if (r->failed)
		return CURL_READFUNC_ABORT;
	if (r->len == 0) {
		if (!r->eof) {
			r->put_paused = true;
			return CURL_READFUNC_PAUSE;
		}
		/* a short source must not end the PUT as if complete */
		return r->out == r->size ? 0 : CURL_READFUNC_ABORT;
	}
	if (m > r->len)
		m = r->len;
	first = m < XFER_RING - r->off ? m : XFER_RING - r->off;
	memcpy(p, r->buf + r->off, first);
	memcpy(p + first, r->buf, m - first);
	r->off = (r->off + m) % XFER_RING;
	r->len -= m;
	r->out += (int64_t)m;
	return m;
}

static int
copy_pump(struct xfer *x, struct src *s, struct dst *d, struct gr_err *err)
{
	struct ring r = { 0 };
	CURLcode gcc = CURLE_OK, pcc = CURLE_OK;
	bool get_done = false, put_done = false;
	int running = 1, left, rc = GR_OK;
	long status = 0;
	CURLMsg *msg;

	r.buf = xmalloc(XFER_RING);
	r.size = s->size;
	r.sums = s->sums;
	dav_setup(x, x->src, s->r, s->url);
	curl_easy_setopt(x->src, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(x->src, CURLOPT_WRITEFUNCTION, ring_in);
	curl_easy_setopt(x->src, CURLOPT_WRITEDATA, &r);
	put_setup(x, x->dst, d, s->size);
	curl_easy_setopt(x->dst, CURLOPT_READFUNCTION, ring_out);
	curl_easy_setopt(x->dst, CURLOPT_READDATA, &r);
	/* one error buffer would serve both handles: the PUT gets none */
	curl_easy_setopt(x->dst, CURLOPT_ERRORBUFFER, NULL);
	d->made = true;
	curl_multi_add_handle(x->multi, x->src);
	curl_multi_add_handle(x->multi, x->dst);
	while (running > 0 && !(get_done && put_done)) {
		if (curl_multi_perform(x->multi, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(x->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			if (msg->easy_handle == x->src) {
				get_done = r.eof = true;
				gcc = msg->data.result;
				if (gcc != CURLE_OK)
					r.failed = true;
			} else {
				put_done = true;
				pcc = msg->data.result;
			}
		}
		if (r.get_paused && XFER_RING - r.len >= XFER_RING / 2) {
			r.get_paused = false;
			curl_easy_pause(x->src, CURLPAUSE_CONT);
		}
		if (r.put_paused && (r.len > 0 || r.eof)) {
			r.put_paused = false;
			curl_easy_pause(x->dst, CURLPAUSE_CONT);
		}
		if (running > 0 && !(get_done && put_done))
			(void)curl_multi_poll(x->multi, NULL, 0, 100, NULL);
	}
	curl_multi_remove_handle(x->multi, x->src);
	curl_multi_remove_handle(x->multi, x->dst);
	if (gcc != CURLE_OK)
		rc = get_failed(x, x->src, gcc, s, err);
	else if (!get_done || !put_done)
		rc = gr_fail(err, GR_SERVICE_UNAVAILABLE,
		    "transfer stopped: %.*s", XFER_SHOW, d->l->pfn);
	else {
		if (pcc == CURLE_OK)
			curl_easy_getinfo(x->dst, CURLINFO_RESPONSE_CODE,
			    &status);
		if (pcc != CURLE_OK ||
		    (status != 200 && status != 201 && status != 204))
			rc = put_failed(x, pcc, status, s, d, err);
	}
	free(r.buf);
	return rc;
}

/* --- staged posix copies ------------------------------------------ */

/* The checked temporary of d waits in x for xfer_commit, still locked. */
static void
xfer_staged_keep(struct xfer *x, struct dst *d)
{
	struct staged *t;

	if (x->nst == x->ast) {
		x->ast = x->ast > 0 ? 2 * x->ast : 64;
		x->st = xrealloc(x->st, x->ast * sizeof(*x->st));
	}
	t = &x->st[x->nst++];
	t->dfd = d->dfd;
	t->fd = d->fd;
	memcpy(t->part, d->part, sizeof(t->part));
	t->leaf = xstrdup(leaf(d->l));
	t->pfn = xstrdup(d->l->pfn);
	d->dfd = d->fd = -1;
	d->made = false;
}

static void
xfer_staged_close(struct staged *t, bool remove)
{
	if (remove)
		(void)unlinkat(t->dfd, t->part, 0);
	(void)close(t->fd);
	(void)close(t->dfd);
	free(t->leaf);
	free(t->pfn);
}

/*
 * The staged copies durable: their files (data) or their directories
 * (names, after the renames). A few are synced one by one; from
 * XFER_SYNCFS_MIN on, one syncfs(2) of each file system they are on is
 * cheaper than a sync each (and a sync of one file is cheaper than a
 * syncfs when other writers keep the file system busy). errno of the
 * first failure, or 0.
 */
static int
xfer_staged_sync(struct xfer *x, bool names)
{
	dev_t devs[16];
	size_t nd = 0, i, j;
	struct stat st;

	for (i = 0; i < x->nst; i++) {
		struct staged *t = &x->st[i];

		if (x->nst < XFER_SYNCFS_MIN) {
			if (fsync(names ? t->dfd : t->fd) != 0)
				return errno;
			continue;
		}
		if (fstat(t->dfd, &st) != 0)
			return errno;
		for (j = 0; j < nd && devs[j] != st.st_dev; j++)
			;
		if (j < nd)
			continue;
		if (nd < ARRAY_LEN(devs))
			devs[nd++] = st.st_dev;
		if (syncfs(t->dfd) != 0)
			return errno;
	}
	return 0;
}

size_t
xfer_staged(const struct xfer *x)
{
	return x->nst;
}

int
xfer_commit(struct xfer *x, struct gr_err *errs)
{
	bool *moved;
	size_t i, n = x->nst;
	int e, rc = GR_OK;

	if (n == 0)
		return GR_OK;
	moved = xcalloc(n, sizeof(*moved));
	/* the data durable before any final name, the names after */
	if ((e = xfer_staged_sync(x, false)) != 0)
		goto failed;
	for (i = 0; i < n; i++) {
		struct staged *t = &x->st[i];

		if (renameat(t->dfd, t->part, t->dfd, t->leaf) == 0)
			moved[i] = true;
		else
			rc = gr_fail(&errs[i], GR_DEST_NOT_ACCESSIBLE,
			    "destination refused: %s: %.*s", strerror(errno),
			    XFER_SHOW, t->pfn);
	}
	if ((e = xfer_staged_sync(x, true)) != 0)
		goto failed;
	for (i = 0; i < n; i++)
		xfer_staged_close(&x->st[i], !moved[i]);
	goto out;
failed:
	/* a renamed copy stays: not registered, its request repeats */
	for (i = 0; i < n; i++) {
		rc = gr_fail(&errs[i], GR_DEST_NOT_ACCESSIBLE,
		    "destination refused: sync: %s: %.*s", strerror(e),
		    XFER_SHOW, x->st[i].pfn);
		xfer_staged_close(&x->st[i], !moved[i]);
	}
out:
	x->nst = 0;
	free(moved);
	return rc;
}

void
xfer_discard(struct xfer *x)
{
	size_t i;

	for (i = 0; i < x->nst; i++)
		xfer_staged_close(&x->st[i], true);
	x->nst = 0;
}

/* --- the API -------------------------------------------------------- */

struct xfer *
xfer_new(void)
{
	struct xfer *x = xcalloc(1, sizeof(*x));

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			abort(); /* no TLS library: nothing works */
		curl_ready = true;
	}
	if ((x->src = curl_easy_init()) == NULL ||
	    (x->dst = curl_easy_init()) == NULL ||
	    (x->multi = curl_multi_init()) == NULL)
		abort();
	x->buf = xmalloc(XFER_BUF);
	return x;
}

void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	xfer_discard(x);
	free(x->st);
	curl_multi_cleanup(x->multi);
	curl_easy_cleanup(x->src);
	curl_easy_cleanup(x->dst);
	free(x->buf);
	free(x);
}

int
xfer_copy(struct xfer *x, const char *src_pfn, const struct xfer_rse *src,
    const char *dst_pfn, const struct xfer_rse *dst,
    const struct xfer_sum *expect, int flags, struct xfer_sum *got,
    struct gr_err *err)
{
	struct loc sl, dl;
	struct sums sums;
	struct src s = { .fd = -1 };
	struct dst d = { .fd = -1, .dfd = -1 };
	struct xfer_sum have = { .bytes = -1 };
	int64_t size;
	bool stage = false;
	int rc;

	if (got != NULL)
		*got = have;
	if ((rc = loc_parse(src_pfn, src, &sl, err)) != GR_OK)
		return rc;
	if ((rc = loc_parse(dst_pfn, dst, &dl, err)) != GR_OK) {
		loc_free(&sl);
		return rc;
	}
	sums_init(&sums,
	    (flags & XFER_MD5) || (expect != NULL && expect->md5[0] != '\0'));
	s.l = &sl;
	s.r = src;
	s.sums = &sums;
	d.l = &dl;
	d.r = dst;
	d.nosync = (flags & XFER_NOSYNC) != 0;
	if ((rc = src_open(x, &s, err)) != GR_OK)
		goto out;
	if (expect != NULL && expect->bytes >= 0 && s.size >= 0 &&
	    s.size != expect->bytes) {
		rc = gr_fail(err, GR_FILE_CONSISTENCY,
		    "size mismatch: the source has %lld bytes, expected %lld: "
		    "%.*s",
		    (long long)s.size, (long long)expect->bytes, XFER_SHOW,
		    src_pfn);
		goto out;
	}
	if ((rc = dst_open(x, &d, err)) != GR_OK)
		goto out;
	if (sl.kind == LOC_FILE && dl.kind == LOC_FILE)
		rc = copy_fd(x, &s, &d, err);
	else if (sl.kind == LOC_DAV && dl.kind == LOC_FILE)
		rc = copy_get(x, &s, &d, err);
	else if (sl.kind == LOC_FILE)
		rc = copy_put(x, &s, &d, err);
	else
		rc = copy_pump(x, &s, &d, err);
	if (rc != GR_OK)
		goto out;
	sums_end(&sums, &have);
	if (got != NULL)
		*got = have;
	/* the source changed under the copy */
	if (s.size >= 0 && have.bytes != s.size) {
		rc = gr_fail(err, GR_FILE_CONSISTENCY,
		    "size mismatch: %lld bytes read, the source had %lld: %.*s",
		    (long long)have.bytes, (long long)s.size, XFER_SHOW,
		    src_pfn);
		goto out;
	}
	if ((rc = sums_check(expect, &have, src_pfn, err)) != GR_OK)
		goto out;
	stage = (flags & XFER_STAGE) && dl.kind == LOC_FILE;
	if ((rc = dst_size(x, &d, !stage && !d.nosync, &size, err)) != GR_OK)
		goto out;
	if (size != have.bytes) {
		rc = gr_fail(err, GR_FILE_CONSISTENCY,
		    "size mismatch: the destination has %lld bytes, %lld were "
		    "copied: %.*s",
		    (long long)size, (long long)have.bytes, XFER_SHOW, dst_pfn);
		goto out;
	}
	if (stage)
		xfer_staged_keep(x, &d);
	else
		rc = dst_commit(x, &d, err);
out:
	if (rc != GR_OK)
		dst_abort(x, &d);
	sums_drop(&sums);
	src_close(&s);
	dst_close(&d);
	loc_free(&sl);
	loc_free(&dl);
	return rc;
}

/* A request without a body to the file l names (HEAD when len is not
   NULL); GR_SERVICE_UNAVAILABLE when the server is not reached. */
static int
dav_file(struct xfer *x, const struct loc *l, const struct xfer_rse *r,
    const char *method, long *status, curl_off_t *len, struct gr_err *err)
{
	char *url = dav_url(l, l->n, NULL, false);
	CURLcode cc;

	cc = dav_simple(x, len != NULL ? x->src : x->dst, r, method, url, NULL,
	    status, len);
	free(url);
	return cc == CURLE_OK
	    ? GR_OK
	    : dav_fail(x, cc, "storage not reached", l->pfn, err);
}

int
xfer_delete(struct xfer *x, const char *pfn, const struct xfer_rse *rse,
    struct gr_err *err)
{
	struct loc l;
	long status = 0;
	int dfd, rc = GR_OK;

	if ((rc = loc_parse(pfn, rse, &l, err)) != GR_OK)
		return rc;
	if (l.kind == LOC_DAV) {
		rc = dav_file(x, &l, rse, "DELETE", &status, NULL, err);
		if (rc == GR_OK && status != 200 && status != 204 &&
		    status != 404 && status != 410)
			rc = gr_fail(err, GR_DEST_NOT_ACCESSIBLE,
			    "deletion refused: DELETE HTTP %ld: %.*s", status,
			    XFER_SHOW, pfn);
		goto out;
	}
	if ((dfd = parent_open(&l, false)) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			rc = errno == ELOOP
			    ? gr_fail(err, GR_INVALID_PATH,
				  "PFN leaves the RSE prefix through a "
				  "symbolic link: %.*s",
				  XFER_SHOW, pfn)
			    : gr_fail(err, GR_DEST_NOT_ACCESSIBLE,
				  "deletion refused: %s: %.*s", strerror(errno),
				  XFER_SHOW, pfn);
		goto out;
	}
	if (unlinkat(dfd, leaf(&l), 0) != 0 && errno != ENOENT)
		rc = gr_fail(err, GR_DEST_NOT_ACCESSIBLE,
		    "deletion refused: %s: %.*s", strerror(errno), XFER_SHOW,
		    pfn);
	(void)close(dfd);
out:
	loc_free(&l);
	return rc;
}

int
xfer_stat(struct xfer *x, const char *pfn, const struct xfer_rse *rse,
    int64_t *bytes, struct gr_err *err)
{
	struct loc l;
	struct stat st;
	curl_off_t len = -1;
	long status = 0;
	int dfd, rc = GR_OK;

	*bytes = -1;
	if ((rc = loc_parse(pfn, rse, &l, err)) != GR_OK)
		return rc;
	if (l.kind == LOC_DAV) {
		rc = dav_file(x, &l, rse, "HEAD", &status, &len, err);
		if (rc == GR_OK && status == 200)
			*bytes = len;
		else if (rc == GR_OK && status != 404 && status != 410)
			rc = gr_fail(err, GR_SOURCE_ACCESS_DENIED,
			    "storage answered HTTP %ld: %.*s", status,
			    XFER_SHOW, pfn);
		goto out;
	}
	if ((dfd = parent_open(&l, false)) < 0) {
		if (errno == ELOOP)
			rc = gr_fail(err, GR_INVALID_PATH,
			    "PFN leaves the RSE prefix through a symbolic "
			    "link: %.*s",
			    XFER_SHOW, pfn);
		goto out;
	}
	if (fstatat(dfd, leaf(&l), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode))
		*bytes = st.st_size;
	(void)close(dfd);
out:
	loc_free(&l);
	return rc;
}
