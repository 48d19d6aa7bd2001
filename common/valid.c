/*
 * valid.c -- name rules. Written as loops over byte classes rather than
 * regular expressions: the rules are small, and this keeps them exact.
 */
#include <string.h>

#include "valid.h"

static bool
all_of(const char *s, size_t max, const char *extra, bool upper, bool lower)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= max)
			return false;
		if ((c >= '0' && c <= '9') || (lower && c >= 'a' && c <= 'z') ||
		    (upper && c >= 'A' && c <= 'Z') || strchr(extra, c) != NULL)
			continue;
		return false;
	}
	return n > 0;
}

bool
valid_account(const char *s)
{
	return s != NULL && all_of(s, ACCOUNT_NAME_MAX, "-_", false, true) &&
	    strcmp(s, "super_root") != 0;
}

bool
valid_attr(const char *s, size_t max)
{
	return s != NULL && all_of(s, max, "-_./", true, true);
}

bool
valid_scope(const char *s)
{
	return s != NULL && all_of(s, SCOPE_NAME_MAX, "-_.", true, true);
}

bool
valid_email(const char *s)
{
	const char *at;
	size_t n, i;

	if (s == NULL || (n = strlen(s)) == 0 || n > EMAIL_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	at = strchr(s, '@');
	return at != NULL && at != s && at[1] != '\0' &&
	    strchr(at + 1, '@') == NULL;
}
