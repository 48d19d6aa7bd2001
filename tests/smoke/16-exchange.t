#!/bin/sh
# 16-exchange.t -- the DRMAA token exchange against a second gridrest acting
# as the external provider (its /oauth2/userinfo over verified HTTPS): a
# confirmed email becomes a local token; unconfirmed, mismatching, forged,
# slow and unreachable cases are refused, none with a token.
. tests/smoke/lib.sh

# the provider: its own home, on TCP ports of loopback
port=$(free_port)
P=$T/provider
(
	export GRIDREST_HOME=$P GRIDREST_HTTP_BIND=127.0.0.1
	export GRIDREST_HTTP_PORT=$port GRIDREST_HTTPS=127.0.0.1:$((port + 1))
	"$top/scripts/gridrest" init >"$T/pinit.out" 2>&1 &&
	    exec "$top/scripts/gridrest" serve >"$T/plighttpd.out" 2>&1
) &
EXTRA_HOMES=$P
i=0
until curl -sf "http://127.0.0.1:$port/ping" >/dev/null || [ $i -ge 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
pbase=http://127.0.0.1:$port
curl -s -D "$T/ph" -o /dev/null -H 'X-Rucio-Username: root' \
    -H "X-Rucio-Password: $GRIDREST_ROOT_PASSWORD" "$pbase/auth/userpass"
proot=$(grep -i '^x-rucio-auth-token:' "$T/ph" | sed 's/^[^:]*: *//' | tr -d '\r')
ok "the provider runs" [ -n "$proot" ]
pcurl() {
	curl -s -o /dev/null -w '%{http_code}' -H "X-Rucio-Auth-Token: $proot" "$@"
}
is "provider: account alice" "$(pcurl -X POST --data-binary '{"type": "USER", "email": "alice@example.org"}' "$pbase/accounts/alice")" 201
is "provider: alice's password" "$(pcurl -X POST --data-binary '{"identity": "alice", "authtype": "USERPASS", "email": "alice@example.org", "password": "pw-a"}' "$pbase/accounts/alice/identities")" 201
curl -s -D "$T/ph" -o /dev/null -H 'X-Rucio-Username: alice' -H 'X-Rucio-Password: pw-a' "$pbase/auth/userpass"
ext=$(grep -i '^x-rucio-auth-token:' "$T/ph" | sed 's/^[^:]*: *//' | tr -d '\r')
ok "alice holds a provider token" [ -n "$ext" ]

# this server trusts the provider's CA and asks its userinfo
export GRIDREST_EXCHANGE_USERINFO=https://127.0.0.1:$((port + 1))/oauth2/userinfo
export GRIDREST_EXCHANGE_CA=$P/tls/ca.pem
export GRIDREST_EXCHANGE_TIMEOUT=2
server_start
login
reqb POST /accounts/alice '{"type": "USER", "email": "alice@example.org"}'
reqb POST /accounts/bob '{"type": "USER", "email": "bob@example.org"}'
TOKEN=

req GET /token/alice -H "Authorization: Bearer $ext"
is "exchange alice's provider token: 200" "$STATUS" 200
is "... DRMAAtic's shape" "$(json -c '[.user_source, .user_name]')" '["oidc","alice"]'
local=$(json .access_token)
ok_all "... a local token, not the provider's" nonempty "$local" -- \
    [ "$local" != "$ext" ]
TOKEN=$local
req GET /accounts/whoami
is "the local token works: whoami alice" "$(header Location)" /accounts/alice
req GET /rses/
is "... on the rses family too: 200" "$STATUS" 200
req GET /dids/data/nothing
ok "... and on the dids family: 404 DataIdentifierNotFound, not 401" error_is 404 DataIdentifierNotFound
TOKEN=

req GET /token/bob -H "Authorization: Bearer $ext"
ok "for bob, whose email differs: 403" error_is 403 Forbidden
req GET /token/nobody -H "Authorization: Bearer $ext"
ok "for an unknown account: 403" error_is 403 Forbidden
req GET /token/alice
ok "no bearer token: 403, as DRMAAtic" error_is 403 Forbidden
ok "... saying what to send" matches "$(json .ExceptionMessage)" 'Authorization: Bearer'
req GET /token/alice -H "Authorization: Basic YWxpY2U6eA=="
ok "another scheme than Bearer: 403" error_is 403 Forbidden
req GET /token/alice -H "Authorization: Bearer forged-0123456789"
ok "a token the provider does not know: 403" error_is 403 Forbidden
req GET /token/root -H "Authorization: Bearer $proot"
ok "a provider account without a confirmed email: 403" error_is 403 Forbidden
req GET /token/alice -H "Authorization: Bearer a b"
ok "a malformed token: 403" error_is 403 Forbidden

# a provider that does not answer: its backends stopped
ppid=$(cat "$P/run/lighttpd.pid")
pkill -STOP -P "$ppid" -f auth.fcgi
start=$(date +%s)
req GET /token/alice -H "Authorization: Bearer $ext"
took=$(($(date +%s) - start))
pkill -CONT -P "$ppid" -f auth.fcgi
ok "a slow provider: 503 ResourceTemporaryUnavailable" error_is 503 ResourceTemporaryUnavailable
ok_all "... after the 2 s timeout" [ "$took" -ge 1 ] -- [ "$took" -le 6 ]

server_stop "$P"
req GET /token/alice -H "Authorization: Bearer $ext"
ok "a provider that is down: 503" error_is 503 ResourceTemporaryUnavailable
ok "... saying so" matches "$(json .ExceptionMessage)" 'cannot be reached'
