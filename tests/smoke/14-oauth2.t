#!/bin/sh
# 14-oauth2.t -- DIRAC's OAuth2 through lighttpd: setups, client
# registration, the consent page and the authorization-code flow with PKCE,
# single-use codes, rotating refresh tokens, userinfo, and the
# client_credentials grant and /oauth2/groups with a client certificate.
. tests/smoke/lib.sh
server_start
login
root=$TOKEN
redirect=https://portal.example.org/cb

req GET /oauth2/setups
is "setups: 200" "$STATUS" 200
is "... the configured one" "$(json -c .setups)" '["gridrest"]'

reqb POST /oauth2/clients "{\"name\": \"portal\", \"redirect_uri\": \"$redirect\"}"
is "register a client: 201" "$STATUS" 201
client=$(json .client_id)
ok "... a client_id" nonempty "$client"
reqb POST /oauth2/clients "{\"name\": \"portal\", \"redirect_uri\": \"$redirect\"}"
is "the same name again: 409" "$STATUS" 409
reqb POST /oauth2/clients '{"name": "x", "redirect_uri": "javascript:alert(1)"}'
is "a redirect that is no http(s) URI: 400" "$STATUS" 400
is "... RFC 6749 error JSON" "$(json .error)" invalid_request
"$B/gridrest-db" register-client cli "$redirect" >"$T/reg.out"
ok "gridrest-db register-client prints a client_id" \
    nonempty "$(jq -r .client_id "$T/reg.out")"

reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
reqb POST /accounts/jdoe/identities '{"identity": "jdoe", "authtype": "USERPASS", "email": "jdoe@example.org", "password": "pw-jdoe"}'
reqb POST /accounts/jdoe/attr/group.dirac_user '{"value": true}'
is "jdoe is in group dirac_user: 201" "$STATUS" 201
TOKEN=

# PKCE S256
verifier=$(openssl rand -hex 32)
challenge=$(printf %s "$verifier" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
q="response_type=code&client_id=$client&redirect_uri=$redirect&state=st%20%261&code_challenge=$challenge&code_challenge_method=S256"
req GET "/oauth2/auth?$q"
is "consent page: 200" "$STATUS" 200
is "... HTML" "$(header Content-Type)" "text/html; charset=utf-8"
ok_all "... a login form with Grant and Deny" \
    grep -q 'name="password"' "$T/body" -- grep -q 'value="grant"' "$T/body" -- \
    grep -q 'value="deny"' "$T/body"
ok "... the state kept, escaped" grep -q 'value="st &amp;1"' "$T/body"
req GET "/oauth2/auth?response_type=code&client_id=nosuch&redirect_uri=$redirect"
is "unknown client: 401, no redirect" "$STATUS/$(header Location)" 401/
req GET "/oauth2/auth?response_type=code&client_id=$client&redirect_uri=https://evil.example.org/cb"
is "another redirect URI: 400, no redirect" "$STATUS/$(header Location)" 400/
req GET "/oauth2/auth?response_type=token&client_id=$client"
is "response_type=token: 302 back with the error" "$STATUS" 302
is "... unsupported_response_type" "$(header Location)" "$redirect?error=unsupported_response_type"
req GET "/oauth2/auth?response_type=code&client_id=$client&code_challenge=$challenge&code_challenge_method=plain"
ok "PKCE plain refused" matches "$(header Location)" 'error=invalid_request'
req GET "/oauth2/auth?response_type=code&client_id=$client&code_challenge=&code_challenge_method=S256"
ok_all "PKCE S256 without a challenge refused" [ "$STATUS" = 302 ] -- \
    matches "$(header Location)" "^$redirect\\?error=invalid_request"

form="--data-urlencode response_type=code --data-urlencode client_id=$client --data-urlencode redirect_uri=$redirect --data-urlencode state=st&1 --data-urlencode code_challenge=$challenge --data-urlencode code_challenge_method=S256"
# shellcheck disable=SC2086
req POST /oauth2/auth $form --data-urlencode action=deny
is "deny: 302" "$STATUS" 302
is "... access_denied and the state" "$(header Location)" "$redirect?error=access_denied&state=st%261"
# shellcheck disable=SC2086
req POST /oauth2/auth $form --data-urlencode action=grant --data-urlencode username=jdoe --data-urlencode password=wrong
is "grant with a wrong password: 401, the form again" "$STATUS" 401
ok "... saying why" grep -q 'role="alert"' "$T/body"
# shellcheck disable=SC2086
req POST /oauth2/auth $form --data-urlencode action=grant --data-urlencode username=jdoe --data-urlencode password=pw-jdoe --data-urlencode group=dirac_admin
is "grant for a group jdoe is not in: 403" "$STATUS" 403
# shellcheck disable=SC2086
req POST /oauth2/auth $form --data-urlencode action=grant --data-urlencode username=jdoe --data-urlencode password=pw-jdoe --data-urlencode group=dirac_user --data-urlencode lifetime=2
is "grant: 302" "$STATUS" 302
loc=$(header Location)
ok "... back to the client with a code and the state" matches "$loc" "^$redirect\\?code=[A-Za-z0-9_-]{43}&state=st%261\$"
code=$(printf %s "$loc" | sed 's/.*code=\([^&]*\).*/\1/')

tok() { req POST /oauth2/token "$@"; }
tok --data-urlencode grant_type=authorization_code --data-urlencode code="$code" --data-urlencode client_id="$client" --data-urlencode redirect_uri="$redirect"
is "redeem without the PKCE verifier: 400" "$STATUS" 400
is "... invalid_grant" "$(json .error)" invalid_grant
tok --data-urlencode grant_type=authorization_code --data-urlencode code="$code" --data-urlencode client_id="$client" --data-urlencode code_verifier="$verifier"
is "redeem without the redirect_uri of the request: invalid_grant" "$(json .error)" invalid_grant
tok --data-urlencode grant_type=authorization_code --data-urlencode code="$code" --data-urlencode client_id="$client" --data-urlencode redirect_uri="$redirect" --data-urlencode code_verifier="$verifier"
is "redeem: 200" "$STATUS" 200
is "... no-store" "$(header Cache-Control)" no-store
access=$(json .access_token)
refresh=$(json .refresh_token)
ok "... an access token" nonempty "$access"
is "... token equals access_token (old RESTDIRAC clients)" "$(json .token)" "$access"
is "... bearer" "$(json .token_type)" bearer
ok "... a refresh token" nonempty "$refresh"

TOKEN=$access
req GET /accounts/whoami
is "the access token works: whoami jdoe" "$(header Location)" /accounts/jdoe
req GET /rses/
is "... on another family's route too (rses): 200" "$STATUS" 200
TOKEN=
req GET /dids/data/nothing -H "Authorization: Bearer $access"
ok "... and as a Bearer header on the dids family: 404 DataIdentifierNotFound, not 401" error_is 404 DataIdentifierNotFound
TOKEN=$access
req GET /oauth2/userinfo
is "userinfo: the account" "$(json .sub)/$(json .group)/$(json .setup)" jdoe/dirac_user/gridrest
is "... email verified" "$(json .email)/$(json .email_verified)" jdoe@example.org/true
TOKEN=$refresh
req GET /accounts/whoami
ok "a refresh token is no access token: 401" [ "$STATUS" = 401 ]

TOKEN=
tok --data-urlencode grant_type=authorization_code --data-urlencode code="$code" --data-urlencode client_id="$client" --data-urlencode redirect_uri="$redirect" --data-urlencode code_verifier="$verifier"
is "the code a second time: invalid_grant" "$(json .error)" invalid_grant
TOKEN=$access
req GET /accounts/whoami
is "... and what it gave is revoked" "$STATUS" 401
TOKEN=

# a second grant, then refresh rotation
# shellcheck disable=SC2086
req POST /oauth2/auth $form --data-urlencode action=grant --data-urlencode username=jdoe --data-urlencode password=pw-jdoe
code=$(header Location | sed 's/.*code=\([^&]*\).*/\1/')
tok --data-urlencode grant_type=authorization_code --data-urlencode code="$code" --data-urlencode client_id="$client" --data-urlencode redirect_uri="$redirect" --data-urlencode code_verifier="$verifier"
access=$(json .access_token)
refresh=$(json .refresh_token)
tok --data-urlencode grant_type=refresh_token --data-urlencode refresh_token="$refresh" --data-urlencode client_id=other
is "refresh for another client: invalid_grant" "$(json .error)" invalid_grant
tok --data-urlencode grant_type=refresh_token --data-urlencode refresh_token="$refresh" --data-urlencode client_id="$client"
is "refresh: 200" "$STATUS" 200
access2=$(json .access_token)
refresh2=$(json .refresh_token)
ok_all "... a new pair" nonempty "$refresh2" -- nonempty "$access2" -- \
    [ "$refresh2" != "$refresh" ] -- [ "$access2" != "$access" ]
TOKEN=$access2
req GET /accounts/whoami
is "... the new access token works" "$STATUS" 303
TOKEN=
tok --data-urlencode grant_type=refresh_token --data-urlencode refresh_token="$refresh" --data-urlencode client_id="$client"
is "the spent refresh token again: invalid_grant" "$(json .error)" invalid_grant
TOKEN=$access2
req GET /accounts/whoami
is "... and its family is revoked" "$STATUS" 401
TOKEN=

tok --data-urlencode grant_type=password
is "grant_type=password: unsupported_grant_type" "$(json .error)" unsupported_grant_type
tok --data-binary ''
is "no grant_type: invalid_request" "$(json .error)" invalid_request
req GET "/oauth2/token?grant_type=authorization_code&code=nope&client_id=$client"
is "GET with a bad code: invalid_grant" "$(json .error)" invalid_grant
req GET /oauth2/userinfo
is "userinfo without a token: 401" "$STATUS" 401
is "... invalid_token" "$(json .error)" invalid_token

# client_credentials and groups with a client certificate
cert jdoe 'country = CH
organization = gridrest
cn = John Doe
tls_www_client
signing_key'
TOKEN=$root
reqb POST /accounts/jdoe/identities '{"identity": "/C=CH/O=gridrest/CN=John Doe", "authtype": "X509", "email": "jdoe@example.org"}'
TOKEN=
sreq GET /oauth2/groups --cert "$T/jdoe.pem" --key "$T/jdoe.key"
is "groups of the certificate's account" "$(json -c .groups)" '["dirac_user"]'
sreq GET /oauth2/groups
is "groups without a certificate: 401 invalid_client" "$STATUS/$(json .error)" 401/invalid_client
sreq POST /oauth2/token --cert "$T/jdoe.pem" --key "$T/jdoe.key" --data 'grant_type=client_credentials&group=dirac_user&setup=gridrest'
is "client_credentials: 200" "$STATUS" 200
is "... expires_in" "$(json .expires_in)" 3600
ok "... no refresh token, as DIRAC" [ "$(json .refresh_token)" = null ]
TOKEN=$(json .token)
req GET /oauth2/userinfo
is "... the token's group" "$(json .sub)/$(json .group)" jdoe/dirac_user
TOKEN=
sreq GET "/oauth2/token?grant_type=client_credentials&group=dirac_admin&setup=gridrest" --cert "$T/jdoe.pem" --key "$T/jdoe.key"
is "a group the account is not in: 401 unauthorized_client" "$STATUS/$(json .error)" 401/unauthorized_client
ok "... naming the valid groups" matches "$(json .error_description)" 'dirac_user'
sreq GET "/oauth2/token?grant_type=client_credentials&group=dirac_user&setup=nosuch" --cert "$T/jdoe.pem" --key "$T/jdoe.key"
is "an unknown setup: 401" "$STATUS" 401
sreq GET "/oauth2/token?grant_type=client_credentials&group=dirac_user&setup=gridrest"
is "no certificate: 401 invalid_client" "$STATUS/$(json .error)" 401/invalid_client
sreq GET "/oauth2/token?grant_type=client_credentials&setup=gridrest" --cert "$T/jdoe.pem" --key "$T/jdoe.key"
is "no group: 400 invalid_request" "$STATUS/$(json .error)" 400/invalid_request

# an identity of two accounts, neither its default: the answers say so
TOKEN=$root
reqb POST /accounts/jdoe2 '{"type": "USER", "email": "jdoe2@example.org"}'
reqb POST /accounts/jdoe2/identities '{"identity": "jdoe", "authtype": "USERPASS", "email": "jdoe@example.org"}'
reqb POST /accounts/jdoe2/identities '{"identity": "/C=CH/O=gridrest/CN=John Doe", "authtype": "X509", "email": "jdoe@example.org"}'
is "jdoe's identities also map to jdoe2: 201" "$STATUS" 201
TOKEN=
sreq GET /oauth2/groups --cert "$T/jdoe.pem" --key "$T/jdoe.key"
is "groups for a DN of two accounts: 401 invalid_client" "$STATUS/$(json .error)" 401/invalid_client
is "... naming them and the missing default" "$(json .error_description)" \
    "the certificate's DN belongs to several accounts (jdoe,jdoe2) and none of them is its default"
sreq POST /oauth2/token --cert "$T/jdoe.pem" --key "$T/jdoe.key" --data 'grant_type=client_credentials&group=dirac_user&setup=gridrest'
is "client_credentials for it: the same answer" "$STATUS/$(json .error)/$(json .error_description)" \
    "401/invalid_client/the certificate's DN belongs to several accounts (jdoe,jdoe2) and none of them is its default"
# shellcheck disable=SC2086
req POST /oauth2/auth $form --data-urlencode action=grant --data-urlencode username=jdoe --data-urlencode password=pw-jdoe
is "consent with the right password: 401, the form again" "$STATUS" 401
ok "... saying the login has several accounts and no default" \
    grep -q 'This login belongs to several accounts (jdoe,jdoe2) and none of them is its default' "$T/body"
# shellcheck disable=SC2086
req POST /oauth2/auth $form --data-urlencode action=grant --data-urlencode username=jdoe --data-urlencode password=wrong
ok "... with a wrong password it tells nothing of the accounts" \
    grep -q 'Wrong username or password.' "$T/body"
cert eve 'country = CH
organization = gridrest
cn = Eve
tls_www_client
signing_key'
sreq GET /oauth2/groups --cert "$T/eve.pem" --key "$T/eve.key"
is "a DN of no account: 401 invalid_client, saying so" "$STATUS/$(json .error_description)" \
    "401/the certificate's DN is not the identity of an active account"
