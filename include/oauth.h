/*
 * oauth.h -- DIRAC's OAuth2 (core): setups, groups, registered clients,
 * the rules of the consent page's grant (password, lifetime, group, PKCE),
 * authorization codes (single use, 10 minutes, exact redirect URI, PKCE
 * S256), the client_credentials grant from a client certificate, and
 * refresh tokens that rotate. Every token it gives is an ordinary gridrest
 * token, valid on every family. Knows nothing of HTTP: the auth family
 * renders the page and its answers.
 */
#ifndef OAUTH_H
#define OAUTH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "token.h"

#define OAUTH_CODE_TTL        600 /* seconds a code may wait */
#define OAUTH_REFRESH_DEFAULT 86400
#define OAUTH_REFRESH_MAX     (30 * 86400)
#define OAUTH_CODE_MAX        64
#define OAUTH_REDIRECT_MAX    1024
#define OAUTH_GROUP_MAX       30
#define OAUTH_GROUP_ATTR      "group." /* account attribute prefix */

/* *out: new reference to the list of setups (GRIDREST_OAUTH2_SETUPS). */
json_t *oauth_setups(void);

/* true if setup is one of them. */
bool oauth_setup_known(const char *setup);

/*
 * *out: new reference to the DIRAC groups of an ACTIVE account: the names
 * of its attributes "group.<name>".
 */
int oauth_groups(const char *account, json_t **out, struct gr_err *err);

/*
 * Register a client (admins; issuer NULL: the admin tool). redirect_uri
 * must be an absolute http(s) URI without fragment. *out: new reference to
 * {"client_id", "name", "redirect_uri", "url"}.
 */
int oauth_client_add(const char *issuer, const char *name,
    const char *redirect_uri, const char *url, json_t **out,
    struct gr_err *err);

/*
 * *out: new reference to a registered client, or GR_OAUTH_INVALID_CLIENT.
 * When redirect_uri is not NULL it must equal the registered one exactly.
 */
int oauth_client_check(const char *client_id, const char *redirect_uri,
    json_t **out, struct gr_err *err);

/* What the resource owner granted on the consent page. */
struct oauth_consent {
	const char *client_id, *account, *group, *setup, *scope;
	const char *redirect_uri; /* as given in the request, or NULL */
	const char *challenge;    /* PKCE S256 code_challenge, or NULL */
	int64_t lifetime;         /* of the refresh token, seconds */
};

/* Make a single-use code for a consent; out: OAUTH_CODE_MAX bytes. */
int oauth_code_issue(const struct oauth_consent *c, char out[OAUTH_CODE_MAX],
    struct gr_err *err);

/*
 * Is the PKCE part of an authorization request acceptable (RFC 7636)?
 * Neither code_challenge nor code_challenge_method, or a challenge of 43
 * base64url characters (a SHA-256 digest) with the method S256 or none.
 * "plain" is refused: a challenge anyone between the browser and the
 * client may read proves nothing. NULL and "" both mean absent.
 */
bool oauth_pkce_request_ok(const char *challenge, const char *method);

/* What the resource owner sent from the consent page with Grant. NULL and
   "" both mean absent. */
struct oauth_grant_form {
	const char *client_id;
	const char *redirect_uri; /* as in the authorization request */
	const char *username, *password;
	const char *group;          /* absent: the account's first group */
	const char *lifetime_hours; /* 1 to 720; absent: 24 */
	const char *scope;
	const char *challenge; /* PKCE, checked by oauth_pkce_request_ok */
};

/*
 * Grant: the password checked, the lifetime read, the group (one of the
 * account's groups), the first setup, then a single-use code in out. A
 * refusal the consent page shows again sets *on_page and leaves the
 * sentence for the person in err->msg: a wrong login (CannotAuthenticate,
 * 401; that a login belongs to several accounts and none is its default is
 * said only after a right password), a lifetime out of range
 * (InvalidValueForKey, 400), a group the account is not in (Forbidden,
 * 403). Other failures (the store's) leave *on_page false.
 */
int oauth_consent_grant(const struct oauth_grant_form *f,
    char out[OAUTH_CODE_MAX], bool *on_page, struct gr_err *err);

/* The tokens a grant gives. */
struct oauth_tokens {
	char access[TOKEN_MAX];
	char refresh[TOKEN_MAX]; /* "" when none */
	int64_t expires_in;
	char scope[256];
};

/*
 * grant_type=authorization_code: redeem code for client_id. redirect_uri
 * must repeat the authorization request's exactly if it had one; verifier
 * must match the PKCE challenge if there was one. A code works once: a
 * second use revokes what the first gave. Failures: GR_OAUTH_INVALID_GRANT
 * (or INVALID_CLIENT, INVALID_REQUEST).
 */
int oauth_code_redeem(const char *code, const char *client_id,
    const char *redirect_uri, const char *verifier, struct oauth_tokens *out,
    struct gr_err *err);

/* grant_type=refresh_token: the old refresh token is spent, a new pair
   returned. */
int oauth_refresh(const char *refresh, const char *client_id,
    struct oauth_tokens *out, struct gr_err *err);

/*
 * The answer when a client certificate's DN gives no account (rc and err
 * from identity_login): invalid_client, saying whether the DN belongs to
 * no active account or to several with none the default. Other failures
 * are returned as they are.
 */
int oauth_dn_refused(int rc, struct gr_err *err);

/*
 * grant_type=client_credentials: the account of a verified certificate DN
 * acting in group (one of its groups) and setup (a known one). No refresh
 * token, as DIRAC.
 */
int oauth_client_credentials(const char *dn, const char *group,
    const char *setup, const char *scope, struct oauth_tokens *out,
    struct gr_err *err);

#endif /* OAUTH_H */
