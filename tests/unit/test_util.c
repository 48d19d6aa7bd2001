/*
 * test_util.c -- the leaf helpers every layer uses: UTF-8 validation, glob,
 * number parsing, hex, constant-time compare (common/util.c), the request
 * arena (common/arena.c), the error record (common/err.c) and the name
 * rules (common/valid.c). Pure functions, no store.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena.h"
#include "err.h"
#include "jsonx.h"
#include "proc.h"
#include "util.h"
#include "tmpdir.h"
#include "valid.h"

/* --- utf8_valid ----------------------------------------------------- */

struct bytes {
	const char *s;
	size_t n;
};

#define BYTES(lit)                                                             \
	{                                                                      \
		lit, sizeof(lit) - 1                                           \
	}

static void
test_utf8_valid(void **state)
{
	/* clang-format off */
	static const struct bytes good[] = {
		BYTES(""),
		BYTES("abc"),
		BYTES("\x01\x7f"),		/* controls are UTF-8 */
		BYTES("\xc2\x80"),		/* U+0080 */
		BYTES("\xc3\xa9"),		/* U+00E9 */
		BYTES("\xdf\xbf"),		/* U+07FF */
		BYTES("\xe0\xa0\x80"),		/* U+0800 */
		BYTES("\xe2\x82\xac"),		/* U+20AC */
		BYTES("\xed\x9f\xbf"),		/* U+D7FF */
		BYTES("\xee\x80\x80"),		/* U+E000 */
		BYTES("\xef\xbf\xbf"),		/* U+FFFF */
		BYTES("\xf0\x90\x80\x80"),	/* U+10000 */
		BYTES("\xf0\x9d\x84\x9e"),	/* U+1D11E */
		BYTES("\xf4\x8f\xbf\xbf"),	/* U+10FFFF */
		BYTES("a\xc3\xa9z\xe2\x82\xac"),
	};
	static const struct bytes bad[] = {
		BYTES("\xc0\x80"),		/* overlong NUL */
		BYTES("\xc0\xaf"),		/* overlong '/' */
		BYTES("\xc1\xbf"),		/* overlong U+007F */
		BYTES("\xe0\x80\xaf"),		/* overlong '/' */
		BYTES("\xe0\x9f\xbf"),		/* overlong U+07FF */
		BYTES("\xf0\x80\x80\xaf"),	/* overlong '/' */
		BYTES("\xf0\x8f\xbf\xbf"),	/* overlong U+FFFF */
		BYTES("\xed\xa0\x80"),		/* U+D800 */
		BYTES("\xed\xaf\xbf"),		/* U+DBFF */
		BYTES("\xed\xb0\x80"),		/* U+DC00 */
		BYTES("\xed\xbf\xbf"),		/* U+DFFF */
		BYTES("\xf4\x90\x80\x80"),	/* U+110000 */
		BYTES("\xf5\x80\x80\x80"),
		BYTES("\xf7\xbf\xbf\xbf"),
		BYTES("\xf8\x88\x80\x80\x80"),	/* old 5-byte form */
		BYTES("\xfe"),
		BYTES("\xff"),
		BYTES("\x80"),			/* lone continuation */
		BYTES("a\xbf"),
		BYTES("\xc3"),			/* truncated */
		BYTES("\xe2\x82"),
		BYTES("\xf0\x9d\x84"),
		BYTES("abc\xc3"),
		BYTES("\xc3\x41"),		/* not a continuation */
		BYTES("\xe2\x28\xa1"),
		BYTES("\xf0\x9d\xc4\x9e"),
		BYTES("\xc3\xa9\xa9"),		/* one continuation too many */
		BYTES("a\0b"),			/* NUL */
		BYTES("\0"),
		BYTES("\xc3\0"),
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(good); i++)
		if (!utf8_valid(good[i].s, good[i].n))
			fail_msg("good[%zu] refused", i);
	for (i = 0; i < ARRAY_LEN(bad); i++)
		if (utf8_valid(bad[i].s, bad[i].n))
			fail_msg("bad[%zu] accepted", i);
}

static void
test_utf8_length(void **state)
{
	(void)state;
	/* only s[0..n) is read */
	assert_true(utf8_valid("abc\xff", 3));
	assert_false(utf8_valid("abc\xff", 4));
	assert_true(utf8_valid("\xe2\x82\xac", 3));
	/* a sequence cut by n is truncated even if the bytes go on */
	assert_false(utf8_valid("\xe2\x82\xac", 2));
}

/* --- glob_match ----------------------------------------------------- */

struct glob_case {
	const char *pattern, *s;
	bool match;
};

static void
test_glob_match(void **state)
{
	/* clang-format off */
	static const struct glob_case cases[] = {
		{ "",		"",		true },
		{ "",		"a",		false },
		{ "*",		"",		true },
		{ "*",		"anything",	true },
		{ "**",		"x",		true },
		{ "?",		"",		false },
		{ "?",		"a",		true },
		{ "?",		"ab",		false },
		{ "abc",	"abc",		true },
		{ "abc",	"abd",		false },
		{ "abc",	"ab",		false },
		{ "abc",	"abcd",		false },
		{ "ABC",	"abc",		false },
		{ "a*",		"a",		true },
		{ "a*",		"abc",		true },
		{ "a*",		"ba",		false },
		{ "*c",		"abc",		true },
		{ "*c",		"abcd",		false },
		{ "a*c",	"ac",		true },
		{ "a*c",	"abbbc",	true },
		{ "a*c",	"abcbc",	true },
		{ "a*c",	"abcb",		false },
		{ "a?c",	"abc",		true },
		{ "a?c",	"ac",		false },
		{ "*.root",	"user.root",	true },
		{ "user.*",	"user.root",	true },
		{ "user.*",	"users",	false },
		{ "*a*b*",	"xxaxxbxx",	true },
		{ "*a*b*",	"xxbxxaxx",	false },
		{ "*?",		"",		false },
		{ "*?",		"a",		true },
		{ "a*b*c",	"abbcbc",	true },
		{ "a*b*c",	"acb",		false },
		{ "[a]",	"a",		false },	/* no classes */
		{ "[a]",	"[a]",		true },
		{ "*aaa*b",	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		if (glob_match(cases[i].pattern, cases[i].s) != cases[i].match)
			fail_msg("glob \"%s\" on \"%s\": want %s",
			    cases[i].pattern, cases[i].s,
			    cases[i].match ? "match" : "no match");
}

static void
test_glob_long(void **state)
{
	static char s[10001], pattern[64];
	size_t i;

	(void)state;
	/* many stars over a long subject: must end quickly */
	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	for (i = 0; i < 20; i++) {
		pattern[2 * i] = '*';
		pattern[2 * i + 1] = 'a';
	}
	pattern[40] = 'b';
	pattern[41] = '\0';
	assert_false(glob_match(pattern, s));
	pattern[40] = '*';
	assert_true(glob_match(pattern, s));
}

/* --- parse_long ----------------------------------------------------- */

static void
test_parse_long(void **state)
{
	long v;

	(void)state;
	v = -1;
	assert_int_equal(parse_long("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_long("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(parse_long("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	/* both bounds are inclusive */
	assert_int_equal(parse_long("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_long("-10", -10, 10, &v), 0);
	assert_int_equal(v, -10);
	assert_int_equal(parse_long("9223372036854775807", 0, LONG_MAX, &v), 0);
	assert_true(v == LONG_MAX);
	assert_int_equal(parse_long("-9223372036854775808", LONG_MIN, LONG_MAX,
			     &v),
	    0);
	assert_true(v == LONG_MIN);
}

static void
test_parse_long_rejects(void **state)
{
	static const char *const bad[] = { "", "-", "+", "x", "12x", "1 ",
		"1.5", "0x10", "1e3", "10\n", " 12", "+12", "\t1", "-+1",
		"9223372036854775808", "-9223372036854775809",
		"99999999999999999999999" };
	long v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++)
		if (parse_long(bad[i], LONG_MIN, LONG_MAX, &v) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
	assert_int_equal(parse_long(NULL, 0, 10, &v), -1);
	/* out of range */
	assert_int_equal(parse_long("11", 0, 10, &v), -1);
	assert_int_equal(parse_long("-1", 0, 10, &v), -1);
	assert_int_equal(parse_long("4", 5, 10, &v), -1);
	assert_int_equal(parse_long("5", 5, 5, &v), 0);
	assert_int_equal(v, 5);
}

/* --- hex_encode, mem_ct_cmp, mem_wipe, strings ---------------------- */

static void
test_hex_encode(void **state)
{
	static const unsigned char in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab,
		0xff };
	char out[2 * sizeof(in) + 2];

	(void)state;
	memset(out, '#', sizeof(out));
	hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "00017f80abff");
	assert_int_equal(out[2 * sizeof(in) + 1], '#'); /* nothing beyond */

	memset(out, '#', sizeof(out));
	hex_encode(in, 0, out);
	assert_string_equal(out, "");
	assert_int_equal(out[1], '#');

	hex_encode((const unsigned char *)"\x12\x34\x56\x78\x9a\xbc\xde\xf0", 4,
	    out);
	assert_string_equal(out, "12345678");
}

static void
test_mem_ct_cmp(void **state)
{
	(void)state;
	assert_int_equal(mem_ct_cmp("abcdef", "abcdef", 6), 0);
	assert_int_not_equal(mem_ct_cmp("abcdef", "abcdeg", 6), 0);
	assert_int_not_equal(mem_ct_cmp("xbcdef", "abcdef", 6), 0);
	assert_int_not_equal(mem_ct_cmp("\x00\x01", "\x00\x00", 2), 0);
	/* only n bytes count */
	assert_int_equal(mem_ct_cmp("abcX", "abcY", 3), 0);
	assert_int_equal(mem_ct_cmp("a", "b", 0), 0);
}

static void
test_mem_wipe_and_strings(void **state)
{
	unsigned char buf[32];
	char *s;
	size_t i;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	mem_wipe(buf, 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[16], 0xa5);

	s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	s = xstrdup("gridrest");
	assert_string_equal(s, "gridrest");
	free(s);
}

/* --- arena ---------------------------------------------------------- */

#define SMALL_ALLOCS 5000

static void
test_arena_many_small(void **state)
{
	struct arena a;
	unsigned char **p;
	size_t i, j;

	(void)state;
	p = xcalloc(SMALL_ALLOCS, sizeof(*p));
	arena_init(&a, 256);
	for (i = 0; i < SMALL_ALLOCS; i++) {
		size_t n = 1 + i % 40;

		p[i] = arena_alloc(&a, n);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		memset(p[i], (int)(i & 0xff), n);
	}
	/* no block overlaps another */
	for (i = 0; i < SMALL_ALLOCS; i++)
		for (j = 0; j < 1 + i % 40; j++)
			if (p[i][j] != (unsigned char)(i & 0xff))
				fail_msg("block %zu byte %zu overwritten", i,
				    j);
	arena_free(&a);
	assert_null(a.head);
	free(p);
}

static void
test_arena_big(void **state)
{
	struct arena a;
	unsigned char *small1, *big, *small2, *big2;
	size_t i;

	(void)state;
	arena_init(&a, 4096);
	/* a big block first, on an empty arena */
	big2 = arena_alloc(&a, 100000);
	memset(big2, 0x11, 100000);
	small1 = arena_alloc(&a, 10);
	memset(small1, 0x22, 10);
	big = arena_alloc(&a, 1 << 20);
	assert_int_equal((uintptr_t)big % 16, 0);
	memset(big, 0x33, 1 << 20);
	small2 = arena_alloc(&a, 10);
	memset(small2, 0x44, 10);
	for (i = 0; i < 10; i++) {
		assert_int_equal(small1[i], 0x22);
		assert_int_equal(small2[i], 0x44);
	}
	for (i = 0; i < (1 << 20); i++)
		if (big[i] != 0x33)
			fail_msg("big byte %zu overwritten", i);
	for (i = 0; i < 100000; i++)
		if (big2[i] != 0x11)
			fail_msg("first big byte %zu overwritten", i);
	arena_free(&a);
}

static void
test_arena_alignment(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33,
		100, 1000, 1025, 5000 };
	struct arena a;
	size_t i;
	char *s;

	(void)state;
	arena_init(&a, 4096);
	for (i = 0; i < ARRAY_LEN(sizes); i++) {
		void *p = arena_alloc(&a, sizes[i]);

		assert_non_null(p);
		if ((uintptr_t)p % 16 != 0)
			fail_msg("size %zu: %p not 16-aligned", sizes[i], p);
	}
	s = arena_strdup(&a, "x");
	assert_int_equal((uintptr_t)s % 16, 0);
	s = arena_printf(&a, "%d", 12345);
	assert_int_equal((uintptr_t)s % 16, 0);
	arena_free(&a);
}

static void
test_arena_reset(void **state)
{
	struct arena a;
	char *s, *first, want[32];
	int round, i;

	(void)state;
	arena_init(&a, 1024);
	arena_reset(&a); /* on an empty arena */
	assert_null(a.head);

	/* one ordinary chunk survives a reset and is reused from its start */
	first = arena_strdup(&a, "hello");
	(void)arena_alloc(&a, 50000); /* a big block, released by the reset */
	arena_reset(&a);
	assert_non_null(a.head);
	s = arena_strdup(&a, "world");
	assert_ptr_equal(s, first);
	assert_string_equal(s, "world");
	arena_reset(&a);
	assert_ptr_equal(arena_strdup(&a, "again"), first);

	/* rounds that spill over several chunks keep working */
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 200; i++)
			s = arena_printf(&a, "round %d item %d", round, i);
		(void)snprintf(want, sizeof(want), "round %d item %d", round,
		    199);
		assert_string_equal(s, want);
		s = arena_alloc(&a, 50000);
		memset(s, 0x5a, 50000);
		arena_reset(&a);
		assert_non_null(a.head);
		s = arena_strndup(&a, "abcdef", 4);
		assert_string_equal(s, "abcd");
	}
	arena_free(&a);
	assert_null(a.head);
}

static void
test_arena_printf(void **state)
{
	static char want[2001];
	struct arena a;
	char *s, *t;
	int i;

	(void)state;
	arena_init(&a, 4096);
	s = arena_printf(&a, "%s:%s %d", "user.root", "file1", -7);
	assert_string_equal(s, "user.root:file1 -7");
	s = arena_printf(&a, "%s", "");
	assert_string_equal(s, "");

	/* longer than the 256-byte scratch buffer, and than a chunk / 4 */
	for (i = 0; i < 2000; i++)
		want[i] = (char)('a' + i % 26);
	want[2000] = '\0';
	s = arena_printf(&a, "%.1000s%s", want, want + 1000);
	assert_int_equal(strlen(s), 2000);
	assert_string_equal(s, want);

	/* 255 and 256 characters: on either side of the scratch size */
	s = arena_printf(&a, "%.255s", want);
	t = arena_printf(&a, "%.256s", want);
	assert_int_equal(strlen(s), 255);
	assert_int_equal(strlen(t), 256);
	assert_memory_equal(s, want, 255);
	assert_memory_equal(t, want, 256);

	s = arena_printf(&a, "%05d|%x|%-3s|", 42, 255, "a");
	assert_string_equal(s, "00042|ff|a  |");
	arena_free(&a);
}

/* --- gr_fail, gr_err_status, gr_err_class --------------------------- */

static void
test_gr_fail(void **state)
{
	struct gr_err err = { 0 };

	(void)state;
	assert_int_equal(gr_fail(&err, GR_NOT_FOUND, "DID '%s:%s' not found",
			     "user.root", "f1"),
	    GR_NOT_FOUND);
	assert_int_equal(err.code, GR_NOT_FOUND);
	assert_string_equal(err.msg, "DID 'user.root:f1' not found");

	/* the first failure wins, and its code is what the caller returns */
	assert_int_equal(gr_fail(&err, GR_DATABASE, "later %d", 2),
	    GR_NOT_FOUND);
	assert_int_equal(err.code, GR_NOT_FOUND);
	assert_string_equal(err.msg, "DID 'user.root:f1' not found");

	/* err may be NULL: the code still comes back */
	assert_int_equal(gr_fail(NULL, GR_DATABASE, "nowhere"), GR_DATABASE);

	gr_clear(&err);
	assert_int_equal(err.code, GR_OK);
	assert_string_equal(err.msg, "");
	assert_int_equal(gr_fail(&err, GR_URI_TOO_LONG, "x"), GR_URI_TOO_LONG);
	assert_int_equal(err.code, GR_URI_TOO_LONG);
	assert_string_equal(err.msg, "x");
}

static void
test_gr_fail_long_message(void **state)
{
	static char big[1000];
	struct gr_err err = { 0 };

	(void)state;
	memset(big, 'm', sizeof(big) - 1);
	assert_int_equal(gr_fail(&err, GR_VALUE_ERROR, "%s", big),
	    GR_VALUE_ERROR);
	assert_int_equal(strlen(err.msg), GR_ERR_MSG_MAX - 1);
	assert_memory_equal(err.msg, big, GR_ERR_MSG_MAX - 1);
}

static void
test_gr_err_table(void **state)
{
	int code;

	(void)state;
	assert_int_equal(gr_err_status(GR_OK), 200);
	assert_string_equal(gr_err_class(GR_OK), "");
	assert_int_equal(gr_err_status(GR_INVALID_PATH), 400);
	assert_string_equal(gr_err_class(GR_INVALID_PATH), "InvalidPath");
	assert_int_equal(gr_err_status(GR_CANNOT_AUTHENTICATE), 401);
	assert_string_equal(gr_err_class(GR_CANNOT_AUTHENTICATE),
	    "CannotAuthenticate");
	assert_int_equal(gr_err_status(GR_NOT_FOUND), 404);
	assert_string_equal(gr_err_class(GR_NOT_FOUND), "NotFound");
	assert_int_equal(gr_err_status(GR_METHOD_NOT_ALLOWED), 405);
	assert_string_equal(gr_err_class(GR_METHOD_NOT_ALLOWED),
	    "MethodNotAllowed");
	assert_int_equal(gr_err_status(GR_URI_TOO_LONG), 414);
	assert_string_equal(gr_err_class(GR_URI_TOO_LONG),
	    "RequestURITooLarge");
	assert_int_equal(gr_err_status(GR_DATABASE), 500);
	assert_string_equal(gr_err_class(GR_DATABASE), "DatabaseException");
	assert_int_equal(gr_err_status(GR_UNAVAILABLE), 503);
	assert_string_equal(gr_err_class(GR_UNAVAILABLE),
	    "ResourceTemporaryUnavailable");

	/* out of range: a plain server error */
	assert_int_equal(gr_err_status(GR_CODE_COUNT), 500);
	assert_string_equal(gr_err_class(GR_CODE_COUNT), "RucioException");
	assert_int_equal(gr_err_status((enum gr_code)(GR_CODE_COUNT + 100)),
	    500);
	assert_string_equal(gr_err_class((enum gr_code)(GR_CODE_COUNT + 100)),
	    "RucioException");
	assert_int_equal(gr_err_status((enum gr_code) - 1), 500);
	assert_string_equal(gr_err_class((enum gr_code) - 1), "RucioException");

	/* every listed code is an HTTP error with a class, but for the one
	   outcome that is none: Rucio's 206 for an identity of several
	   accounts */
	assert_int_equal(gr_err_status(GR_MULTIPLE_ACCOUNTS), 206);
	for (code = GR_OK + 1; code < GR_CODE_COUNT; code++) {
		int status = gr_err_status((enum gr_code)code);
		const char *cls = gr_err_class((enum gr_code)code);

		if (code == GR_MULTIPLE_ACCOUNTS)
			continue;
		if (status < 400 || status > 599 || cls == NULL ||
		    cls[0] == '\0')
			fail_msg("code %d: status %d, class \"%s\"", code,
			    status, cls != NULL ? cls : "(null)");
	}
}

/* --- valid_account, valid_email ------------------------------------- */

static void
test_valid_account(void **state)
{
	static const char *const good[] = { "root", "a", "0", "user_1-x", "-",
		"_", "jdoe", "super_root2", "super",
		"abcdefghijklmnopqrstuvwxy" };
	static const char *const bad[] = { "", "abcdefghijklmnopqrstuvwxyz",
		"Root", "ROOT", "rooT", "super_root", "a.b", "a b", "a/b",
		"a@b", " root", "root ", "r\xc3\xb6ot", "root\n" };
	size_t i;

	(void)state;
	assert_int_equal(strlen(good[ARRAY_LEN(good) - 1]), ACCOUNT_NAME_MAX);
	assert_int_equal(strlen(bad[1]), ACCOUNT_NAME_MAX + 1);
	for (i = 0; i < ARRAY_LEN(good); i++)
		if (!valid_account(good[i]))
			fail_msg("\"%s\" refused", good[i]);
	for (i = 0; i < ARRAY_LEN(bad); i++)
		if (valid_account(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	assert_false(valid_account(NULL));
}

static void
test_valid_email(void **state)
{
	static const char *const good[] = { "a@b", "root@example.org",
		"first.last+tag@cern.ch", "x@localhost",
		"!#$%&'*+/=?^_`{|}~-@x" };
	static const char *const bad[] = { "", "root", "@example.org", "root@",
		"@", "a@@b", "a@b@c", "a b@c", "a@b c", " a@b", "a@b ", "a\t@b",
		"a@b\n", "a\x7f@b", "r\xc3\xb6ot@example.org" };
	static char longest[EMAIL_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(good); i++)
		if (!valid_email(good[i]))
			fail_msg("\"%s\" refused", good[i]);
	for (i = 0; i < ARRAY_LEN(bad); i++)
		if (valid_email(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	assert_false(valid_email(NULL));

	/* EMAIL_MAX bytes are fine, one more is not */
	memset(longest, 'a', EMAIL_MAX);
	longest[10] = '@';
	longest[EMAIL_MAX] = '\0';
	assert_true(valid_email(longest));
	longest[EMAIL_MAX] = 'a';
	longest[EMAIL_MAX + 1] = '\0';
	assert_false(valid_email(longest));
}

static void
test_jsonx_member(void **state)
{
	static const char rec[] = "{\"a\":1,\"meta\":{\"x\":[1,\"}\"],"
				  "\"b\":2},\"s\":\"q\\\"}\",\"b\":-42,"
				  "\"n\":null,\"t\":true}";
	const char *v;
	size_t n;
	long long i;

	(void)state;
	assert_true(jsonx_member(rec, strlen(rec), "a", &v, &n));
	assert_int_equal(n, 1);
	assert_memory_equal(v, "1", 1);
	/* a nested member of the same name is not the top-level one */
	assert_true(jsonx_member(rec, strlen(rec), "b", &v, &n));
	assert_true(jsonx_member_int(v, n, &i));
	assert_int_equal(i, -42);
	assert_true(jsonx_member(rec, strlen(rec), "s", &v, &n));
	assert_int_equal(n, 6); /* "q\"}" with its quotes */
	assert_true(jsonx_member(rec, strlen(rec), "meta", &v, &n));
	assert_memory_equal(v, "{\"x\":[1,\"}\"],\"b\":2}", n);
	assert_true(jsonx_member(rec, strlen(rec), "n", &v, &n));
	assert_false(jsonx_member_int(v, n, &i));
	assert_true(jsonx_member(rec, strlen(rec), "t", &v, &n));
	assert_memory_equal(v, "true", 4);
	assert_false(jsonx_member(rec, strlen(rec), "x", &v, &n));
	assert_false(jsonx_member(rec, strlen(rec), "", &v, &n));
	assert_false(jsonx_member("[1]", 3, "a", &v, &n));
	assert_false(jsonx_member("{\"a\":\"open", 10, "a", &v, &n));
	assert_false(jsonx_member("{\"a", 3, "a", &v, &n));
	assert_false(jsonx_member("", 0, "a", &v, &n));
	assert_false(jsonx_member_int("12x", 3, &i));
	assert_false(jsonx_member_int("", 0, &i));
}

/* a stored time as Rucio's date; anything else null */
static void
test_jsonx_date(void **state)
{
	json_t *rec = json_pack("{s:I, s:s, s:I}", "t", (json_int_t)1368440583,
	    "s", "1368440583", "z", (json_int_t)0);
	json_t *v;

	(void)state;
	v = jsonx_date(rec, "t");
	assert_string_equal(json_string_value(v),
	    "Mon, 13 May 2013 10:23:03 UTC");
	json_decref(v);
	v = jsonx_date(rec, "z");
	assert_string_equal(json_string_value(v),
	    "Thu, 01 Jan 1970 00:00:00 UTC");
	json_decref(v);
	assert_true(json_is_null(jsonx_date(rec, "s")));
	assert_true(json_is_null(jsonx_date(rec, "absent")));
	assert_true(json_is_null(jsonx_date(NULL, "t")));
	json_decref(rec);
}

/* jsonx_edit writes what jansson writes after the same changes. */
static void
test_jsonx_edit(void **state)
{
	static const char rec[] =
	    "{\"state\":\"A\",\"meta\":{\"lock_cnt\":9},"
	    "\"tombstone\":5,\"bytes\":10,\"lock_cnt\":2}";
	const struct jsonx_edit e[] = { { "state", "\"C\"" },
		{ "tombstone", NULL }, { "lock_cnt", "3" },
		{ "updated_at", "77" }, { "absent", NULL } };
	struct sbuf b = { 0 };
	json_t *j = json_loads(rec, 0, NULL);
	char *want;

	(void)state;
	assert_non_null(j);
	json_object_set_new(j, "state", json_string("C"));
	json_object_del(j, "tombstone");
	json_object_set_new(j, "lock_cnt", json_integer(3));
	json_object_set_new(j, "updated_at", json_integer(77));
	want = json_dumps(j, JSON_COMPACT);
	assert_true(jsonx_edit(&b, rec, strlen(rec), e, ARRAY_LEN(e)));
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.s, want, b.len);
	/* the only member removed, and the empty object */
	assert_true(jsonx_edit(&b, "{\"tombstone\":1}", 15, e + 1, 1));
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.s, "{}", 2);
	assert_true(jsonx_edit(&b, "{}", 2, e + 2, 2));
	assert_int_equal(b.len, strlen("{\"lock_cnt\":3,\"updated_at\":77}"));
	assert_memory_equal(b.s, "{\"lock_cnt\":3,\"updated_at\":77}", b.len);
	assert_false(jsonx_edit(&b, "[1]", 3, e, 1));
	assert_false(jsonx_edit(&b, "{\"a\":", 5, e, 1));
	free(want);
	json_decref(j);
	sbuf_free(&b);
}

static void
test_sbuf(void **state)
{
	struct sbuf b = { 0 };

	(void)state;
	sbuf_adds(&b, "x=");
	sbuf_addi(&b, -7);
	sbuf_add(&b, " ", 1);
	sbuf_json(&b, "a\"b\\c\n\x01\xc3\xa9");
	sbuf_add(&b, " ", 1);
	sbuf_json(&b, NULL);
	assert_string_equal(b.s,
	    "x=-7 \"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\" null");
	sbuf_free(&b);
	assert_null(b.s);
}

/* A daemon's lock: held only while a descriptor has it exclusively. */
static void
test_proc_lock(void **state)
{
	char dir[TEST_PATH_MAX] = "gr-lock", path[TEST_PATH_MAX + 16],
	     link[TEST_PATH_MAX + 16];
	int fd;

	(void)state;
	assert_int_equal(test_tmpdir(dir), 0);
	assert_false(proc_lock_held(dir, "d.lock")); /* created, free */
	fd = proc_lock_open(dir, "d.lock");
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_true(proc_lock_held(dir, "d.lock"));
	assert_int_equal(close(fd), 0);
	assert_false(proc_lock_held(dir, "d.lock"));
	/* never through a symbolic link */
	(void)snprintf(path, sizeof(path), "%s/d.lock", dir);
	(void)snprintf(link, sizeof(link), "%s/l.lock", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(proc_lock_open(dir, "l.lock"), -1);
	assert_int_equal(proc_lock_open(NULL, "d.lock"), -1);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonx_member),
		cmocka_unit_test(test_jsonx_edit),
		cmocka_unit_test(test_jsonx_date),
		cmocka_unit_test(test_sbuf),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_length),
		cmocka_unit_test(test_glob_match),
		cmocka_unit_test(test_glob_long),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_parse_long_rejects),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_mem_ct_cmp),
		cmocka_unit_test(test_mem_wipe_and_strings),
		cmocka_unit_test(test_arena_many_small),
		cmocka_unit_test(test_arena_big),
		cmocka_unit_test(test_arena_alignment),
		cmocka_unit_test(test_arena_reset),
		cmocka_unit_test(test_arena_printf),
		cmocka_unit_test(test_gr_fail),
		cmocka_unit_test(test_gr_fail_long_message),
		cmocka_unit_test(test_gr_err_table),
		cmocka_unit_test(test_valid_account),
		cmocka_unit_test(test_valid_email),
		cmocka_unit_test(test_proc_lock),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
