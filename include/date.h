/*
 * date.h -- the two date renderings Rucio clients read: RFC 1123 in UTC
 * ("Mon, 13 May 2013 10:23:03 UTC", everywhere) and ISO 8601 without zone
 * ("2013-05-13T10:23:03", account detail only). Locale-independent.
 */
#ifndef DATE_H
#define DATE_H

#include <stddef.h>
#include <stdint.h>

#define DATE_RFC1123_LEN 30 /* "Mon, 13 May 2013 10:23:03 UTC" + NUL */
#define DATE_ISO_LEN     20 /* "2013-05-13T10:23:03" + NUL */

/*
 * Render t; return out. out must hold the _LEN bytes above. Times before
 * year 1 or after year 9999 are clamped to those years' ends.
 */
char *date_rfc1123(int64_t t, char out[DATE_RFC1123_LEN]);
char *date_iso(int64_t t, char out[DATE_ISO_LEN]);

/*
 * Parse an RFC 1123 date as rendered above ("... UTC" or "... GMT") or an
 * ISO 8601 date ("YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" with optional
 * fraction and "Z"). Returns 0 and *t, or -1 on any other text.
 */
int date_parse(const char *s, int64_t *t);

#endif /* DATE_H */
