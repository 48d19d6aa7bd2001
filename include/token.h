/*
 * token.h -- authentication tokens (core). A token is an opaque string
 * "<account>-<identity>-<appid>-<32 hex>" (Rucio's shape) given to the
 * client once; the store keeps only its SHA-256 with the account, identity
 * and expiry.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"
#include "valid.h"

#define TOKEN_MAX 256 /* longest token accepted or issued */

#include <jansson.h>

#include "secret.h"

struct token_info {
	char account[ACCOUNT_NAME_MAX + 1];
	char identity[512]; /* as authenticated (an X509 DN whole) */
	int64_t expires_at;
	char group[64];     /* OAuth2 grants: the DIRAC group, or "" */
	char setup[64];     /* ... the setup, or "" */
	char client_id[64]; /* ... the client, or "" */
};

/* What a token stands for beyond its account (all may be NULL). */
struct token_grant {
	const char *kind; /* NULL or "access"; "refresh" tokens only renew */
	const char *group, *setup, *client_id, *scope;
	const char *code; /* digest (hex) of the OAuth2 code it came from */
};

/*
 * Make a new token string for account into out (TOKEN_MAX bytes) and its
 * digest, the store's key. Nothing is stored.
 */
int token_make(const char *account, const char *identity, const char *appid,
    char out[TOKEN_MAX], unsigned char digest[SECRET_DIGEST_LEN],
    struct gr_err *err);

/* Inside a transaction: store a token made by token_make(). */
int token_store(struct st_txn *t, const unsigned char digest[SECRET_DIGEST_LEN],
    const char *account, const char *identity, int64_t lifetime,
    const struct token_grant *g, int64_t *expires_at, struct gr_err *err);

/*
 * Inside a transaction: *rec, new reference to the record of a presented
 * token (expired ones too), and its digest. DB_NOTFOUND, 0, or a BDB error.
 */
int token_load(struct st_txn *t, const char *token,
    unsigned char digest[SECRET_DIGEST_LEN], json_t **rec);

/* Inside a transaction: delete every token made from an OAuth2 code. */
int token_revoke_code(struct st_txn *t, const char *code_hex,
    struct gr_err *err);

/*
 * Issue a token for account (already authenticated as identity) valid for
 * lifetime seconds. out must hold TOKEN_MAX bytes.
 */
int token_issue(const char *account, const char *identity, const char *appid,
    int64_t lifetime, char out[TOKEN_MAX], int64_t *expires_at,
    struct gr_err *err);

/*
 * Look a presented token up: GR_OK and *info if it is known, unexpired and
 * an access token, else GR_CANNOT_AUTHENTICATE.
 */
int token_validate(const char *token, struct token_info *info,
    struct gr_err *err);

/* Empty this process's cache of validated tokens (tests). */
void token_forget_all(void);

/* Inside a transaction: delete every token of account. */
int token_revoke_account(struct st_txn *t, const char *account,
    struct gr_err *err);

#endif /* TOKEN_H */
