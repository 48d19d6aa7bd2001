/*
 * exchange.h -- the DRMAA token exchange (core): an access token of an
 * external OAuth2 provider, confirmed by the provider's userinfo endpoint
 * (libcurl, TLS verified, bounded in time and size), becomes a gridrest
 * token for the local account holding the confirmed email.
 */
#ifndef EXCHANGE_H
#define EXCHANGE_H

#include <stdint.h>

#include "err.h"
#include "token.h"

#define EXCHANGE_TOKEN_MAX  4096  /* longest external token sent on */
#define EXCHANGE_ANSWER_MAX 65536 /* largest userinfo answer read */

/*
 * Exchange ext_token for a token of account username. Fails with
 * GR_CANNOT_AUTHENTICATE (no token), GR_FORBIDDEN (the provider refused
 * the token, did not confirm an email, or the email is not username's),
 * GR_UNAVAILABLE (the provider is not configured, down, slow or broken).
 */
int exchange_token(const char *username, const char *ext_token,
    char token[TOKEN_MAX], int64_t *expires_at, struct gr_err *err);

#endif /* EXCHANGE_H */
