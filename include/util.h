/*
 * util.h -- small helpers every layer may use: allocation that aborts on
 * exhaustion (lighttpd's ck_malloc, redis' zmalloc), strings, hex, random
 * bytes, time. No I/O beyond the abort message.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Allocate or abort: a NULL never reaches the caller. */
void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *xstrndup(const char *s, size_t n)
    __attribute__((malloc, returns_nonnull));

/* true if s[0..n) is well-formed UTF-8 without NUL bytes. */
bool utf8_valid(const char *s, size_t n);

/* Write 2n lowercase hex digits of in[0..n) and a NUL to out. */
void hex_encode(const unsigned char *in, size_t n, char *out);

/*
 * base64url of in[0..n) without padding (RFC 4648 section 5) and a NUL into
 * out, which must hold 4 * ((n + 2) / 3) + 1 bytes. Returns the length.
 */
size_t base64url_encode(const unsigned char *in, size_t n, char *out);

/* Fill buf with n bytes from the system's key-grade random source. */
void random_bytes(void *buf, size_t n);

/*
 * Glob match with '*' (any run, also empty) and '?' (one byte); other bytes
 * match themselves. Iterative, no backtracking blow-up.
 */
bool glob_match(const char *pattern, const char *s);

/*
 * Parse a whole decimal string into [min, max]. Returns 0, or -1 when s is
 * empty, has trailing bytes or is out of range.
 */
int parse_long(const char *s, long min, long max, long *out);

/* Seconds since the epoch, UTC. */
int64_t time_now(void);

/* Constant-time comparison of n bytes: 0 when equal. */
int mem_ct_cmp(const void *a, const void *b, size_t n);

/* Wipe n bytes in a way the compiler cannot optimise away. */
void mem_wipe(void *p, size_t n);

/* A growing text buffer; zero-initialise, sbuf_free when done. */
struct sbuf {
	char *s;
	size_t len, cap;
};
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_adds(struct sbuf *b, const char *s); /* a C string */
void sbuf_addi(struct sbuf *b, long long v);   /* a decimal integer */
/* s as a JSON string literal (quoted, escaped); NULL gives null. */
void sbuf_json(struct sbuf *b, const char *s);
void sbuf_free(struct sbuf *b);

/*
 * Run fn(arg) in a detached grandchild and return once the child between
 * them is reaped: the grandchild has a session of its own (it outlives
 * the caller, and init reaps it), the name name in ps, SIGTERM handled by
 * on_term, SIGINT, SIGHUP and SIGPIPE ignored, the other signals as by
 * default and none blocked, no alarm, and no descriptors but /dev/null on
 * 0-2. in_child runs in the child before its fork (NULL: nothing), to
 * drop what the caller holds (st_after_fork). fn must not return: it
 * ends with exit(). Returns 0, or an errno when the first fork failed.
 */
int detach_run(const char *name, void (*on_term)(int), void (*in_child)(void),
    void (*fn)(void *), void *arg);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The path of one of gridrest's executables (gridrest-drm-exec,
 * gridrest-drm-supervisor, gridrest-mover, gridrest-rules) next to this
 * program or up to two directories above it (build/cgi-bin,
 * build/tests/unit) into buf; false if none.
 */
bool tool_path(const char *name, char *buf, size_t size);

#endif /* UTIL_H */
