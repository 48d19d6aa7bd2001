/*
 * arena.h -- request-lifetime memory (our lighttpd reqpool / kore pool).
 * Everything a request owns that is not JSON lives here and is released at
 * once by arena_reset() after the response is finished.
 */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* current chunk, newest first */
	size_t chunk_size;        /* size of ordinary chunks */
};

/* Start an empty arena whose ordinary chunks hold chunk_size bytes. */
void arena_init(struct arena *a, size_t chunk_size);

/* n bytes, aligned for any type; never NULL (aborts on exhaustion). */
void *arena_alloc(struct arena *a, size_t n);

/* Copies of s / s[0..n) with a NUL; borrowed until arena_reset(). */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* printf into the arena; borrowed until arena_reset(). */
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Release everything but the first ordinary chunk, which is kept warm. */
void arena_reset(struct arena *a);

/* Release everything. */
void arena_free(struct arena *a);

#endif /* ARENA_H */
