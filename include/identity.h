/*
 * identity.h -- identities (userpass, x509, gss, ssh, oidc, saml) and their
 * mapping to accounts (core). Passwords are kept as PBKDF2 hashes only.
 */
#ifndef IDENTITY_H
#define IDENTITY_H

#include <stdbool.h>

#include "err.h"
#include <jansson.h>

#include "store.h"
#include "valid.h"

#define IDENTITY_MAX 512

/* Rucio's IdentityType names, NULL-terminated. */
extern const char *const identity_types[];

/* The canonical (upper-case) name of type, or NULL if it is none. */
const char *identity_type(const char *type);

/* 1..IDENTITY_MAX bytes of UTF-8 without control characters. */
bool identity_valid(const char *identity);

/*
 * Map identity (of type, any case) to account, creating the identity if it
 * is new: a new USERPASS identity needs a password, an existing one keeps
 * its own. Duplicate if the mapping exists. Admins only.
 */
int identity_add(const char *issuer, const char *account, const char *type,
    const char *identity, const char *email, const char *password,
    bool is_default, struct gr_err *err);

/*
 * Remove the mapping of identity to account (IdentityError if there is
 * none; the identity itself stays). Admins only.
 */
int identity_del(const char *issuer, const char *account, const char *type,
    const char *identity, struct gr_err *err);

/*
 * emit {"type", "identity", "email"} for every identity of an ACTIVE
 * account.
 */
int identity_list(const char *account, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

/* *out: new reference to the list of account names mapped to identity. */
int identity_accounts(const char *type, const char *identity, json_t **out,
    struct gr_err *err);

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

/*
 * A login by an identity that needs no password here because the transport
 * proved it (X509: a verified certificate). Resolves the account as
 * identity_check_userpass() does.
 */
int identity_login(const char *type, const char *account, const char *identity,
    char resolved[ACCOUNT_NAME_MAX + 1], struct gr_err *err);

/*
 * The grid's form of a certificate DN ("/C=CH/O=Site/CN=Name") from either
 * that form or RFC 2253 ("CN=Name,O=Site,C=CH", escapes resolved; E and
 * EMAIL become emailAddress), into out (size bytes). 0, or -1 when in is
 * no DN or does not fit.
 */
int identity_dn_canonical(const char *in, char *out, size_t size);

/* Cut the RFC 3820 / legacy proxy parts ("/CN=123", "/CN=proxy") off dn. */
void identity_dn_strip_proxy(char *dn);

#endif /* IDENTITY_H */
