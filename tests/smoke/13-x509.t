#!/bin/sh
# 13-x509.t -- client certificates through HTTPS (lighttpd verifies them
# against the home's CA): x509 identities in either DN form, /auth/x509
# with a certificate, refusals. RFC 3820 proxies are refused by lighttpd
# 1.4.69 itself (README, "Deploying"): that refusal is pinned down here.
. tests/smoke/lib.sh
server_start
login
root=$TOKEN

user="country = CH
organization = gridrest
unit = Users
cn = Jane Doe
expiration_days = 30
tls_www_client
signing_key"
cert jane "$user"
cert proxy 'cn = 1234567
expiration_days = 1
proxy_policy_language = 1.3.6.1.5.5.7.21.1
tls_www_client
signing_key' jane
cert rogue "$user" self
ok_all "certificates made" [ -s "$T/jane.pem" ] -- [ -s "$T/proxy.pem" ] -- \
    [ -s "$T/rogue.pem" ]

reqb POST /accounts/jane '{"type": "USER", "email": "jane@example.org"}'
is "account jane: 201" "$STATUS" 201
# RFC 2253 form in, the grid's slash form kept
reqb POST /accounts/jane/identities '{"identity": "CN=Jane Doe,OU=Users,O=gridrest,C=CH", "authtype": "X509", "email": "jane@example.org", "default": true}'
is "x509 identity in RFC 2253 form: 201" "$STATUS" 201
req GET /accounts/jane/identities
is "... kept in slash form" "$(json .identity)" "/C=CH/O=gridrest/OU=Users/CN=Jane Doe"
req GET "/identities/%2FC%3DCH%2FO%3Dgridrest%2FOU%3DUsers%2FCN%3DJane%20Doe/x509/accounts"
is "accounts of the DN" "$(json -c .)" '["jane"]'
req GET "/identities/C=CH/O=gridrest/OU=Users/CN=Jane%20Doe/x509/accounts"
is "... also with its slashes unescaped" "$(json -c .)" '["jane"]'

TOKEN=
sreq GET /auth/x509 --cert "$T/jane.pem" --key "$T/jane.key"
is "GET /auth/x509 with jane's certificate: 200" "$STATUS" 200
is "... for account jane" "$(header X-Rucio-Auth-Account)" jane
TOKEN=$(header X-Rucio-Auth-Token)
ok "... a token" [ -n "$TOKEN" ]
req GET /accounts/whoami -L
is "the token works over plain HTTP too: whoami jane" "$(json .account)" jane
req GET /rses/
is "... and on the rses family: 200" "$STATUS" 200
req GET /dids/data/nothing
ok "... and on the dids family: 404 DataIdentifierNotFound, not 401" error_is 404 DataIdentifierNotFound

TOKEN=
sreq GET /auth/x509_proxy --cert "$T/proxy.pem" --key "$T/proxy.key"
ok "an RFC 3820 proxy (not verifiable by lighttpd 1.4.69): 401" \
    error_is 401 CannotAuthenticate
sreq GET /auth/x509 --cert "$T/jane.pem" --key "$T/jane.key" -H 'X-Rucio-Account: jane'
is "naming the account: 200" "$STATUS" 200
sreq GET /auth/x509 --cert "$T/jane.pem" --key "$T/jane.key" -H 'X-Rucio-Account: root'
ok "naming another account: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
sreq GET /auth/x509
ok "no certificate: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
sreq GET /auth/x509 --cert "$T/rogue.pem" --key "$T/rogue.key"
ok "a certificate of another CA, same DN: 401 CannotAuthenticate" \
    error_is 401 CannotAuthenticate
req GET /auth/x509
ok "over plain HTTP: 401 CannotAuthenticate" error_is 401 CannotAuthenticate

# PUT /identities/{a}/x509 takes the DN of the caller's certificate
TOKEN=$root
reqb POST /accounts/jane2 '{"type": "USER", "email": "jane@example.org"}'
sreq PUT /identities/jane2/x509 --cert "$T/jane.pem" --key "$T/jane.key" -H 'X-Rucio-Email: jane@example.org' --data-binary ''
is "PUT /identities/jane2/x509 with jane's certificate: 201" "$STATUS" 201
req GET "/identities/accounts?identity_key=/C=CH/O=gridrest/OU=Users/CN=Jane%20Doe&type=X509"
is "the DN maps to both accounts now" "$(json -c .)" '["jane","jane2"]'
TOKEN=
sreq GET /auth/x509 --cert "$T/jane.pem" --key "$T/jane.key"
is "two accounts, jane the default: jane" "$(header X-Rucio-Auth-Account)" jane
sreq GET /auth/x509 --cert "$T/jane.pem" --key "$T/jane.key" -H 'X-Rucio-Account: jane2'
is "naming jane2: jane2" "$(header X-Rucio-Auth-Account)" jane2
TOKEN=$root
reqb POST /accounts/jane/identities '{"identity": "not a DN", "authtype": "X509", "email": "jane@example.org"}'
ok "an x509 identity that is no DN: 400 IdentityError" error_is 400 IdentityError
