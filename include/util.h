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

/* The value of one hex digit (either case), or -1. */
int hex_digit(char c);

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

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif /* UTIL_H */
