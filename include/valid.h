/*
 * valid.h -- name rules shared by core modules (Rucio's default schema,
 * lib/rucio/common/schema/generic.py). Pure functions.
 */
#ifndef VALID_H
#define VALID_H

#include <stdbool.h>
#include <stddef.h>

#define ACCOUNT_NAME_MAX 25
#define EMAIL_MAX        254
#define SCOPE_NAME_MAX   25

/* ^[a-z0-9_-]{1,25}$ and not the reserved "super_root". */
bool valid_account(const char *s);

/* ^[a-zA-Z0-9_./-]{1,max}$: account attribute keys and values */
bool valid_attr(const char *s, size_t max);

/* ^[a-zA-Z0-9_.-]{1,25}$ */
bool valid_scope(const char *s);

/* One '@' with text on both sides, printable ASCII, no spaces, <= 254. */
bool valid_email(const char *s);

#endif /* VALID_H */
