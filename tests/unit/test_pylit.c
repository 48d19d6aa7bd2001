/*
 * test_pylit.c -- Python literals read into JSON (common/pylit.c): every
 * kind of value, the forms Python allows (quotes, prefixes, escapes, digit
 * separators, trailing commas, adjacent strings) and what it refuses,
 * each refusal with a reason; nothing read twice however deep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pylit.h"
#include "testlib.h"
#include "util.h"

/* The literal as compact sorted JSON, or "!" when it is refused. */
static const char *
read_as(const char *lit)
{
	char why[120];
	json_t *v;

	if (pylit_parse(lit, &v, why, sizeof(why)) != 0) {
		assert_null(v);
		assert_true(why[0] != '\0');
		return "!";
	}
	assert_true(why[0] == '\0');
	return testlib_dumps(json_pack("[o]", v));
}

#define READS(lit, json) assert_string_equal(read_as(lit), "[" json "]")
#define REFUSED(lit)     assert_string_equal(read_as(lit), "!")

static void
test_scalars(void **state)
{
	(void)state;
	READS("True", "true");
	READS("False", "false");
	READS("None", "null");
	READS("0", "0");
	READS("00", "0");
	READS("42", "42");
	READS("-42", "-42");
	READS("+7", "7");
	READS("--3", "3");
	READS("- 3", "-3");
	READS("1_000_000", "1000000");
	READS("0x1F", "31");
	READS("0o17", "15");
	READS("0b101", "5");
	READS("0x_ff", "255");
	READS("9223372036854775807", "9223372036854775807");
	READS("-9223372036854775808", "-9223372036854775808");
	READS("1.5", "1.5");
	READS("5.", "5.0");
	READS(".25", "0.25");
	READS("1e3", "1000.0");
	READS("2.5E-1", "0.25");
	READS("-1e-400", "-0.0");
	READS("  13\t\n", "13");
}

static void
test_strings(void **state)
{
	(void)state;
	READS("'a b'", "\"a b\"");
	READS("\"it's\"", "\"it's\"");
	READS("'say \"hi\"'", "\"say \\\"hi\\\"\"");
	READS("''", "\"\"");
	READS("'''tri\nple'''", "\"tri\\nple\"");
	READS("\"\"\"a\"b\"\"\"", "\"a\\\"b\"");
	READS("'a' 'b'  \"c\"", "\"abc\"");
	READS("u'x'", "\"x\"");
	READS("R'a\\nb'", "\"a\\\\nb\"");
	READS("r'\\''", "\"\\\\'\"");
	READS("'\\n\\t\\\\\\''", "\"\\n\\t\\\\'\"");
	READS("'\\x41\\101\\u00e9\\U0001F600'",
	    "\"AA\xc3\xa9\xf0\x9f\x98\x80\"");
	READS("'\\q'", "\"\\\\q\""); /* unknown escapes stay */
	READS("'a\\\nb'", "\"ab\""); /* a continued line */
	READS("'caf\xc3\xa9'", "\"caf\xc3\xa9\"");
	READS("'ds.*'", "\"ds.*\"");
}

static void
test_containers(void **state)
{
	(void)state;
	READS("[]", "[]");
	READS("[1, 'a', None,]", "[1,\"a\",null]");
	READS("()", "[]");
	READS("(1)", "1");
	READS("(1,)", "[1]");
	READS("(1, 2)", "[1,2]");
	READS("{}", "{}");
	READS("{'a': 1, 'b': [True, {'c': 'd'}],}",
	    "{\"a\":1,\"b\":[true,{\"c\":\"d\"}]}");
	READS("{'a': 1, 'a': 2}", "{\"a\":2}"); /* the last one, as Python */
	READS("{1, 2, 2}", "[1,2,2]");
	READS("{'x'}", "[\"x\"]");
	READS("[{'name': '*', 'type': 'dataset'}, {'length.gt': 3}]",
	    "[{\"name\":\"*\",\"type\":\"dataset\"},{\"length.gt\":3}]");
	READS("[\n  {'a':\n 1}\n]", "[{\"a\":1}]");
}

static void
test_refused(void **state)
{
	(void)state;
	REFUSED("");
	REFUSED("   ");
	REFUSED("true");
	REFUSED("none");
	REFUSED("datetime.datetime(2020, 1, 1)");
	REFUSED("__import__('os').system('id')");
	REFUSED("x");
	REFUSED("1 2");
	REFUSED("[1] [2]");
	REFUSED("01");
	REFUSED("1__0");
	REFUSED("1_");
	REFUSED("0x");
	REFUSED("0b2");
	REFUSED("1e");
	REFUSED(".");
	REFUSED("1.2.3");
	REFUSED("1abc");
	REFUSED("3j");
	REFUSED("1e400");
	REFUSED("9223372036854775808");
	REFUSED("-True");
	REFUSED("-'a'");
	REFUSED("1 + 2");
	REFUSED("'a");
	REFUSED("'a\nb'");
	REFUSED("b'x'");
	REFUSED("f'{x}'");
	REFUSED("rr'x'");
	REFUSED("'\\x4'");
	REFUSED("'\\u12'");
	REFUSED("'\\0'");
	REFUSED("'\\ud800'");
	REFUSED("'\\U00110000'");
	REFUSED("'\\N{DASH}'");
	REFUSED("'\xff'"); /* not UTF-8 */
	REFUSED("[1,,2]");
	REFUSED("[,]");
	REFUSED("[1");
	REFUSED("(1, 2");
	REFUSED("{'a' 1}");
	REFUSED("{'a': 1");
	REFUSED("{1: 'a'}");
	REFUSED("{'a': 1, 2}");
	REFUSED("{1, 'a': 2}");
	REFUSED("# comment");
	assert_int_equal(pylit_parse(NULL, &(json_t *){ NULL }, NULL, 0), -1);
}

/* Depth is bounded, and a deep text costs time in proportion to its
   length: a quadratic or exponential reader would not finish here. */
static void
test_depth(void **state)
{
	char why[120], *deep;
	size_t i, n = 200000;
	json_t *v;

	(void)state;
	deep = xmalloc(2 * PYLIT_DEPTH_MAX + 3);
	for (i = 0; i < PYLIT_DEPTH_MAX; i++)
		deep[i] = '[';
	for (i = 0; i < PYLIT_DEPTH_MAX; i++)
		deep[PYLIT_DEPTH_MAX + i] = ']';
	deep[2 * PYLIT_DEPTH_MAX] = '\0';
	assert_int_equal(pylit_parse(deep, &v, why, sizeof(why)), 0);
	json_decref(v);
	memmove(deep + 1, deep, 2 * PYLIT_DEPTH_MAX + 1);
	deep[0] = '{';
	memcpy(deep + 2 * PYLIT_DEPTH_MAX + 1, "}", 2);
	assert_int_equal(pylit_parse(deep, &v, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "deep"));
	free(deep);

	/* sets of sets, each level's first item being a set: read once */
	deep = xmalloc(2 * PYLIT_DEPTH_MAX + 1);
	for (i = 0; i < PYLIT_DEPTH_MAX - 1; i++)
		deep[i] = '{';
	deep[i] = '1';
	for (i = 0; i < PYLIT_DEPTH_MAX - 1; i++)
		deep[PYLIT_DEPTH_MAX + i] = '}';
	deep[2 * PYLIT_DEPTH_MAX - 1] = '\0';
	assert_int_equal(pylit_parse(deep, &v, why, sizeof(why)), 0);
	json_decref(v);
	free(deep);

	/* too long a text is refused up front */
	deep = xmalloc(PYLIT_TEXT_MAX + 2);
	memset(deep, ' ', PYLIT_TEXT_MAX + 1);
	deep[0] = '1';
	deep[PYLIT_TEXT_MAX + 1] = '\0';
	assert_int_equal(pylit_parse(deep, &v, why, sizeof(why)), -1);
	free(deep);

	/* a long flat list */
	deep = xmalloc(2 * n + 3);
	deep[0] = '[';
	for (i = 0; i < n / 2; i++)
		memcpy(deep + 1 + 2 * i, "1,", 2);
	memcpy(deep + 1 + 2 * (n / 2), "]", 2);
	assert_true(strlen(deep) > PYLIT_TEXT_MAX);
	deep[PYLIT_TEXT_MAX - 1] = ']';
	deep[PYLIT_TEXT_MAX] = '\0';
	assert_int_equal(pylit_parse(deep, &v, why, sizeof(why)), 0);
	assert_int_equal(json_array_size(v), (PYLIT_TEXT_MAX - 2) / 2);
	json_decref(v);
	free(deep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_depth),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("pylit", tests, NULL, NULL);
}
