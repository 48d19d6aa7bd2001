/*
 * fuzz.h -- what the fuzz targets share (tests/fuzz/<target>.c): an
 * initialised store in a temporary directory with an admin's token, and
 * one HTTP request, written as text, dispatched in process through a
 * family's route table as lighttpd would pass it (no socket, no
 * FastCGI library). Static functions, included by each target, as
 * tests/unit/testlib.h is by the unit tests.
 *
 * A request input: "METHOD URI\n", then header lines "Name: value\n" up
 * to an empty line, then the body (the rest). The admin's token is sent
 * unless a header names one.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "arena.h"
#include "rse.h"
#include "scope.h"
#include "cfg.h"
#include "err.h"
#include "log.h"
#include "memstream.h"
#include "store.h"
#include "tmpdir.h"
#include "token.h"
#include "util.h"
#include "web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* the input as a NUL-terminated copy (free it) */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* --- the store --------------------------------------------------------- */

static char fuzz_home[TEST_PATH_MAX] = "gr-fuzz";
static char fuzz_token[TOKEN_MAX];

static int
fuzz_rm(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb;
	(void)type;
	(void)f;
	return remove(path);
}

static void
fuzz_store_remove(void)
{
	st_close();
	(void)nftw(fuzz_home, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Open a fresh store with root (an admin, with a token), alice, the
   scopes mock, data (root's) and user.alice, and the RSE MOCK; the
   process exits if it cannot. Removed at exit. */
static inline void
fuzz_store_open(void)
{
	struct gr_err err = { 0 };
	json_t *none = json_object();
	int64_t exp;
	bool created;

	cfg.durability = CFG_DURABLE_NONE;
	log_set_level(LOG_ERR);
	if (test_tmpdir(fuzz_home) != 0 ||
	    st_open(fuzz_home, ST_INIT, &err) != GR_OK ||
	    account_ensure("root", "SERVICE", NULL, &created, &err) != GR_OK ||
	    account_add("root", "alice", "USER", "a@example.org", &err) !=
		GR_OK ||
	    token_issue("root", "root", NULL, 86400, fuzz_token, &exp, &err) !=
		GR_OK ||
	    scope_add("root", "root", "mock", &err) != GR_OK ||
	    scope_add("root", "root", "data", &err) != GR_OK ||
	    scope_add("root", "alice", "user.alice", &err) != GR_OK ||
	    rse_add("root", "MOCK", none, &err) != GR_OK) {
		fprintf(stderr, "fuzz: store: %s\n", err.msg);
		exit(1);
	}
	json_decref(none);
	atexit(fuzz_store_remove);
}

/* --- one request ------------------------------------------------------- */

#define FUZZ_ENV_MAX 24

/* "Content-Type" -> "HTTP_CONTENT_TYPE=value" (CONTENT_TYPE and
   CONTENT_LENGTH as CGI names them) into the arena; NULL if unusable */
static char *
fuzz_header_env(struct arena *a, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	const char *v;
	char *name, *p;
	size_t i, klen;

	if (colon == NULL || colon == line)
		return NULL;
	klen = (size_t)(colon - line);
	v = colon + 1;
	while (v < line + n && *v == ' ')
		v++;
	name = arena_printf(a, "HTTP_%.*s", (int)klen, line);
	for (p = name; *p != '\0'; p++)
		*p = *p == '-'                 ? '_'
		    : (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A')
					       : *p;
	if (strcmp(name, "HTTP_CONTENT_TYPE") == 0 ||
	    strcmp(name, "HTTP_CONTENT_LENGTH") == 0)
		name += 5;
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '=')
			return NULL;
	return arena_printf(a, "%s=%.*s", name, (int)(line + n - v), v);
}

/* Dispatch the request text data[0..size) through routes. */
static inline void
fuzz_request(const struct web_route *routes, const uint8_t *data, size_t size)
{
	struct web_req *r = xcalloc(1, sizeof(*r));
	struct membuf in, out;
	const char *s = (const char *)data, *end = s + size, *eol, *sp;
	char *env[FUZZ_ENV_MAX + 1];
	bool own_token = false;
	size_t n = 0;

	arena_init(&r->arena, 4096);
	eol = memchr(s, '\n', size);
	if (eol == NULL)
		eol = end;
	sp = memchr(s, ' ', (size_t)(eol - s));
	if (sp == NULL || memchr(s, '\0', (size_t)(eol - s)) != NULL)
		goto out;
	env[n++] = arena_printf(&r->arena, "REQUEST_METHOD=%.*s", (int)(sp - s),
	    s);
	env[n++] = arena_printf(&r->arena, "REQUEST_URI=%.*s",
	    (int)(eol - sp - 1), sp + 1);
	s = eol < end ? eol + 1 : end;
	/* headers, to an empty line */
	while (s < end) {
		char *e;

		eol = memchr(s, '\n', (size_t)(end - s));
		if (eol == NULL)
			eol = end;
		if (eol == s) {
			s++;
			break;
		}
		if (memchr(s, '\0', (size_t)(eol - s)) == NULL &&
		    n < FUZZ_ENV_MAX - 2 &&
		    (e = fuzz_header_env(&r->arena, s, (size_t)(eol - s))) !=
			NULL) {
			if (strncmp(e, "HTTP_X_RUCIO_AUTH_TOKEN=", 24) == 0 ||
			    strncmp(e, "HTTP_AUTHORIZATION=", 19) == 0)
				own_token = true;
			if (strncmp(e, "CONTENT_LENGTH=", 15) != 0)
				env[n++] = e;
		}
		s = eol < end ? eol + 1 : end;
	}
	if (!own_token)
		env[n++] = arena_printf(&r->arena, "HTTP_X_RUCIO_AUTH_TOKEN=%s",
		    fuzz_token);
	env[n++] = arena_printf(&r->arena, "CONTENT_LENGTH=%zu",
	    (size_t)(end - s));
	env[n] = NULL;

	mem_reader(&in, s, (size_t)(end - s));
	mem_writer(&out);
	r->fcgx.envp = env;
	r->fcgx.in = &in.s;
	r->fcgx.out = &out.s;
	web_dispatch(r, routes);
	if (getenv("FUZZ_VERBOSE") != NULL) /* to check seeds */
		fprintf(stderr, "fuzz: %s %s: %d %s\n", env[0] + 15,
		    env[1] + 12, r->status,
		    r->err.code != GR_OK ? r->err.msg : "");
	/* a server error is a finding: bad input is a 4xx */
	if (r->status >= 500 && r->status != 503) {
		fprintf(stderr, "fuzz: status %d: %s: %s\n", r->status,
		    gr_err_class(r->err.code), r->err.msg);
		abort();
	}
	free(in.buf);
	free(out.buf);
out:
	arena_free(&r->arena);
	free(r);
}

/* A target that opens the store first (LLVMFuzzerInitialize). */
#define FUZZ_STORE_INIT                                                        \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                      \
	{                                                                      \
		(void)argc;                                                    \
		(void)argv;                                                    \
		fuzz_store_open();                                             \
		return 0;                                                      \
	}

/* The target of whole requests to a family's routes. */
#define FUZZ_FAMILY(routes)                                                    \
	FUZZ_STORE_INIT                                                        \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)           \
	{                                                                      \
		fuzz_request(routes, data, size);                              \
		return 0;                                                      \
	}

#endif /* FUZZ_H */
