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

struct token_info {
	char account[ACCOUNT_NAME_MAX + 1];
	char identity[64]; /* shortened, as in the token */
	int64_t expires_at;
};

/*
 * Issue a token for account (already authenticated as identity) valid for
 * lifetime seconds. out must hold TOKEN_MAX bytes.
 */
int token_issue(const char *account, const char *identity, const char *appid,
    int64_t lifetime, char out[TOKEN_MAX], int64_t *expires_at,
    struct gr_err *err);

/*
 * Look a presented token up: GR_OK and *info if it is known and unexpired,
 * else GR_CANNOT_AUTHENTICATE.
 */
int token_validate(const char *token, struct token_info *info,
    struct gr_err *err);

/* Inside a transaction: delete every token of account. */
int token_revoke_account(struct st_txn *t, const char *account,
    struct gr_err *err);

#endif /* TOKEN_H */
