/*
 * identity.h -- identities (userpass, x509, gss, ssh, oidc, saml) and their
 * mapping to accounts (core). Passwords are kept as PBKDF2 hashes only.
 */
#ifndef IDENTITY_H
#define IDENTITY_H

#include <stdbool.h>

#include "err.h"
#include "store.h"
#include "valid.h"

#define IDENTITY_MAX 512

/* Rucio's IdentityType names, NULL-terminated. */
extern const char *const identity_types[];

/* The canonical (upper-case) name of type, or NULL if it is none. */
const char *identity_type(const char *type);

/*
 * Create the identity if it is new (USERPASS needs a password; an existing
 * identity's password is left unchanged) and map it to account. Used by the
 * admin tool's bootstrap; no issuer check. *created: the mapping was new.
 */
int identity_ensure(const char *type, const char *identity, const char *account,
    const char *email, const char *password, bool is_default, bool *created,
    struct gr_err *err);

/*
 * Check a USERPASS login: the identity exists, the password matches, and
 * the identity is mapped to the account, which is ACTIVE. account may be
 * NULL or empty: then the identity's only account, or its default one.
 * *resolved receives the account. A wrong password and an unknown identity
 * take the same time and give the same CannotAuthenticate answer.
 */
int identity_check_userpass(const char *account, const char *username,
    const char *password, char resolved[ACCOUNT_NAME_MAX + 1],
    struct gr_err *err);

#endif /* IDENTITY_H */
