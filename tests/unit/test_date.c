/*
 * test_date.c -- RFC 1123 and ISO 8601 rendering and parsing (common/date.c)
 * against epochs whose text was checked with GNU date -u: the Rucio sample
 * date, leap days, both sides of 2038 and the end of year 9999.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "date.h"
#include "util.h"

struct known {
	int64_t t;
	const char *rfc;
	const char *iso;
};

/* clang-format off */
static const struct known known[] = {
	{ 0,		"Thu, 01 Jan 1970 00:00:00 UTC", "1970-01-01T00:00:00" },
	{ -1,		"Wed, 31 Dec 1969 23:59:59 UTC", "1969-12-31T23:59:59" },
	{ 1368440583,	"Mon, 13 May 2013 10:23:03 UTC", "2013-05-13T10:23:03" },
	{ 951782400,	"Tue, 29 Feb 2000 00:00:00 UTC", "2000-02-29T00:00:00" },
	{ 1709164800,	"Thu, 29 Feb 2024 00:00:00 UTC", "2024-02-29T00:00:00" },
	{ 1709251199,	"Thu, 29 Feb 2024 23:59:59 UTC", "2024-02-29T23:59:59" },
	{ 1709251200,	"Fri, 01 Mar 2024 00:00:00 UTC", "2024-03-01T00:00:00" },
	{ 2147483647,	"Tue, 19 Jan 2038 03:14:07 UTC", "2038-01-19T03:14:07" },
	{ 2147483648,	"Tue, 19 Jan 2038 03:14:08 UTC", "2038-01-19T03:14:08" },
	{ 4102444800,	"Fri, 01 Jan 2100 00:00:00 UTC", "2100-01-01T00:00:00" },
	{ 253402300799,	"Fri, 31 Dec 9999 23:59:59 UTC", "9999-12-31T23:59:59" },
};
/* clang-format on */

static void
test_rfc1123_known(void **state)
{
	char out[DATE_RFC1123_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(known); i++) {
		memset(out, 'x', sizeof(out));
		assert_ptr_equal(date_rfc1123(known[i].t, out), out);
		assert_string_equal(out, known[i].rfc);
		assert_int_equal(strlen(out), DATE_RFC1123_LEN - 1);
	}
}

/* Beyond year 9999 (or before year 1) renderings clamp to the range's
   ends, and still parse back. */
static void
test_clamped(void **state)
{
	char out[DATE_RFC1123_LEN], iso[DATE_ISO_LEN];
	int64_t t;

	(void)state;
	assert_string_equal(date_rfc1123(253402300800LL, out),
	    "Fri, 31 Dec 9999 23:59:59 UTC");
	assert_string_equal(date_rfc1123(INT64_MAX, out),
	    "Fri, 31 Dec 9999 23:59:59 UTC");
	assert_string_equal(date_iso(INT64_MIN, iso), "0001-01-01T00:00:00");
	assert_int_equal(date_parse(out, &t), 0);
	assert_true(t == 253402300799LL);
}

static void
test_iso_known(void **state)
{
	char out[DATE_ISO_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(known); i++) {
		memset(out, 'x', sizeof(out));
		assert_ptr_equal(date_iso(known[i].t, out), out);
		assert_string_equal(out, known[i].iso);
		assert_int_equal(strlen(out), DATE_ISO_LEN - 1);
	}
}

/* date_parse(s) must succeed with want. */
static void
parses_to(const char *s, int64_t want)
{
	int64_t t = -12345;

	if (date_parse(s, &t) != 0)
		fail_msg("\"%s\" was refused", s);
	if (t != want)
		fail_msg("\"%s\" -> %lld, want %lld", s, (long long)t,
		    (long long)want);
}

/* date_parse(s) must fail. */
static void
refused(const char *s)
{
	int64_t t = 0;

	if (date_parse(s, &t) != -1)
		fail_msg("\"%s\" was accepted as %lld", s, (long long)t);
}

static void
test_parse_round_trip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(known); i++) {
		parses_to(known[i].rfc, known[i].t);
		parses_to(known[i].iso, known[i].t);
	}
}

static void
test_parse_rfc1123(void **state)
{
	(void)state;
	parses_to("Mon, 13 May 2013 10:23:03 UTC", 1368440583);
	/* what HTTP dates carry */
	parses_to("Mon, 13 May 2013 10:23:03 GMT", 1368440583);
	parses_to("Sun, 06 Nov 1994 08:49:37 GMT", 784111777);
	parses_to("Thu, 01 Jan 1970 00:00:00 UTC", 0);
}

static void
test_parse_iso(void **state)
{
	(void)state;
	parses_to("2013-05-13T10:23:03", 1368440583);
	parses_to("2013-05-13T10:23:03Z", 1368440583);
	/* the fraction is read and dropped */
	parses_to("2013-05-13T10:23:03.5", 1368440583);
	parses_to("2013-05-13T10:23:03.999999", 1368440583);
	parses_to("2013-05-13T10:23:03.123456Z", 1368440583);
	/* a date alone is midnight UTC */
	parses_to("2013-05-13", 1368403200);
	parses_to("1970-01-01", 0);
	parses_to("1969-12-31T23:59:59", -1);
	parses_to("0001-01-01T00:00:00", -62135596800);
}

static void
test_parse_leap_days(void **state)
{
	(void)state;
	parses_to("2024-02-29", 1709164800);
	parses_to("2024-02-29T23:59:59Z", 1709251199);
	parses_to("2000-02-29", 951782400);
	parses_to("Thu, 29 Feb 2024 00:00:00 UTC", 1709164800);
	parses_to("2024-12-31T00:00:00", 1735603200);

	refused("2023-02-29");
	refused("2023-02-29T00:00:00");
	refused("Wed, 29 Feb 2023 00:00:00 UTC");
	refused("1900-02-29"); /* divisible by 100, not by 400 */
	refused("2100-02-29");
	refused("2024-02-30");
	refused("2023-04-31");
	refused("2023-06-31");
	refused("2023-09-31");
	refused("2023-11-31");
	refused("2023-01-32");
}

static void
test_parse_rejects_rfc1123(void **state)
{
	(void)state;
	refused("Mon, 13 Mai 2013 10:23:03 UTC"); /* month name */
	refused("Mon, 13 may 2013 10:23:03 UTC");
	refused("Mon, 13 MAY 2013 10:23:03 UTC");
	refused("Xyz, 13 May 2013 10:23:03 UTC"); /* weekday name */
	refused("Mon, 13 May 2013 10:23:03 UTC junk");
	refused("Mon, 13 May 2013 10:23:03 UTCX");
	refused("Mon, 13 May 2013 10:23:03 UTC ");
	refused("Mon, 13 May 2013 10:23:03");
	refused("Mon, 13 May 2013 10:23:03 CET");
	refused("Mon, 13 May 2013 10:23:03 +0000");
	refused("Mon, 13 May 2013 24:00:00 UTC");
	refused("Mon, 13 May 2013 10:60:00 UTC");
	refused("Mon, 00 May 2013 10:23:03 UTC");
	refused("Mon, 32 May 2013 10:23:03 UTC");
	refused("Mon, 13 May 0000 10:23:03 UTC");
	refused("Mon, 3 May 2013 10:23:03 UTC");
	refused("Mon,13 May 2013 10:23:03 UTC");
	refused("Mon, 13 May 13 10:23:03 UTC");
	refused("Mon, 13 May 2013 10:23 UTC");
	refused("Mon, 13 May 2013 1:23:03 UTC");
	refused("Mon, 13 May");
	refused("Mon");
	refused(" Mon, 13 May 2013 10:23:03 UTC");
}

static void
test_parse_rejects_iso(void **state)
{
	(void)state;
	refused("2013-05-13T10:23:03junk");
	refused("2013-05-13T10:23:03ZZ");
	refused("2013-05-13T10:23:03z");
	refused("2013-05-13T10:23:03+00:00");
	refused("2013-05-13T10:23:03.");
	refused("2013-05-13T10:23:03.Z");
	refused("2013-05-13T10:23:03.5x");
	refused("2013-05-13junk");
	refused("2013-05-13Z");
	refused("2013-05-13T");
	refused("2013-05-13T10:23");
	refused("2013-05-13T10");
	refused("2013-05-13T24:00:00");
	refused("2013-05-13T23:60:00");
	refused("2013-13-01");
	refused("2013-00-01");
	refused("2013-05-00");
	refused("0000-01-01");
	refused("2013-5-13");
	refused("2013-05-1");
	refused("13-05-13");
	refused("2013/05/13");
	refused("20130513");
	refused("2013-05-13T10:23:03 ");
}

static void
test_parse_rejects_empty(void **state)
{
	int64_t t = 0;

	(void)state;
	refused("");
	refused(" ");
	refused("-1");
	refused("1368440583"); /* epoch seconds are not a date */
	assert_int_equal(date_parse(NULL, &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1123_known),
		cmocka_unit_test(test_iso_known),
		cmocka_unit_test(test_clamped),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_rfc1123),
		cmocka_unit_test(test_parse_iso),
		cmocka_unit_test(test_parse_leap_days),
		cmocka_unit_test(test_parse_rejects_rfc1123),
		cmocka_unit_test(test_parse_rejects_iso),
		cmocka_unit_test(test_parse_rejects_empty),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
