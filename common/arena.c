/*
 * arena.c -- bump allocator in chained chunks. A request usually fits in the
 * first chunk, which survives arena_reset(), so the steady state allocates
 * nothing from malloc.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "util.h"

#define ARENA_ALIGN 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* usable bytes in data */
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

void
arena_init(struct arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->chunk_size = chunk_size;
}

static struct arena_chunk *
chunk_new(size_t size)
{
	struct arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		abort(); /* as xmalloc does when memory runs out */
	c = xmalloc(sizeof(*c) + size);

	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need < n)
		need = SIZE_MAX; /* overflow: let chunk_new abort */
	if (c == NULL || c->size - c->used < need) {
		if (need > a->chunk_size / 4) {
			/* a big block gets a chunk of its own, behind head */
			struct arena_chunk *big = chunk_new(need);

			big->used = need;
			if (c != NULL) {
				big->next = c->next;
				c->next = big;
			} else {
				a->head = big;
			}
			return big->data;
		}
		c = chunk_new(a->chunk_size);
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += need;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char small[256], *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return arena_strdup(a, "");
	p = arena_alloc(a, (size_t)n + 1);
	if ((size_t)n < sizeof(small)) {
		memcpy(p, small, (size_t)n + 1);
		return p;
	}
	va_start(ap, fmt);
	(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_reset(struct arena *a)
{
	struct arena_chunk *c = a->head, *keep = NULL, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		if (keep == NULL && c->size == a->chunk_size) {
			keep = c;
			continue;
		}
		free(c);
	}
	if (keep != NULL) {
		keep->next = NULL;
		keep->used = 0;
	}
	a->head = keep;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}
