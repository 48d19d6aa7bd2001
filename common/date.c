/*
 * date.c -- RFC 1123 / ISO 8601 rendering and parsing in UTC. Written by
 * hand instead of strftime/strptime so the output never depends on the
 * process locale or time zone.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "date.h"

static const char wday_names[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
	"Sat" };
static const char mon_names[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Years 1..9999 render as themselves; times outside them are clamped to
   the nearest end, so a rendering is always a real date that parses. */
#define DATE_MIN (-62135596800LL) /* 0001-01-01T00:00:00 */
#define DATE_MAX 253402300799LL   /* 9999-12-31T23:59:59 */

static void
to_tm(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)(t < DATE_MIN ? DATE_MIN
		: t > DATE_MAX            ? DATE_MAX
					  : t);

	memset(tm, 0, sizeof(*tm));
	(void)gmtime_r(&tt, tm);
}

char *
date_rfc1123(int64_t t, char out[DATE_RFC1123_LEN])
{
	struct tm tm;

	to_tm(t, &tm);
	(void)snprintf(out, DATE_RFC1123_LEN,
	    "%s, %02u %s %04u %02u:%02u:%02u UTC", wday_names[tm.tm_wday % 7],
	    (unsigned)tm.tm_mday % 100u, mon_names[tm.tm_mon % 12],
	    (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)tm.tm_hour % 100u,
	    (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
	return out;
}

char *
date_iso(int64_t t, char out[DATE_ISO_LEN])
{
	struct tm tm;

	to_tm(t, &tm);
	(void)snprintf(out, DATE_ISO_LEN, "%04u-%02u-%02uT%02u:%02u:%02u",
	    (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
	    (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
	    (unsigned)tm.tm_sec % 100u);
	return out;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

/* Read exactly n digits. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
make_time(int y, int mo, int d, int h, int mi, int s, int64_t *t)
{
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || s > 60)
		return -1;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

static int
parse_rfc1123(const char *p, int64_t *t)
{
	int y, mo = 0, d, h, mi, s, i;

	/* "Mon, 13 May 2013 10:23:03 UTC" */
	for (i = 0; i < 7; i++)
		if (strncmp(p, wday_names[i], 3) == 0)
			break;
	if (i == 7 || p[3] != ',' || p[4] != ' ')
		return -1;
	p += 5;
	if (digits(&p, 2, &d) != 0 || *p++ != ' ')
		return -1;
	for (i = 0; i < 12; i++)
		if (strncmp(p, mon_names[i], 3) == 0)
			mo = i + 1;
	if (mo == 0 || p[3] != ' ')
		return -1;
	p += 4;
	if (digits(&p, 4, &y) != 0 || *p++ != ' ' || digits(&p, 2, &h) != 0 ||
	    *p++ != ':' || digits(&p, 2, &mi) != 0 || *p++ != ':' ||
	    digits(&p, 2, &s) != 0)
		return -1;
	if (strcmp(p, " UTC") != 0 && strcmp(p, " GMT") != 0)
		return -1;
	return make_time(y, mo, d, h, mi, s, t);
}

static int
parse_iso(const char *p, int64_t *t)
{
	int y, mo, d, h = 0, mi = 0, s = 0;

	if (digits(&p, 4, &y) != 0 || *p++ != '-' || digits(&p, 2, &mo) != 0 ||
	    *p++ != '-' || digits(&p, 2, &d) != 0)
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) != 0 || *p++ != ':' ||
		    digits(&p, 2, &mi) != 0 || *p++ != ':' ||
		    digits(&p, 2, &s) != 0)
			return -1;
		if (*p == '.') {
			p++;
			if (*p < '0' || *p > '9')
				return -1;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p == 'Z')
			p++;
	}
	if (*p != '\0')
		return -1;
	return make_time(y, mo, d, h, mi, s, t);
}

int
date_parse(const char *s, int64_t *t)
{
	if (s == NULL)
		return -1;
	if (s[0] >= '0' && s[0] <= '9')
		return parse_iso(s, t);
	return parse_rfc1123(s, t);
}
