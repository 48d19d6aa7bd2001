/*
 * test_multipart.c -- the multipart/form-data reader (common/multipart.c)
 * against well-formed bodies and hostile ones: no or bad boundary, every
 * truncation of a good body, missing closing delimiter, headers over the
 * limit, quotes inside quotes, line ends other than CRLF, file names with
 * "../" and NUL, too many parts. Pure functions over an arena.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "multipart.h"
#include "util.h"

#define CT "multipart/form-data; boundary=XyZ"

static struct arena arena;

static int
setup(void **state)
{
	(void)state;
	arena_init(&arena, 1 << 16);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(&arena);
	return 0;
}

/*
 * mp_parse of body[0..len) with ctype; on failure the error record holds
 * a ValueError with a message, and no part is reported.
 */
static int
parse(const char *ctype, const char *body, size_t len, struct mp_part *parts,
    size_t max, size_t *n)
{
	struct gr_err err = { 0 };
	int rc;

	*n = 99;
	rc = mp_parse(&arena, ctype, body, len, parts, max, n, &err);
	assert_int_equal(err.code, rc);
	if (rc != GR_OK) {
		assert_int_equal(rc, GR_VALUE_ERROR);
		assert_true(err.msg[0] != '\0');
	}
	return rc;
}

static int
parse_str(const char *ctype, const char *body, struct mp_part *parts,
    size_t max, size_t *n)
{
	return parse(ctype, body, strlen(body), parts, max, n);
}

/* The data of part p is exactly want (of want_len bytes) and lies inside
   body[0..len). */
static void
data_is(const struct mp_part *p, const char *body, size_t len, const char *want,
    size_t want_len)
{
	assert_true(p->data >= body && p->data + p->len <= body + len);
	assert_int_equal(p->len, want_len);
	assert_memory_equal(p->data, want, want_len);
}

static const char good[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"manifest\"\r\n"
    "\r\n"
    "{\"Executable\": \"x\"}\r\n"
    "--XyZ\r\n"
    "content-disposition: form-data; name=\"f\"; filename=\"in.txt\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "line1\r\n--XyY is another boundary\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=empty\r\n"
    "\r\n"
    "\r\n"
    "--XyZ--\r\n";

static void
test_good_body(void **state)
{
	struct mp_part parts[4];
	size_t n;

	(void)state;
	assert_int_equal(parse(CT, good, sizeof(good) - 1, parts, 4, &n),
	    GR_OK);
	assert_int_equal(n, 3);
	assert_string_equal(parts[0].name, "manifest");
	assert_null(parts[0].filename);
	data_is(&parts[0], good, sizeof(good) - 1, "{\"Executable\": \"x\"}",
	    19);
	assert_string_equal(parts[1].name, "f");
	assert_string_equal(parts[1].filename, "in.txt");
	data_is(&parts[1], good, sizeof(good) - 1,
	    "line1\r\n--XyY is another boundary", 32);
	/* a token value, and an empty part */
	assert_string_equal(parts[2].name, "empty");
	assert_int_equal(parts[2].len, 0);
}

/* Binary data, NUL bytes among it, comes back byte for byte. */
static void
test_binary_data(void **state)
{
	static const char body[] = "--b\r\n"
				   "Content-Disposition: form-data; name=x\r\n"
				   "\r\n"
				   "a\0b\r\0\n\xff"
				   "\r\n--b--";
	struct mp_part parts[2];
	size_t n;

	(void)state;
	assert_int_equal(parse("multipart/form-data; boundary=b", body,
			     sizeof(body) - 1, parts, 2, &n),
	    GR_OK);
	assert_int_equal(n, 1);
	data_is(&parts[0], body, sizeof(body) - 1, "a\0b\r\0\n\xff", 7);
}

static void
test_content_types(void **state)
{
	struct mp_part parts[4];
	size_t n;

	(void)state;
	assert_true(mp_is_form("multipart/form-data"));
	assert_true(mp_is_form("Multipart/Form-Data; boundary=x"));
	assert_false(mp_is_form("multipart/form-dataX; boundary=XyZ"));
	assert_false(mp_is_form("multipart/mixed; boundary=XyZ"));
	assert_false(mp_is_form(NULL));
	assert_true(mp_is_any_form("application/x-www-form-urlencoded"));
	assert_true(mp_is_any_form(CT));
	assert_false(mp_is_any_form("application/json"));
	assert_int_equal(parse("multipart/form-dataX; boundary=XyZ", good,
			     sizeof(good) - 1, parts, 4, &n),
	    GR_VALUE_ERROR);
	assert_int_equal(parse("text/plain; boundary=XyZ", good,
			     sizeof(good) - 1, parts, 4, &n),
	    GR_VALUE_ERROR);
	/* the boundary among other parameters, quoted, its key in any case */
	assert_int_equal(parse("multipart/form-data; charset=utf-8; "
			       "BOUNDARY=\"XyZ\"",
			     good, sizeof(good) - 1, parts, 4, &n),
	    GR_OK);
	assert_int_equal(n, 3);
}

static void
test_bad_boundary(void **state)
{
	static const char *const bad[] = {
		"multipart/form-data",
		"multipart/form-data;",
		"multipart/form-data; boundary=",
		"multipart/form-data; boundary=\"\"",
		"multipart/form-data; boundary=\"XyZ",
		"multipart/form-data; boundary",
		"multipart/form-data; xboundary=XyZ",
		"multipart/form-data; boundary=\"X\\",
	};
	char ctype[128], body[256];
	struct mp_part parts[2];
	size_t i, n;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++)
		if (parse(bad[i], good, sizeof(good) - 1, parts, 2, &n) !=
		    GR_VALUE_ERROR)
			fail_msg("\"%s\" was taken", bad[i]);
	/* RFC 2046: at most 70 characters */
	(void)snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%s",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "123456789");
	(void)snprintf(body, sizeof(body),
	    "--%s\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--%s--",
	    ctype + 30, ctype + 30);
	assert_int_equal(strlen(ctype + 30), 70);
	assert_int_equal(parse_str(ctype, body, parts, 2, &n), GR_OK);
	assert_int_equal(n, 1);
	memcpy(ctype + strlen(ctype), "x", 2);
	assert_int_equal(parse_str(ctype, body, parts, 2, &n), GR_VALUE_ERROR);
}

/* Every prefix of a good body that lacks its closing delimiter fails;
   the closing delimiter needs no CRLF after it. */
static void
test_every_truncation(void **state)
{
	struct mp_part parts[4];
	size_t cut, n, closed = sizeof(good) - 1 - 2; /* without "\r\n" */

	(void)state;
	for (cut = 0; cut < sizeof(good) - 1; cut++) {
		int rc = parse(CT, good, cut, parts, 4, &n);

		if (cut < closed && rc != GR_VALUE_ERROR)
			fail_msg("a body cut at %zu of %zu was taken", cut,
			    sizeof(good) - 1);
		if (cut >= closed && rc != GR_OK)
			fail_msg("a body cut at %zu (closed) refused", cut);
	}
}

static void
test_bad_structure(void **state)
{
	static const char *const bad[] = {
		/* no closing delimiter */
		"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n",
		/* headers without the blank line */
		"--XyZ\r\nContent-Disposition: form-data; name=a\r\n--XyZ--",
		/* no Content-Disposition */
		"--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--",
		/* a preamble: the body must start with the boundary */
		"hello\r\n--XyZ\r\nContent-Disposition: form-data; "
		"name=a\r\n\r\nv\r\n--XyZ--",
		/* another boundary */
		"--XyY\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n"
		"--XyY--",
		/* the boundary inside the data, followed by neither CRLF nor
		   "--" (the sender chose a boundary its data holds) */
		"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n"
		"--XyZX\r\n--XyZ--",
		/* nothing */
		"",
		"--",
		"--XyZ",
	};
	struct mp_part parts[4];
	size_t i, n;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++)
		if (parse_str(CT, bad[i], parts, 4, &n) != GR_VALUE_ERROR)
			fail_msg("body %zu was taken", i);
	/* a body of no part at all is well formed */
	assert_int_equal(parse_str(CT, "--XyZ--", parts, 4, &n), GR_OK);
	assert_int_equal(n, 0);
}

/* Line ends: CRLF only; RFC 2046's blanks after a delimiter are fine. */
static void
test_line_ends(void **state)
{
	static const char *const bad[] = {
		/* LF only */
		"--XyZ\nContent-Disposition: form-data; name=a\n\nv\n--XyZ--\n",
		/* CR only */
		"--XyZ\rContent-Disposition: form-data; name=a\r\rv\r--XyZ--\r",
		/* LF after the delimiter, CRLF elsewhere */
		"--XyZ\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n"
		"--XyZ--",
		/* LF before the next delimiter: it is data, and no delimiter
		   ends the part */
		"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\n"
		"--XyZ--",
		/* LFCR */
		"--XyZ\n\rContent-Disposition: form-data; name=a\r\n\r\nv\r\n"
		"--XyZ--",
	};
	static const char padded[] =
	    "--XyZ \t\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n"
	    "--XyZ\t\r\nContent-Disposition: form-data; name=b\r\n\r\nw\r\n"
	    "--XyZ--  \r\n";
	struct mp_part parts[4];
	size_t i, n;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++)
		if (parse_str(CT, bad[i], parts, 4, &n) != GR_VALUE_ERROR)
			fail_msg("body %zu was taken", i);
	assert_int_equal(parse_str(CT, padded, parts, 4, &n), GR_OK);
	assert_int_equal(n, 2);
	assert_string_equal(parts[1].name, "b");
	data_is(&parts[1], padded, sizeof(padded) - 1, "w", 1);
}

/* The headers of one part: up to 8 KiB. */
static void
test_huge_headers(void **state)
{
	size_t pad, len, n;
	struct mp_part parts[2];
	char *body;

	(void)state;
	for (pad = 8000; pad <= 9000; pad += 1000) {
		body = malloc(pad + 256);
		assert_non_null(body);
		len = (size_t)snprintf(body, pad + 256,
		    "--XyZ\r\nX-Pad: %0*d\r\n"
		    "Content-Disposition: form-data; name=a\r\n\r\nv\r\n"
		    "--XyZ--",
		    (int)pad, 0);
		assert_int_equal(parse(CT, body, len, parts, 2, &n),
		    pad < 8100 ? GR_OK : GR_VALUE_ERROR);
		free(body);
	}
	/* one Content-Disposition of 100 KB: refused, not read past */
	body = malloc(100 * 1024 + 256);
	assert_non_null(body);
	len = (size_t)snprintf(body, 100 * 1024 + 256,
	    "--XyZ\r\nContent-Disposition: form-data; name=\"%0*d\"\r\n\r\n"
	    "v\r\n--XyZ--",
	    100 * 1024, 0);
	assert_int_equal(parse(CT, body, len, parts, 2, &n), GR_VALUE_ERROR);
	free(body);
}

/* Quoted values: \-escapes, a ';' or a "name=" inside quotes. */
static void
test_quotes(void **state)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; filename=\"x; name=evil\"; "
	    "name=\"real\"\r\n\r\nv\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"a \\\"b\\\" \\\\c\"; "
	    "filename=\"q\\\"; name=\\\"evil2\"\r\n\r\nw\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"semi;colon\"\r\n\r\nx\r\n"
	    "--XyZ--";
	static const char *const bad[] = {
		/* an unclosed quote */
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n"
		"--XyZ--",
		/* a backslash before the end */
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\\\r\n\r\nv"
		"\r\n--XyZ--",
		/* an unclosed quote in a parameter before the name */
		"--XyZ\r\nContent-Disposition: form-data; filename=\"a; "
		"name=b\r\n\r\nv\r\n--XyZ--",
	};
	struct mp_part parts[4];
	size_t i, n;

	(void)state;
	assert_int_equal(parse(CT, body, sizeof(body) - 1, parts, 4, &n),
	    GR_OK);
	assert_int_equal(n, 3);
	assert_string_equal(parts[0].name, "real");
	assert_string_equal(parts[0].filename, "x; name=evil");
	assert_string_equal(parts[1].name, "a \"b\" \\c");
	assert_string_equal(parts[1].filename, "q\"; name=\"evil2");
	assert_string_equal(parts[2].name, "semi;colon");
	for (i = 0; i < ARRAY_LEN(bad); i++)
		if (parse_str(CT, bad[i], parts, 4, &n) != GR_VALUE_ERROR)
			fail_msg("body %zu was taken", i);
}

/*
 * File names come back as the client sent them ("../" included: the
 * families confine them to the working directory); a NUL in a name or a
 * file name, raw or escaped, is refused here.
 */
static void
test_file_names(void **state)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=f; "
	    "filename=\"../../etc/passwd\"\r\n\r\nv\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=g; filename=\"\"\r\n\r\nw\r\n"
	    "--XyZ--";
	static const char nul_raw[] =
	    "--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename=\"a\0b\"\r\n\r\nv\r\n--XyZ--";
	static const char nul_esc[] =
	    "--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename=\"a\\\0b\"\r\n\r\nv\r\n--XyZ--";
	static const char nul_name[] =
	    "--XyZ\r\nContent-Disposition: form-data; name=a\0b\r\n\r\nv\r\n"
	    "--XyZ--";
	struct mp_part parts[4];
	size_t n;

	(void)state;
	assert_int_equal(parse(CT, body, sizeof(body) - 1, parts, 4, &n),
	    GR_OK);
	assert_int_equal(n, 2);
	assert_string_equal(parts[0].filename, "../../etc/passwd");
	assert_string_equal(parts[1].filename, "");
	assert_int_equal(parse(CT, nul_raw, sizeof(nul_raw) - 1, parts, 4, &n),
	    GR_VALUE_ERROR);
	assert_int_equal(parse(CT, nul_esc, sizeof(nul_esc) - 1, parts, 4, &n),
	    GR_VALUE_ERROR);
	assert_int_equal(parse(CT, nul_name, sizeof(nul_name) - 1, parts, 4,
			     &n),
	    GR_VALUE_ERROR);
}

/* max parts are taken, one more is refused */
static void
test_part_limit(void **state)
{
	struct mp_part parts[MP_PARTS_MAX];
	size_t cap = (MP_PARTS_MAX + 1) * 80 + 16, i, len = 0, n;
	char *body = malloc(cap);

	(void)state;
	assert_non_null(body);
	for (i = 0; i < MP_PARTS_MAX + 1; i++)
		len += (size_t)snprintf(body + len, cap - len,
		    "--XyZ\r\nContent-Disposition: form-data; name=p%zu\r\n\r\n"
		    "%zu\r\n",
		    i, i);
	memcpy(body + len, "--XyZ--", 7);
	len += 7;
	assert_int_equal(parse(CT, body, len, parts, MP_PARTS_MAX, &n),
	    GR_VALUE_ERROR);
	/* the same without its first part: exactly MP_PARTS_MAX */
	{
		const char *second = strstr(body + 2, "--XyZ\r\n");

		assert_int_equal(parse(CT, second,
				     len - (size_t)(second - body), parts,
				     MP_PARTS_MAX, &n),
		    GR_OK);
		assert_int_equal(n, MP_PARTS_MAX);
		assert_string_equal(parts[MP_PARTS_MAX - 1].name, "p128");
	}
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_body),
		cmocka_unit_test(test_binary_data),
		cmocka_unit_test(test_content_types),
		cmocka_unit_test(test_bad_boundary),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_bad_structure),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_huge_headers),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_file_names),
		cmocka_unit_test(test_part_limit),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("multipart", tests, setup, teardown);
}
